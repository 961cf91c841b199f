"""Who is in a customer group: criteria matches materialised in ``group_members``, plus hand-picked customers.

A group's criteria are evaluated by the database in one statement (see
``criteria_sql``) and the difference written set-based: ``DELETE`` the rows
that no longer match, ``INSERT ... SELECT`` the new matches.  Hand-picked
customers are rows with ``manual`` true and are never touched by a refresh;
a customer can have both rows (picked by hand and matching).

When refreshed:

* a whole group, when it is saved (``refresh_group``);
* one customer against every group, when their fields, tags, labels or
  memberships change (``refresh_customer``: the same criteria with
  ``customers.id = :id``, a few index probes per group);
* every group once a day, for criteria that depend on the date alone (an
  age reached on a birthday, a membership that ends) (``refresh_due``, from
  the housekeeping loop).

Every change bumps the ``group_members`` counter, which the venue scanner's
offline list uses as part of its ETag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, delete, exists, false, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from ..models import Customer, CustomerGroup, GroupMember, utcnow
from ..numbers import row_id
from .counters import next_value
from .criteria import Criteria, parse_criteria
from .criteria_sql import condition, matching

MEMBERS_VERSION = "group_members_version"
_GM = GroupMember.__table__
# After a refresh that moved this many rows, PostgreSQL's statistics are brought up to date at once:
# planned with a new group's stale estimate ("no rows"), the next refresh's anti-join can take minutes.
ANALYZE_AFTER_ROWS = 1000


@dataclass(frozen=True)
class RefreshResult:
    added: int
    removed: int
    member_count: int


def today() -> dt.date:
    """The shop's date (the server's local time zone): memberships and ages turn over at local midnight."""
    return dt.date.today()


_COUNTED = {"preserve_rowcount": True}  # psycopg reports no row count for INSERT ... SELECT otherwise


def _insert_ignoring_duplicates(db: Session):
    """INSERT ... ON CONFLICT DO NOTHING: two writers adding the same member both succeed."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(_GM).on_conflict_do_nothing()


def narrows(db: Session) -> bool:
    """Whether new matches are looked for among candidates only (SQLite; see ``criteria_sql.matching``)."""
    return db.get_bind().dialect.name == "sqlite"


def _criteria_of(group: CustomerGroup) -> Criteria | None:
    return parse_criteria(group.criteria) if group.criteria else None


def count_members(db: Session, group_id: int) -> int:
    """Distinct customers in a group (a hand-picked customer who also matches is counted once)."""
    stmt = select(func.count(func.distinct(GroupMember.customer_id))).where(GroupMember.group_id == group_id)
    return db.execute(stmt).scalar_one()


def bump_version(db: Session) -> None:
    next_value(db, MEMBERS_VERSION)


def refresh_group(db: Session, group: CustomerGroup, *, on: dt.date | None = None) -> RefreshResult:
    """Re-evaluate a group's criteria over every customer and write the difference; in the caller's transaction."""
    day = on or today()
    criteria = _criteria_of(group)
    matched_rows = (GroupMember.group_id == group.id) & GroupMember.manual.is_(False)
    if criteria is None:
        removed = db.execute(delete(GroupMember).where(matched_rows), execution_options=_COUNTED).rowcount
        added = 0
    else:
        matches = condition(criteria, day)
        still_matches = exists().where(Customer.id == GroupMember.customer_id, matches)
        removed = db.execute(delete(GroupMember).where(matched_rows, ~still_matches),
                             execution_options=_COUNTED).rowcount
        already = exists().where(
            _GM.c.group_id == group.id, _GM.c.customer_id == Customer.id, _GM.c.manual.is_(False)
        )
        # on SQLite new matches are looked for among candidates only (see criteria_sql.matching)
        new_matches = select(literal(group.id), Customer.id, false()).where(
            matching(criteria, day, narrow=narrows(db)), ~already)
        added = db.execute(
            _insert_ignoring_duplicates(db).from_select(["group_id", "customer_id", "manual"], new_matches),
            execution_options=_COUNTED,
        ).rowcount
    if added + removed >= ANALYZE_AFTER_ROWS and db.get_bind().dialect.name == "postgresql":
        db.execute(text("ANALYZE group_members"))
    group.member_count = count_members(db, group.id)
    group.refreshed_at = utcnow()
    if added or removed:
        bump_version(db)
    db.flush()
    return RefreshResult(added, removed, group.member_count)


def _groups_with_criteria(db: Session) -> list[CustomerGroup]:
    stmt = select(CustomerGroup).where(CustomerGroup.criteria.is_not(None)).order_by(CustomerGroup.id)
    return [g for g in db.execute(stmt).scalars() if g.criteria]


def matching_groups(db: Session, customer_id: int, groups: list[CustomerGroup], *, on: dt.date | None = None) -> set[int]:
    """The ids of ``groups`` whose criteria the customer meets: one query, one CASE per group."""
    if not groups:
        return set()
    day = on or today()
    columns = [case((condition(_criteria_of(g), day), 1), else_=0).label(f"g{g.id}") for g in groups]
    row = db.execute(select(*columns).where(Customer.id == customer_id)).first()
    if row is None:
        return set()
    return {g.id for g, hit in zip(groups, row, strict=True) if hit}


def _memberships_of(db: Session, customer_id: int) -> dict[int, set[bool]]:
    rows = db.execute(select(GroupMember.group_id, GroupMember.manual).where(GroupMember.customer_id == customer_id))
    out: dict[int, set[bool]] = {}
    for group_id, manual in rows:
        out.setdefault(group_id, set()).add(bool(manual))
    return out


def _adjust_count(db: Session, group_id: int, delta: int) -> None:
    counted = CustomerGroup.member_count + delta
    db.execute(
        update(CustomerGroup).where(CustomerGroup.id == group_id)
        .values(member_count=case((counted < 0, 0), else_=counted))
        .execution_options(synchronize_session=False)
    )


def refresh_customer(db: Session, customer_id: int, *, on: dt.date | None = None) -> set[int]:
    """Re-evaluate one customer against every group with criteria; return the ids of groups joined or left."""
    groups = _groups_with_criteria(db)
    if not groups:
        return set()
    now_matching = matching_groups(db, customer_id, groups, on=on)
    before = _memberships_of(db, customer_id)
    matched_before = {gid for gid, kinds in before.items() if False in kinds}
    changed: set[int] = set()
    for group in groups:
        gid = group.id
        if gid in now_matching and gid not in matched_before:
            db.execute(_insert_ignoring_duplicates(db).values(group_id=gid, customer_id=customer_id, manual=False))
            if True not in before.get(gid, set()):
                _adjust_count(db, gid, +1)
                changed.add(gid)
        elif gid not in now_matching and gid in matched_before:
            db.execute(delete(GroupMember).where(
                GroupMember.group_id == gid, GroupMember.customer_id == customer_id, GroupMember.manual.is_(False)))
            if True not in before[gid]:
                _adjust_count(db, gid, -1)
                changed.add(gid)
    if changed:
        bump_version(db)
    return changed


def forget_customer(db: Session, customer_id: int) -> None:
    """Before a customer is deleted: their groups count one member less (the rows go with the customer)."""
    groups = _memberships_of(db, customer_id)
    for group_id in groups:
        _adjust_count(db, group_id, -1)
    if groups:
        bump_version(db)


def add_by_hand(db: Session, group: CustomerGroup, customer_id: int) -> bool:
    """Pick a customer by hand; False when they already were."""
    before = _memberships_of(db, customer_id).get(group.id, set())
    if True in before:
        return False
    db.execute(_insert_ignoring_duplicates(db).values(group_id=group.id, customer_id=customer_id, manual=True))
    if not before:
        _adjust_count(db, group.id, +1)
        bump_version(db)
    return True


def remove_by_hand(db: Session, group: CustomerGroup, customer_id: int) -> bool:
    """Undo a hand-pick; the customer stays a member if they also meet the criteria. False when not picked."""
    before = _memberships_of(db, customer_id).get(group.id, set())
    if True not in before:
        return False
    db.execute(delete(GroupMember).where(
        GroupMember.group_id == group.id, GroupMember.customer_id == customer_id, GroupMember.manual.is_(True)))
    if before == {True}:
        _adjust_count(db, group.id, -1)
        bump_version(db)
    return True


def preview(db: Session, criteria: Criteria, *, sample: int = 10, on: dt.date | None = None) -> tuple[int, list]:
    """How many customers the criteria match now, and a few of them (by name), without saving anything."""
    matches = matching(criteria, on or today(), narrow=narrows(db))
    count = db.execute(select(func.count()).select_from(Customer).where(matches)).scalar_one()
    stmt = (select(Customer.reference, Customer.customer_number, Customer.first_name, Customer.last_name)
            .where(matches).order_by(Customer.search_last, Customer.id).limit(sample))
    return count, list(db.execute(stmt))


def last_midnight(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the shop's day (the server's local time zone)."""
    return (now or utcnow()).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def due_groups(db: Session, midnight: dt.datetime) -> list[int]:
    """Groups not refreshed since ``midnight`` (every group, so that member counts never drift for long)."""
    stmt = select(CustomerGroup.id).where(
        CustomerGroup.refreshed_at.is_(None) | (CustomerGroup.refreshed_at < midnight)
    ).order_by(CustomerGroup.id)
    return list(db.execute(stmt).scalars())


def refresh_due(db: Session, *, now: dt.datetime | None = None) -> list[int]:
    """Refresh the groups not refreshed since the shop's last midnight; commits after each group.

    Each group is claimed with a conditional UPDATE, so that two server
    processes never refresh the same group at once.  Returns the ids refreshed.
    """
    midnight = last_midnight(now)
    moment = (now or utcnow()).astimezone()
    done = []
    for group_id in due_groups(db, midnight):
        claimed = db.execute(
            update(CustomerGroup)
            .where(CustomerGroup.id == group_id,
                   (CustomerGroup.refreshed_at.is_(None)) | (CustomerGroup.refreshed_at < midnight))
            .values(refreshed_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            group = db.get(CustomerGroup, group_id)
            db.refresh(group)
            refresh_group(db, group, on=moment.date())
            group.refreshed_at = moment
            done.append(group_id)
        db.commit()
    return done



def members_page(db: Session, group_id: int, *, after: str | None = None, limit: int = 50,
                 manual_only: bool = False) -> tuple[list[dict], str | None]:
    """A page of a group's customers in customer-number order; ``next`` is the cursor of the following page."""
    picked = func.max(case((GroupMember.manual.is_(True), 1), else_=0))
    matched = func.max(case((GroupMember.manual.is_(False), 1), else_=0))
    stmt = (
        select(Customer.id, Customer.reference, Customer.customer_number, Customer.first_name, Customer.last_name,
               picked, matched)
        .join(Customer, Customer.id == GroupMember.customer_id)
        .where(GroupMember.group_id == group_id)
        .group_by(Customer.id, Customer.reference, Customer.customer_number, Customer.first_name, Customer.last_name)
        .order_by(Customer.id)
        .limit(limit + 1)
    )
    if manual_only:
        hand = aliased(GroupMember)
        stmt = stmt.where(GroupMember.customer_id.in_(
            select(hand.customer_id).where(hand.group_id == group_id, hand.manual.is_(True))))
    if after:
        after_id = row_id(after)
        if after_id is None:
            return [], None
        stmt = stmt.where(GroupMember.customer_id > after_id)
    rows = db.execute(stmt).all()
    page = [{"reference": r.reference, "customer_number": r.customer_number, "first_name": r.first_name,
             "last_name": r.last_name, "manual": bool(r[5]), "by_criteria": bool(r[6])} for r in rows[:limit]]
    return page, (str(rows[limit - 1].id) if len(rows) > limit else None)
