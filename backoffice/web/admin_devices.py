"""Back office: registers and kiosks: create a register, pair a kiosk (a pairing code shown as a QR and as text, which
the unpaired kiosk scans and trades for its device token), revoke, last contact, and each kiosk's mode (connect, or
verify: the venue scanner) with the groups it verifies."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, quote_plus, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_core.pairing import display_code, pairing_payload

from .. import shop_time
from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import DomainError
from ..errors import http_status
from ..models import PairingCode, utcnow
from ..params import RowId, row_id
from ..runtime import Runtime
from ..services import devices, groups, lockout, sales, verify
from .i18n import for_request, tr
from .render import page, qr
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
STALE_SECONDS = 120  # a kiosk polls its state far more often than this


def _overview(db) -> list[dict]:
    now = utcnow()
    out = []
    for register in devices.list_registers(db):
        kiosks = devices.list_kiosks(db, register_id=register.id)
        out.append(
            {
                "register": register,
                "open_sale": sales.open_sale_of(db, register.id),
                "pairings": [_pairing_view(p, now) for p in devices.recent_pairing_codes(db, register.id)],
                "kiosks": [
                    {
                        "kiosk": k,
                        "online": bool(k.last_seen_at and (now - k.last_seen_at).total_seconds() < STALE_SECONDS),
                        "status": k.last_status or {},
                        "locked_until": lockout.locked_until(db, k) if k.revoked_at is None else None,
                    }
                    for k in kiosks
                ],
            }
        )
    return out


def _devices_page(request: Request, rt: Runtime, *, status: int = 200, **context) -> Response:
    with rt.read_sessions() as db:
        overview = _overview(db)
        context["groups"] = groups.scanner_groups(db)
    context.setdefault("message", "")
    context.setdefault("notice", request.query_params.get("notice", ""))
    return page(request, "admin/devices.html", status=status, section="devices", overview=overview, **context)


@router.get("/admin/devices")
def devices_page(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    return _devices_page(request, rt)


@router.post("/admin/devices/registers")
def create_register(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    try:
        register = devices.create_register(db, name)
    except DomainError as exc:
        db.rollback()
        return _devices_page(request, rt, status=http_status(exc), message=exc.message)
    text = tr(request, "Register {name} created.", name=register.name)
    return RedirectResponse(f"/admin/devices?notice={quote_plus(text)}", status_code=303)


@router.post("/admin/devices/kiosks")
def pair_kiosk(
    request: Request,
    register_id: Annotated[int, Form(alias="register")],
    name: Annotated[str, Form(max_length=80)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    """A pairing code for the register: this answer is the only time the code is shown (QR and text)."""
    target = sales.get_register(db, register_id)
    pairing, code = devices.create_pairing_code(db, target, name.strip(), actor=staff.actor)
    view = _pairing_view(pairing, utcnow())
    payload = pairing_payload(rt.settings.base_url, code)
    only_here = urlsplit(rt.settings.base_url).hostname in ("127.0.0.1", "localhost", "::1")
    return page(request, "admin/paired.html", section="devices", pairing=view, code=display_code(code),
                payload=payload, qr=qr(payload), base_url=rt.settings.base_url, only_here=only_here)


def _pairing_view(pairing: PairingCode, now) -> dict:
    return {
        "id": pairing.id,
        "register_name": pairing.register.name,
        "kiosk_name": pairing.kiosk.name if pairing.kiosk else pairing.kiosk_name,
        "created_at": pairing.created_at,
        "expires_at": pairing.expires_at,
        "used_at": pairing.used_at,
        "status": devices.pairing_status(pairing, now),
        "seconds_left": max(0, int((pairing.expires_at - now).total_seconds())),
    }


@router.get("/admin/devices/pairing/{pairing_id}")
def pairing_state(pairing_id: RowId, staff: Staff = Depends(current_manager),
                  rt: Runtime = Depends(runtime)) -> dict:
    """Whether the pairing code has been used (the pairing page asks every few seconds)."""
    with rt.read_sessions() as db:
        pairing = devices.get_pairing_code(db, pairing_id)
        view = _pairing_view(pairing, utcnow())
    view["used_at_local"] = shop_time.shop_local(view["used_at"], "%H:%M:%S")
    for key in ("created_at", "expires_at", "used_at"):
        view[key] = view[key].isoformat() if view[key] else None
    return view


@router.post("/admin/devices/kiosks/{kiosk_id}/revoke")
def revoke_kiosk(kiosk_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                 db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    kiosk = devices.get_kiosk(db, kiosk_id)
    devices.revoke_kiosk(db, kiosk, actor=staff.actor)
    name = kiosk.name
    text = tr(request, "{name} has been unpaired.", name=name)
    return RedirectResponse(f"/admin/devices?notice={quote_plus(text)}", status_code=303)


@router.post("/admin/devices/kiosks/{kiosk_id}/unlock")
def lift_lockout(kiosk_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                 db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    """Lift a kiosk's lockout after too many misses (the cashier has checked what was going on)."""
    kiosk = devices.get_kiosk(db, kiosk_id)
    lockout.lift(db, kiosk, actor=staff.actor)
    name = kiosk.name
    text = tr(request, "{name} can be used again.", name=name)
    return RedirectResponse(f"/admin/devices?notice={quote_plus(text)}", status_code=303)


def _mode_page(request: Request, rt: Runtime, kiosk_id: int, *, mode: str | None = None,
               selection: list[int] | None | str = "stored", message: str = "", status: int = 200) -> Response:
    with rt.read_sessions() as db:
        kiosk = devices.get_kiosk(db, kiosk_id, paired=True)
        context = {"kiosk": kiosk, "register_name": kiosk.register.name, "groups": groups.scanner_groups(db),
                   "mode": mode or kiosk.mode,
                   "selection": kiosk.verify_group_ids if selection == "stored" else selection}
    return page(request, "admin/kiosk_mode.html", status=status, section="devices", message=message, **context)


@router.get("/admin/devices/kiosks/{kiosk_id}/mode")
def kiosk_mode_form(kiosk_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                    rt: Runtime = Depends(runtime)) -> Response:
    return _mode_page(request, rt, kiosk_id)


@router.post("/admin/devices/kiosks/{kiosk_id}/mode")
async def set_kiosk_mode(kiosk_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                         db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    """Connect (the counter) or verify (a door): which groups, or All; the kiosk follows at once."""
    form = await request.form()
    mode = str(form.get("mode", "connect"))
    selected = [i for i in (row_id(str(v)) for v in form.getlist("group_id")) if i is not None]
    group_ids = None if form.get("groups", "all") == "all" else selected

    def work():
        kiosk = devices.get_kiosk(db, kiosk_id, paired=True)
        try:
            verify.configure_kiosk(db, kiosk, mode=mode, group_ids=group_ids, actor=staff.actor)
        except DomainError as exc:
            db.rollback()
            return None, exc.message
        return kiosk.name, None

    name, problem = await run_in_threadpool(work)
    if problem:
        return _mode_page(request, rt, kiosk_id, mode=mode, selection=group_ids, message=problem,
                          status=422)
    _ = for_request(request)
    text = _("{name} now connects customers to sales.", name=name) if mode == "connect" else \
        _("{name} is now a venue scanner.", name=name)
    return RedirectResponse(f"/admin/devices?notice={quote(text)}", status_code=303)
