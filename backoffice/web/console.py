"""The cashier console: one register's sale, the connected customer, live prompts, connect by hand.

Live prompts come from the register's event stream as server-sent events.
Every event carries its database id; a reconnecting EventSource sends the last
one back (Last-Event-ID) and the stream resumes right after it, so nothing is
lost and nothing is sent twice.  The page itself renders the registrations
pending when it loads, and starts the stream from the newest event id read
*before* that list: a registration created in between is in the list and in
the stream, and the page drops the second copy by its reference.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..auth import SESSION_COOKIE, runtime, staff_from_cookie
from ..dependencies import unit_of_work
from ..models import Customer, utcnow
from ..params import MAX_ROW_ID, RowId, row_id
from ..runtime import Runtime
from ..services import connections, customers, devices, events, lockout, prompts, registrations, sales
from ..services import console as console_service
from .render import page
from .staff_auth import Staff, current_staff

router = APIRouter(include_in_schema=False)

RECHECK_SECONDS = 0.5  # another server process's events are found in the database this often
SESSION_CHECK_SECONDS = 10.0
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0  # then the browser reconnects with Last-Event-ID (and the session is checked anew)
RETRY_MILLISECONDS = 1000
BATCH = 100
SEARCH_LIMIT = 12


@router.get("/console")
def choose_register(request: Request, staff: Staff = Depends(current_staff), rt: Runtime = Depends(runtime)) -> Response:
    with rt.read_sessions() as db:
        registers = devices.list_registers(db)
        if staff.principal.register_id and any(r.id == staff.principal.register_id for r in registers):
            if not request.query_params.get("choose"):
                return RedirectResponse(f"/console/{staff.principal.register_id}", status_code=303)
        rows = [(r, sales.open_sale_of(db, r.id)) for r in registers]
    return page(request, "console/choose.html", section="console", rows=rows)


@router.get("/console/{register_id}")
def console_page(
    register_id: RowId, request: Request, staff: Staff = Depends(current_staff), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.read_sessions() as db:
        register = sales.get_register(db, register_id)
        # The newest id first, then the list: see the module docstring.
        after = events.latest_id(db, register.id)
        open_sale = sales.open_sale_of(db, register.id)
        pending = prompts.pending_cards(db, rt.vault, register.id, open_sale_id=open_sale.id if open_sale else None)
        lockouts = [prompts.lockout_card(lock) for lock in lockout.active_lockouts(db, register.id)]
        connection_prompts = [connections.staff_view(db, rt.vault, p, timezone=rt.settings.shop_timezone)
                              for p in connections.list_pending(db, register.id)]
        snapshot = console_service.snapshot(db, rt, register)
        return page(request, "console/console.html", section="console", after=after, pending=pending,
                    lockouts=lockouts, connection_prompts=connection_prompts,
                    server_now=utcnow().isoformat(timespec="milliseconds"), **snapshot)


@router.get("/console/{register_id}/panel")
def console_panel(
    register_id: RowId, request: Request, staff: Staff = Depends(current_staff), rt: Runtime = Depends(runtime)
) -> Response:
    """The sale and customer panel alone, re-fetched by the page when the sale changes."""
    with rt.read_sessions() as db:
        snapshot = console_service.snapshot(db, rt, sales.get_register(db, register_id))
        return page(request, "console/_panel.html", **snapshot)


@router.get("/console/{register_id}/prompts/{reference}")
def console_prompt(
    register_id: RowId, reference: str, request: Request, staff: Staff = Depends(current_staff),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    """One connection prompt as the prompt list shows it, fetched by the page when the stream announces it."""
    prompt = connections.get(db, reference, register_id=register_id)
    view = connections.staff_view(db, rt.vault, prompt, timezone=rt.settings.shop_timezone)
    return page(request, "console/_connection_prompt.html", prompt=view)


@router.get("/console/{register_id}/replace/{customer}")
def replace_prompt(
    register_id: RowId, customer: str, request: Request, staff: Staff = Depends(current_staff),
    rt: Runtime = Depends(runtime),
) -> Response:
    """The question a cashier gets when choosing a customer by hand for a sale that has another one."""
    with rt.read_sessions() as db:
        sale = sales.open_sale_of(db, sales.get_register(db, register_id).id)
        chosen = customers.get_by_reference(db, customer[:40])
        current = db.get(Customer, sale.customer_id) if sale is not None and sale.customer_id else None
        if current is None or current.id == chosen.id:
            return Response(status_code=204)
        view = {"reference": f"local:{sale.reference}:{chosen.reference}", "reason": "replace", "local": True,
                "presented": "cashier", "sale": {"reference": sale.reference},
                "customer": {"reference": chosen.reference, "name": chosen.display_name,
                             "customer_number": chosen.customer_number},
                "current": {"reference": current.reference, "name": current.display_name},
                "agreed": [], "differed": []}
    return page(request, "console/_connection_prompt.html", prompt=view)


@router.get("/console/{register_id}/prompts/registrations/{reference}")
def registration_prompt(
    register_id: RowId,
    reference: str,
    request: Request,
    staff: Staff = Depends(current_staff),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    """One pending registration's prompt card, as the page renders it (fetched when a live event announces it)."""
    register = sales.get_register(db, register_id)
    registration = registrations.get(db, reference[:40], register_id=register.id)
    if registration.status != "pending":
        return Response(status_code=204)  # returned, not raised: the unit of work keeps an expiry the read made
    open_sale = sales.open_sale_of(db, register.id)
    card = prompts.registration_card(db, rt.vault, registration, open_sale_id=open_sale.id if open_sale else None)
    response = page(request, "console/_prompt.html", card=card)
    # the page sets its countdowns' clock by this (the page's own server time can be seconds old under load)
    response.headers["X-Server-Time"] = utcnow().isoformat(timespec="milliseconds")
    return response


@router.get("/console/{register_id}/search")
def console_search(
    register_id: RowId,
    request: Request,
    q: str = Query("", max_length=200),
    staff: Staff = Depends(current_staff),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        sales.get_register(db, register_id)
        found = customers.search(db, rt.vault, q, limit=SEARCH_LIMIT) if q.strip() else []
        views = [customers.staff_view(c, rt.vault) for c in found]
    if found:  # live search types a number digit by digit: only a hit is a look-up worth recording
        customers.audit_identifier_search(rt.sessions, staff.actor, q, found)
    return page(request, "console/_results.html", q=q, results=views)


def _event_lines(event) -> str:
    payload = json.dumps({"id": event.id, "type": event.type, "data": event.data}, separators=(",", ":"))
    return f"id: {event.id}\ndata: {payload}\n\n"


def _start_after(request: Request, after: int | None, rt: Runtime, register_id: int) -> int:
    resumed = row_id(request.headers.get("last-event-id", ""))
    if resumed is not None:
        return resumed
    if after is not None:
        return after
    with rt.read_sessions() as db:
        return events.latest_id(db, register_id)


def _read_events(rt: Runtime, register_id: int, after: int) -> list:
    with rt.read_sessions() as db:
        return events.events_after(db, register_id, after, limit=BATCH)


async def _stream(rt: Runtime, register_id: int, after: int, cookie: str) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
    started = time.monotonic()
    check_session_at = started + SESSION_CHECK_SECONDS
    ping_at = started + KEEPALIVE_SECONDS
    last = after
    while True:
        batch = await run_in_threadpool(_read_events, rt, register_id, last)
        for event in batch:
            yield _event_lines(event)
            last = event.id
        if len(batch) == BATCH:
            continue
        now = time.monotonic()
        if now >= check_session_at:
            check_session_at = now + SESSION_CHECK_SECONDS
            if await run_in_threadpool(staff_from_cookie, rt, cookie) is None:
                yield 'event: session\ndata: {"type":"session_ended"}\n\n'
                return
        if now - started >= STREAM_SECONDS:
            return
        if now >= ping_at:
            ping_at = now + KEEPALIVE_SECONDS
            yield ": keep-alive\n\n"
        await rt.notifier.wait(RECHECK_SECONDS)
        await asyncio.sleep(0)


@router.get("/console/{register_id}/events")
def console_events(
    register_id: RowId,
    request: Request,
    after: int | None = Query(None, ge=0, le=MAX_ROW_ID),
    staff: Staff = Depends(current_staff),
    rt: Runtime = Depends(runtime),
) -> Response:
    """The register's events as server-sent events, from ``after`` or the Last-Event-ID header."""
    with rt.read_sessions() as db:
        sales.get_register(db, register_id)
    start = _start_after(request, after, rt, register_id)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return StreamingResponse(
        _stream(rt, register_id, start, cookie),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
