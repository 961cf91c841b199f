"""Who is calling: a kiosk (device token), a POS integration (API key) or staff (session cookie).

Each endpoint states which of these it accepts, and the permission table
(``backoffice.permissions``) says which roles may call it; anything else is
refused with a reason code.  A kiosk token only ever opens the kiosk endpoints.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from . import permissions
from .errors import ApiError
from .models import ApiKey, Kiosk, StaffSession, StaffUser, utcnow
from .runtime import Runtime
from .security import hash_token, tokens_equal
from .settings import Settings

SESSION_COOKIE = "bo_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LAST_SEEN_EVERY = 30.0


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure when the server is reached over https (its base URL), or when the setting says so."""
    return settings.session_cookie_secure or settings.base_url.lower().startswith("https://")


@dataclass(frozen=True)
class Principal:
    kind: str  # kiosk | api_key | staff
    id: int
    name: str
    role: str = ""  # staff: cashier | manager
    register_id: int | None = None
    csrf_token: str = ""

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def is_manager(self) -> bool:
        return self.kind == "api_key" or self.role == "manager"


async def runtime(request: Request) -> Runtime:
    """The app's runtime (async: FastAPI then calls it without a thread hop)."""
    return request.app.state.runtime


def db_session(rt: Runtime = Depends(runtime)):
    with rt.sessions() as db:
        yield db


def read_db_session(rt: Runtime = Depends(runtime)):
    with rt.read_sessions() as db:
        yield db


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-key")


class _LastSeen:
    """Throttles kiosk last-seen writes to one per kiosk every LAST_SEEN_EVERY seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written: dict[int, float] = {}

    def due(self, kiosk_id: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._written.get(kiosk_id, 0.0) < LAST_SEEN_EVERY:
                return False
            self._written[kiosk_id] = now
            return True


_last_seen = _LastSeen()


def authenticate(request: Request, rt: Runtime) -> Principal:
    """Resolve the caller from a bearer token or a staff session cookie; raise 401 if none is valid."""
    token = _bearer(request)
    if token:
        return _from_token(rt, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = staff_from_cookie(rt, cookie)
        if principal is not None:
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not sent or not tokens_equal(sent, principal.csrf_token):
                    raise ApiError(403, "csrf_failed", "The form is out of date; reload the page and try again.")
            return principal
        raise ApiError(401, "session_expired", "Your session has ended; sign in again.")
    raise ApiError(401, "unauthorized", "Send a device token, an API key or sign in.")


_KIOSK_BY_TOKEN = select(Kiosk.id, Kiosk.name, Kiosk.register_id, Kiosk.revoked_at).where(
    Kiosk.token_hash == bindparam("digest")
)


def _from_token(rt: Runtime, token: str) -> Principal:
    digest = hash_token(token)
    with rt.read_sessions() as db:
        if token.startswith("kd_"):
            kiosk = db.connection().execute(_KIOSK_BY_TOKEN, {"digest": digest}).first()
            if kiosk is None:
                raise ApiError(401, "invalid_token", "This device token is not known; pair the kiosk again.")
            if kiosk.revoked_at is not None:
                raise ApiError(401, "token_revoked", "This kiosk has been unpaired; pair it again.")
            principal = Principal("kiosk", kiosk.id, kiosk.name, register_id=kiosk.register_id)
        elif token.startswith("pk_"):
            key = db.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
            if key is None:
                raise ApiError(401, "invalid_token", "This API key is not known.")
            if key.revoked_at is not None:
                raise ApiError(401, "token_revoked", "This API key has been revoked.")
            principal = Principal("api_key", key.id, key.name)
        else:
            raise ApiError(401, "invalid_token", "This token is not known.")
    return principal


def write_last_seen(rt: Runtime, kiosk_id: int) -> None:
    """Record when a kiosk was last heard from (callers throttle with ``_last_seen.due``).

    A write: on SQLite it queues behind the current writer, so it never runs on
    the event loop, where waiting would also hold up the writer it waits for
    (a unit of work commits after its route, on the loop's schedule).
    """
    with rt.sessions() as db:
        db.execute(Kiosk.__table__.update().where(Kiosk.id == kiosk_id).values(last_seen_at=utcnow()))
        db.commit()


def staff_from_cookie(rt: Runtime, cookie: str) -> Principal | None:
    with rt.read_sessions() as db:
        row = db.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.id == hash_token(cookie))
        ).first()
        if row is None:
            return None
        session, user = row
        if session.expires_at <= utcnow() or user.disabled_at is not None:
            return None
        return Principal(
            "staff", user.id, user.username, role=user.role, register_id=user.register_id, csrf_token=session.csrf_token
        )


def start_session(db: Session, user: StaffUser, max_age: int) -> tuple[str, str]:
    """Create a staff session; return (cookie value, CSRF token)."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    db.add(
        StaffSession(
            id=hash_token(cookie),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + dt.timedelta(seconds=max_age),
        )
    )
    return cookie, csrf


def end_session(db: Session, cookie: str) -> None:
    session = db.get(StaffSession, hash_token(cookie))
    if session is not None:
        db.delete(session)


def check_permission(request: Request, principal: Principal) -> None:
    """Refuse (403) a caller whose role the permission table does not admit on this route."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root):  # behind a proxy's prefix: the route's own path
        path = path[len(root):]
    refused = permissions.refusal(request.method, path, permissions.role_of(principal.kind, principal.role))
    if refused is not None:
        raise ApiError(403, *refused)


def require(*kinds: str, manager: bool = False):
    """A dependency accepting only the given caller kinds (and, for staff, the manager role).

    The permission table is checked first; the kinds named here are a second
    line that must agree with it (tests/backoffice/test_permissions.py).
    """

    async def dependency(request: Request, rt: Runtime = Depends(runtime)) -> Principal:
        # One indexed read, run on the event loop: a worker-thread hop would
        # cost more than the query on the hot paths (identify, long-polls).
        principal = authenticate(request, rt)
        check_permission(request, principal)
        if principal.kind == "kiosk" and _last_seen.due(principal.id):
            await run_in_threadpool(write_last_seen, rt, principal.id)
        if principal.kind not in kinds:
            if principal.kind == "kiosk":
                raise ApiError(403, "kiosk_not_allowed", "A kiosk token may only use the kiosk endpoints.")
            raise ApiError(403, "forbidden", "Your credentials do not allow this.")
        if manager and not principal.is_manager:
            raise ApiError(403, "manager_only", "Only a manager may do this.")
        request.state.principal = principal
        return principal

    return dependency


kiosk_only = require("kiosk")
staff_or_pos = require("staff", "api_key")
manager_or_pos = require("staff", "api_key", manager=True)
