"""Who is looking at a staff page: the session cookie, the CSRF field of forms, the manager role.

A page never accepts a device token or an API key: those are for machines.
Without a valid session a page redirects to the sign-in form (see
``web.errors``); an unsafe request must carry the session's CSRF token, in the
form's ``csrf`` field or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..auth import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, Principal, check_permission, runtime, staff_from_cookie
from ..domain_errors import Forbidden
from ..runtime import Runtime
from ..security import hash_token, tokens_equal
from ..services import staff as staff_service

CSRF_FIELD = "csrf"


class SignInRequired(Exception):
    """No valid staff session: the page sends the browser to the sign-in form."""

    def __init__(self, expired: bool):
        super().__init__("sign in required")
        self.expired = expired


@dataclass(frozen=True)
class Staff:
    principal: Principal
    display_name: str
    session_id: str  # the stored hash of the cookie
    language: str = ""  # their own page language; empty: the shop's (web.i18n.staff_language)

    @property
    def is_manager(self) -> bool:
        return self.principal.role == "manager"

    @property
    def csrf(self) -> str:
        return self.principal.csrf_token

    @property
    def actor(self) -> str:
        return self.principal.actor


def _refuse_machines(request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else request.headers.get("x-api-key", "")
    if token.startswith("kd_"):
        raise Forbidden("kiosk_not_allowed", "A kiosk token may only use the kiosk endpoints.")
    if token:
        raise Forbidden("staff_only", "Staff pages need a staff sign-in, not an API key.")


def _load(rt: Runtime, cookie: str) -> Staff | None:
    principal = staff_from_cookie(rt, cookie)
    if principal is None:
        return None
    with rt.read_sessions() as db:
        user = staff_service.find_user(db, principal.id)
        name = (user.display_name if user else "") or principal.name
        language = user.language if user else ""
    return Staff(principal, name, hash_token(cookie), language)


async def _check_csrf(request: Request, staff: Staff) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if not sent or not tokens_equal(sent, staff.csrf):
        raise Forbidden("csrf_failed", "The form is out of date; reload the page and try again.")


async def current_staff(request: Request, rt: Runtime = Depends(runtime)) -> Staff:
    """Any signed-in cashier or manager whom the permission table admits on this page."""
    _refuse_machines(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    staff = await run_in_threadpool(_load, rt, cookie) if cookie else None
    if staff is None:
        raise SignInRequired(expired=bool(cookie))
    await _check_csrf(request, staff)
    check_permission(request, staff.principal)
    request.state.staff = staff
    return staff


async def current_manager(staff: Staff = Depends(current_staff)) -> Staff:
    """A signed-in manager; a cashier gets the 403 page."""
    if not staff.is_manager:
        raise Forbidden("manager_only", "Only a manager may open the back office.")
    return staff
