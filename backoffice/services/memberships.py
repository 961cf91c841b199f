"""Memberships (Friend, Patron, ...) with their validity dates; a change re-evaluates the customer's groups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_core.identity.normalize import InvalidIdentifier, normalize_name

from ..domain_errors import Invalid, NotFound
from ..models import Customer, Membership
from . import audit, group_members


def memberships_of(db: Session, customer_id: int) -> list[Membership]:
    stmt = select(Membership).where(Membership.customer_id == customer_id).order_by(Membership.starts_on.desc(),
                                                                                    Membership.id.desc())
    return list(db.execute(stmt).scalars())


def is_active(membership: Membership, on: dt.date) -> bool:
    return membership.starts_on <= on and (membership.ends_on is None or membership.ends_on >= on)


def membership_view(membership: Membership, on: dt.date | None = None) -> dict:
    return {
        "id": membership.id,
        "plan": membership.plan,
        "starts_on": membership.starts_on.isoformat(),
        "ends_on": membership.ends_on.isoformat() if membership.ends_on else None,
        "active": is_active(membership, on or group_members.today()),
    }


def _problem(field: str, code: str, message: str) -> Invalid:
    return Invalid("invalid_membership", f"Please correct: {field}: {message}",
                   fields=[{"field": field, "code": code, "message": message}])


def add_membership(db: Session, customer: Customer, *, plan: str, starts_on: dt.date, ends_on: dt.date | None,
                   actor: str) -> Membership:
    """Record a membership and update the customer's groups (a Friends group, say) at once."""
    try:
        plan = normalize_name(plan)
    except InvalidIdentifier:
        plan = ""
    if not 1 <= len(plan) <= 60:
        raise _problem("plan", "invalid_plan", "Name the plan (1 to 60 characters), e.g. Friend.")
    if ends_on is not None and ends_on < starts_on:
        raise _problem("ends_on", "ends_before_start", "The end date is before the start date.")
    membership = Membership(customer_id=customer.id, plan=plan, starts_on=starts_on, ends_on=ends_on)
    db.add(membership)
    db.flush()
    audit.record(db, actor, "membership_added", customer.id, plan=plan)
    group_members.refresh_customer(db, customer.id)
    return membership


def remove_membership(db: Session, customer: Customer, membership_id: int, *, actor: str) -> None:
    membership = db.get(Membership, membership_id)
    if membership is None or membership.customer_id != customer.id:
        raise NotFound("membership_not_found", "This customer has no such membership.")
    audit.record(db, actor, "membership_removed", customer.id, plan=membership.plan)
    db.delete(membership)
    db.flush()
    group_members.refresh_customer(db, customer.id)


def plan_names(db: Session) -> list[str]:
    """Every plan in use, for the criteria editor's suggestions."""
    return list(db.execute(select(Membership.plan).distinct().order_by(Membership.plan)).scalars())
