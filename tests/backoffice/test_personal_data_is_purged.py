"""Housekeeping drops personal data promptly and old rows after their retention (settings retention_days_*)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid

from sqlalchemy import select, update

from backoffice.app import housekeeping
from backoffice.models import (
    AuditEvent,
    IdempotencyRecord,
    MailMessage,
    MobileSession,
    PendingRegistration,
    RegisterEvent,
    StaffSession,
    VerifyScan,
    utcnow,
)
from backoffice.services import events, retention, sales

LONG_AGO = dt.timedelta(days=400)


def _register(till, **fields):
    response = till.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter", **fields},
                               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return response.json()["reference"]


def _registration(backoffice, reference) -> PendingRegistration:
    with backoffice.runtime.read_sessions() as db:
        return db.execute(select(PendingRegistration).where(PendingRegistration.reference == reference)).scalar_one()


def _created_event(backoffice, reference) -> dict:
    with backoffice.runtime.read_sessions() as db:
        for event in db.execute(select(RegisterEvent).where(RegisterEvent.type == "registration_created")).scalars():
            if event.data.get("registration") == reference:
                return event.data
    raise AssertionError("no registration_created event")


def _wait_for(check, seconds: float = 8.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_an_aborted_registration_forgets_the_name_in_the_live_events_at_once(backoffice, till, new_phone):
    reference = _register(till, first_name="Agnes", last_name="Abort", phone=new_phone())
    assert _created_event(backoffice, reference)["name"] == "Agnes Abort"
    assert till.pos.post(f"/api/v1/registrations/{reference}/abort").status_code == 200
    assert _created_event(backoffice, reference)["name"] == ""
    assert _registration(backoffice, reference).payload_enc is None


def test_an_expired_registration_loses_its_personal_data_within_a_housekeeping_round(backoffice, till, new_phone):
    reference = _register(till, first_name="Edvin", last_name="Expired", phone=new_phone())
    with backoffice.runtime.sessions() as db:
        db.execute(update(PendingRegistration).where(PendingRegistration.reference == reference)
                   .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    # The test server's housekeeping runs every second.
    assert _wait_for(lambda: _registration(backoffice, reference).status == "expired")
    assert _registration(backoffice, reference).payload_enc is None
    assert _created_event(backoffice, reference)["name"] == ""
    assert till.kiosk.get(f"/api/v1/kiosk/registrations/{reference}").json()["status"] == "expired"


def test_a_confirmed_registration_keeps_no_copy_of_what_was_typed(backoffice, till, new_phone):
    reference = _register(till, first_name="Cecilia", last_name="Confirmed", phone=new_phone())
    assert till.pos.post(f"/api/v1/registrations/{reference}/confirm").status_code == 200
    assert _wait_for(lambda: _registration(backoffice, reference).payload_enc is None)
    assert _created_event(backoffice, reference)["name"] == ""


def test_phone_visits_and_resolved_registrations_are_deleted_after_a_day(backoffice, till, new_phone):
    visit = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()["reference"]
    reference = _register(till, first_name="Dag", phone=new_phone())
    till.pos.post(f"/api/v1/registrations/{reference}/abort")
    with backoffice.runtime.sessions() as db:
        db.execute(update(MobileSession).where(MobileSession.reference == visit)
                   .values(created_at=utcnow() - dt.timedelta(days=2)))
        db.execute(update(PendingRegistration).where(PendingRegistration.reference == reference)
                   .values(resolved_at=utcnow() - dt.timedelta(days=2)))
        db.commit()
    housekeeping(backoffice.runtime, retention=False)
    with backoffice.runtime.read_sessions() as db:
        assert db.execute(select(MobileSession).where(MobileSession.reference == visit)).first() is None
        assert db.execute(select(PendingRegistration).where(PendingRegistration.reference == reference)).first() is None


def _old_rows(backoffice, register_id: int) -> dict:
    """One row past every retention, and one recent row of each kind; returns their ids."""
    old, now = utcnow() - LONG_AGO, utcnow()
    ids = {}
    with backoffice.runtime.sessions() as db:
        for when in ("old", "new"):
            at = old if when == "old" else now
            audit = AuditEvent(actor="test", action=f"retention_{when}", at=at)
            scan = VerifyScan(result="unknown", at=at)
            answer = IdempotencyRecord(scope="test", key=uuid.uuid4().hex, fingerprint="x", status_code=200,
                                       response={}, created_at=at)
            message = MailMessage(to_address="old@example.org", subject="s", body="b", status="sent", created_at=at)
            db.add_all([audit, scan, answer, message])
            db.flush()
            event = events.publish(db, register_id, f"retention_{when}")
            db.execute(update(RegisterEvent).where(RegisterEvent.id == event).values(created_at=at))
            ids[when] = {"audit": audit.id, "scan": scan.id, "answer": answer.id, "mail": message.id, "event": event}
        db.commit()
    return ids


def _exists(backoffice, model, row_id) -> bool:
    with backoffice.runtime.read_sessions() as db:
        return db.get(model, row_id) is not None


KINDS = {"audit": AuditEvent, "scan": VerifyScan, "answer": IdempotencyRecord, "mail": MailMessage,
         "event": RegisterEvent}


def test_rows_past_their_retention_are_deleted_and_recent_ones_kept(backoffice, till):
    with backoffice.runtime.read_sessions() as db:
        register_id = sales.get_register(db, till.name).id
    ids = _old_rows(backoffice, register_id)
    housekeeping(backoffice.runtime, retention=True)
    for kind, model in KINDS.items():
        assert not _exists(backoffice, model, ids["old"][kind]), kind
        assert _exists(backoffice, model, ids["new"][kind]), kind


def test_a_registers_newest_event_is_kept_however_old_so_ids_never_go_back(backoffice):
    register_name, _ = backoffice.register_with_kiosk()
    with backoffice.runtime.sessions() as db:
        register_id = sales.get_register(db, register_name).id
        first = events.publish(db, register_id, "retention_old")
        newest = events.publish(db, register_id, "retention_old")
        db.execute(update(RegisterEvent).where(RegisterEvent.register_id == register_id)
                   .values(created_at=utcnow() - LONG_AGO))
        db.commit()
    housekeeping(backoffice.runtime, retention=True)
    assert not _exists(backoffice, RegisterEvent, first)
    assert _exists(backoffice, RegisterEvent, newest)


def test_expired_staff_sessions_are_deleted(backoffice):
    from backoffice.security import hash_token
    from tests.support.staff import new_staff

    staff = new_staff(backoffice, "cashier")
    session_id = hash_token(staff.http.cookies.get("bo_session"))
    with backoffice.runtime.sessions() as db:
        db.execute(update(StaffSession).where(StaffSession.id == session_id)
                   .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    housekeeping(backoffice.runtime, retention=True)
    assert not _exists(backoffice, StaffSession, session_id)
    assert staff.get("/console?choose=1").url.endswith("expired=1")


def test_a_retention_of_zero_days_keeps_rows_for_ever(backoffice, till):
    with backoffice.runtime.read_sessions() as db:
        register_id = sales.get_register(db, till.name).id
    ids = _old_rows(backoffice, register_id)
    keep_all = dataclasses.replace(backoffice.settings, retention_days_audit=0, retention_days_verify_scans=0,
                                   retention_days_idempotency=0, retention_days_register_events=0,
                                   retention_days_mail=0)
    with backoffice.runtime.sessions() as db:
        retention.purge_old_rows(db, keep_all)
        db.commit()
    for kind, model in KINDS.items():
        assert _exists(backoffice, model, ids["old"][kind]), kind


def test_the_retention_round_runs_at_most_once_an_hour_per_process(monkeypatch):
    monkeypatch.setattr(retention, "_last_run", 0.0)
    assert retention.due(now=10_000.0)
    assert not retention.due(now=10_000.0 + 60)
    assert retention.due(now=10_000.0 + retention.EVERY_SECONDS + 1)
