"""Back office: sales (newest first, keyset pages), one sale with its lines, tracking a sale to a customer afterwards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ..auth import runtime
from ..dependencies import unit_of_work
from ..params import MAX_ROW_ID
from ..runtime import Runtime
from ..services import audit, customers, devices, sales
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/admin/sales")
def sales_list(
    request: Request,
    register: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    untracked: bool = False,
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        rows, next_before = sales.sales_page(db, register_id=register, untracked=untracked, before=before,
                                             size=PAGE_SIZE)
        registers = devices.list_registers(db)
        return page(request, "admin/sales.html", section="sales", rows=rows, registers=registers, register=register,
                    untracked=untracked, next_before=next_before, first_page=before is None)


@router.get("/admin/sales/{reference}")
def sale_detail(
    reference: str,
    request: Request,
    q: str = Query("", max_length=100),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        sale = sales.get_sale(db, reference)
        matches = customers.search(db, rt.vault, q, limit=10) if q else []
        found = [customers.staff_view(c, rt.vault) for c in matches]
        response = page(request, "admin/sale_detail.html", section="sales", sale=sale, q=q, found=found,
                        tracked=request.query_params.get("tracked"))
    if q:
        customers.audit_identifier_search(rt.sessions, staff.actor, q, matches)
    return response


@router.post("/admin/sales/{reference}/track")
def track_sale(
    reference: str,
    customer: Annotated[str, Form(max_length=40)],
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work,
    rt: Runtime = Depends(runtime),
) -> Response:
    """Attach a customer to a sale that has none (the receipt was not tracked at the till)."""
    sale = sales.get_sale(db, reference)
    person = customers.get_by_reference(db, customer)
    sales.connect_customer(db, sale, person, via="back_office", actor=staff.actor)
    audit.record(db, staff.actor, "sale_tracked", person.id, sale=sale.reference)
    return RedirectResponse(f"/admin/sales/{reference}?tracked=1", status_code=303)
