"""Customers for staff and POS integrations: search, create, edit, delete, history, consent."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, manager_or_pos, runtime, staff_or_pos
from ..dependencies import WriteSession
from ..runtime import Runtime
from ..services import audit, consent, customers, privacy, sales
from ..services.groups import groups_of
from .answers import ConsentView, CustomerExport, CustomerList, CustomerView, ErasedCustomer, SaleList
from .schemas import PersonFieldsIn

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class CustomerIn(PersonFieldsIn):
    birth_date: dt.date | None = None
    notes: str | None = Field(None, max_length=4000)
    labels: list[str] | None = Field(None, max_length=50)
    tags: list[str] | None = Field(None, max_length=50)
    marketing_consent: bool | None = None


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field("marketing", pattern="^[a-z_]{3,40}$")
    channel: str = Field("cashier", pattern="^(kiosk|mobile|cashier|import|api)$")


def _view(db, rt: Runtime, customer) -> dict:
    view = customers.staff_view(customer, rt.vault)
    view["groups"] = groups_of(db, customer.id, scanner_only=False)
    return view


@router.get("",
            response_model=CustomerList, response_model_exclude_unset=True,
            summary="Search customers by name, number, phone, e-mail, card or personal ID")
def search_customers(
    q: str = Query("", max_length=100),
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        found = customers.search(db, rt.vault, q, limit=limit)
        views = [customers.staff_view(c, rt.vault) for c in found]
    customers.audit_identifier_search(rt.sessions, principal.actor, q, found)
    return {"customers": views}


@router.post("",
             response_model=CustomerView, response_model_exclude_unset=True, status_code=201,
             summary="Create a customer")
def create_customer(body: CustomerIn, db: WriteSession, principal: Principal = Depends(staff_or_pos),
                    rt: Runtime = Depends(runtime)) -> dict:
    fields = customers.clean_fields(body.model_dump(exclude_none=True, exclude={"marketing_consent"}))
    created_by = "cashier" if principal.kind == "staff" else "api"
    customer = customers.create_customer(db, rt.vault, fields, created_by=created_by, actor=principal.actor)
    if body.marketing_consent:
        consent.give(db, customer, purpose="marketing", channel=created_by, source=principal.actor)
    return _view(db, rt, customer)


@router.get("/{reference}",
            response_model=CustomerView, response_model_exclude_unset=True,
            summary="One customer (identifiers masked)")
def get_customer(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos),
                 rt: Runtime = Depends(runtime)) -> dict:
    customer = customers.get_by_reference(db, reference)
    audit.record(db, principal.actor, "customer_viewed", customer.id)
    view = _view(db, rt, customer)
    view["consents"] = [consent.view(r) for r in consent.records_of(db, customer.id)]
    return view


@router.patch("/{reference}",
              response_model=CustomerView, response_model_exclude_unset=True,
              summary="Edit a customer; absent fields are kept, empty strings clear")
def edit_customer(
    reference: str, body: CustomerIn, db: WriteSession, principal: Principal = Depends(manager_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    customer = customers.get_by_reference(db, reference)
    fields = customers.clean_fields(body.model_dump(exclude_unset=True, exclude={"marketing_consent"}), partial=True)
    customers.update_customer(db, rt.vault, customer, fields, actor=principal.actor)
    if body.marketing_consent is True:
        consent.give(db, customer, purpose="marketing", channel="cashier", source=principal.actor)
    elif body.marketing_consent is False:
        consent.withdraw(db, customer, purpose="marketing", source=principal.actor)
    return _view(db, rt, customer)


@router.delete(
    "/{reference}", status_code=204,
    summary="Erase a customer (GDPR): the person goes, their sales stay without the link (same as POST .../erase)",
)
def delete_customer(
    reference: str,
    db: WriteSession,
    erase: bool = Query(True, description="Deleting always erases; accepted so that callers can say so"),
    principal: Principal = Depends(manager_or_pos),
    rt: Runtime = Depends(runtime),
) -> Response:
    privacy.erase_customer(db, rt.vault, customers.get_by_reference(db, reference), actor=principal.actor)
    return Response(status_code=204)


@router.post("/{reference}/erase",
             response_model=ErasedCustomer, response_model_exclude_unset=True,
             summary="Erase a customer (GDPR) and say what was removed and what was kept")
def erase_customer(reference: str, db: WriteSession, principal: Principal = Depends(manager_or_pos),
                   rt: Runtime = Depends(runtime)) -> dict:
    counts = privacy.erase_customer(db, rt.vault, customers.get_by_reference(db, reference), actor=principal.actor)
    return {"erased": True, **counts}


@router.get("/{reference}/export",
            response_model=CustomerExport, response_model_exclude_unset=True,
            summary="Everything stored about a customer, identifiers unmasked (GDPR; audited)")
def export_customer(reference: str, db: WriteSession, principal: Principal = Depends(manager_or_pos),
                    rt: Runtime = Depends(runtime)) -> dict:
    return privacy.export_customer(db, rt.vault, customers.get_by_reference(db, reference), actor=principal.actor)


@router.get("/{reference}/sales",
            response_model=SaleList, response_model_exclude_unset=True,
            summary="Purchase history: the sales connected to this customer")
def customer_sales(
    reference: str,
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        customer = customers.get_by_reference(db, reference)
        return {"sales": [sales.sale_view(s) for s in sales.list_sales(db, customer_id=customer.id, limit=limit)]}


@router.post("/{reference}/consents",
             response_model=ConsentView, response_model_exclude_unset=True, status_code=201,
             summary="Record a consent the customer gave")
def give_consent(reference: str, body: ConsentIn, db: WriteSession,
                 principal: Principal = Depends(manager_or_pos)) -> dict:
    customer = customers.get_by_reference(db, reference)
    return consent.view(consent.give(db, customer, purpose=body.purpose, channel=body.channel, source=principal.actor))


@router.delete("/{reference}/consents/{purpose}", status_code=204, summary="Withdraw a consent")
def withdraw_consent(reference: str, purpose: str, db: WriteSession,
                     principal: Principal = Depends(staff_or_pos)) -> Response:
    consent.withdraw(db, customers.get_by_reference(db, reference), purpose=purpose, source=principal.actor)
    return Response(status_code=204)
