"""Back office: the audit log of who saw or changed what, filtered by customer, staff member and action."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..auth import runtime
from ..domain_errors import NotFound
from ..params import MAX_ROW_ID
from ..runtime import Runtime
from ..services import audit, customers
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(
    request: Request,
    customer: str = Query("", max_length=40),
    actor: str = Query("", max_length=80),
    action: str = Query("", max_length=40),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    message = ""
    with rt.read_sessions() as db:
        try:
            customer_id = customers.customer_id_for_filter(db, customer) if customer.strip() else None
        except NotFound as exc:
            customer_id, message = -1, exc.message  # nobody matches: an empty page that says why
        rows = audit.entries(db, customer_id=customer_id, actor=actor.strip(), action=action.strip(), before=before)
    more = len(rows) == audit.PAGE_SIZE
    return page(request, "admin/audit.html", section="audit", rows=rows, customer=customer, actor=actor,
                action=action, actions=audit.COMMON_ACTIONS, message=message,
                next_before=rows[-1][0].id if more else None)
