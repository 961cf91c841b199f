"""Every refusal the API gives: a status, a stable reason code and a message for a person.

Services raise the domain errors of :mod:`backoffice.domain_errors`; the one
handler here maps each kind to its HTTP status (:data:`HTTP_STATUS`) and
answers ``{"error": {"code", "message", ...details}}``.
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .domain_errors import (
    Conflict,
    DomainError,
    Failed,
    Forbidden,
    Gone,
    Invalid,
    Locked,
    MalformedRequest,
    NotFound,
    NotSignedIn,
    RateLimited,
)

log = logging.getLogger(__name__)

# Each kind of domain error and the status it is answered with (a subclass inherits its parent's).
HTTP_STATUS: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    NotSignedIn: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    Invalid: 422,
    RateLimited: 429,
    Locked: 429,  # kiosks and the console treat a lockout like a rate limit that a person lifts
    Failed: 500,
}


class ApiError(DomainError):
    """A refusal whose HTTP status is the point (the request layer: sign-in, CSRF, tokens).

    Services raise the domain errors instead; this stays for the HTTP layer and
    for code written before them.
    """

    def __init__(self, status: int, code: str, message: str, **extra: object):
        super().__init__(code, message, **extra)
        self.status = status


def http_status(exc: DomainError) -> int:
    """The HTTP status a domain error is answered with."""
    if isinstance(exc, ApiError):
        return exc.status
    for kind in type(exc).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 400


def error_body(code: str, message: str, **extra: object) -> dict:
    body: dict = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return {"error": body}


_STATUS_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Sign in or send a valid token."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "There is nothing here."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("body_too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send JSON with Content-Type: application/json."),
    429: ("rate_limited", "Too many requests; wait a moment and try again."),
    503: ("unavailable", "The server cannot answer just now; try again shortly."),
}


SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
STORAGE_FULL_MESSAGE = (
    "The server's disk is full, so nothing was saved. Free some space on the server (or tell whoever runs it), "
    "then try again."
)
STORAGE_RETRY_SECONDS = 30
# A full disk is answered 503, not 507: kiosks retry a 503 from their outbox, so nothing a customer
# submitted is lost, and it goes through once there is space again.
STORAGE_FULL_STATUS = 503


def is_storage_full(exc: BaseException | None) -> bool:
    """Whether an error (or what caused it) is a full disk: SQLite's SQLITE_FULL, PostgreSQL's 53100, ENOSPC."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_FULL
                                               or "database or disk is full" in str(exc)):
            return True
        if getattr(exc, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def log_storage_full(request: Request, exc: BaseException) -> None:
    log.error("Storage full: %s %s was not saved (%s: %s)", request.method, request.url.path,
              type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")


def domain_error_response(exc: DomainError) -> JSONResponse:
    """The JSON answer to a domain error: its status, ``{"error": {code, message, ...}}``, Retry-After if known."""
    headers = {}
    if exc.extra.get("retry_after") is not None:
        headers["Retry-After"] = str(int(exc.extra["retry_after"]))
    return JSONResponse(error_body(exc.code, exc.message, **exc.extra), status_code=http_status(exc), headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        out.append({"field": ".".join(location), "message": err.get("msg", "invalid"), "type": err.get("type")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _field_errors(exc)
        if any(f["type"] == "json_invalid" for f in fields):
            return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."), status_code=400)
        summary = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields[:5])
        return JSONResponse(
            error_body("invalid_request", f"Some fields are missing or wrong ({summary}).", fields=fields),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _STATUS_CODES.get(exc.status_code, ("error", "The request was refused."))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
            message = exc.detail
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_storage_full(exc):
            return _storage_full(request, exc)
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on the server; it has been logged."),
            status_code=500,
        )

    # Registered apart from Exception, whose handler Starlette runs outermost and then re-raises (a
    # traceback per request): a full disk is expected, said once in the log, and answered plainly.
    @app.exception_handler(OperationalError)
    @app.exception_handler(OSError)
    async def _database_or_file_error(request: Request, exc: Exception) -> JSONResponse:
        return await _unexpected(request, exc)


def _storage_full(request: Request, exc: BaseException) -> JSONResponse:
    log_storage_full(request, exc)
    return JSONResponse(
        error_body("storage_full", STORAGE_FULL_MESSAGE, retry_after=STORAGE_RETRY_SECONDS),
        status_code=STORAGE_FULL_STATUS,
        headers={"Retry-After": str(STORAGE_RETRY_SECONDS)},
    )
