"""Refusals on pages are pages: a friendly title and text per reason code, never a stack trace.

The JSON handlers of ``backoffice.errors`` keep answering under /api (and for
the card and phone pages' own errors, which render themselves).  A missing or
expired staff session sends the browser to the sign-in form, except for the
console's fragment and event-stream requests, which get a bare 401 their
script understands.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain_errors import DomainError
from ..errors import STORAGE_FULL_STATUS, http_status, is_storage_full, log_storage_full
from .render import page
from .staff_auth import SignInRequired

log = logging.getLogger(__name__)

FRIENDLY: dict[str, tuple[str, str]] = {
    "manager_only": ("Managers only", "Only a manager can open the back office. Ask a manager to sign in."),
    "kiosk_not_allowed": ("Not for kiosks", "A kiosk's device token cannot open staff pages."),
    "staff_only": ("Staff sign-in needed", "These pages need a staff sign-in, not an API key."),
    "csrf_failed": ("The form is out of date", "Reload the page and try again."),
    "not_found": ("Page not found", "There is nothing at this address. Check the link or go back."),
    "method_not_allowed": ("Not possible here", "This address does not accept that kind of request."),
    "invalid_request": ("Some fields are missing or wrong", "Go back, check the form and try again."),
    "login_rate_limited": ("Too many attempts", "Too many failed sign-ins. Wait a minute and try again."),
    "register_not_found": ("Unknown register", "This register does not exist (any more)."),
    "customer_not_found": ("Unknown customer", "This customer does not exist or has been deleted."),
    "sale_not_found": ("Unknown sale", "This sale does not exist."),
    "card_not_found": ("Unknown card", "No card has this code."),
    "batch_not_found": ("Unknown card batch", "This card batch does not exist."),
    "kiosk_not_found": ("Unknown kiosk", "This kiosk does not exist."),
    "staff_not_found": ("Unknown staff account", "This staff account does not exist."),
    "body_too_large": ("Too much data", "The form sent too much data at once."),
    "internal_error": ("Something went wrong", "Something went wrong on the server; it has been logged. Try again."),
    "storage_full": ("The server's disk is full", "Nothing was saved. Free some space on the server (or tell whoever "
                     "runs it), then try again."),
}
STATUS_CODES = {400: "invalid_request", 403: "csrf_failed", 404: "not_found", 405: "method_not_allowed"}
FRAGMENT_HEADER = "x-fragment"


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/healthz" or path.startswith("/static/"))


def _is_script_request(request: Request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1" or "text/event-stream" in request.headers.get("accept", "")


def error_page(request: Request, status: int, code: str, message: str = "") -> Response:
    title, text = FRIENDLY.get(code, ("That did not work", message or "The request was refused."))
    if code not in FRIENDLY and message:
        text = message
    if _is_script_request(request):
        return PlainTextResponse(text, status_code=status, headers={"X-Error-Code": code})
    response = page(request, "error.html", status=status, title=title, text=text, code=code)
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_in_redirect(request: Request, expired: bool) -> Response:
    if _is_script_request(request):
        return PlainTextResponse("Your session has ended; sign in again.", status_code=401,
                                 headers={"X-Error-Code": "session_expired"})
    if request.method == "GET":
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
    else:  # a form posted after the session ended: come back to the page that had the form
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc in ("", request.url.netloc)
        target = (referer.path or "/console") + ("?" + referer.query if referer.query else "") if same_site else "/console"
    location = "/login?next=" + quote(target if target.startswith("/") else "/console", safe="")
    return RedirectResponse(location + ("&expired=1" if expired else ""), status_code=303)


def install(app: FastAPI) -> None:
    """Put page-aware handlers in front of the JSON ones (call after ``install_error_handlers``)."""
    json_handlers = dict(app.exception_handlers)

    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return sign_in_redirect(request, exc.expired)

    async def domain_error(request: Request, exc: DomainError) -> Response:
        if not is_page_request(request):
            return await json_handlers[DomainError](request, exc)
        status = http_status(exc)
        if status == 401:
            return sign_in_redirect(request, exc.code == "session_expired")
        return error_page(request, status, exc.code, exc.message)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page_request(request):
            return await json_handlers[StarletteHTTPException](request, exc)
        return error_page(request, exc.status_code, STATUS_CODES.get(exc.status_code, "error"))

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not is_page_request(request):
            return await json_handlers[RequestValidationError](request, exc)
        return error_page(request, 422, "invalid_request")

    async def unexpected(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await json_handlers[Exception](request, exc)
        if is_storage_full(exc):
            log_storage_full(request, exc)
            return error_page(request, STORAGE_FULL_STATUS, "storage_full")
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        try:
            return error_page(request, 500, "internal_error")
        except Exception:  # the error page itself failed: still no traceback for the user
            log.exception("The error page failed too")
            return HTMLResponse("<h1>Something went wrong</h1><p>It has been logged. Try again.</p>", status_code=500)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(OperationalError, unexpected)
    app.add_exception_handler(OSError, unexpected)
