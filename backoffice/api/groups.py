"""Customer groups for managers and POS integrations: list, create, edit, delete, reorder, preview, members."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, manager_or_pos, runtime
from ..dependencies import WriteSession
from ..domain_errors import NotFound
from ..params import RowId
from ..runtime import Runtime
from ..services import audit, customers, group_members, groups
from ..services.criteria import FIELDS, parse_criteria
from .answers import CriteriaFields, GroupList, GroupMembers, GroupPreview, GroupView

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])
CRITERIA_DOC = ('A tree {"match": "all"|"any", "rules": [rule | tree]}; a rule is {"field", "op", "value"} '
                "(memberships also take a plan). Null: hand-picked customers only. GET /api/v1/groups/criteria-fields "
                "lists every field, operator and value kind.")


class GroupIn(BaseModel):
    """A group's fields; on PATCH, absent fields are kept."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    colour: str | None = Field(None, max_length=20, description="#rrggbb: the dot in scanners")
    blink: bool | None = None
    visible_in_scanners: bool | None = None
    criteria: dict[str, Any] | None = Field(None, description=CRITERIA_DOC)


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criteria: dict[str, Any] = Field(..., description=CRITERIA_DOC)


class ReorderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_ids: list[int] = Field(..., max_length=1000, description="Every group's id, highest priority first")


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    direction: Literal["up", "down"]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str = Field(..., max_length=40, description="The customer's reference")


def _fields(body: GroupIn, *, partial: bool) -> dict:
    data = body.model_dump(exclude_unset=True)
    if not partial:
        data = {"description": "", "colour": "#2563eb", "blink": False, "visible_in_scanners": True, "criteria": None,
                **data}
    return groups.clean_group_fields(data, partial=partial)


@router.get("",
            response_model=GroupList, response_model_exclude_unset=True,
            summary="Every group in priority order (highest first), with member counts")
def list_groups(principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.read_sessions() as db:
        return {"groups": [groups.group_view(g) for g in groups.list_groups(db)]}


@router.get("/criteria-fields",
            response_model=CriteriaFields, response_model_exclude_unset=True,
            summary="The criteria language: each field's operators and the value each takes")
def criteria_fields(principal: Principal = Depends(manager_or_pos)) -> dict:
    return {"fields": FIELDS}


@router.post("",
             response_model=GroupView, response_model_exclude_unset=True, status_code=201,
             summary="Create a group; its criteria are evaluated before the answer")
def create_group(body: GroupIn, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> dict:
    return groups.group_view(groups.create_group(db, _fields(body, partial=False)))


@router.post("/preview",
             response_model=GroupPreview, response_model_exclude_unset=True,
             summary="How many customers criteria match now, and ten of them, without saving")
def preview(body: PreviewIn, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    criteria = parse_criteria(body.criteria)
    with rt.read_sessions() as db:
        count, sample = group_members.preview(db, criteria)
    return {"count": count, "sample": [{"reference": r.reference, "customer_number": r.customer_number,
                                        "name": f"{r.first_name} {r.last_name}".strip()} for r in sample]}


@router.post("/reorder",
             response_model=GroupList, response_model_exclude_unset=True,
             summary="Put every group in a new priority order")
def reorder(body: ReorderIn, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> dict:
    return {"groups": [groups.group_view(g) for g in groups.reorder_groups(db, body.group_ids)]}


@router.get("/{group_id}", response_model=GroupView, response_model_exclude_unset=True, summary="One group")
def get_group(group_id: RowId, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.read_sessions() as db:
        return groups.group_view(groups.get_group(db, group_id))


@router.patch("/{group_id}",
              response_model=GroupView, response_model_exclude_unset=True,
              summary="Edit a group; changed criteria are re-evaluated before the answer")
def update_group(group_id: RowId, body: GroupIn, db: WriteSession,
                 principal: Principal = Depends(manager_or_pos)) -> dict:
    return groups.group_view(groups.update_group(db, groups.get_group(db, group_id), _fields(body, partial=True)))


@router.delete("/{group_id}", status_code=204, summary="Delete a group (customers stay; only the grouping goes)")
def delete_group(group_id: RowId, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> Response:
    groups.delete_group(db, groups.get_group(db, group_id))
    return Response(status_code=204)


@router.post("/{group_id}/move",
             response_model=GroupList, response_model_exclude_unset=True,
             summary="Move a group one place up (shown earlier) or down")
def move(group_id: RowId, body: MoveIn, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> dict:
    groups.move_group(db, groups.get_group(db, group_id), body.direction)
    return {"groups": [groups.group_view(g) for g in groups.list_groups(db)]}


@router.get("/{group_id}/members",
            response_model=GroupMembers, response_model_exclude_unset=True,
            summary="The group's customers by name, 50 a page; manual: picked by hand")
def members(
    group_id: RowId,
    after: str | None = Query(None, max_length=300, description="next from the previous page"),
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(manager_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        group = groups.get_group(db, group_id)
        rows, next_cursor = group_members.members_page(db, group.id, after=after, limit=limit)
        return {"members": rows, "next": next_cursor}


@router.post("/{group_id}/members",
             response_model=GroupView, response_model_exclude_unset=True, status_code=201,
             summary="Add a customer by hand")
def add_member(
    group_id: RowId, body: MemberIn, response: Response, db: WriteSession,
    principal: Principal = Depends(manager_or_pos),
) -> dict:
    group = groups.get_group(db, group_id)
    customer = customers.get_by_reference(db, body.customer)
    added = group_members.add_by_hand(db, group, customer.id)
    if added:
        audit.record(db, principal.actor, "group_member_added", customer.id, group=group.name)
    db.flush()
    db.refresh(group)
    response.status_code = 201 if added else 200
    return groups.group_view(group)


@router.delete("/{group_id}/members/{reference}", status_code=204,
               summary="Remove a hand-picked customer (they stay if they meet the criteria)")
def remove_member(group_id: RowId, reference: str, db: WriteSession,
                  principal: Principal = Depends(manager_or_pos)) -> Response:
    group = groups.get_group(db, group_id)
    customer_id = customers.id_of_reference(db, reference)
    if customer_id is None or not groups.is_picked_by_hand(db, group.id, customer_id):
        raise NotFound("member_not_found", "This customer was not added to the group by hand.")
    group_members.remove_by_hand(db, group, customer_id)
    audit.record(db, principal.actor, "group_member_removed", customer_id, group=group.name)
    return Response(status_code=204)
