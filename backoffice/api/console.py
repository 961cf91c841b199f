"""JSON actions of the cashier console: a scan at the till, create a customer there, link a card.

Staff sessions only (the console sends its CSRF token in X-CSRF-Token); the
rest of what the console does uses the sales and registrations endpoints.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, require, runtime
from ..params import RowId
from ..runtime import Runtime
from ..services import connections, console, customers, lockout, sales

router = APIRouter(prefix="/api/v1/console", tags=["console"])
staff_only = require("staff")


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., max_length=4000, description="What the scanner typed, or the cashier entered")


class NewCustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    personal_id: str | None = Field(None, max_length=20)
    birth_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD")
    street: str | None = Field(None, max_length=400)
    postal_code: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=2)
    marketing_consent: bool = False


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str = Field(..., max_length=40, description="Customer reference")


@router.post("/{register_id}/scan", summary="Act on a scanned or typed code at the register")
def scan(register_id: RowId, body: ScanIn, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)) -> dict:
    with rt.sessions() as db:
        register = sales.get_register(db, register_id)
        outcome = console.scan(db, rt, register, body.text, actor=principal.actor)
        db.commit()
    rt.notifier.notify()
    return outcome


@router.post("/{register_id}/customers", status_code=201, summary="Create a customer at the register and connect them")
def create_customer(
    register_id: RowId, body: NewCustomerIn, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    data = body.model_dump(exclude_none=True, exclude={"marketing_consent"})
    with rt.sessions() as db:
        register = sales.get_register(db, register_id)
        customer, outcome = console.create_and_connect(
            db, rt, register, data, marketing=body.marketing_consent, actor=principal.actor
        )
        db.commit()
        outcome["created"] = customers.staff_view(customer, rt.vault)
    rt.notifier.notify()
    return outcome


@router.post("/{register_id}/cards/{code}/link", summary="Link an unlinked card to a customer and connect them")
def link_card(
    register_id: RowId, code: str, body: LinkIn, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        register = sales.get_register(db, register_id)
        customer = customers.get_by_reference(db, body.customer)
        outcome = console.link_card(db, rt, register, code, customer, actor=principal.actor)
        db.commit()
    rt.notifier.notify()
    return outcome


@router.get("/{register_id}/prompts/{reference}", summary="One connection prompt as the cashier sees it")
def get_prompt(
    register_id: RowId, reference: str, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        prompt = connections.get(db, reference, register_id=register_id)
        view = connections.staff_view(db, rt.vault, prompt)
        db.commit()
        return view


@router.post("/{register_id}/prompts/{reference}/accept", summary="Accept a connection prompt: connect or replace")
def accept_prompt(
    register_id: RowId, reference: str, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        prompt = connections.get(db, reference, register_id=register_id)
        outcome = connections.accept(db, prompt, staff_id=principal.id, actor=principal.actor)
        view = connections.staff_view(db, rt.vault, prompt)
        db.commit()
    rt.notifier.notify()
    return {**view, "outcome": outcome.status}


@router.post("/{register_id}/prompts/{reference}/refuse", summary="Refuse a connection prompt: nothing changes")
def refuse_prompt(
    register_id: RowId, reference: str, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        prompt = connections.get(db, reference, register_id=register_id)
        connections.refuse(db, prompt, staff_id=principal.id, actor=principal.actor)
        view = connections.staff_view(db, rt.vault, prompt)
        db.commit()
    rt.notifier.notify()
    return view


@router.post("/{register_id}/kiosks/{kiosk_id}/lockout/lift", summary="Lift the lockout of a kiosk at this register")
def lift_lockout(
    register_id: RowId, kiosk_id: RowId, principal: Principal = Depends(staff_only), rt: Runtime = Depends(runtime)
) -> dict:
    """The cashier has seen who is at the kiosk and lets it be used again (audited, like a manager's lift)."""
    with rt.sessions() as db:
        register = sales.get_register(db, register_id)
        was_locked = lockout.lift_at_register(db, register.id, kiosk_id, actor=principal.actor)
        db.commit()
    rt.notifier.notify()
    return {"kiosk": kiosk_id, "was_locked": was_locked}
