"""Customer groups: what scanners and staff see (visible groups in priority order) and how managers keep them.

Membership itself (criteria evaluation, hand-picked customers) is in
``group_members``; the criteria language is in ``criteria``.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from counter_core.identity.normalize import InvalidIdentifier, normalize_name

from ..domain_errors import Conflict, Invalid, NotFound
from ..models import CustomerGroup, CustomerTag, GroupMember, Kiosk, Label
from . import events, group_members
from .criteria import describe, parse_criteria

_GROUPS_OF = (
    select(CustomerGroup.id, CustomerGroup.name, CustomerGroup.colour, CustomerGroup.blink)
    .where(CustomerGroup.id.in_(select(GroupMember.group_id).where(GroupMember.customer_id == bindparam("customer"))))
    .order_by(CustomerGroup.priority, CustomerGroup.id)
)
_VISIBLE_GROUPS_OF = _GROUPS_OF.where(CustomerGroup.visible_in_scanners.is_(True))
COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
MAX_DESCRIPTION = 500


def groups_of(db: Session, customer_id: int, *, scanner_only: bool = True) -> list[dict]:
    """The customer's groups, highest priority first (lowest ``priority`` number)."""
    stmt = _VISIBLE_GROUPS_OF if scanner_only else _GROUPS_OF
    return [group_badge(g) for g in db.connection().execute(stmt, {"customer": customer_id})]


def group_badge(group) -> dict:
    """A group as scanners show it: a coloured dot, the name, whether it blinks."""
    return {"id": group.id, "name": group.name, "colour": group.colour, "blink": group.blink}


def selected_groups(db: Session, kiosk) -> list[CustomerGroup]:
    """The groups a verify-mode kiosk checks: its selection (``None``: every scanner-visible group).

    An empty selection checks nothing (never "all"), so that no change to the
    groups can widen who a door lets in.
    """
    stmt = select(CustomerGroup).where(CustomerGroup.visible_in_scanners.is_(True))
    if kiosk.verify_group_ids is not None:
        stmt = stmt.where(CustomerGroup.id.in_([int(i) for i in kiosk.verify_group_ids]))
    return list(db.execute(stmt.order_by(CustomerGroup.priority, CustomerGroup.id)).scalars())


def scanner_groups(db: Session) -> list[CustomerGroup]:
    """Every group shown by scanners, in priority order."""
    stmt = select(CustomerGroup).where(CustomerGroup.visible_in_scanners.is_(True))
    return list(db.execute(stmt.order_by(CustomerGroup.priority, CustomerGroup.id)).scalars())


def is_picked_by_hand(db: Session, group_id: int, customer_id: int) -> bool:
    stmt = select(GroupMember.customer_id).where(GroupMember.group_id == group_id,
                                                 GroupMember.customer_id == customer_id, GroupMember.manual.is_(True))
    return db.execute(stmt).first() is not None


def criteria_vocabulary(db: Session, limit: int = 200) -> tuple[list[str], list[str]]:
    """The tags and labels in use (up to ``limit`` each), for the criteria editor's suggestions."""
    tags = db.execute(select(CustomerTag.tag).distinct().order_by(CustomerTag.tag).limit(limit)).scalars()
    labels = db.execute(select(Label.name).order_by(Label.name).limit(limit)).scalars()
    return list(tags), list(labels)


# ---------------------------------------------------------------- managing groups


def list_groups(db: Session) -> list[CustomerGroup]:
    return list(db.execute(select(CustomerGroup).order_by(CustomerGroup.priority, CustomerGroup.id)).scalars())


def get_group(db: Session, group_id: int) -> CustomerGroup:
    group = db.get(CustomerGroup, group_id)
    if group is None:
        raise NotFound("group_not_found", "There is no such customer group.")
    return group


def group_view(group: CustomerGroup) -> dict:
    """A group as the API and the manager's pages describe it."""
    criteria = parse_criteria(group.criteria) if group.criteria else None
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "colour": group.colour,
        "blink": group.blink,
        "visible_in_scanners": group.visible_in_scanners,
        "priority": group.priority,
        "criteria": criteria.to_json() if criteria else None,
        "criteria_text": describe(criteria),
        "member_count": group.member_count,
        "refreshed_at": group.refreshed_at.isoformat() if group.refreshed_at else None,
    }


def clean_group_fields(data: dict, *, partial: bool = False) -> dict:
    """Validate a group's fields; raise one Invalid ``invalid_group`` listing every mistake by field."""
    problems: list[dict] = []
    out: dict = {}

    def problem(field: str, code: str, message: str) -> None:
        problems.append({"field": field, "code": code, "message": message})

    if "name" in data or not partial:
        try:
            name = normalize_name(str(data.get("name") or ""))
        except InvalidIdentifier:
            name = ""
        if not 1 <= len(name) <= 60:
            problem("name", "invalid_name", "A group's name has 1 to 60 characters.")
        out["name"] = name
    if "description" in data:
        description = str(data.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            problem("description", "too_long", f"At most {MAX_DESCRIPTION} characters.")
        out["description"] = description
    if "colour" in data:
        colour = str(data.get("colour") or "").strip()
        if not COLOUR_RE.fullmatch(colour):
            problem("colour", "invalid_colour", "Pick a colour such as #15803d.")
        out["colour"] = colour.lower()
    for flag in ("blink", "visible_in_scanners"):
        if flag in data:
            if not isinstance(data[flag], bool):
                problem(flag, "invalid_value", "Use true or false.")
            out[flag] = bool(data[flag])
    if "criteria" in data:
        try:
            criteria = parse_criteria(data["criteria"])
            out["criteria"] = criteria.to_json() if criteria else None
        except Invalid as exc:
            problems.extend(exc.extra["fields"])
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise Invalid("invalid_group", f"Please correct: {summary}", fields=problems)
    return out


def _check_name_free(db: Session, name: str, group_id: int | None = None) -> None:
    existing = db.execute(select(CustomerGroup.id).where(CustomerGroup.name == name)).scalar_one_or_none()
    if existing is not None and existing != group_id:
        raise Conflict("group_name_taken", f"There is already a group called {name!r}.",
                       fields=[{"field": "name", "code": "group_name_taken", "message": "This name is taken."}])


def create_group(db: Session, fields: dict) -> CustomerGroup:
    """Create a group from cleaned fields (last in priority) and evaluate its criteria at once."""
    _check_name_free(db, fields["name"])
    lowest = db.execute(select(func.max(CustomerGroup.priority))).scalar_one()
    group = CustomerGroup(**fields, priority=(lowest + 1) if lowest is not None else 0)
    db.add(group)
    db.flush()
    group_members.refresh_group(db, group)
    publish_to_verify_kiosks(db)
    return group


def update_group(db: Session, group: CustomerGroup, fields: dict) -> CustomerGroup:
    """Apply cleaned fields; criteria that changed are re-evaluated over every customer before this returns."""
    if "name" in fields:
        _check_name_free(db, fields["name"], group.id)
    criteria_changed = "criteria" in fields and fields["criteria"] != group.criteria
    for name, value in fields.items():
        setattr(group, name, value)
    db.flush()
    if criteria_changed:
        group_members.refresh_group(db, group)
    publish_to_verify_kiosks(db)
    return group


def delete_group(db: Session, group: CustomerGroup) -> None:
    """Delete a group and its memberships (the customers stay).

    Refused while a venue scanner verifies this group alone: its selection
    would be left empty, which a door must never read as "all groups".
    """
    kiosks = [k for k in db.execute(select(Kiosk)).scalars() if k.verify_group_ids and group.id in k.verify_group_ids]
    only_this = [k.name for k in kiosks if k.mode == "verify" and k.revoked_at is None and k.verify_group_ids == [group.id]]
    if only_this:
        raise Conflict("group_verified_by_kiosk",
                       f"{', '.join(only_this)} verifies only this group; choose other groups for it first.")
    for kiosk in kiosks:
        kiosk.verify_group_ids = [i for i in kiosk.verify_group_ids if i != group.id]
    db.delete(group)
    db.flush()
    group_members.bump_version(db)
    _renumber(db, list_groups(db))
    publish_to_verify_kiosks(db)


def _renumber(db: Session, ordered: list[CustomerGroup]) -> None:
    for priority, group in enumerate(ordered):
        if group.priority != priority:
            group.priority = priority
    db.flush()


def move_group(db: Session, group: CustomerGroup, direction: str) -> None:
    """Swap a group with its neighbour (``up``: shown earlier); priorities become 0, 1, 2, ..."""
    ordered = list_groups(db)
    index = ordered.index(group)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(db, ordered)
    publish_to_verify_kiosks(db)


def reorder_groups(db: Session, group_ids: list[int]) -> list[CustomerGroup]:
    """Put every group in the given order (it must name each group exactly once)."""
    groups = {g.id: g for g in list_groups(db)}
    if sorted(group_ids) != sorted(groups):
        raise Invalid("invalid_order", "List every group's id exactly once, highest priority first.",
                       fields=[{"field": "group_ids", "code": "invalid_order", "message": "List every group once."}])
    ordered = [groups[i] for i in group_ids]
    _renumber(db, ordered)
    publish_to_verify_kiosks(db)
    return ordered


def publish_to_verify_kiosks(db: Session) -> None:
    """Tell verify-mode kiosks their groups changed (names, colours, order): their long-polled state answers."""
    registers = db.execute(
        select(Kiosk.register_id).where(Kiosk.mode == "verify", Kiosk.revoked_at.is_(None)).distinct()
    ).scalars()
    for register_id in registers:
        events.publish(db, register_id, "kiosk_changed")
