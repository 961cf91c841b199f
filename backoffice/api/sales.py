"""Sales for POS integrations and the cashier console: open, lines, connect a customer, close."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, runtime, staff_or_pos
from ..dependencies import WriteSession
from ..domain_errors import Conflict, Invalid, NotFound
from ..models import Customer
from ..runtime import Runtime
from ..services import audit, connections, customers, sales
from .answers import ConnectionHistory, SaleList, SaleView

router = APIRouter(prefix="/api/v1/sales", tags=["sales"])


class SaleLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product: str = Field(..., min_length=1, max_length=120)
    brand: str = Field("", max_length=80)
    variant: str = Field("", max_length=80, description="Size, colour or other variant")
    quantity: Decimal = Field(Decimal(1), gt=0, le=100000, max_digits=10, decimal_places=3)
    unit_price: Decimal = Field(Decimal(0), ge=-1000000, le=1000000, max_digits=12, decimal_places=2)


class SaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    register_name: str = Field(..., alias="register", min_length=1, max_length=80, description="Register name or id")
    external_ref: str | None = Field(None, max_length=80)
    lines: list[SaleLineIn] = Field(default_factory=list, max_length=500)


class ConnectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str | None = Field(None, max_length=40, description="Customer reference")
    customer_number: int | None = Field(None, ge=1)
    replace: bool = Field(False, description="Replace the customer already connected (the cashier's explicit choice);"
                          " without it a sale that has another customer is refused with 409")
    replaces: str | None = Field(None, max_length=40, description="With replace: the customer reference the cashier "
                                 "saw connected; refused with 409 if the sale has another one by now")


@router.post("",
             response_model=SaleView, response_model_exclude_unset=True, status_code=201,
             summary="Open a sale on a register")
def open_sale(body: SaleIn, db: WriteSession, principal: Principal = Depends(staff_or_pos)) -> dict:
    register = sales.get_register(db, body.register_name)
    sale = sales.open_sale(db, register, external_ref=body.external_ref, lines=[ln.model_dump() for ln in body.lines])
    return sales.sale_view(sale)


@router.get("", response_model=SaleList, response_model_exclude_unset=True, summary="List sales, newest first")
def list_sales(
    register: str | None = None,
    status: str | None = Query(None, pattern="^(open|closed)$"),
    without_customer: bool = False,
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    with rt.read_sessions() as db:
        found = sales.list_sales(db, register_id=sales.get_register(db, register).id if register else None,
                                 status=status, without_customer=without_customer, limit=limit)
        return {"sales": [sales.sale_view(s) for s in found]}


@router.get("/{reference}",
            response_model=SaleView, response_model_exclude_unset=True,
            summary="One sale with its lines")
def get_sale(reference: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)) -> dict:
    with rt.read_sessions() as db:
        return sales.sale_view(sales.get_sale(db, reference))


@router.post("/{reference}/lines",
             response_model=SaleView, response_model_exclude_unset=True,
             summary="Add line items as the POS rings them up")
def add_lines(
    reference: str, lines: list[SaleLineIn], db: WriteSession, principal: Principal = Depends(staff_or_pos)
) -> dict:
    sale = sales.get_sale(db, reference)
    sales.add_lines(db, sale, [ln.model_dump() for ln in lines])
    return sales.sale_view(sale)


@router.put("/{reference}/customer",
            response_model=SaleView, response_model_exclude_unset=True,
            summary="Connect a customer to a sale (open, or closed for tracking)")
def connect(
    reference: str, body: ConnectIn, db: WriteSession, principal: Principal = Depends(staff_or_pos),
    rt: Runtime = Depends(runtime),
) -> dict:
    """The first connection stands: a sale that has another customer is refused (409 customer_already_connected,
    with the current customer) unless ``replace`` is set.  Every change is in the sale's history."""
    sale = sales.get_sale(db, reference)
    customer = _customer(db, rt, body)
    current = sale.customer
    if current is not None and current.id != customer.id:
        if not body.replace:
            raise Conflict("customer_already_connected",
                           f"{current.display_name} is connected to this sale. Replace with "
                           f"{customer.display_name}?", current={"reference": current.reference,
                                                                 "name": current.display_name},
                           proposed={"reference": customer.reference, "name": customer.display_name})
        if body.replaces and body.replaces != current.reference:
            raise Conflict("customer_changed", "The sale's customer has changed since; look again.")
    via = "cashier" if principal.kind == "staff" else "pos"
    connections.connect(db, sale, customer, via=via, actor=principal.actor, staff=True, replace=body.replace)
    audit.record(db, principal.actor, "sale_tracked", customer.id, sale=sale.reference)
    return sales.sale_view(sale)


@router.delete("/{reference}/customer",
               response_model=SaleView, response_model_exclude_unset=True,
               summary="Disconnect the customer from a sale")
def disconnect(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos)) -> dict:
    sale = sales.get_sale(db, reference)
    connections.disconnect(db, sale, actor=principal.actor)
    return sales.sale_view(sale)


@router.get("/{reference}/connections",
            response_model=ConnectionHistory, response_model_exclude_unset=True,
            summary="The sale's history of customers: connect, replace, disconnect")
def connection_history(
    reference: str, principal: Principal = Depends(staff_or_pos), rt: Runtime = Depends(runtime)
) -> dict:
    with rt.read_sessions() as db:
        sale = sales.get_sale(db, reference)
        rows = connections.history(db, sale.id)
        return {"connections": [{**row, "at": row["at"].isoformat()} for row in rows]}


@router.post("/{reference}/close",
             response_model=SaleView, response_model_exclude_unset=True,
             summary="Close a sale; the kiosk returns to its waiting screen")
def close(reference: str, db: WriteSession, principal: Principal = Depends(staff_or_pos)) -> dict:
    sale = sales.close_sale(db, sales.get_sale(db, reference))
    return sales.sale_view(sale)


def _customer(db, rt: Runtime, body: ConnectIn) -> Customer:
    if body.customer:
        return customers.get_by_reference(db, body.customer)
    if body.customer_number:
        found = customers.find_by_identifier(db, rt.vault, "customer_number", str(body.customer_number))
        if found:
            return found
        raise NotFound("customer_not_found", "No customer has this number.")
    raise Invalid("customer_required", "Give a customer reference or customer number.")
