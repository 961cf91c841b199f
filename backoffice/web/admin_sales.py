"""Back office: sales (newest first, keyset pages), one sale with its lines, tracking a sale to a customer afterwards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth import runtime
from ..models import Register, Sale
from ..params import MAX_ROW_ID
from ..runtime import Runtime
from ..services import audit, customers, sales
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
        stmt = (
            select(Sale)
            .options(selectinload(Sale.lines), selectinload(Sale.customer), selectinload(Sale.register))
            .order_by(Sale.id.desc())
            .limit(PAGE_SIZE + 1)
        )
        if register:
            stmt = stmt.where(Sale.register_id == register)
        if untracked:
            stmt = stmt.where(Sale.customer_id.is_(None), Sale.status == "closed")
        if before:
            stmt = stmt.where(Sale.id < before)
        rows = list(db.execute(stmt).scalars())
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        registers = list(db.execute(select(Register).order_by(Register.name)).scalars())
        return page(request, "admin/sales.html", section="sales", rows=rows, registers=registers, register=register,
                    untracked=untracked, next_before=rows[-1].id if more and rows else None,
                    first_page=before is None)


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
    rt: Runtime = Depends(runtime),
) -> Response:
    """Attach a customer to a sale that has none (the receipt was not tracked at the till)."""
    with rt.sessions() as db:
        sale = sales.get_sale(db, reference)
        person = customers.get_by_reference(db, customer)
        sales.connect_customer(db, sale, person, via="back_office", actor=staff.actor)
        audit.record(db, staff.actor, "sale_tracked", person.id, sale=sale.reference)
        db.commit()
    rt.notifier.notify()
    return RedirectResponse(f"/admin/sales/{reference}?tracked=1", status_code=303)
