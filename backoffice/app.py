"""The FastAPI application: migrations on start, the API, the phone form, housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from counter_core import __version__

from .api import admin, console, customers, groups, kiosk, memberships, registrations, sales, verify
from .api.answers import Health
from .auth import secure_cookies
from .backup import serving
from .db import migrate
from .errors import error_body, install_error_handlers, is_storage_full
from .runtime import Runtime, redact_logs
from .services import customer_list, group_members, lockout, login_lockout
from .services import mail as mail_service
from .services import mobile as mobile_service
from .services import registrations as registration_service
from .services import retention as retention_service
from .settings import Settings, ensure_secret, load_settings
from .web import STATIC_DIR
from .web import errors as page_errors
from .web import routes as web_routes

log = logging.getLogger(__name__)
MAIL_INTERVAL_SECONDS = 5


class BodyLimit:
    """Refuse request bodies over the limit before they are read into memory.

    A declared Content-Length is checked up front; a chunked body is counted as
    it arrives, and whatever the app answers to the cut-off body is replaced
    by the 413.
    """

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        received = 0
        over = False
        refused = False

        async def limited_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message):
            nonlocal refused
            if not over:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(error_body("body_too_large", f"The request body is over {self.limit} bytes.")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


# Every page's scripts and styles come from /static: no inline script, style or event handler is needed,
# so none runs (an injected one included).  The group dots are SVG with a fill, not a style attribute.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs are FastAPI's Swagger UI: its script and styles come from a CDN and it
# configures itself in an inline script.  That page holds no personal data and is the only exception.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/api/docs", "/docs/oauth2-redirect")


class SecurityHeaders:
    """Headers on every answer: no sniffing, no framing, no referrer, the CSP; HSTS and Secure cookies on https.

    Whenever the server's base URL is https (or ``session_cookie_secure`` is
    set), every cookie it sets is marked ``Secure``, so that no cookie ever
    travels over plain http.
    """

    def __init__(self, app: ASGIApp, *, https: bool = False):
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CONTENT_SECURITY_POLICY if scope.get("path") in DOCS_PATHS else CONTENT_SECURITY_POLICY

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [
                    (name, _secure_cookie(value) if self.https and name.lower() == b"set-cookie" else value)
                    for name, value in message.get("headers", [])
                ]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", policy.encode()),
                ]
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _secure_cookie(value: bytes) -> bytes:
    attributes = [part.strip().lower() for part in value.split(b";")[1:]]
    return value if b"secure" in attributes else value + b"; Secure"


def housekeeping(rt: Runtime, *, retention: bool | None = None) -> None:
    """Expire and purge pending registrations and mobile sessions (with their personal data); prune old hits.

    Rows past their retention go too, once an hour (or when ``retention`` says so).
    """
    with rt.sessions() as db:
        expired = registration_service.purge(db) + mobile_service.purge(db)
        lockout.prune(db, rt.settings)
        login_lockout.prune(db)
        customer_list.fill_phone_endings(db, rt.vault)  # customers stored before migration 0005
        db.commit()
    if expired:
        rt.notifier.notify()
        log.info("Housekeeping expired %d registrations/sessions", expired)
    if retention if retention is not None else retention_service.due():
        with rt.sessions() as db:
            removed = retention_service.purge_old_rows(db, rt.settings)
            db.commit()
        if removed:
            log.info("Housekeeping removed rows past their retention: %s", removed)


def deliver_mail(rt: Runtime) -> None:
    """Send the e-mail that is due, if any (checked with a read first)."""
    with rt.read_sessions() as db:
        if not mail_service.has_work(db):
            return
    mail_service.deliver_due(rt.sessions, rt.settings)


def _log_round_failure(what: str, exc: Exception) -> None:
    if is_storage_full(exc):  # expected until someone frees space: one line, no traceback
        log.error("%s could not write: the disk is full; it tries again next round", what)
    else:
        log.exception("%s failed", what)


def refresh_groups(rt: Runtime) -> None:
    """Once a day (after the shop's midnight) re-evaluate every group: ages and membership dates move on.

    Checked with a read first, so that an idle server never takes SQLite's write lock for it.
    """
    with rt.read_sessions() as db:
        if not group_members.due_groups(db, group_members.last_midnight()):
            return
    with rt.sessions() as db:
        refreshed = group_members.refresh_due(db)
    if refreshed:
        rt.notifier.notify()
        log.info("Refreshed %d customer groups for the new day", len(refreshed))


async def _mail_loop(rt: Runtime) -> None:
    """Deliver queued e-mail (card links) and retry failures, for as long as the app runs."""
    while True:
        try:
            await run_in_threadpool(deliver_mail, rt)
        except Exception as exc:  # keep the loop alive; the next round retries
            _log_round_failure("Mail delivery", exc)
        await asyncio.sleep(MAIL_INTERVAL_SECONDS)


async def _housekeeping_loop(rt: Runtime) -> None:
    while True:
        try:
            await run_in_threadpool(housekeeping, rt)
        except Exception as exc:  # keep the loop alive; the next round retries
            _log_round_failure("Housekeeping", exc)
        try:
            await run_in_threadpool(refresh_groups, rt)
        except Exception as exc:  # keep the loop alive; the next round retries
            _log_round_failure("Refreshing customer groups", exc)
        await asyncio.sleep(rt.settings.purge_interval_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = ensure_secret(settings or load_settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_logs(settings.log_level)  # uvicorn has configured its loggers by now
        with contextlib.ExitStack() as stack:
            if settings.sqlite_path is not None:  # tells `backoffice restore` that a server has the file open
                stack.enter_context(serving(settings.sqlite_path))
            await run_in_threadpool(migrate, settings.database_url)
            rt = Runtime.build(settings)
            app.state.runtime = rt
            tasks = [asyncio.create_task(_housekeeping_loop(rt)), asyncio.create_task(_mail_loop(rt))]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                rt.engine.dispose()

    app = FastAPI(
        title="Counter kiosk backoffice",
        version=__version__,
        description="REST API for kiosks and POS integrations, the phone form and the cashier console.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    page_errors.install(app)
    for module in (kiosk, verify, sales, customers, memberships, groups, registrations, admin, console):
        app.include_router(module.router)
    app.include_router(web_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["health"], summary="Liveness and database check", response_model=Health,
             response_model_exclude_unset=True)
    def healthz() -> dict:
        rt: Runtime = app.state.runtime
        with rt.read_sessions() as db:
            db.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=secure_cookies(settings))
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several workers read the same environment)."""
    return create_app(load_settings())
