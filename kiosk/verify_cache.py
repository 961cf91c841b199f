"""The venue scanner's offline list: customer codes → first name and groups, signed by the backoffice.

The backoffice signs the list with HMAC-SHA256 keyed by the SHA-256 of this
kiosk's device token (which the kiosk knows and the server stores), so a list
altered in transit, or one meant for another kiosk, is refused.  Once
checked it is kept in an SQLite file in the state directory (0600), one row
per code with its own HMAC, so a door with a million customers looks a code
up from disk in well under a millisecond without holding the list in memory,
and a row altered on disk is not believed.  It holds no more than the screen
shows (first name, group ids, an opaque reference) and is deleted when the
kiosk is unpaired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from counter_core.offline_list import HEADER_FIELDS, VERSION, ListRefused, lookup_key, read_list, signature_key

log = logging.getLogger(__name__)
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (code TEXT PRIMARY KEY, reference TEXT NOT NULL, first_name TEXT NOT NULL,
                      groups TEXT NOT NULL, mac BLOB NOT NULL) WITHOUT ROWID;
"""


# The wire format is shared with the backoffice; a refused list is CacheRefused here.
CacheRefused = ListRefused


@dataclass(frozen=True)
class VerifyAnswer:
    result: str  # success | warning | unknown | unavailable
    first_name: str = ""
    groups: tuple[dict, ...] = ()
    reference: str = ""
    offline: bool = False


class VerifyCache:
    """Check, store and answer from the offline list."""

    def __init__(self, path: Path, token: str, clock=lambda: dt.datetime.now(dt.UTC)):
        self.path = Path(path)
        self.token = token
        self.clock = clock
        self._key = hashlib.sha256(b"row:" + signature_key(token)).digest()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._meta: dict = {}

    # -------------------------------------------------------------- storing

    def load(self) -> bool:
        """Open the stored list; an unreadable one is deleted. True when a list is in use."""
        if not self.path.exists():
            return False
        try:
            db = sqlite3.connect(self.path, check_same_thread=False)
            meta = {name: json.loads(value) for name, value in db.execute("SELECT name, value FROM meta")}
            self._check_meta(meta)
        except (sqlite3.Error, ValueError, CacheRefused) as exc:
            log.error("Offline list unreadable and deleted: %s", exc)
            self.wipe()
            return False
        with self._lock:
            self._close()
            self._db, self._meta = db, meta
        return True

    def store(self, source: bytes | Iterable[bytes], etag: str = "") -> int:
        """Check a downloaded list as it streams in, then replace the stored one atomically (0600).

        ``source`` is the list's bytes or its chunks as they arrive; memory stays flat however long
        the list.  A list that is refused leaves the stored one as it was.  Returns the codes stored.
        """
        header, entries = read_list(source, self.token)
        meta = {**{k: header[k] for k in HEADER_FIELDS}, "version": VERSION, "etag": etag}
        return self._write(meta, entries)

    def _write(self, meta: dict, entries: Iterable[tuple[str, str, list, str]]) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".new")
        if tmp.exists():
            tmp.unlink()
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
        db = sqlite3.connect(tmp, check_same_thread=False)
        try:  # a new file that is thrown away unless finished: no journal needed while it is written
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            rows = ((code, reference, first_name, f"[{','.join(map(str, groups))}]")
                    for code, first_name, groups, reference in entries)
            db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", (self._signed(r) for r in rows))
            db.commit()
            count = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        except BaseException:
            db.close()
            tmp.unlink(missing_ok=True)
            raise
        db.close()
        os.replace(tmp, self.path)
        self.load()
        return count

    def _signed(self, row: tuple) -> tuple:
        code, reference, first_name, groups = row
        return code, reference, first_name, groups, self._mac(code, reference, first_name, groups)

    def _mac(self, *parts: str) -> bytes:
        # keyed BLAKE2b is a MAC of its own, and a third of HMAC's cost on a million rows
        return hashlib.blake2b("\x1f".join(parts).encode(), key=self._key, digest_size=16).digest()

    @staticmethod
    def _check_meta(meta: dict) -> None:
        if meta.get("version") != VERSION or "expires_at" not in meta:
            raise CacheRefused("not an offline list this kiosk wrote")

    def wipe(self) -> None:
        with self._lock:
            self._close()
            self._meta = {}
        for path in (self.path, self.path.with_suffix(".new"), Path(f"{self.path}-journal")):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -------------------------------------------------------------- reading

    @property
    def loaded(self) -> bool:
        return self._db is not None

    @property
    def etag(self) -> str:
        return self._meta.get("etag", "")

    @property
    def expired(self) -> bool:
        if not self._meta:
            return True
        return self.clock() >= dt.datetime.fromisoformat(self._meta["expires_at"])

    @property
    def size(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] if self._db else 0

    def answer(self, identity, selected: list[int] | None) -> VerifyAnswer:
        """What the door says for a scanned code, from the list alone."""
        if self._db is None or self.expired:
            return VerifyAnswer("unavailable", offline=True)
        key = lookup_key(identity)
        with self._lock:
            row = self._db.execute("SELECT * FROM entries WHERE code = ?", (key,)).fetchone() if key else None
        if row is None:
            return VerifyAnswer("unknown", offline=True)
        code, reference, first_name, group_json, mac = row
        if not hmac.compare_digest(mac, self._mac(code, reference, first_name, group_json)):
            log.error("Offline list row for a scanned code was altered on disk; not believed")
            return VerifyAnswer("unavailable", offline=True)
        known = self._meta.get("groups", {})
        groups = tuple({"id": int(g), **known[str(g)]} for g in json.loads(group_json) if str(g) in known)
        wanted = selected if selected is not None else self._meta.get("selected_group_ids")
        # None is "all groups"; an empty selection selects nothing
        wanted_ids = {int(g) for g in wanted} if wanted is not None else {int(g) for g in known}
        matched = any(g["id"] in wanted_ids for g in groups)
        return VerifyAnswer("success" if matched else "warning", first_name, groups, reference, offline=True)
