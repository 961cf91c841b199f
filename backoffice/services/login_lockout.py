"""A growing lockout for staff sign-in: per typed username and per client address, counted in the database.

Every wrong sign-in (unknown user, wrong password, disabled account: the
caller cannot tell them apart) adds one to two buckets: the username as typed
and the client's address, both stored as hashes.  The first
``login_free_failures`` of a username cost nothing; each further one locks the
username for ``login_lockout_seconds``, doubled every time, up to
``login_lockout_max_seconds``.  An address gets ``ADDRESS_FACTOR`` times as many
free attempts, because the tills of one shop share an address, and then the
same growth.  While a bucket is locked, sign-ins are refused (429) before any
password is checked, even the right one.  A successful sign-in clears the
username's and the address's counts; a bucket with no failure for
``FORGET_AFTER`` starts again, and housekeeping deletes it.

With the defaults a single username can be tried about 5 + 7 times in the
first two hours and then about once an hour, some 35 times a day, where the
sliding per-minute throttle of before allowed 14,400.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..domain_errors import RateLimited
from ..models import LoginFailure, utcnow
from ..settings import Settings

ADDRESS_FACTOR = 5
FORGET_AFTER = dt.timedelta(hours=24)
# The refusals' texts (the sign-in page shows them in the staff language: web/login.py)
LOCKED_USER = "Too many failed sign-ins for this user. Try again in {wait}."
LOCKED_DEVICE = "Too many failed sign-ins from this device. Try again in {wait}."


def user_bucket(username: str) -> str:
    return "u:" + hashlib.sha256(username.strip().lower()[:80].encode()).hexdigest()[:64]


def address_bucket(address: str) -> str:
    return "a:" + hashlib.sha256(address[:100].encode()).hexdigest()[:64]


def lock_seconds(failures: int, free: int, settings: Settings) -> int:
    """How long a bucket is locked after its ``failures``-th failure (0: not locked)."""
    if free <= 0 or failures < free:
        return 0
    doublings = min(failures - free, 30)
    return min(settings.login_lockout_seconds * 2**doublings, settings.login_lockout_max_seconds)


def _free(bucket: str, settings: Settings) -> int:
    free = settings.login_free_failures
    return free * ADDRESS_FACTOR if bucket.startswith("a:") else free


def duration(seconds: int) -> tuple[int, str]:
    """A wait as (count, English unit text with {count}), rounded up: 45 seconds, 3 minutes, 2 hours."""
    if seconds < 90:
        return seconds, "{count} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return minutes, "{count} minutes"
    return math.ceil(minutes / 60), "{count} hours"


def _insert(db: Session):
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def reserve(db: Session, settings: Settings, username: str, address: str) -> None:
    """Count a sign-in attempt against both buckets as a failure in advance, or refuse (429) while one is locked.

    Called before the password is checked, and committed by the caller: the
    count and the lock an attempt earns are in place before the next attempt
    is counted (one statement per bucket; SQLite's writers queue, PostgreSQL
    holds the row), so guesses sent in parallel meet the lock too.  A refused
    attempt is rolled back, not counted.  A success then calls ``clear``.
    """
    if settings.login_free_failures <= 0:
        return
    now = utcnow()
    table = LoginFailure.__table__
    insert = _insert(db)
    locked: list[tuple[str, dt.datetime]] = []
    for bucket in (user_bucket(username), address_bucket(address)):
        statement = insert(table).values(bucket=bucket, failures=1, last_failed_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={"failures": _case_stale(table, now - FORGET_AFTER), "last_failed_at": now},
        ).returning(table.c.failures, table.c.locked_until)
        failures, locked_until = db.execute(statement).one()
        if locked_until is not None and locked_until > now:
            locked.append((bucket, locked_until))
            continue
        seconds = lock_seconds(failures, _free(bucket, settings), settings)
        if seconds:
            db.execute(update(LoginFailure).where(LoginFailure.bucket == bucket)
                       .values(locked_until=now + dt.timedelta(seconds=seconds)))
    if locked:
        db.rollback()
        until = max(when for _, when in locked)
        wait = max(1, math.ceil((until - now).total_seconds()))
        who = "user" if any(bucket.startswith("u:") for bucket, _ in locked) else "device"
        text = LOCKED_USER if who == "user" else LOCKED_DEVICE
        count, unit = duration(wait)
        raise RateLimited("login_rate_limited", text.format(wait=unit.format(count=count)), retry_after=wait,
                          locked=who)


def _case_stale(table, stale: dt.datetime):
    return case((table.c.last_failed_at < stale, 1), else_=table.c.failures + 1)


def clear(db: Session, username: str, address: str | None = None) -> None:
    """Forget the failures of a username (after a successful sign-in or a manager's reset) and of an address."""
    buckets = [user_bucket(username)] + ([address_bucket(address)] if address is not None else [])
    db.execute(delete(LoginFailure).where(LoginFailure.bucket.in_(buckets)))


def prune(db: Session) -> int:
    """Delete the buckets nobody has failed in for a day (their locks ended long ago)."""
    return db.execute(delete(LoginFailure).where(LoginFailure.last_failed_at < utcnow() - FORGET_AFTER)).rowcount or 0
