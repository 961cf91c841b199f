"""The register's event stream: what the cashier console and the kiosk follow live."""

from __future__ import annotations

from sqlalchemy import Text, cast, func, insert, select
from sqlalchemy.orm import Session

from ..models import RegisterEvent, utcnow

_INSERT = insert(RegisterEvent.__table__)


def publish(db: Session, register_id: int, type_: str, **data: object) -> int:
    """Add an event in the caller's transaction; it becomes visible when that commits. Returns its id."""
    values = {"register_id": register_id, "type": type_, "data": data, "created_at": utcnow()}
    return db.connection().execute(_INSERT, values).inserted_primary_key[0]


def latest_id(db: Session, register_id: int) -> int:
    stmt = select(func.max(RegisterEvent.id)).where(RegisterEvent.register_id == register_id)
    return db.execute(stmt).scalar_one() or 0


def events_after(db: Session, register_id: int, after_id: int, limit: int = 100) -> list[RegisterEvent]:
    stmt = (
        select(RegisterEvent)
        .where(RegisterEvent.register_id == register_id, RegisterEvent.id > after_id)
        .order_by(RegisterEvent.id)
        .limit(limit)
    )
    return list(db.execute(stmt).scalars())


def forget_name(db: Session, register_id: int, type_: str, **match: str) -> None:
    """Take the customer's name out of a register's events once the prompt it was for is over."""
    stmt = select(RegisterEvent).where(RegisterEvent.register_id == register_id, RegisterEvent.type == type_)
    for value in match.values():
        stmt = stmt.where(cast(RegisterEvent.data, Text).contains(value))
    for event in db.execute(stmt).scalars():
        data = dict(event.data or {})
        if data.get("name") and all(data.get(k) == v for k, v in match.items()):
            data["name"] = ""
            event.data = data
