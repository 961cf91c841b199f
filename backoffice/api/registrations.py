"""Pending registrations for the cashier: list, confirm, complete, abort."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..auth import Principal, runtime, staff_or_pos
from ..dependencies import WriteSession
from ..runtime import Runtime
from ..services import registrations, sales
from ..services.customers import staff_view
from .answers import RegistrationList, RegistrationView
from .schemas import PersonFieldsIn

router = APIRouter(prefix="/api/v1/registrations", tags=["registrations"])


class CompleteIn(PersonFieldsIn):
    """The cashier's edits; a blank field keeps what the customer gave."""


@router.get("",
            response_model=RegistrationList, response_model_exclude_unset=True,
            summary="Pending registrations waiting at a register")
def list_registrations(
    register: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        reg = sales.get_register(db, register)
        pending = registrations.list_pending(db, reg.id)
        return {"registrations": [registrations.staff_view(r, rt.vault) for r in pending]}


@router.get("/{reference}",
            response_model=RegistrationView, response_model_exclude_unset=True,
            summary="One registration (identifiers masked)")
def get_registration(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos),
                     rt: Runtime = Depends(runtime)) -> dict:
    return registrations.staff_view(registrations.get(db, reference), rt.vault)  # get() expires an overdue one


def _resolve(db, reference: str, rt: Runtime, action) -> dict:
    registration = registrations.get(db, reference)
    customer = action(db, registration)
    out = registrations.staff_view(registration, rt.vault)
    if customer is not None:
        out["customer"] = staff_view(customer, rt.vault)
    return out


@router.post("/{reference}/confirm",
             response_model=RegistrationView, response_model_exclude_unset=True,
             summary="Create the customer as given and connect them to the sale")
def confirm(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos),
            rt: Runtime = Depends(runtime)) -> dict:
    return _resolve(
        db,
        reference,
        rt,
        lambda db, r: registrations.confirm(db, rt.vault, r, staff_id=_staff_id(principal), actor=principal.actor),
    )


@router.post("/{reference}/complete",
             response_model=RegistrationView, response_model_exclude_unset=True,
             summary="Create the customer with the cashier's additions")
def complete(
    reference: str, body: CompleteIn, db: WriteSession, principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    edits = body.model_dump(exclude_none=True)
    return _resolve(
        db,
        reference,
        rt,
        lambda db, r: registrations.complete(db, rt.vault, r, edits, staff_id=_staff_id(principal), actor=principal.actor),
    )


@router.post("/{reference}/abort",
             response_model=RegistrationView, response_model_exclude_unset=True,
             summary="Abort: the personal data is removed at once")
def abort(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos),
          rt: Runtime = Depends(runtime)) -> dict:
    return _resolve(
        db, reference, rt, lambda db, r: registrations.abort(db, r, staff_id=_staff_id(principal))
    )


def _staff_id(principal: Principal) -> int | None:
    return principal.id if principal.kind == "staff" else None
