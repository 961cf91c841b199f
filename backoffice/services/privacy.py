"""GDPR: everything stored about one customer as JSON, and erasure that keeps the accounts but not the person.

Erasure deletes the customer and every row that would still say who they
were: consent records, memberships, group places, tags and labels, mail to
them, registrations and phone visits that led to them, stored kiosk answers
that carry their first name, and the names in the register's event stream.
Their sales stay (the shop's accounting needs them) with the customer link
cleared; their cards stay, unlinked; audit entries about them stay as "who did
what when", with only non-personal detail and no link to anybody.
"""

from __future__ import annotations

from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.orm import Session, selectinload

from ..models import (
    AuditEvent,
    CardBatch,
    ConsentRecord,
    Customer,
    CustomerLabel,
    CustomerTag,
    GroupMember,
    IdCard,
    IdempotencyRecord,
    MailMessage,
    Membership,
    MobileSession,
    PendingRegistration,
    RegisterEvent,
    Sale,
    VerifyScan,
    utcnow,
)
from ..security import Vault
from . import audit, consent, group_members
from .customers import full_identifiers, staff_view
from .groups import groups_of

EXPORT_FORMAT = "counter-kiosk-customer-export/1"
# Register events that name a customer (for the cashier's live prompts).
NAMING_EVENTS = ("customer_connected", "registration_created")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_customer(db: Session, vault: Vault, customer: Customer, *, actor: str) -> dict:
    """Everything stored about one customer, identifiers unmasked; the export itself is audited."""
    identity = staff_view(customer, vault)
    identity.update(full_identifiers(customer, vault))
    identity["language"] = customer.language
    identity["updated_at"] = _iso(customer.updated_at)
    address = {k: identity.pop(k) for k in ("street", "postal_code", "city", "country")}
    labels, tags = identity.pop("labels"), identity.pop("tags")
    cards = db.execute(
        select(IdCard, CardBatch.name).outerjoin(CardBatch, CardBatch.id == IdCard.batch_id)
        .where(IdCard.customer_id == customer.id).order_by(IdCard.id)
    ).all()
    memberships = db.execute(
        select(Membership).where(Membership.customer_id == customer.id).order_by(Membership.starts_on)
    ).scalars()
    manual = set(db.execute(
        select(GroupMember.group_id).where(GroupMember.customer_id == customer.id, GroupMember.manual.is_(True))
    ).scalars())
    sales = db.execute(
        select(Sale).options(selectinload(Sale.lines), selectinload(Sale.register))
        .where(Sale.customer_id == customer.id).order_by(Sale.id)
    ).scalars()
    trail = db.execute(
        select(AuditEvent).where(AuditEvent.customer_id == customer.id).order_by(AuditEvent.id)
    ).scalars()
    mails = db.execute(
        select(MailMessage).where(MailMessage.customer_id == customer.id).order_by(MailMessage.id)
    ).scalars()
    registrations = db.execute(
        select(PendingRegistration).where(PendingRegistration.customer_id == customer.id)
        .order_by(PendingRegistration.id)
    ).scalars()
    audit.record(db, actor, "customer_exported", customer.id)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "exported_by": actor,
        "identity": identity,
        "address": address,
        "labels": labels,
        "tags": tags,
        "cards": [{"code": card.code, "batch": batch or "", "linked_at": _iso(card.linked_at)} for card, batch in cards],
        "consents": [consent.view(r) for r in consent.records_of(db, customer.id)],
        "memberships": [
            {"plan": m.plan, "starts_on": _iso(m.starts_on), "ends_on": _iso(m.ends_on)} for m in memberships
        ],
        "groups": [
            {**group, "added_by_hand": group["id"] in manual}
            for group in groups_of(db, customer.id, scanner_only=False)
        ],
        "sales": [_sale(sale) for sale in sales],
        "registrations": [
            {"reference": r.reference, "source": r.source, "status": r.status, "created_at": _iso(r.created_at),
             "resolved_at": _iso(r.resolved_at)}
            for r in registrations
        ],
        "mail": [
            {"to": m.to_address, "subject": m.subject, "body": m.body, "status": m.status,
             "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
            for m in mails
        ],
        "audit_trail": [
            {"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail or {}} for e in trail
        ],
    }


def _sale(sale: Sale) -> dict:
    return {
        "reference": sale.reference,
        "register": sale.register.name,
        "receipt_number": sale.receipt_number,
        "status": sale.status,
        "opened_at": _iso(sale.opened_at),
        "closed_at": _iso(sale.closed_at),
        "connected_via": sale.connected_via,
        "total": str(sale.total),
        "currency": sale.currency,
        "lines": [
            {"product": ln.product, "brand": ln.brand, "variant": ln.variant,
             "quantity": str(ln.quantity.normalize()), "unit_price": str(ln.unit_price)}
            for ln in sale.lines
        ],
    }


def erase_customer(db: Session, vault: Vault, customer: Customer, *, actor: str) -> dict:
    """Remove the person and every trace that names them; keep their sales without the link. Returns counts."""
    cid, reference = customer.id, customer.reference
    identifiers = {v for v in (*full_identifiers(customer, vault).values(), customer.email) if v}
    registrations = set(db.execute(
        select(PendingRegistration.id).where(PendingRegistration.customer_id == cid)
    ).scalars()) | _pending_registrations_of(db, vault, identifiers)
    registration_refs = set(db.execute(
        select(PendingRegistration.reference).where(PendingRegistration.id.in_(registrations))
    ).scalars())
    counts = {
        "sales_kept": db.execute(
            update(Sale).where(Sale.customer_id == cid).values(customer_id=None)
        ).rowcount,
        "cards_unlinked": db.execute(
            update(IdCard).where(IdCard.customer_id == cid).values(customer_id=None, linked_at=None)
        ).rowcount,
        "phone_visits_removed": db.execute(
            delete(MobileSession).where(
                (MobileSession.customer_id == cid) | MobileSession.registration_id.in_(registrations)
            )
        ).rowcount,
        "registrations_removed": db.execute(
            delete(PendingRegistration).where(PendingRegistration.id.in_(registrations))
        ).rowcount,
        "mail_removed": db.execute(
            delete(MailMessage).where(
                or_(MailMessage.customer_id == cid, *([MailMessage.to_address == customer.email] if customer.email else []))
            )
        ).rowcount,
        "stored_answers_removed": db.execute(
            delete(IdempotencyRecord).where(cast(IdempotencyRecord.response, Text).contains(reference))
        ).rowcount,
        "register_events_cleared": _clear_names_in_events(db, reference, registration_refs),
        "audit_entries_kept": _anonymise_audit(db, cid),
    }
    db.execute(update(VerifyScan).where(VerifyScan.customer_reference == reference).values(customer_reference=None))
    group_members.forget_customer(db, cid)  # their groups count one member less
    for table in (ConsentRecord, Membership, GroupMember, CustomerTag, CustomerLabel):
        db.execute(delete(table).where(table.customer_id == cid))
    db.expunge(customer)
    db.execute(delete(Customer).where(Customer.id == cid))
    audit.record(db, actor, "customer_erased", None, **counts)
    return counts


def _pending_registrations_of(db: Session, vault: Vault, identifiers: set[str]) -> set[int]:
    """Registrations still waiting that carry one of the person's identifiers (few: they expire in minutes)."""
    if not identifiers:
        return set()
    found = set()
    for registration in db.execute(
        select(PendingRegistration).where(PendingRegistration.payload_enc.is_not(None))
    ).scalars():
        payload = vault.decrypt_json(registration.payload_enc)
        if identifiers & {str(payload.get(k) or "") for k in ("phone", "personal_id", "email")}:
            found.add(registration.id)
    return found


def _clear_names_in_events(db: Session, reference: str, registration_refs: set[str]) -> int:
    """Take the name out of the live-prompt events about the person (the events themselves stay in order)."""
    cleared = 0
    mentions = [cast(RegisterEvent.data, Text).contains(ref) for ref in (reference, *registration_refs)]
    stmt = select(RegisterEvent).where(RegisterEvent.type.in_(NAMING_EVENTS), or_(*mentions))
    for event in db.execute(stmt).scalars():
        data = event.data or {}
        if data.get("customer") == reference or data.get("registration") in registration_refs:
            event.data = {k: v for k, v in data.items() if k not in ("name", "customer")} | {"erased": True}
            cleared += 1
    return cleared


def _anonymise_audit(db: Session, customer_id: int) -> int:
    """Audit entries about the person keep who did what and when, without anything that points back to them."""
    entries = list(db.execute(select(AuditEvent).where(AuditEvent.customer_id == customer_id)).scalars())
    for entry in entries:
        entry.customer_id = None
        kept = {k: v for k, v in (entry.detail or {}).items() if k in audit.NON_PERSONAL_DETAIL}
        entry.detail = {**kept, "customer": "erased"}
    return len(entries)
