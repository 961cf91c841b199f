"""How long rows are kept: old audit entries, venue-scanner scans, stored answers, live events and mail go.

Each kind has a ``retention_days_*`` setting (0 keeps it for ever).  The
register's event stream always keeps its newest event per register, because
kiosks and consoles follow it by id.  Run by housekeeping, at most once an
hour per server process (see ``due``): these are range deletes, not
something to do every minute.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, IdempotencyRecord, MailMessage, RegisterEvent, StaffSession, VerifyScan, utcnow
from ..settings import Settings

EVERY_SECONDS = 3600.0
_last_run = 0.0
_lock = threading.Lock()


def due(now: float | None = None) -> bool:
    """True at most once every EVERY_SECONDS in this process (the first call is due)."""
    global _last_run
    now = time.monotonic() if now is None else now
    with _lock:
        if _last_run and now - _last_run < EVERY_SECONDS:
            return False
        _last_run = now
        return True


def _cutoff(days: int) -> dt.datetime | None:
    return utcnow() - dt.timedelta(days=days) if days > 0 else None


def purge_old_rows(db: Session, settings: Settings) -> dict[str, int]:
    """Delete what is past its retention; return how many rows of each kind went."""
    removed: dict[str, int] = {}

    def run(name: str, days: int, build) -> None:
        cutoff = _cutoff(days)
        if cutoff is not None:
            removed[name] = db.execute(build(cutoff)).rowcount or 0

    run("audit_events", settings.retention_days_audit, lambda c: delete(AuditEvent).where(AuditEvent.at < c))
    run("verify_scans", settings.retention_days_verify_scans, lambda c: delete(VerifyScan).where(VerifyScan.at < c))
    run("idempotency_records", settings.retention_days_idempotency,
        lambda c: delete(IdempotencyRecord).where(IdempotencyRecord.created_at < c))
    newest = select(func.max(RegisterEvent.id)).group_by(RegisterEvent.register_id)
    run("register_events", settings.retention_days_register_events,
        lambda c: delete(RegisterEvent).where(RegisterEvent.created_at < c, RegisterEvent.id.not_in(newest)))
    run("mail_messages", settings.retention_days_mail,
        lambda c: delete(MailMessage).where(MailMessage.status.in_(("sent", "failed")), MailMessage.created_at < c))
    removed["staff_sessions"] = db.execute(delete(StaffSession).where(StaffSession.expires_at < utcnow())).rowcount or 0
    return {k: v for k, v in removed.items() if v}
