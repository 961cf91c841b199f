"""A customer's memberships (plan and validity dates), for staff and POS integrations."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, manager_or_pos, runtime, staff_or_pos
from ..dependencies import WriteSession
from ..params import RowId
from ..runtime import Runtime
from ..services import customers, memberships
from .answers import MembershipList, MembershipView

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str = Field(..., max_length=200, description="e.g. Friend")
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="Absent: no end date")


@router.get("/{reference}/memberships",
            response_model=MembershipList, response_model_exclude_unset=True,
            summary="A customer's memberships, newest first")
def list_memberships(reference: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)):
    with rt.read_sessions() as db:
        customer = customers.get_by_reference(db, reference)
        return {"memberships": [memberships.membership_view(m) for m in memberships.memberships_of(db, customer.id)]}


@router.post("/{reference}/memberships",
             response_model=MembershipView, response_model_exclude_unset=True,
             status_code=201,
             summary="Record a membership; the customer's groups follow at once")
def add_membership(reference: str, body: MembershipIn, db: WriteSession,
                   principal: Principal = Depends(manager_or_pos)) -> dict:
    customer = customers.get_by_reference(db, reference)
    membership = memberships.add_membership(db, customer, plan=body.plan, starts_on=body.starts_on,
                                            ends_on=body.ends_on, actor=principal.actor)
    return memberships.membership_view(membership)


@router.delete("/{reference}/memberships/{membership_id}", status_code=204, summary="Remove a membership")
def remove_membership(reference: str, membership_id: RowId, db: WriteSession,
                      principal: Principal = Depends(manager_or_pos)) -> Response:
    memberships.remove_membership(db, customers.get_by_reference(db, reference), membership_id, actor=principal.actor)
    return Response(status_code=204)
