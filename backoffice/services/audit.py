"""The audit trail: who saw or changed a customer's personal data, and when."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import AuditEvent


def record(db: Session, actor: str, action: str, customer_id: int | None = None, **detail: object) -> None:
    """Add an audit event to the caller's transaction (never personal values in ``detail``)."""
    db.add(AuditEvent(actor=actor, action=action, customer_id=customer_id, detail=detail or None))
