"""Signing in and out, and changing one's password.

The sign-in form has its own CSRF token (a cookie that must match the form
field) because there is no session yet.  The session cookie is HttpOnly,
SameSite=Lax, and Secure whenever the base URL is https (or ``session_cookie_secure`` is set).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ..auth import SESSION_COOKIE, end_session, runtime, secure_cookies, start_session
from ..dependencies import unit_of_work
from ..domain_errors import DomainError
from ..errors import http_status
from ..runtime import Runtime
from ..security import tokens_equal
from ..services import login_lockout
from ..services import staff as staff_service
from .i18n import N_, languages, tr
from .render import page
from .staff_auth import Staff, current_staff

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "bo_login"


def _safe_next(target: str) -> str:
    """Only a path on this site: never another host (//evil.example) or a scheme."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return "/console"


def _login_page(request: Request, *, status: int = 200, message: str = "", username: str = "", next_: str = "/console"):
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    notice = ""
    if request.query_params.get("expired"):
        notice = N_("Your session has ended. Sign in again.")
    elif request.query_params.get("bye"):
        notice = N_("You have signed out.")
    response = page(request, "login.html", status=status, message=message, notice=notice, username=username,
                    next=_safe_next(next_), login_csrf=token)
    rt: Runtime = request.app.state.runtime
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/login", max_age=3600,
                        secure=secure_cookies(rt.settings))
    return response


@router.get("/")
def home() -> Response:
    return RedirectResponse("/console", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/console") -> Response:  # noqa: A002 - the query parameter's name
    return _login_page(request, next_=next)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=400)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",  # noqa: A002
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not csrf or not tokens_equal(csrf, expected):
        return _login_page(request, status=403, username=username, next_=next,
                           message=N_("The sign-in form had expired. Please try again."))
    if not username.strip() or not password:
        return _login_page(request, status=422, username=username, next_=next,
                           message=N_("Enter your username and password."))
    try:
        user = staff_service.sign_in(db, username, password, address=_client_address(request),
                                     settings=rt.settings)
    except DomainError as exc:  # returning (not raising) commits the unit of work: the counted failure is kept
        response = _login_page(request, status=http_status(exc), username=username, next_=next,
                               message=_lockout_message(request, exc) if "locked" in exc.extra else exc.message)
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(int(exc.extra["retry_after"]))
        return response
    cookie, _ = start_session(db, user, rt.settings.session_max_age_seconds)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", path="/",
                        secure=secure_cookies(rt.settings), max_age=rt.settings.session_max_age_seconds)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _lockout_message(request: Request, exc: DomainError) -> str:
    """The lockout's refusal in the staff language, with how long to wait."""
    count, unit = login_lockout.duration(int(exc.extra["retry_after"]))
    units = {"{count} seconds": N_("{count} seconds"), "{count} minutes": N_("{count} minutes"),
             "{count} hours": N_("{count} hours")}
    wait = tr(request, units[unit], count=count)
    if exc.extra["locked"] == "user":
        return tr(request, "Too many failed sign-ins for this user. Try again in {wait}.", wait=wait)
    return tr(request, "Too many failed sign-ins from this device. Try again in {wait}.", wait=wait)


@router.post("/logout")
def logout(request: Request, staff: Staff = Depends(current_staff), db: Session = unit_of_work,
           rt: Runtime = Depends(runtime)) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookies(rt.settings), httponly=True,
                           samesite="lax")
    return response


@router.get("/account/password")
def password_form(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    return page(request, "account_password.html", section="account", languages=languages())


@router.post("/account/language")
def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=8)] = "",
    staff: Staff = Depends(current_staff),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    """The signed-in staff member's own page language (empty: the shop's)."""
    user = staff_service.get_user(db, staff.principal.id)
    try:
        staff_service.set_language(db, user, language, actor=staff.actor)
    except DomainError as exc:
        db.rollback()
        return page(request, "account_password.html", status=http_status(exc), section="account", message=exc.message,
                    languages=languages())
    return RedirectResponse("/account/password?language=1", status_code=303)


@router.post("/account/password")
def change_password(
    request: Request,
    current: Annotated[str, Form(max_length=400)] = "",
    new: Annotated[str, Form(max_length=400)] = "",
    repeat: Annotated[str, Form(max_length=400)] = "",
    staff: Staff = Depends(current_staff),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    user = staff_service.get_user(db, staff.principal.id)
    try:
        staff_service.change_password(db, user, current, new, repeat, keep_session=staff.session_id)
    except DomainError as exc:
        db.rollback()
        return page(request, "account_password.html", status=http_status(exc), section="account", message=exc.message,
                    languages=languages())
    return RedirectResponse("/account/password?changed=1", status_code=303)
