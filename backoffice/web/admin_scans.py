"""Back office: the venue scanners' log: every verify-mode scan, counts per result and per kiosk, filters."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..auth import runtime
from ..params import MAX_ROW_ID, row_id
from ..runtime import Runtime
from ..services import devices, verify
from ..services.group_members import last_midnight
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/admin/scans")
def scan_log(
    request: Request,
    kiosk: str = Query("", max_length=12),
    result: str = Query("", max_length=12),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    kiosk_id = row_id(kiosk)
    result = result if result in verify.RESULTS else ""
    today = last_midnight()
    with rt.read_sessions() as db:
        counts = {"today": verify.scan_counts(db, today),
                  "week": verify.scan_counts(db, today - dt.timedelta(days=6))}
        per_kiosk = verify.scan_counts_per_kiosk(db, today - dt.timedelta(days=6))
        rows, next_before = verify.scan_page(db, kiosk_id=kiosk_id, result=result or None, before=before,
                                             limit=PAGE_SIZE)
        kiosks = devices.kiosk_names(db)
    return page(request, "admin/scans.html", section="scans", counts=counts, per_kiosk=per_kiosk, rows=rows,
                presented=verify.PRESENTED_LABELS, kiosks=kiosks, kiosk_id=kiosk_id, result=result, before=before,
                next_before=next_before, results=verify.RESULTS)
