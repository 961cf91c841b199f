"""JSON actions of the cashier console: a scan at the till, create a customer there, link a card.

Staff sessions only (the console sends its CSRF token in X-CSRF-Token); the
rest of what the console does uses the sales and registrations endpoints.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, require, runtime
from ..dependencies import WriteSession
from ..params import RowId
from ..runtime import Runtime
from ..services import connections, console, customers, lockout, sales
from .answers import ConsoleOutcome, LockoutLifted, PromptView

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


@router.post("/{register_id}/scan",
             response_model=ConsoleOutcome, response_model_exclude_unset=True,
             summary="Act on a scanned or typed code at the register")
def scan(register_id: RowId, body: ScanIn, db: WriteSession, principal: Principal = Depends(staff_only),
         rt: Runtime = Depends(runtime)) -> dict:
    return console.scan(db, rt, sales.get_register(db, register_id), body.text, actor=principal.actor)


@router.post("/{register_id}/customers",
             response_model=ConsoleOutcome, response_model_exclude_unset=True, status_code=201,
             summary="Create a customer at the register and connect them")
def create_customer(
    register_id: RowId, body: NewCustomerIn, db: WriteSession, principal: Principal = Depends(staff_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    data = body.model_dump(exclude_none=True, exclude={"marketing_consent"})
    register = sales.get_register(db, register_id)
    customer, outcome = console.create_and_connect(db, rt, register, data, marketing=body.marketing_consent,
                                                   actor=principal.actor)
    outcome["created"] = customers.staff_view(customer, rt.vault)
    return outcome


@router.post("/{register_id}/cards/{code}/link",
             response_model=ConsoleOutcome, response_model_exclude_unset=True,
             summary="Link an unlinked card to a customer and connect them")
def link_card(
    register_id: RowId, code: str, body: LinkIn, db: WriteSession, principal: Principal = Depends(staff_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    register = sales.get_register(db, register_id)
    customer = customers.get_by_reference(db, body.customer)
    return console.link_card(db, rt, register, code, customer, actor=principal.actor)


@router.get("/{register_id}/prompts/{reference}",
            response_model=PromptView, response_model_exclude_unset=True,
            summary="One connection prompt as the cashier sees it")
def get_prompt(
    register_id: RowId, reference: str, db: WriteSession, principal: Principal = Depends(staff_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    prompt = connections.get(db, reference, register_id=register_id)
    return connections.staff_view(db, rt.vault, prompt, timezone=rt.settings.shop_timezone)


@router.post("/{register_id}/prompts/{reference}/accept",
             response_model=PromptView, response_model_exclude_unset=True,
             summary="Accept a connection prompt: connect or replace")
def accept_prompt(
    register_id: RowId, reference: str, db: WriteSession, principal: Principal = Depends(staff_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    prompt = connections.get(db, reference, register_id=register_id)
    outcome = connections.accept(db, prompt, staff_id=principal.id, actor=principal.actor)
    view = connections.staff_view(db, rt.vault, prompt, timezone=rt.settings.shop_timezone)
    return {**view, "outcome": outcome.status}


@router.post("/{register_id}/prompts/{reference}/refuse",
             response_model=PromptView, response_model_exclude_unset=True,
             summary="Refuse a connection prompt: nothing changes")
def refuse_prompt(
    register_id: RowId, reference: str, db: WriteSession, principal: Principal = Depends(staff_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    prompt = connections.get(db, reference, register_id=register_id)
    connections.refuse(db, prompt, staff_id=principal.id, actor=principal.actor)
    return connections.staff_view(db, rt.vault, prompt, timezone=rt.settings.shop_timezone)


@router.post("/{register_id}/kiosks/{kiosk_id}/lockout/lift",
             response_model=LockoutLifted, response_model_exclude_unset=True,
             summary="Lift the lockout of a kiosk at this register")
def lift_lockout(
    register_id: RowId, kiosk_id: RowId, db: WriteSession, principal: Principal = Depends(staff_only)
) -> dict:
    """The cashier has seen who is at the kiosk and lets it be used again (audited, like a manager's lift)."""
    register = sales.get_register(db, register_id)
    return {"kiosk": kiosk_id, "was_locked": lockout.lift_at_register(db, register.id, kiosk_id, actor=principal.actor)}
