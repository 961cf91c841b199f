"""Pending registrations: a customer asked to become a member; the cashier confirms, completes or aborts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from counter_core.identity.normalize import mask_personal_id, mask_phone

from ..domain_errors import Conflict, Invalid, NotFound
from ..models import Customer, PendingRegistration, Sale, utcnow
from ..security import Vault
from . import audit, connections, consent, events
from .customers import clean_fields, create_customer, update_customer
from .evidence import weigh
from .groups import groups_of

REGISTRATION_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "personal_id",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "country",
)
SKELETON_RETENTION = dt.timedelta(days=1)


def create(
    db: Session,
    vault: Vault,
    *,
    register_id: int,
    source: str,
    fields: dict,
    ttl_seconds: int,
    kiosk_id: int | None = None,
    sale_id: int | None = None,
    marketing_consent: bool = False,
    language: str = "",
) -> PendingRegistration:
    """Store what the customer gave (encrypted) and prompt the register's cashier."""
    payload = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items() if v}
    if not any(payload.get(k) for k in ("first_name", "last_name", "phone", "personal_id", "email")):
        raise Invalid("nothing_to_register", "Give at least a name, phone, e-mail or personal ID number.")
    payload["marketing_consent"] = bool(marketing_consent)
    payload["language"] = language
    registration = PendingRegistration(
        register_id=register_id,
        kiosk_id=kiosk_id,
        sale_id=sale_id,
        source=source,
        payload_enc=vault.encrypt_json(payload),
        expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds),
    )
    db.add(registration)
    db.flush()
    events.publish(
        db,
        register_id,
        "registration_created",
        registration=registration.reference,
        name=_display_name(payload),
        source=source,
    )
    return registration


def _display_name(payload: dict) -> str:
    name = f"{payload.get('first_name', '')} {payload.get('last_name', '')}".strip()
    return name or "A customer"


def get(db: Session, reference: str, *, register_id: int | None = None) -> PendingRegistration:
    stmt = select(PendingRegistration).where(PendingRegistration.reference == reference)
    if register_id is not None:
        stmt = stmt.where(PendingRegistration.register_id == register_id)
    registration = db.execute(stmt).scalar_one_or_none()
    if registration is None:
        raise NotFound("registration_not_found", "This registration does not exist or has been removed.")
    if registration.status == "pending" and registration.expires_at <= utcnow():
        _finish(db, registration, "expired", None)
    return registration


def list_pending(db: Session, register_id: int) -> list[PendingRegistration]:
    stmt = (
        select(PendingRegistration)
        .where(
            PendingRegistration.register_id == register_id,
            PendingRegistration.status == "pending",
            PendingRegistration.expires_at > utcnow(),
        )
        .order_by(PendingRegistration.id)
    )
    return list(db.execute(stmt).scalars())


def staff_view(registration: PendingRegistration, vault: Vault, *, masked: bool = True) -> dict:
    """What the cashier sees; identifiers masked unless the form needs them."""
    payload = vault.decrypt_json(registration.payload_enc)
    shown = {k: payload.get(k, "") for k in REGISTRATION_FIELDS}
    if masked:
        shown["phone"] = mask_phone(shown["phone"]) if shown["phone"] else ""
        shown["personal_id"] = mask_personal_id(shown["personal_id"]) if shown["personal_id"] else ""
    return {
        "reference": registration.reference,
        "status": registration.status,
        "source": registration.source,
        "name": _display_name(payload),
        "fields": shown,
        "marketing_consent": bool(payload.get("marketing_consent")),
        "needs_completion": not (payload.get("first_name") or payload.get("last_name")),
        "created_at": registration.created_at.isoformat(),
        "expires_at": registration.expires_at.isoformat(),
    }


def kiosk_view(db: Session, registration: PendingRegistration) -> dict:
    """What the kiosk may know: the status, and once confirmed the first name and groups."""
    out: dict = {
        "reference": registration.reference,
        "status": registration.status,
        "expires_at": registration.expires_at.isoformat(),
    }
    if registration.status == "confirmed" and registration.customer_id:
        customer = db.get(Customer, registration.customer_id)
        if customer is not None:
            out["customer"] = public_customer(db, customer)
    return out


def public_customer(db: Session, customer: Customer) -> dict:
    """The only customer data a kiosk ever sees."""
    return {"reference": customer.reference, "first_name": customer.first_name, "groups": groups_of(db, customer.id)}


def _require_pending(db: Session, registration: PendingRegistration) -> None:
    if registration.status == "pending" and registration.expires_at <= utcnow():
        _finish(db, registration, "expired", None)
    if registration.status != "pending":
        raise Conflict(
            f"registration_{registration.status}", f"This registration is already {registration.status}."
        )


def confirm(db: Session, vault: Vault, registration: PendingRegistration, *, staff_id: int, actor: str) -> Customer:
    """Create the customer from what the kiosk sent (or connect the one who already exists)."""
    _require_pending(db, registration)
    payload = vault.decrypt_json(registration.payload_enc)
    if not (payload.get("first_name") or payload.get("last_name")):
        raise Conflict("needs_completion", "Add the customer's name first: press Complete.")
    return _create_or_connect(db, vault, registration, payload, {}, staff_id=staff_id, actor=actor)


def complete(
    db: Session, vault: Vault, registration: PendingRegistration, edits: dict, *, staff_id: int, actor: str
) -> Customer:
    """Create the customer from the kiosk's fields with the cashier's edits on top (blank = keep)."""
    _require_pending(db, registration)
    payload = vault.decrypt_json(registration.payload_enc)
    return _create_or_connect(db, vault, registration, payload, edits, staff_id=staff_id, actor=actor)


def _create_or_connect(
    db: Session, vault: Vault, registration: PendingRegistration, payload: dict, edits: dict, *, staff_id: int, actor: str
) -> Customer:
    merged = {k: payload.get(k) for k in REGISTRATION_FIELDS if payload.get(k)}
    merged.update({k: v for k, v in edits.items() if v not in (None, "")})
    fields = clean_fields(merged)
    evidence = weigh(db, vault, {k: v for k, v in fields.items() if k != "email"})  # e-mail is not unique
    customer = evidence.customer if evidence is not None else None
    if evidence is not None and "personal_id" not in evidence.agreed and not evidence.names_agree:
        # A phone number (or e-mail) alone says nothing of who gave it: never the other customer's account.
        message = "This phone number belongs to another customer. Ask the customer, and change it under Complete."
        raise Conflict("phone_belongs_to_other", message, field="phone",
                       fields=[{"field": "phone", "code": "phone_belongs_to_other", "message": message}])
    created_by = "mobile" if registration.source == "mobile" else "kiosk"
    if customer is None:
        customer = create_customer(db, vault, fields, created_by=created_by, actor=actor)
    elif edits:
        update_customer(db, vault, customer, {k: v for k, v in fields.items() if k in edits}, actor=actor)
    if payload.get("marketing_consent") and (evidence is None or evidence.names_agree):
        # Consent only from the person proven to be the customer: a new one, or the names are theirs.
        consent.give(db, customer, purpose="marketing", channel=registration.source, source=actor)
    registration.customer_id = customer.id
    _finish(db, registration, "confirmed", staff_id)
    sale = db.get(Sale, registration.sale_id) if registration.sale_id else None
    if sale is not None:  # a sale closed meanwhile is tracked to the customer afterwards (staff act here)
        connections.connect(db, sale, customer, via=registration.source, actor=actor, staff=True,
                            presented="registration")
    return customer


def abort(db: Session, registration: PendingRegistration, *, staff_id: int | None) -> None:
    _require_pending(db, registration)
    _finish(db, registration, "aborted", staff_id)


def _finish(db: Session, registration: PendingRegistration, status: str, staff_id: int | None) -> None:
    registration.status = status
    registration.resolved_at = utcnow()
    registration.resolved_by = staff_id
    if status != "confirmed":
        registration.payload_enc = None  # the personal data goes with the registration
    db.flush()
    events.forget_name(db, registration.register_id, "registration_created", registration=registration.reference)
    events.publish(db, registration.register_id, "registration_resolved", registration=registration.reference, status=status)
    audit.record(db, f"staff:{staff_id}" if staff_id else "system", f"registration_{status}", registration.customer_id)


def purge(db: Session) -> int:
    """Expire overdue registrations (dropping their personal data) and delete old skeletons."""
    now = utcnow()
    overdue = list(
        db.execute(
            select(PendingRegistration).where(
                PendingRegistration.status == "pending", PendingRegistration.expires_at <= now
            )
        ).scalars()
    )
    for registration in overdue:
        _finish(db, registration, "expired", None)
    db.execute(
        update(PendingRegistration)
        .where(PendingRegistration.status != "pending", PendingRegistration.payload_enc.is_not(None))
        .values(payload_enc=None)
    )
    old = select(PendingRegistration).where(
        PendingRegistration.status != "pending", PendingRegistration.resolved_at < now - SKELETON_RETENTION
    )
    for registration in db.execute(old).scalars():
        db.delete(registration)
    return len(overdue)
