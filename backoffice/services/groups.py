"""Customer groups as shown to customers and staff: visible groups in priority order."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import CustomerGroup, GroupMember

_GROUPS_OF = (
    select(CustomerGroup.id, CustomerGroup.name, CustomerGroup.colour, CustomerGroup.blink)
    .where(CustomerGroup.id.in_(select(GroupMember.group_id).where(GroupMember.customer_id == bindparam("customer"))))
    .order_by(CustomerGroup.priority, CustomerGroup.id)
)
_VISIBLE_GROUPS_OF = _GROUPS_OF.where(CustomerGroup.visible_in_scanners.is_(True))


def groups_of(db: Session, customer_id: int, *, scanner_only: bool = True) -> list[dict]:
    """The customer's groups, highest priority first (lowest ``priority`` number)."""
    stmt = _VISIBLE_GROUPS_OF if scanner_only else _GROUPS_OF
    return [group_badge(g) for g in db.connection().execute(stmt, {"customer": customer_id})]


def group_badge(group) -> dict:
    """A group as scanners show it: a coloured dot, the name, whether it blinks."""
    return {"id": group.id, "name": group.name, "colour": group.colour, "blink": group.blink}


def selected_groups(db: Session, kiosk) -> list[CustomerGroup]:
    """The groups a verify-mode kiosk checks: its selection, or every scanner-visible group."""
    stmt = select(CustomerGroup).where(CustomerGroup.visible_in_scanners.is_(True))
    if kiosk.verify_group_ids:
        stmt = stmt.where(CustomerGroup.id.in_([int(i) for i in kiosk.verify_group_ids]))
    return list(db.execute(stmt.order_by(CustomerGroup.priority, CustomerGroup.id)).scalars())
