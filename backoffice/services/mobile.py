"""Via mobile: a single-use token in a QR code opens a short form on the customer's phone.

Status: waiting → opened → matched | pending | checking (the cashier decides), or expired.  The QR is valid for
``mobile_session_ttl_seconds``; once the phone has opened it, the customer has
``FORM_SECONDS`` to fill it in, so a slow typist is not cut off.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain_errors import Gone, Invalid, NotFound
from ..models import Customer, Kiosk, MobileSession, PendingRegistration, utcnow
from ..runtime import Runtime
from ..security import hash_token, new_token, tokens_equal
from . import connections, consent, events, lockout, registrations
from .cards import card_url, digital_card_for
from .customers import clean_fields
from .evidence import weigh
from .sales import open_sale_of

FORM_SECONDS = 600
OPEN_STATES = ("waiting", "opened")
EXPIRING_STATES = (*OPEN_STATES, "checking")


def start(db: Session, rt: Runtime, kiosk: Kiosk, *, language: str) -> dict:
    token, digest, _ = new_token("m", 24)
    sale = open_sale_of(db, kiosk.register_id)
    session = MobileSession(
        token_hash=digest,
        kiosk_id=kiosk.id,
        register_id=kiosk.register_id,
        sale_id=sale.id if sale else None,
        language=language,
        expires_at=utcnow() + dt.timedelta(seconds=rt.settings.mobile_session_ttl_seconds),
    )
    db.add(session)
    db.flush()
    view = kiosk_view(db, rt, session)
    view["url"] = f"{rt.settings.base_url}/m/{token}"
    return view


def _expire_if_due(db: Session, session: MobileSession) -> None:
    if session.status in EXPIRING_STATES and session.expires_at <= utcnow():
        session.status = "expired"
        db.flush()
        events.publish(db, session.register_id, "mobile_session_updated", session=session.reference, status="expired")


def get_for_kiosk(db: Session, reference: str, kiosk_id: int) -> MobileSession:
    session = db.execute(
        select(MobileSession).where(MobileSession.reference == reference, MobileSession.kiosk_id == kiosk_id)
    ).scalar_one_or_none()
    if session is None:
        raise NotFound("mobile_session_not_found", "This mobile session does not exist.")
    _expire_if_due(db, session)
    return session


def get_by_token(db: Session, token: str) -> MobileSession | None:
    if not token.startswith("m_") or len(token) > 80:
        return None
    session = db.execute(select(MobileSession).where(MobileSession.token_hash == hash_token(token))).scalar_one_or_none()
    if session is not None:
        _expire_if_due(db, session)
    return session


def kiosk_view(db: Session, rt: Runtime, session: MobileSession) -> dict:
    out: dict = {
        "reference": session.reference,
        "status": session.status,
        "expires_at": session.expires_at.isoformat(),
        "expires_in_seconds": max(0, round((session.expires_at - utcnow()).total_seconds())),
    }
    if session.status == "matched" and session.customer_id:
        customer = db.get(Customer, session.customer_id)
        if customer is not None:
            out["customer"] = registrations.public_customer(db, customer)
    if session.status == "pending" and session.registration_id:
        registration = db.get(PendingRegistration, session.registration_id)
        if registration is not None:
            out["registration"] = registrations.kiosk_view(db, registration)
    return out


def mark_opened(db: Session, session: MobileSession) -> None:
    if session.status == "waiting":
        session.status = "opened"
        session.opened_at = utcnow()
        session.expires_at = max(session.expires_at, utcnow() + dt.timedelta(seconds=FORM_SECONDS))
        db.flush()
        events.publish(db, session.register_id, "mobile_session_updated", session=session.reference, status="opened")


def submit(db: Session, rt: Runtime, session: MobileSession, form: dict, *, browser_hash: str) -> str:
    """Validate the phone form, then match the customer or hand a registration to the cashier.

    A known customer is matched only when proven: the phone number or the
    personal ID number *and* both names are theirs, and no number typed is
    someone else's.  A phone number with another name is never a match: no
    greeting, no connection, no first name, no consent.  Anything in between
    goes to the cashier as a prompt saying what agreed (status "checking").
    Returns the name proof (see ``name_proof``) for a proven match, else "".
    Raises Invalid with field errors; the caller shows them on the form.
    """
    if session.status not in OPEN_STATES:
        raise Gone(f"mobile_session_{session.status}", "This code has already been used or has expired.")
    fields = clean_form(form, rt.settings.default_region)
    kiosk = db.get(Kiosk, session.kiosk_id) if session.kiosk_id else None
    if kiosk is not None:  # a phone form is a lookup at that kiosk, and counts as one
        lockout.admit(db, rt.settings, kiosk_id=kiosk.id, register_id=session.register_id)
    marketing = bool(form.get("marketing_consent"))
    session.submitted_at = utcnow()
    session.browser_hash = browser_hash
    evidence = weigh(db, rt.vault, {k: v for k, v in fields.items() if k in ("personal_id", "phone", "first_name",
                                                                          "last_name")})
    if kiosk is not None:
        lockout.record(db, rt.settings, kiosk_id=kiosk.id, kiosk_name=kiosk.name, register_id=session.register_id,
                       missed=evidence is None)
    sale = open_sale_of(db, session.register_id)
    customer = evidence.customer if evidence is not None and evidence.proven else None
    if customer is not None:
        # Proven: the phone or personal ID number and both names are the customer's own.
        session.status = "matched"
        session.customer_id = customer.id
        if marketing:
            consent.give(db, customer, purpose="marketing", channel="mobile", source="mobile-form")
        if sale is not None:
            connections.connect(db, sale, customer, via="kiosk_mobile", actor=f"mobile:{session.reference}",
                                staff=False, presented="phone_form", evidence=evidence.as_dict())
    elif evidence is not None:
        # Something agreed, not all: the cashier decides; the phone learns nothing of the account.
        session.status = "checking"
        connections.propose(db, session.register_id, sale.id if sale else None, evidence.customer, reason="verify",
                            via="kiosk_mobile", presented="phone_form", evidence=evidence.as_dict(),
                            mobile_session_id=session.id)
        session.expires_at = utcnow() + dt.timedelta(seconds=connections.PROMPT_SECONDS)
    else:
        registration = registrations.create(
            db,
            rt.vault,
            register_id=session.register_id,
            kiosk_id=session.kiosk_id,
            sale_id=sale.id if sale else None,
            source="mobile",
            fields=fields,
            ttl_seconds=rt.settings.registration_ttl_seconds,
            marketing_consent=marketing,
            language=session.language,
        )
        session.status = "pending"
        session.registration_id = registration.id
    db.flush()
    events.publish(db, session.register_id, "mobile_session_updated", session=session.reference, status=session.status)
    return name_proof(rt, session, customer) if customer is not None else ""


def name_proof(rt: Runtime, session: MobileSession, customer: Customer) -> str:
    """A signed note that this phone typed the customer's own names in this session.

    Only a proven match (see ``submit``) gets one: it lets this browser see the
    customer's membership code on the result page.
    """
    return rt.vault.sign(f"mobile-card:{session.reference}:{customer.reference}".encode())


def clean_form(form: dict, region: str) -> dict:
    """Validate the phone form: every bad or missing field is reported at once."""
    given = {k: form.get(k, "") for k in ("first_name", "last_name", "phone", "personal_id")}
    problems: list[dict] = []
    fields: dict = {}
    try:
        fields = clean_fields(given, region=region, partial=True)
    except Invalid as exc:
        problems = list(exc.extra.get("fields", []))
    bad = {p["field"] for p in problems}
    for name in ("first_name", "last_name", "phone"):
        if name not in bad and not str(given.get(name) or "").strip():
            problems.append({"field": name, "code": "required", "message": "Required."})
    if problems:
        raise Invalid("invalid_fields", "Please correct the marked fields.", fields=problems)
    return fields


def result_for_phone(db: Session, rt: Runtime, session: MobileSession, *, proof: str = "") -> dict:
    """What the phone shows after submitting: the first name and, when it is theirs to see, the membership QR.

    A customer the cashier has just confirmed gets the code; a known customer
    matched by phone or personal ID only with the name proof from ``submit``.
    """
    customer = None
    show_card = False
    status = session.status
    if session.status == "matched" and session.customer_id:
        customer = db.get(Customer, session.customer_id)
        if customer is not None and proof:
            show_card = tokens_equal(proof, name_proof(rt, session, customer))
    elif session.status == "pending" and session.registration_id:
        registration = db.get(PendingRegistration, session.registration_id)
        if registration is not None:
            registrations.get(db, registration.reference)  # expires it when due
            status = registration.status
            if registration.status == "confirmed" and registration.customer_id:
                customer = db.get(Customer, registration.customer_id)
                show_card = True
    out: dict = {"status": status, "first_name": customer.first_name if customer else ""}
    if customer is not None and show_card:
        card = digital_card_for(db, customer)
        out["card_code"] = card.code
        out["card_url"] = card_url(rt.settings.base_url, card.code)
        out["customer_number"] = customer.customer_number
    return out


def purge(db: Session) -> int:
    """Expire overdue sessions and delete old ones (they hold no personal data themselves); the same for the
    connection prompts, which the phone form (and the kiosk) make."""
    now = utcnow()
    count = connections.purge(db)
    for session in db.execute(
        select(MobileSession).where(MobileSession.status.in_(EXPIRING_STATES), MobileSession.expires_at <= now)
    ).scalars():
        _expire_if_due(db, session)
        count += 1
    for session in db.execute(
        select(MobileSession).where(MobileSession.created_at < now - dt.timedelta(days=1))
    ).scalars():
        db.delete(session)
    return count

