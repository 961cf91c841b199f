"""The durable outbox: what a customer submitted while the backoffice was unreachable.

Each entry is committed to an SQLite file (WAL, synchronous=FULL) before the
screen says "saved", with the idempotency key it will be sent with; the
server applies a key once, so an entry sent, then re-sent after a crash
before it was deleted, still counts once.  A delivered entry is deleted
at once: the kiosk keeps no personal data after it has been handed over.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import BackofficeUnavailable, KioskError, NotPaired, RateLimited, Rejected

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    key: str
    payload: dict
    created_at: float
    attempts: int


class Outbox:
    """A small persistent queue; safe to use from several threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # A delivered entry's bytes are overwritten, not just unlinked: no personal data stays in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(SCHEMA)

    def add(self, kind: str, payload: dict, key: str) -> int:
        """Store a submission durably; adding the same key twice keeps the first."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (kind, idempotency_key, payload, created_at) VALUES (?, ?, ?, ?)",
                (kind, key, json.dumps(payload, separators=(",", ":")), time.time()),
            )
            row = self._db.execute("SELECT id FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
        return row[0]

    def entries(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, idempotency_key, payload, created_at, attempts FROM outbox ORDER BY id"
            ).fetchall()
        return [Entry(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def delivered(self, entry_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
            if not self._db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone():
                # the WAL still holds old page images: fold it back and empty it
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def failed_attempt(self, entry_id: int, error: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", (error[:200], entry_id)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


class OutboxSender:
    """Sends outbox entries in order whenever the backoffice answers; never drops one for a network error."""

    def __init__(
        self,
        outbox: Outbox,
        send: Callable[[str, dict, str], object],
        *,
        on_delivered: Callable[[Entry, object], None] | None = None,
        interval: float = 5.0,
        max_interval: float = 60.0,
    ):
        self.outbox = outbox
        self.send = send
        self.on_delivered = on_delivered
        self.interval = interval
        self.max_interval = max_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.pause_until = 0.0
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)

    def start(self) -> OutboxSender:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def wake(self) -> None:
        """Try now (e.g. when the backoffice answered again or an entry was added)."""
        self._wake.set()

    def flush(self) -> int:
        """Send every entry once, in order; return how many were delivered. Stops at the first outage."""
        delivered = 0
        for entry in self.outbox.entries():
            try:
                answer = self.send(entry.kind, entry.payload, entry.key)
            except BackofficeUnavailable as exc:
                self.outbox.failed_attempt(entry.id, str(exc))
                break
            except NotPaired:
                raise
            except RateLimited as exc:
                # "not now" is not "never": keep it, and wait as long as the backoffice asks
                self.outbox.failed_attempt(entry.id, f"rate limited for {exc.retry_after:.0f} s")
                self.pause_until = time.monotonic() + exc.retry_after
                break
            except Rejected as exc:
                # A refusal will not change on retry (e.g. invalid data): drop it, keep a note without personal data.
                log.error("Outbox entry %s (%s) refused: %s; dropped", entry.id, entry.kind, exc.code)
                self.outbox.delivered(entry.id)
                continue
            except KioskError as exc:
                self.outbox.failed_attempt(entry.id, str(exc))
                break
            self.outbox.delivered(entry.id)
            delivered += 1
            if self.on_delivered:
                self.on_delivered(entry, answer)
        return delivered

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            if not self.outbox.count():
                delay = self.interval
                continue
            if time.monotonic() < self.pause_until:
                delay = self.pause_until - time.monotonic()
                continue
            try:
                self.flush()
            except NotPaired:
                log.error("Outbox paused: this kiosk is not paired any more")
            except Exception:  # keep sending later; never lose the thread
                log.exception("Outbox sending failed")
            delay = self.interval if not self.outbox.count() else min(delay * 2, self.max_interval)
