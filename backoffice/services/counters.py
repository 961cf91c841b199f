"""Gap-tolerant monotonic numbers (customer numbers, receipts) safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Counter

FIRST_VALUES = {"customer_number": 100001, "receipt_number": 1}


def next_value(db: Session, name: str) -> int:
    """Take the next value of a counter inside the caller's transaction."""
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = db.execute(stmt).scalar_one_or_none()
    if value is not None:
        return value
    first = FIRST_VALUES.get(name, 1)
    try:
        with db.begin_nested():
            db.execute(insert(Counter).values(name=name, value=first))
        return first
    except IntegrityError:
        # Another writer created the counter between our update and insert.
        return db.execute(stmt).scalar_one()


def peek(db: Session, name: str) -> int | None:
    return db.execute(select(Counter.value).where(Counter.name == name)).scalar_one_or_none()
