"""Limits on what a kiosk may look up: a rate per minute, and a lockout after many misses.

Every identify (and every start of a Via-mobile visit and every phone-form
lookup) counts against two buckets in ``rate_limit_hits``:
the kiosk's and its register's, so that pairing a second kiosk to a register
does not double what can be tried there.  Misses (not found, invalid numbers)
are counted apart; too many of them in the window lock the kiosk (or the whole
register) out for a while, the cashier console gets a prompt, and the
cashier can lift the lock from that prompt (as a manager can from the devices
page); every lift is audited with who lifted it and from where.  Registrations are not limited: they
look nothing up.  Hits live in the database so that every server process sees
them; housekeeping prunes them.

A miss also writes a row to ``identify:miss:k:<kiosk>`` and
``identify:miss:r:<register>``, so that the misses are counted without
walking the calls.  A lock is a row in the same table: bucket
``identify:lock:k:<kiosk>`` or ``identify:lock:r:<register>``, with ``at``
holding the time it ends.  Every check is a few bounded index lookups, however
busy a kiosk is.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session

from .. import shop_time
from ..domain_errors import Locked, NotFound, RateLimited
from ..models import Kiosk, RateLimitHit, utcnow
from ..settings import Settings
from . import audit, events

MINUTE = dt.timedelta(minutes=1)
LOCK_PREFIX = "identify:lock:"
MISS_PREFIX = "identify:miss:"
ADVISORY_NAMESPACE = 0x6B696F  # "kio": keeps our advisory locks apart from anybody else's


def _kiosk_bucket(kiosk_id: int) -> str:
    return f"identify:k:{kiosk_id}"


def _register_bucket(register_id: int) -> str:
    return f"identify:r:{register_id}"


def _lock_bucket(bucket: str) -> str:
    return LOCK_PREFIX + bucket.split(":", 1)[1]


def _miss_bucket(bucket: str) -> str:
    return MISS_PREFIX + bucket.split(":", 1)[1]


@dataclass(frozen=True)
class Standing:
    """What one bucket has done lately (counts stop at the limit they are checked against)."""

    calls_last_minute: int = 0
    oldest_call: dt.datetime | None = None
    misses: int = 0
    locked_until: dt.datetime | None = None


def _serialise(db: Session, register_id: int) -> None:
    """On PostgreSQL, one register's checks run one at a time (SQLite's writers already do)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": ADVISORY_NAMESPACE, "key": register_id})


def _counted(bucket: str, since: str, cap: str):
    """How many hits a bucket has after a moment, counting no further than ``cap``: an index range, bounded."""
    rows = (
        select(literal(1))
        .where(RateLimitHit.bucket == bindparam(bucket), RateLimitHit.at > bindparam(since))
        .limit(bindparam(cap))
        .subquery()
    )
    return select(func.count()).select_from(rows).scalar_subquery()


def _edge(fn, bucket: str, since: str):
    """The first (min) or last (max) hit of a bucket after a moment: one index probe."""
    return select(fn(RateLimitHit.at)).where(
        RateLimitHit.bucket == bindparam(bucket), RateLimitHit.at > bindparam(since)
    ).scalar_subquery()


# Prebuilt and parametrised (building it costs more than running it): both buckets' calls in the last
# minute, misses in the window and any lock, as bounded index lookups whatever a bucket holds.  Misses
# have buckets of their own so that counting them never walks the calls.
_STANDINGS = select(*[
    column
    for side in ("k", "r")
    for column in (
        _counted(f"calls_{side}", "minute_ago", "call_cap"),
        _edge(func.min, f"calls_{side}", "minute_ago"),
        _counted(f"misses_{side}", "window_start", "miss_cap"),
        _edge(func.max, f"lock_{side}", "now"),
    )
])
_INSERT_HIT = insert(RateLimitHit.__table__)


def _standings(db: Session, settings: Settings, kiosk_id: int, register_id: int) -> dict[str, Standing]:
    """Both buckets' calls, misses and locks in one query of eight bounded index lookups."""
    now = utcnow()
    buckets = {"k": _kiosk_bucket(kiosk_id), "r": _register_bucket(register_id)}
    params: dict = {"now": now, "minute_ago": now - MINUTE,
                    "window_start": now - dt.timedelta(seconds=settings.identify_lockout_window_seconds),
                    "call_cap": max(settings.identify_rate_per_minute, 1),
                    "miss_cap": max(settings.identify_lockout_failures, 1)}
    for side, bucket in buckets.items():
        params |= {f"calls_{side}": bucket, f"misses_{side}": _miss_bucket(bucket), f"lock_{side}": _lock_bucket(bucket)}
    row = db.connection().execute(_STANDINGS, params).one()
    out = {}
    for index, bucket in enumerate(buckets.values()):
        calls, oldest, misses, lock = row[4 * index: 4 * index + 4]
        out[bucket] = Standing(calls_last_minute=int(calls or 0), oldest_call=oldest, misses=int(misses or 0),
                               locked_until=lock)
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
        raise Locked(
            "locked_out",
            "There have been too many attempts at this kiosk. Ask the cashier to lift the lock.",
            retry_after=_seconds_until(until), until=until.isoformat(timespec="seconds"),
        )
    limit = settings.identify_rate_per_minute
    if limit <= 0:
        return
    for standing in standings.values():
        if standing.calls_last_minute >= limit:
            retry = _seconds_until(standing.oldest_call + MINUTE) if standing.oldest_call else 60
            raise RateLimited(
                "rate_limited", "Too many look-ups at this kiosk; wait a moment and try again.", retry_after=retry
            )


def record(
    db: Session, settings: Settings, *, kiosk_id: int, kiosk_name: str, register_id: int, missed: bool
) -> dt.datetime | None:
    """Count one lookup; a miss that reaches the limit locks the kiosk or register out. Returns the lock's end."""
    now = utcnow()
    buckets = (_kiosk_bucket(kiosk_id), _register_bucket(register_id))
    hits = [{"bucket": b, "at": now, "failed": missed} for b in buckets]
    if missed:
        hits += [{"bucket": _miss_bucket(b), "at": now, "failed": True} for b in buckets]
    db.connection().execute(_INSERT_HIT, hits)
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
        until=until.isoformat(timespec="seconds"), until_local=shop_time.clock(until),
    )
    audit.record(db, f"kiosk:{kiosk_name}", "kiosk_locked_out", kiosk=kiosk_id, scope=scope,
                 seconds=settings.identify_lockout_seconds)
    return until


def locked_until(db: Session, kiosk: Kiosk) -> dt.datetime | None:
    """When this kiosk's lock (its own or its register's) ends, or None."""
    locks = [_lock_bucket(_kiosk_bucket(kiosk.id)), _lock_bucket(_register_bucket(kiosk.register_id))]
    stmt = select(func.max(RateLimitHit.at)).where(RateLimitHit.bucket.in_(locks), RateLimitHit.at > utcnow())
    return db.execute(stmt).scalar_one_or_none()


def lift(db: Session, kiosk: Kiosk, *, actor: str, via: str = "back_office") -> bool:
    """Lift the lock on a kiosk (and its register) and forgive the misses. True if one was on.

    ``via`` says where: ``back_office`` (a manager on the devices page or the API) or ``console`` (the
    cashier at the till, from the lockout prompt); both are audited under the actor's name.
    """
    was_locked = locked_until(db, kiosk) is not None
    buckets = [_kiosk_bucket(kiosk.id), _register_bucket(kiosk.register_id)]
    every = buckets + [_lock_bucket(b) for b in buckets] + [_miss_bucket(b) for b in buckets]
    db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.in_(every)))
    events.publish(db, kiosk.register_id, "kiosk_lockout_lifted", kiosk=kiosk.id, kiosk_name=kiosk.name, by=actor)
    audit.record(db, actor, "kiosk_lockout_lifted", kiosk=kiosk.id, was_locked=was_locked, via=via)
    return was_locked


def lift_at_register(db: Session, register_id: int, kiosk_id: int, *, actor: str) -> bool:
    """The cashier at a register lifts the lock on one of that register's kiosks (404 for any other)."""
    kiosk = db.get(Kiosk, kiosk_id)
    if kiosk is None or kiosk.register_id != register_id or kiosk.revoked_at is not None:
        raise NotFound("kiosk_not_found", "This kiosk is not paired with this register.")
    return lift(db, kiosk, actor=actor, via="console")


def active_lockouts(db: Session, register_id: int) -> list[dict]:
    """The locks on a register's kiosks that are still on, as the console shows them."""
    out = []
    stmt = select(Kiosk).where(Kiosk.register_id == register_id, Kiosk.revoked_at.is_(None)).order_by(Kiosk.id)
    for kiosk in db.execute(stmt).scalars():
        until = locked_until(db, kiosk)
        if until is not None:
            out.append({"kiosk": kiosk.id, "kiosk_name": kiosk.name, "until": until,
                        "until_local": shop_time.clock(until)})
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
