"""What the back office shows around one customer: purchases, cards, audit trail, e-mail, groups, labels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import AuditEvent, CustomerGroup, GroupMember, IdCard, Label, MailMessage, Sale
from . import memberships


def label_names(db: Session) -> list[str]:
    """Every label in use, for a form's suggestions."""
    return list(db.execute(select(Label.name).order_by(Label.name)).scalars())


def records_of(db: Session, customer_id: int, *, sales: int, audit_events: int) -> dict:
    """The customer's latest sales (with lines and register), cards, audit trail and e-mail, newest first."""
    history = db.execute(
        select(Sale)
        .options(selectinload(Sale.lines), selectinload(Sale.register))
        .where(Sale.customer_id == customer_id)
        .order_by(Sale.id.desc())
        .limit(sales)
    ).scalars()
    cards = db.execute(select(IdCard).where(IdCard.customer_id == customer_id).order_by(IdCard.id)).scalars()
    trail = db.execute(
        select(AuditEvent).where(AuditEvent.customer_id == customer_id).order_by(AuditEvent.id.desc()).limit(audit_events)
    ).scalars()
    mails = db.execute(
        select(MailMessage).where(MailMessage.customer_id == customer_id).order_by(MailMessage.id.desc())
    ).scalars()
    return {"history": list(history), "cards": list(cards), "trail": list(trail), "mails": list(mails)}


def groups_and_memberships(db: Session, customer_id: int) -> dict:
    """Every group with whether the customer is in it (by criteria, by hand), and their memberships."""
    rows = db.execute(select(GroupMember.group_id, GroupMember.manual).where(GroupMember.customer_id == customer_id))
    how: dict[int, set[bool]] = {}
    for group_id, manual in rows:
        how.setdefault(group_id, set()).add(bool(manual))
    all_groups = db.execute(select(CustomerGroup).order_by(CustomerGroup.priority, CustomerGroup.id)).scalars()
    group_rows = [{"group": g, "member": g.id in how, "manual": True in how.get(g.id, ()),
                   "by_criteria": False in how.get(g.id, ())} for g in all_groups]
    return {
        "group_rows": group_rows,
        "memberships": [memberships.membership_view(m) for m in memberships.memberships_of(db, customer_id)],
        "plans": memberships.plan_names(db),
        "today": dt.date.today().isoformat(),
    }
