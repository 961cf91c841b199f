"""Customer groups as shown to customers and staff: visible groups in priority order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CustomerGroup, GroupMember


def groups_of(db: Session, customer_id: int, *, scanner_only: bool = True) -> list[dict]:
    """The customer's groups, highest priority first (lowest ``priority`` number)."""
    member_of = select(GroupMember.group_id).where(GroupMember.customer_id == customer_id)
    stmt = select(CustomerGroup).where(CustomerGroup.id.in_(member_of)).order_by(CustomerGroup.priority, CustomerGroup.id)
    if scanner_only:
        stmt = stmt.where(CustomerGroup.visible_in_scanners.is_(True))
    return [group_badge(g) for g in db.execute(stmt).scalars()]


def group_badge(group: CustomerGroup) -> dict:
    return {"id": group.id, "name": group.name, "colour": group.colour, "blink": group.blink}


def selected_groups(db: Session, kiosk) -> list[CustomerGroup]:
    """The groups a verify-mode kiosk checks: its selection, or every scanner-visible group."""
    stmt = select(CustomerGroup).where(CustomerGroup.visible_in_scanners.is_(True))
    if kiosk.verify_group_ids:
        stmt = stmt.where(CustomerGroup.id.in_([int(i) for i in kiosk.verify_group_ids]))
    return list(db.execute(stmt.order_by(CustomerGroup.priority, CustomerGroup.id)).scalars())
