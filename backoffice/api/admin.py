"""Registers, kiosks and API keys (managers and POS integrations)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, manager_or_pos, runtime
from ..dependencies import PairedPathKiosk, PathKiosk, WriteSession
from ..models import Kiosk
from ..params import MAX_ROW_ID
from ..runtime import Runtime
from ..services import audit, customers, devices, lockout, sales, verify
from .answers import AuditPage, KioskList, KioskView, LockoutLifted, RegisterList, RegisterView

router = APIRouter(prefix="/api/v1", tags=["admin"])
# Declared first where a path names a kiosk: the caller is checked before the kiosk is looked up.
Manager = Annotated[Principal, Depends(manager_or_pos)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=80)


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    register_name: str = Field(..., alias="register", min_length=1, max_length=80)
    name: str = Field("", max_length=80)


class KioskModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["connect", "verify"]
    verify_group_ids: list[int] | None = Field(
        None, max_length=200, description="Verify mode: the groups to check; null: every scanner-visible group"
    )


@router.get("/registers",
            response_model=RegisterList, response_model_exclude_unset=True,
            summary="Registers and whether a sale is open on each")
def list_registers(principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.read_sessions() as db:
        out = []
        for register in devices.list_registers(db):
            sale = sales.open_sale_of(db, register.id)
            out.append({"id": register.id, "name": register.name, "open_sale": sale.reference if sale else None})
        return {"registers": out}


@router.post("/registers",
             response_model=RegisterView, response_model_exclude_unset=True, status_code=201,
             summary="Create a register")
def create_register(body: RegisterIn, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> dict:
    register = devices.create_register(db, body.name)
    return {"id": register.id, "name": register.name, "open_sale": None}


@router.get("/kiosks",
            response_model=KioskList, response_model_exclude_unset=True,
            summary="Kiosks, their register, last contact, reported state and any lockout")
def list_kiosks(principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.read_sessions() as db:
        return {"kiosks": [_with_lockout(db, k) for k in devices.list_kiosks(db)]}


def _with_lockout(db, kiosk: Kiosk) -> dict:
    until = lockout.locked_until(db, kiosk) if kiosk.revoked_at is None else None
    return {**devices.kiosk_view(kiosk), "locked_until": until.isoformat(timespec="seconds") if until else None}


@router.post("/kiosks",
             response_model=KioskView, response_model_exclude_unset=True, status_code=201,
             summary="Pair a new kiosk with a register; the token is shown only now")
def pair_kiosk(body: PairIn, db: WriteSession, principal: Principal = Depends(manager_or_pos)) -> dict:
    register = sales.get_register(db, body.register_name)
    kiosk, token = devices.pair_kiosk(db, register, body.name, actor=principal.actor)
    return {**devices.kiosk_view(kiosk), "token": token}


@router.post("/kiosks/{kiosk_id}/revoke",
             response_model=KioskView, response_model_exclude_unset=True,
             summary="Unpair a kiosk: its token stops working at once")
def revoke_kiosk(principal: Manager, kiosk: PathKiosk, db: WriteSession) -> dict:
    devices.revoke_kiosk(db, kiosk, actor=principal.actor)
    return devices.kiosk_view(kiosk)


@router.delete("/kiosks/{kiosk_id}/lockout",
               response_model=LockoutLifted, response_model_exclude_unset=True,
               summary="Lift a kiosk's lockout after too many misses")
def lift_lockout(principal: Manager, kiosk: PathKiosk, db: WriteSession) -> dict:
    return {"kiosk": kiosk.id, "was_locked": lockout.lift(db, kiosk, actor=principal.actor)}


@router.get("/audit-events",
            response_model=AuditPage, response_model_exclude_unset=True,
            summary="The audit log, newest first: who saw or changed what (filter and page by id)")
def list_audit_events(
    customer: str = Query("", max_length=40, description="Customer reference or number"),
    actor: str = Query("", max_length=80, description="Who, e.g. staff:anna or api_key:till-1"),
    action: str = Query("", max_length=40, description="What, e.g. customer_viewed"),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="The last id of the previous page"),
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(manager_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        customer_id = customers.customer_id_for_filter(db, customer) if customer else None
        rows = audit.entries(db, customer_id=customer_id, actor=actor, action=action, before=before, limit=limit)
        events = [audit.view(event, person) for event, person in rows]
    return {"events": events, "next_before": events[-1]["id"] if len(events) == limit else None}


@router.patch("/kiosks/{kiosk_id}",
              response_model=KioskView, response_model_exclude_unset=True,
              summary="Set a kiosk's mode (connect or verify) and the groups it verifies")
def configure_kiosk(
    principal: Manager, kiosk: PairedPathKiosk, body: KioskModeIn, db: WriteSession
) -> dict:
    verify.configure_kiosk(db, kiosk, mode=body.mode, group_ids=body.verify_group_ids, actor=principal.actor)
    return devices.kiosk_view(kiosk)
