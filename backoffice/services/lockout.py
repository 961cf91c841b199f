"""Limits on what a kiosk may look up: a rate per minute, and a lockout after many misses.

Every identify (and every start of a Via-mobile visit and every phone-form
lookup) counts against two buckets in ``rate_limit_hits``:
the kiosk's and its register's, so that pairing a second kiosk to a register
does not double what can be tried there.  Misses (not found, invalid numbers)
are counted apart; too many of them in the window lock the kiosk (or the whole
register) out for a while, the cashier console gets a prompt, and a manager
can lift the lock from the devices page.  Registrations are not limited: they
look nothing up.  Hits live in the database so that every server process sees
them; housekeeping prunes them.

A lock is a row in the same table: bucket ``identify:lock:k:<kiosk>`` or
``identify:lock:r:<register>``, with ``at`` holding the time it ends.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import bindparam, case, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from ..errors import ApiError
from ..models import Kiosk, RateLimitHit, utcnow
from ..settings import Settings
from . import audit, events

MINUTE = dt.timedelta(minutes=1)
LOCK_PREFIX = "identify:lock:"
ADVISORY_NAMESPACE = 0x6B696F  # "kio": keeps our advisory locks apart from anybody else's


def _kiosk_bucket(kiosk_id: int) -> str:
    return f"identify:k:{kiosk_id}"


def _register_bucket(register_id: int) -> str:
    return f"identify:r:{register_id}"


def _lock_bucket(bucket: str) -> str:
    return LOCK_PREFIX + bucket.split(":", 1)[1]


@dataclass(frozen=True)
class Standing:
    """What one bucket has done lately."""

    calls_last_minute: int = 0
    oldest_call: dt.datetime | None = None
    misses: int = 0
    locked_until: dt.datetime | None = None


def _serialise(db: Session, register_id: int) -> None:
    """On PostgreSQL, one register's checks run one at a time (SQLite's writers already do)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": ADVISORY_NAMESPACE, "key": register_id})


# Prebuilt and parametrised (building it costs more than running it on the bucket index): every identify
# reads both buckets' calls in the last minute, misses in the window and any lock in one query.
_IS_CALL = RateLimitHit.at > bindparam("minute_ago")
_STANDINGS = (
    select(
        RateLimitHit.bucket,
        func.sum(case((_IS_CALL, 1), else_=0)),
        func.min(case((_IS_CALL, RateLimitHit.at), else_=None)),
        func.sum(case((RateLimitHit.failed & (RateLimitHit.at > bindparam("window_start")), 1), else_=0)),
        func.max(RateLimitHit.at),
    )
    .where(RateLimitHit.bucket.in_(bindparam("buckets", expanding=True)), RateLimitHit.at > bindparam("since"))
    .group_by(RateLimitHit.bucket)
)
_INSERT_HIT = insert(RateLimitHit.__table__)


def _standings(db: Session, settings: Settings, kiosk_id: int, register_id: int) -> dict[str, Standing]:
    """Both buckets' calls, misses and locks in one indexed query."""
    now = utcnow()
    minute_ago = now - MINUTE
    window_start = now - dt.timedelta(seconds=settings.identify_lockout_window_seconds)
    buckets = [_kiosk_bucket(kiosk_id), _register_bucket(register_id)]
    locks = [_lock_bucket(b) for b in buckets]
    params = {"minute_ago": minute_ago, "window_start": window_start, "buckets": buckets + locks,
              "since": min(minute_ago, window_start)}
    rows = {row[0]: row for row in db.connection().execute(_STANDINGS, params)}
    out = {}
    for bucket, lock in zip(buckets, locks, strict=True):
        row = rows.get(bucket)
        lock_row = rows.get(lock)
        until = lock_row[4] if lock_row is not None and lock_row[4] > now else None
        out[bucket] = Standing(
            calls_last_minute=int(row[1] or 0) if row else 0,
            oldest_call=row[2] if row else None,
            misses=int(row[3] or 0) if row else 0,
            locked_until=until,
        )
    return out


def _seconds_until(moment: dt.datetime) -> int:
    return max(1, math.ceil((moment - utcnow()).total_seconds()))


def admit(db: Session, settings: Settings, *, kiosk_id: int, register_id: int) -> None:
    """Refuse (429) a kiosk that is locked out or over its rate; else let the lookup go ahead.

    Call inside the transaction that does the lookup and then ``record`` its
    outcome, so that a refused or failed request leaves no trace.
    """
    _serialise(db, register_id)
    standings = _standings(db, settings, kiosk_id, register_id)
    locked = [s.locked_until for s in standings.values() if s.locked_until]
    if locked:
        until = max(locked)
        raise ApiError(
            429, "locked_out",
            "There have been too many attempts at this kiosk. Ask the cashier; a manager can lift the lock.",
            retry_after=_seconds_until(until), until=until.isoformat(timespec="seconds"),
        )
    limit = settings.identify_rate_per_minute
    if limit <= 0:
        return
    for standing in standings.values():
        if standing.calls_last_minute >= limit:
            retry = _seconds_until(standing.oldest_call + MINUTE) if standing.oldest_call else 60
            raise ApiError(
                429, "rate_limited", "Too many look-ups at this kiosk; wait a moment and try again.", retry_after=retry
            )


def record(
    db: Session, settings: Settings, *, kiosk_id: int, kiosk_name: str, register_id: int, missed: bool
) -> dt.datetime | None:
    """Count one lookup; a miss that reaches the limit locks the kiosk or register out. Returns the lock's end."""
    now = utcnow()
    buckets = (_kiosk_bucket(kiosk_id), _register_bucket(register_id))
    db.connection().execute(_INSERT_HIT, [{"bucket": b, "at": now, "failed": missed} for b in buckets])
    if not missed or settings.identify_lockout_failures <= 0:
        return None
    standings = _standings(db, settings, kiosk_id, register_id)
    tripped = [b for b in buckets if standings[b].misses >= settings.identify_lockout_failures
               and standings[b].locked_until is None]
    if not tripped:
        return None
    until = now + dt.timedelta(seconds=settings.identify_lockout_seconds)
    db.add_all([RateLimitHit(bucket=_lock_bucket(b), at=until, failed=True) for b in tripped])
    scope = "register" if _register_bucket(register_id) in tripped else "kiosk"
    events.publish(
        db, register_id, "kiosk_locked_out", kiosk=kiosk_id, kiosk_name=kiosk_name, scope=scope,
        until=until.isoformat(timespec="seconds"),
    )
    audit.record(db, f"kiosk:{kiosk_name}", "kiosk_locked_out", kiosk=kiosk_id, scope=scope,
                 seconds=settings.identify_lockout_seconds)
    return until


def record_apart(sessions, settings: Settings, **kwargs) -> None:
    """``record`` in a transaction of its own (the lookup's transaction was rolled back)."""
    with sessions() as db:
        record(db, settings, **kwargs)
        db.commit()


def locked_until(db: Session, kiosk: Kiosk) -> dt.datetime | None:
    """When this kiosk's lock (its own or its register's) ends, or None."""
    locks = [_lock_bucket(_kiosk_bucket(kiosk.id)), _lock_bucket(_register_bucket(kiosk.register_id))]
    stmt = select(func.max(RateLimitHit.at)).where(RateLimitHit.bucket.in_(locks), RateLimitHit.at > utcnow())
    return db.execute(stmt).scalar_one_or_none()


def lift(db: Session, kiosk: Kiosk, *, actor: str) -> bool:
    """A manager lifts the lock on a kiosk (and its register) and forgives the misses. True if one was on."""
    was_locked = locked_until(db, kiosk) is not None
    buckets = [_kiosk_bucket(kiosk.id), _register_bucket(kiosk.register_id)]
    db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.in_(buckets + [_lock_bucket(b) for b in buckets])))
    events.publish(db, kiosk.register_id, "kiosk_lockout_lifted", kiosk=kiosk.id, kiosk_name=kiosk.name)
    audit.record(db, actor, "kiosk_lockout_lifted", kiosk=kiosk.id, was_locked=was_locked)
    return was_locked


def active_lockouts(db: Session, register_id: int) -> list[dict]:
    """The locks on a register's kiosks that are still on, as the console shows them."""
    out = []
    stmt = select(Kiosk).where(Kiosk.register_id == register_id, Kiosk.revoked_at.is_(None)).order_by(Kiosk.id)
    for kiosk in db.execute(stmt).scalars():
        until = locked_until(db, kiosk)
        if until is not None:
            out.append({"kiosk": kiosk.id, "kiosk_name": kiosk.name, "until": until})
    return out


def prune(db: Session, settings: Settings) -> int:
    """Delete hits nobody counts any more and locks that have ended."""
    now = utcnow()
    keep = max(settings.identify_lockout_window_seconds, 60)
    stmt = delete(RateLimitHit).where(
        or_(
            RateLimitHit.bucket.like(LOCK_PREFIX + "%") & (RateLimitHit.at <= now),
            RateLimitHit.bucket.not_like(LOCK_PREFIX + "%") & (RateLimitHit.at < now - dt.timedelta(seconds=keep)),
        )
    )
    return db.execute(stmt).rowcount or 0
