"""The audit trail: who saw or changed a customer's personal data, and when."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Customer

# Detail keys that never say who a customer is: what survives an erasure.
NON_PERSONAL_DETAIL = frozenset({
    "fields", "purpose", "channel", "created_by", "page", "via", "sale", "kiosk", "register", "marketing_only",
    "scope", "by", "found", "was_locked", "seconds",
})
PAGE_SIZE = 100
ACTOR_LENGTH = AuditEvent.__table__.c.actor.type.length


def record(db: Session, actor: str, action: str, customer_id: int | None = None, **detail: object) -> None:
    """Add an audit event to the caller's transaction (never personal values in ``detail``).

    The actor is cut to the column's size: "staff:" or "kiosk:" before an 80-character name is longer.
    """
    db.add(AuditEvent(actor=actor[:ACTOR_LENGTH], action=action, customer_id=customer_id, detail=detail or None))


def entries(
    db: Session,
    *,
    customer_id: int | None = None,
    actor: str = "",
    action: str = "",
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[tuple[AuditEvent, Customer | None]]:
    """Audit entries newest first, filtered; one keyset page (``before`` is the last id of the previous one)."""
    stmt = (
        select(AuditEvent, Customer)
        .outerjoin(Customer, Customer.id == AuditEvent.customer_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if customer_id is not None:
        stmt = stmt.where(AuditEvent.customer_id == customer_id)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    return [(event, customer) for event, customer in db.execute(stmt)]


# Offered by the audit page's filter; any other action can still be typed.
COMMON_ACTIONS = (
    "customer_viewed", "customer_searched", "identifiers_unmasked", "customer_exported", "customers_exported",
    "customer_created", "customer_updated", "customer_erased", "consent_given", "consent_withdrawn", "card_linked",
    "customer_connected", "sale_tracked", "registration_confirmed", "registration_aborted", "signed_in",
    "sign_in_failed", "kiosk_locked_out", "kiosk_lockout_lifted",
)


def view(event: AuditEvent, customer: Customer | None) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(timespec="seconds"),
        "actor": event.actor,
        "action": event.action,
        "customer": (
            {"reference": customer.reference, "customer_number": customer.customer_number} if customer else None
        ),
        "detail": event.detail or {},
    }
