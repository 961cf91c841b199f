"""What every request handler needs: settings, database, vault and the event notifier; logs without personal data."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import permissions, shop_time
from .db import make_engine, make_sessionmaker, reader
from .security import Vault
from .settings import Settings


class Notifier:
    """Wakes long-polls and event streams in this process as soon as something is published.

    Other server processes are caught by the waiters' periodic re-check of the
    database, so a wake-up here is an optimisation, never the only path.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop closed
                pass

    async def wait(self, timeout: float) -> None:
        """Return when notified or after ``timeout`` seconds, whichever is first."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(entry)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    vault: Vault
    notifier: Notifier = field(default_factory=Notifier)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        shop_time.use_shop_zone(settings.shop_timezone)
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            read_sessions=make_sessionmaker(reader(engine)),
            vault=Vault(settings.secret_key),
        )


# --- Logs without personal data ------------------------------------------------------------------
#
# uvicorn's access log writes each request's path and query string, and the app
# logs paths and exceptions.  Paths carry the phone form's one-time tokens and
# card codes (/m/<token>, /c/<code>, /admin/cards/code/<code>), query strings
# carry what staff typed into a search (names, phone numbers, personal ID
# numbers).  Every record of uvicorn's loggers and of the app's handlers goes
# through ``RedactingFilter`` first: those path segments and the value of every
# query parameter not known to be harmless become "…", and anything in a
# message or traceback that looks like an e-mail address, a phone number or a
# personal ID number is masked.

HIDDEN = "…"
HARMLESS_QUERY = frozenset({"wait", "after", "lang", "expired", "bye", "choose", "changed", "page", "limit",
                            "register", "status", "marketing", "sort", "order", "kind"})
SECRET_PARAMS = ("token", "code")


def _secret_path_patterns() -> list[re.Pattern]:
    """A regex per route template with a secret segment; the secret is group 2."""
    patterns = {r"(/[mc]/)([^/?#\s\"']+)()"}  # also paths that match no route exactly
    for _, template in permissions.TABLE:
        if not any("{" + name in template for name in SECRET_PARAMS):
            continue
        head, _, tail = template.partition("{" + next(n for n in SECRET_PARAMS if "{" + n in template))
        tail = tail.split("}", 1)[1]
        literal = re.sub(r"\\\{[a-z_]+\\\}", "[^/?#]+", re.escape(head))
        patterns.add(f"({literal})([^/?#\\s\"']+)({re.escape(tail)})")
    return [re.compile(p, re.IGNORECASE) for p in sorted(patterns)]  # /M/<token> reaches no route, but is a token


_SECRET_PATHS = _secret_path_patterns()
_PERSONAL = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"(?<![\w/])\+\d[\d ()-]{6,18}\d"),  # phone numbers in E.164
    re.compile(r"\b\d{6,8}[-+]\d{4}\b"),  # personal ID numbers (YYMMDD-NNNN, YYYYMMDD-NNNN)
    re.compile(r"(?<![\w.])0\d{1,3}[- ]?\d{2,3}[- ]?\d{2}[- ]?\d{2,3}\b"),  # national phone numbers (070 123 45 67)
    re.compile(r"\b\d{10,12}\b"),  # long digit runs: personal ID or phone numbers without separators
]


def redact_path(path: str) -> str:
    """A request path (with its query string) fit for a log: secret segments and query values hidden."""
    path, question, query = path.partition("?")
    for pattern in _SECRET_PATHS:
        path = pattern.sub(lambda m: m.group(1) + HIDDEN + m.group(3), path)
    if not question:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = "&".join(f"{quote(key)}={quote(value) if key in HARMLESS_QUERY else HIDDEN}" for key, value in pairs)
    return f"{path}?{shown}" if pairs else path + question


def redact_text(text: str) -> str:
    """Free text (a message, a traceback) with secret path segments and personal identifiers masked."""
    for pattern in _SECRET_PATHS:
        text = pattern.sub(lambda m: m.group(1) + HIDDEN + m.group(3), text)
    text = re.sub(r"(\?)([^\s\"'?#]+=[^\s\"'#]*)", lambda m: m.group(1) + redact_path("?" + m.group(2))[1:]
                  if m.group(1) else m.group(0), text)
    for pattern in _PERSONAL:
        text = pattern.sub(HIDDEN, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no token, card code, search term or identifier reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        record._redacted = True
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            record.args = (client, method, redact_path(str(path)), version, status)
            return True
        if isinstance(args, tuple):
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict):
            record.args = {k: redact_text(v) if isinstance(v, str) else v for k, v in args.items()}
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


_FILTER = RedactingFilter()
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact_logs(level: str | int = logging.INFO) -> None:
    """Put the redacting filter on uvicorn's loggers and on every handler the app's records reach.

    Called when the app starts serving (uvicorn has set up its logging by
    then).  A worker process that nobody gave a root handler gets one, so that
    the app's own warnings and errors are written in the usual format, filtered.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        root.setLevel(level if isinstance(level, int) else logging.INFO)
    loggers = [root] + [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
