"""Customers for staff and POS integrations: search, create, edit, delete, history, consent."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ..auth import Principal, manager_or_pos, runtime, staff_or_pos
from ..models import Sale
from ..runtime import Runtime
from ..services import audit, consent, customers, privacy, sales
from ..services.groups import groups_of
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


@router.get("", summary="Search customers by name, number, phone, e-mail, card or personal ID")
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


@router.post("", status_code=201, summary="Create a customer")
def create_customer(body: CustomerIn, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.sessions() as db:
        fields = customers.clean_fields(body.model_dump(exclude_none=True, exclude={"marketing_consent"}))
        created_by = "cashier" if principal.kind == "staff" else "api"
        customer = customers.create_customer(db, rt.vault, fields, created_by=created_by, actor=principal.actor)
        if body.marketing_consent:
            consent.give(db, customer, purpose="marketing", channel=created_by, source=principal.actor)
        db.commit()
        return _view(db, rt, customer)


@router.get("/{reference}", summary="One customer (identifiers masked)")
def get_customer(reference: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.sessions() as db:
        customer = customers.get_by_reference(db, reference)
        audit.record(db, principal.actor, "customer_viewed", customer.id)
        view = _view(db, rt, customer)
        view["consents"] = [consent.view(r) for r in consent.records_of(db, customer.id)]
        db.commit()
        return view


@router.patch("/{reference}", summary="Edit a customer; absent fields are kept, empty strings clear")
def edit_customer(
    reference: str, body: CustomerIn, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        customer = customers.get_by_reference(db, reference)
        fields = customers.clean_fields(body.model_dump(exclude_unset=True, exclude={"marketing_consent"}), partial=True)
        customers.update_customer(db, rt.vault, customer, fields, actor=principal.actor)
        if body.marketing_consent is True:
            consent.give(db, customer, purpose="marketing", channel="cashier", source=principal.actor)
        elif body.marketing_consent is False:
            consent.withdraw(db, customer, purpose="marketing", source=principal.actor)
        db.commit()
        return _view(db, rt, customer)


@router.delete(
    "/{reference}", status_code=204,
    summary="Erase a customer (GDPR): the person goes, their sales stay without the link (same as POST .../erase)",
)
def delete_customer(
    reference: str,
    erase: bool = Query(True, description="Deleting always erases; accepted so that callers can say so"),
    principal: Principal = Depends(manager_or_pos),
    rt: Runtime = Depends(runtime),
) -> Response:
    _erase(reference, principal, rt)
    return Response(status_code=204)


@router.post("/{reference}/erase", summary="Erase a customer (GDPR) and say what was removed and what was kept")
def erase_customer(reference: str, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    return {"erased": True, **_erase(reference, principal, rt)}


def _erase(reference: str, principal: Principal, rt: Runtime) -> dict:
    with rt.sessions() as db:
        counts = privacy.erase_customer(db, rt.vault, customers.get_by_reference(db, reference), actor=principal.actor)
        db.commit()
    rt.notifier.notify()
    return counts


@router.get("/{reference}/export", summary="Everything stored about a customer, identifiers unmasked (GDPR; audited)")
def export_customer(reference: str, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.sessions() as db:
        data = privacy.export_customer(db, rt.vault, customers.get_by_reference(db, reference), actor=principal.actor)
        db.commit()
    return data


@router.get("/{reference}/sales", summary="Purchase history: the sales connected to this customer")
def customer_sales(
    reference: str,
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        customer = customers.get_by_reference(db, reference)
        stmt = select(Sale).where(Sale.customer_id == customer.id).order_by(Sale.id.desc()).limit(limit)
        return {"sales": [sales.sale_view(s) for s in db.execute(stmt).scalars()]}


@router.post("/{reference}/consents", status_code=201, summary="Record a consent the customer gave")
def give_consent(
    reference: str, body: ConsentIn, principal: Principal = Depends(manager_or_pos), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.sessions() as db:
        customer = customers.get_by_reference(db, reference)
        record = consent.give(db, customer, purpose=body.purpose, channel=body.channel, source=principal.actor)
        db.commit()
        return consent.view(record)


@router.delete("/{reference}/consents/{purpose}", status_code=204, summary="Withdraw a consent")
def withdraw_consent(
    reference: str, purpose: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.sessions() as db:
        customer = customers.get_by_reference(db, reference)
        consent.withdraw(db, customer, purpose=purpose, source=principal.actor)
        db.commit()
    return Response(status_code=204)
