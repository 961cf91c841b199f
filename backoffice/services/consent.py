"""Consent records: what a customer agreed to, when, through which channel and wording."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ConsentRecord, Customer, utcnow
from . import audit

WORDING_VERSIONS = {"marketing": "marketing-2026-01"}
SOURCE_LENGTH = ConsentRecord.__table__.c.source.type.length  # who recorded it: "staff:" + a name may be longer


def give(db: Session, customer: Customer, *, purpose: str, channel: str, source: str) -> ConsentRecord:
    """Record a consent unless the same purpose is already given and not withdrawn."""
    current = active(db, customer.id, purpose)
    if current is not None:
        return current
    record = ConsentRecord(
        customer_id=customer.id,
        purpose=purpose,
        channel=channel,
        wording_version=WORDING_VERSIONS.get(purpose, "unversioned"),
        source=source[:SOURCE_LENGTH],
    )
    db.add(record)
    db.flush()
    audit.record(db, source, "consent_given", customer.id, purpose=purpose, channel=channel)
    return record


def withdraw(db: Session, customer: Customer, *, purpose: str, source: str) -> bool:
    record = active(db, customer.id, purpose)
    if record is None:
        return False
    record.withdrawn_at = utcnow()
    audit.record(db, source, "consent_withdrawn", customer.id, purpose=purpose)
    return True


def active(db: Session, customer_id: int, purpose: str) -> ConsentRecord | None:
    stmt = select(ConsentRecord).where(
        ConsentRecord.customer_id == customer_id,
        ConsentRecord.purpose == purpose,
        ConsentRecord.withdrawn_at.is_(None),
    )
    return db.execute(stmt).scalars().first()


def records_of(db: Session, customer_id: int) -> list[ConsentRecord]:
    stmt = select(ConsentRecord).where(ConsentRecord.customer_id == customer_id).order_by(ConsentRecord.given_at)
    return list(db.execute(stmt).scalars())


def view(record: ConsentRecord) -> dict:
    return {
        "purpose": record.purpose,
        "channel": record.channel,
        "wording_version": record.wording_version,
        "source": record.source,
        "given_at": record.given_at.isoformat(),
        "withdrawn_at": record.withdrawn_at.isoformat() if record.withdrawn_at else None,
    }
