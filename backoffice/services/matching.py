"""Identify: what a kiosk read or was typed becomes matched, not found, or a pending registration.

The server validates every value again with the shared normalisers; the
kiosk is never trusted.  The answer tells a kiosk only what the customer
screen shows: first name, groups and an opaque reference.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_core.identity.normalize import InvalidIdentifier, normalize_personal_id, normalize_phone

from ..domain_errors import Invalid
from ..models import IdCard
from ..numbers import is_number
from ..runtime import Runtime
from . import connections, events, registrations
from .customers import clean_fields, find_summary_by_identifier
from .evidence import Evidence, weigh
from .sales import sale_for_request

IDENTIFIER_KINDS = ("customer_number", "card_code", "personal_id", "phone")
CARD_KINDS = ("vcard", "mecard", "bizcard", "aamva", "se_licence", "mobile")
LICENCE_KINDS = ("aamva", "se_licence")  # an official ID: its personal ID number is enough
CARD_FIELDS = ("first_name", "last_name", "phone", "email", "personal_id", "birth_date")
ADDRESS_FIELDS = {"street": "street", "postal_code": "postal_code", "city": "city", "country": "country"}


def canonical_identifier(kind: str, raw: object, region: str) -> str:
    """Validate one identifier; raise Invalid with the normaliser's reason code."""
    text = str(raw or "").strip()
    try:
        if kind == "customer_number":
            if not is_number(text) or len(text) > 12 or text.startswith("0"):
                raise InvalidIdentifier("invalid_customer_number", "A customer number has 1 to 12 digits.")
            return text
        if kind == "card_code":
            code = text.upper()
            if not 3 <= len(code) <= 64 or not all(ch.isalnum() or ch in "-_" for ch in code) or not code.isascii():
                raise InvalidIdentifier("invalid_card_code", "This card code has characters a card never carries.")
            return code
        if kind == "personal_id":
            return normalize_personal_id(text)
        if kind == "phone":
            return normalize_phone(text, region)
    except InvalidIdentifier as exc:
        raise Invalid(exc.code, exc.message, field=kind) from None
    raise Invalid("invalid_kind", f"Unknown identifier kind {kind!r}.")


def is_invalid_identifier(exc: Exception) -> bool:
    """Whether a refusal is ``canonical_identifier``'s: a number or code that cannot exist."""
    return isinstance(exc, Invalid) and exc.extra.get("field") in IDENTIFIER_KINDS


def card_fields(request: dict) -> dict:
    """Cleaned personal fields from a scanned card or a phone form (address flattened)."""
    raw = {k: request.get(k) for k in CARD_FIELDS if request.get(k)}
    address = request.get("address") or {}
    for key, target in ADDRESS_FIELDS.items():
        if address.get(key):
            raw[target] = address[key]
    return clean_fields(raw, partial=True)


def presented_as(method: str, kind: str) -> str:
    """How the cashier's prompt names what the customer presented."""
    if kind in CARD_KINDS:
        return kind
    return "enter" if method == "enter" else "scan"


ASK_CASHIER = {"result": "not_found", "can_register": False, "reason": "ask_cashier"}


def identify(db: Session, rt: Runtime, *, kiosk_id: int, register_id: int, request: dict, actor: str = "") -> dict:
    """Match what the kiosk sent; connect a match to the register's open sale as the connection rule says.

    Enough alone: a customer number, a card code, a personal ID number (its
    checksum holds), a driving licence's personal ID number.  A phone number
    alone, or a contact card whose names are not the customer's, connects
    nobody: the cashier gets a prompt and the kiosk says to ask the cashier,
    without the customer's name.
    """
    kind = request["kind"]
    region = rt.settings.default_region
    actor = actor or f"kiosk:{kiosk_id}"
    presented = presented_as(request["method"], kind)
    via = f"kiosk_{request['method']}"
    sale = sale_for_request(db, register_id, request.get("sale"))
    evidence: Evidence | None = None
    if kind in IDENTIFIER_KINDS:
        value = canonical_identifier(kind, request.get(kind), region)
        customer = find_summary_by_identifier(db, rt.vault, kind, value)
        if customer is None:
            answer: dict = {"result": "not_found", "can_register": kind in ("personal_id", "phone")}
            if kind == "card_code" and _unlinked_card(db, value):
                answer["reason"] = "card_not_linked"
                events.publish(db, register_id, "unlinked_card_shown", card=value)
            return answer
        if kind == "phone":  # a phone number is no proof of who types it
            if sale is not None:
                connections.propose(db, register_id, sale.id, customer, reason="verify", via=via,
                                    presented=presented, evidence={"agreed": ["phone"], "differed": []})
            return dict(ASK_CASHIER)
    elif kind in CARD_KINDS:
        fields = card_fields(request)
        evidence = weigh(db, rt.vault, fields)
        if evidence is None:
            registration = registrations.create(
                db,
                rt.vault,
                register_id=register_id,
                kiosk_id=kiosk_id,
                sale_id=sale.id if sale else None,
                source="scan",
                fields={**fields, "presented": kind},  # the cashier's prompt says what was scanned
                ttl_seconds=rt.settings.registration_ttl_seconds,
            )
            return {"result": "pending", "registration": registrations.kiosk_view(db, registration)}
        customer = evidence.customer
        licence_proof = kind in LICENCE_KINDS and "personal_id" in evidence.agreed
        if not (licence_proof or evidence.proven):
            if sale is not None:
                connections.propose(db, register_id, sale.id, customer, reason="verify", via=via,
                                    presented=presented, evidence=evidence.as_dict())
            return dict(ASK_CASHIER)
    else:
        raise Invalid("invalid_kind", f"Unknown identifier kind {kind!r}.")
    connected = False
    if sale is not None:
        outcome = connections.connect(db, sale, customer, via=via, actor=actor, staff=False, presented=presented,
                                      evidence=evidence.as_dict() if evidence else None)
        connected = outcome.connected
    return {"result": "matched", "customer": registrations.public_customer(db, customer), "connected": connected}


def _unlinked_card(db: Session, code: str) -> bool:
    stmt = select(IdCard.id).where(IdCard.code == code, IdCard.customer_id.is_(None))
    return db.execute(stmt).first() is not None
