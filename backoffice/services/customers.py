"""Customers: validate, create, edit, delete, find; identifiers kept encrypted and looked up by HMAC."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from counter_core.identity.normalize import (
    InvalidIdentifier,
    mask_personal_id,
    mask_phone,
    normalize_birth_date,
    normalize_country,
    normalize_email,
    normalize_name,
    normalize_personal_id,
    normalize_phone,
    personal_id_birth_date,
)

from ..domain_errors import Conflict, Invalid, NotFound
from ..models import Customer, CustomerLabel, CustomerTag, IdCard, Label
from ..numbers import is_number
from ..security import Vault
from . import audit, group_members
from .counters import next_value

PERSONAL_FIELDS = ("first_name", "last_name", "phone", "email", "personal_id", "birth_date")
TEXT_FIELDS = {"street": 200, "postal_code": 20, "city": 100, "notes": 4000}
PHONE_ENDING_DIGITS = 4
CREATED_BY = {"kiosk", "mobile", "cashier", "import", "admin", "api"}


@dataclass
class FieldProblem:
    field: str
    code: str
    message: str


def clean_fields(data: dict, *, region: str = "SE", partial: bool = False) -> dict:
    """Normalise and validate customer fields; raise one Invalid listing every bad field.

    ``partial`` (editing) leaves absent fields alone; an empty string clears a field.
    """
    problems: list[FieldProblem] = []
    out: dict = {}

    def attempt(name: str, fn) -> None:
        if name not in data or data[name] is None:
            return
        raw = data[name]
        if isinstance(raw, str) and not raw.strip():
            out[name] = ""
            return
        try:
            out[name] = fn(raw)
        except InvalidIdentifier as exc:
            problems.append(FieldProblem(name, exc.code, exc.message))

    attempt("first_name", normalize_name)
    attempt("last_name", normalize_name)
    attempt("email", normalize_email)
    attempt("phone", lambda v: normalize_phone(str(v), region))
    attempt("personal_id", lambda v: normalize_personal_id(str(v)))
    for name, limit in TEXT_FIELDS.items():
        attempt(name, lambda v, limit=limit, name=name: _bounded_text(name, v, limit))
    # Country and birth date are checked by the same normalisers as the kiosk's (counter_core.identity): a
    # code no phone region has ("XX") or a birth date in the future is refused with the field's name.
    if data.get("country"):
        attempt("country", normalize_country)
    if data.get("birth_date"):
        attempt("birth_date", normalize_birth_date)
    if out.get("personal_id"):
        out["birth_date"] = personal_id_birth_date(out["personal_id"])
    for name in ("labels", "tags"):
        if name in data and data[name] is not None:
            values = data[name]
            if isinstance(values, str):
                values = [v for v in values.split(",")]
            try:
                out[name] = sorted({normalize_name(v)[:60] for v in values if normalize_name(v)})
            except InvalidIdentifier:
                problems.append(FieldProblem(name, "too_long", "A label or tag has at most 60 characters."))
    if not partial and not (out.get("first_name") or out.get("last_name")):
        problems.append(FieldProblem("first_name", "name_required", "Enter at least a first or last name."))
    if problems:
        raise Invalid(
            "invalid_fields",
            "Please correct: " + "; ".join(f"{p.field}: {p.message}" for p in problems),
            fields=[p.__dict__ for p in problems],
        )
    return out


def _bounded_text(name: str, value: object, limit: int) -> str:
    text = str(value).strip() if name == "notes" else normalize_name(str(value))
    if len(text) > limit:
        raise InvalidIdentifier("too_long", f"At most {limit} characters.")
    return text


def _search_keys(first: str, last: str) -> tuple[str, str]:
    first_l, last_l = first.casefold(), last.casefold()
    return f"{first_l} {last_l}".strip(), f"{last_l} {first_l}".strip()


def _check_unique(db: Session, vault: Vault, fields: dict, exclude_id: int | None = None) -> None:
    for name, code, message in (
        ("phone", "duplicate_phone", "Another customer already has this phone number."),
        ("personal_id", "duplicate_personal_id", "Another customer already has this personal ID number."),
    ):
        value = fields.get(name)
        if not value:
            continue
        column = Customer.phone_lookup if name == "phone" else Customer.personal_id_lookup
        existing = db.execute(select(Customer.id, Customer.reference).where(column == vault.lookup(name, value))).first()
        if existing and existing.id != exclude_id:
            raise Conflict(code, message, customer=existing.reference)


def apply_fields(db: Session, vault: Vault, customer: Customer, fields: dict) -> None:
    """Write cleaned fields onto a customer, encrypting identifiers and refreshing search keys."""
    for name in ("first_name", "last_name", "street", "postal_code", "city", "country", "notes"):
        if name in fields:
            setattr(customer, name, fields[name] or "")
    if "email" in fields:
        customer.email = fields["email"] or None
    if "birth_date" in fields:
        customer.birth_date = fields["birth_date"] or None
    for name in ("phone", "personal_id"):
        if name in fields:
            value = fields[name]
            setattr(customer, f"{name}_lookup", vault.lookup(name, value) if value else None)
            setattr(customer, f"{name}_enc", vault.encrypt(value) if value else None)
    if "phone" in fields:
        customer.phone_ending_lookup = phone_ending_key(vault, fields["phone"]) if fields["phone"] else ""
    customer.first_name, customer.last_name = customer.first_name or "", customer.last_name or ""
    customer.search_name, customer.search_last = _search_keys(customer.first_name, customer.last_name)
    if "labels" in fields:
        _set_labels(db, customer, fields["labels"])
    if "tags" in fields:
        customer.tags = [CustomerTag(tag=t) for t in fields["tags"]]


def phone_ending_key(vault: Vault, phone: str) -> str:
    """The lookup key of a phone number's last four digits (a cashier's "the one ending 4567")."""
    return vault.lookup("phone_ending", re.sub(r"\D", "", phone)[-PHONE_ENDING_DIGITS:])


def _set_labels(db: Session, customer: Customer, names: list[str]) -> None:
    labels = []
    for name in names:
        label = db.execute(select(Label).where(Label.name == name)).scalar_one_or_none()
        if label is None:
            label = Label(name=name)
            db.add(label)
            db.flush()
        labels.append(label)
    if customer.id is not None:
        db.execute(delete(CustomerLabel).where(CustomerLabel.customer_id == customer.id))
        db.flush()
        db.expire(customer, ["labels"])
    customer.labels = labels


def create_customer(db: Session, vault: Vault, fields: dict, *, created_by: str, actor: str) -> Customer:
    """Create a customer from cleaned fields, with the next customer number."""
    _check_unique(db, vault, fields)
    customer = Customer(customer_number=next_value(db, "customer_number"), created_by=created_by)
    apply_fields(db, vault, customer, fields)
    db.add(customer)
    db.flush()
    audit.record(db, actor, "customer_created", customer.id, created_by=created_by)
    group_members.refresh_customer(db, customer.id)
    return customer


def update_customer(db: Session, vault: Vault, customer: Customer, fields: dict, *, actor: str) -> Customer:
    _check_unique(db, vault, fields, exclude_id=customer.id)
    apply_fields(db, vault, customer, fields)
    customer.updated_at = dt.datetime.now(dt.UTC)
    db.flush()
    audit.record(db, actor, "customer_updated", customer.id, fields=sorted(fields))
    group_members.refresh_customer(db, customer.id)
    return customer


def get_by_reference(db: Session, reference: str) -> Customer:
    customer = db.execute(select(Customer).where(Customer.reference == reference)).scalar_one_or_none()
    if customer is None:
        raise NotFound("customer_not_found", "No customer has this reference.")
    return customer


def customer_id_for_filter(db: Session, reference_or_number: str) -> int:
    """The customer a filter names by reference or number; 404 when there is none."""
    text = reference_or_number.strip()
    if is_number(text) and len(text) <= 12:
        found = db.execute(select(Customer.id).where(Customer.customer_number == int(text))).scalar_one_or_none()
    else:
        found = db.execute(select(Customer.id).where(Customer.reference == text)).scalar_one_or_none()
    if found is None:
        raise NotFound("customer_not_found", "No customer has this reference or number.")
    return found


# Prebuilt, parametrised statements: building a statement costs more than running
# it on an index, and identify runs several hundred times a second.
_IDENTIFIER_CONDITIONS = {
    "customer_number": Customer.customer_number == bindparam("value"),
    "card_code": Customer.id == select(IdCard.customer_id).where(IdCard.code == bindparam("value")).scalar_subquery(),
    "phone": Customer.phone_lookup == bindparam("value"),
    "personal_id": Customer.personal_id_lookup == bindparam("value"),
    "email": Customer.email == bindparam("value"),
}
_FIND_CUSTOMER = {kind: select(Customer).where(cond).limit(1) for kind, cond in _IDENTIFIER_CONDITIONS.items()}
_FIND_SUMMARY = {
    kind: select(Customer.id, Customer.reference, Customer.first_name, Customer.last_name).where(cond).limit(1)
    for kind, cond in _IDENTIFIER_CONDITIONS.items()
}


def _identifier_value(vault: Vault, kind: str, canonical: str) -> object | None:
    if kind not in _IDENTIFIER_CONDITIONS:
        return None
    if kind == "customer_number":
        return int(canonical) if is_number(canonical) and len(canonical) <= 12 else None
    if kind in ("phone", "personal_id"):
        return vault.lookup(kind, canonical)
    return canonical


def find_by_identifier(db: Session, vault: Vault, kind: str, canonical: str) -> Customer | None:
    """Exact match on one identifier: customer number, card code, phone, personal ID or e-mail."""
    value = _identifier_value(vault, kind, canonical)
    if value is None:
        return None
    return db.execute(_FIND_CUSTOMER[kind], {"value": value}).scalar_one_or_none()


def find_summary_by_identifier(db: Session, vault: Vault, kind: str, canonical: str):
    """Like find_by_identifier, but only id, reference and names, as a plain row (identify's hot path)."""
    value = _identifier_value(vault, kind, canonical)
    if value is None:
        return None
    return db.connection().execute(_FIND_SUMMARY[kind], {"value": value}).first()


def search_text(q: str) -> str:
    """What a search box holds, normalised like names and cut to 100 characters; never refused.

    Normalising can lengthen text (NFC spells some letters as two), so text
    that comes out over a name's limit is shortened until it fits.
    """
    text = q[:200]
    while True:
        try:
            return normalize_name(text)[:100]
        except InvalidIdentifier:
            text = text[: len(text) // 2]


def search(db: Session, vault: Vault, q: str, *, limit: int = 50) -> list[Customer]:
    """Find customers by name prefix, number, phone, e-mail, card code or personal ID.

    Exact identifiers are recognised first (phone and personal ID through their
    HMAC keys); anything else is a prefix of "first last" or "last first" on
    indexed, case-folded columns, read as two index range scans, so the search
    stays fast at a million customers.
    """
    q = search_text(q)
    if not q:
        stmt = select(Customer).order_by(Customer.customer_number.desc()).limit(limit)
        return list(db.execute(stmt).scalars())
    if is_phone_ending(q):
        return by_number_or_phone_ending(db, vault, q, limit=limit)
    exact = _exact_identifier(q)
    if exact:
        found = find_by_identifier(db, vault, *exact)
        if found is not None or exact[0] != "customer_number":
            return [found] if found else []
    folded = q.casefold()
    upper = folded + "\U0010ffff"
    seen: dict[int, Customer] = {}
    for column in (Customer.search_name, Customer.search_last):
        stmt = select(Customer).where(column >= folded, column < upper).order_by(column).limit(limit)
        for customer in db.execute(stmt).scalars():
            seen.setdefault(customer.id, customer)
    return sorted(seen.values(), key=lambda c: (c.search_last, c.customer_number))[:limit]


def is_phone_ending(q: str) -> bool:
    """Four digits: the end of a phone number, as a cashier asks for it (or a short customer number)."""
    return q.isascii() and q.isdigit() and len(q) == PHONE_ENDING_DIGITS


def by_number_or_phone_ending(db: Session, vault: Vault, digits: str, *, limit: int = 50) -> list[Customer]:
    """The customer with this number, then those whose phone ends with these digits (by last name)."""
    by_number = find_by_identifier(db, vault, "customer_number", digits)
    stmt = (select(Customer).where(Customer.phone_ending_lookup == vault.lookup("phone_ending", digits))
            .order_by(Customer.search_last, Customer.customer_number).limit(limit))
    endings = [c for c in db.execute(stmt).scalars() if c is not by_number]
    return ([by_number] if by_number else []) + endings[: limit - (1 if by_number else 0)]


def audit_identifier_search(sessions, actor: str, q: str, found: list[Customer]) -> None:
    """A search by personal ID, phone or a phone's last four digits is a look-up of a person: it goes on the
    audit trail (names do not)."""
    text = search_text(q)
    exact = _exact_identifier(text)
    kind = "phone_ending" if is_phone_ending(text) else exact[0] if exact else ""
    if kind not in ("personal_id", "phone", "phone_ending"):
        return
    with sessions() as db:
        audit.record(db, actor, "customer_searched", found[0].id if len(found) == 1 else None, by=kind,
                     found=len(found))
        db.commit()


def _exact_identifier(q: str) -> tuple[str, str] | None:
    compact = re.sub(r"[\s\-]", "", q)
    if "@" in q:
        try:
            return "email", normalize_email(q)
        except InvalidIdentifier:
            return None
    if re.fullmatch(r"[0-9+]{6,13}", compact) or re.fullmatch(r"\d{6}[-+]\d{4}", q.replace(" ", "")):
        try:
            return "personal_id", normalize_personal_id(q)
        except InvalidIdentifier:
            pass
    if re.fullmatch(r"\+?[0-9]{7,15}", compact):
        try:
            return "phone", normalize_phone(compact)
        except InvalidIdentifier:
            pass
    if re.fullmatch(r"[1-9][0-9]{0,11}", compact):
        return "customer_number", compact
    if re.fullmatch(r"[A-Za-z0-9]{1,12}-[A-Za-z0-9]{4,40}", q):
        return "card_code", q.upper()
    return None


def staff_view(customer: Customer, vault: Vault) -> dict:
    """What staff screens and the staff API show: identifiers masked."""
    return {
        "reference": customer.reference,
        "customer_number": customer.customer_number,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email or "",
        "phone": mask_phone(vault.decrypt(customer.phone_enc)) if customer.phone_enc else "",
        "personal_id": mask_personal_id(vault.decrypt(customer.personal_id_enc)) if customer.personal_id_enc else "",
        "birth_date": customer.birth_date.isoformat() if customer.birth_date else None,
        "street": customer.street,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country,
        "labels": [label.name for label in customer.labels],
        "tags": sorted(t.tag for t in customer.tags),
        "notes": customer.notes,
        "created_by": customer.created_by,
        "created_at": customer.created_at.isoformat(),
    }


def full_identifiers(customer: Customer, vault: Vault) -> dict:
    """Unmasked phone and personal ID, for GDPR export only (audited by the caller)."""
    return {
        "phone": vault.decrypt(customer.phone_enc) if customer.phone_enc else "",
        "personal_id": vault.decrypt(customer.personal_id_enc) if customer.personal_id_enc else "",
    }


def numbers_of(db: Session, references: set[str]) -> dict[str, int]:
    """{reference: customer number} for the customers that still exist among ``references``."""
    if not references:
        return {}
    stmt = select(Customer.reference, Customer.customer_number).where(Customer.reference.in_(references))
    return {reference: number for reference, number in db.execute(stmt)}


def id_of_reference(db: Session, reference: str) -> int | None:
    return db.execute(select(Customer.id).where(Customer.reference == reference)).scalar_one_or_none()
