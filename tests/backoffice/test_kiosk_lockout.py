"""Guessing at a kiosk is slowed down and stopped: a rate per minute, a lockout after misses, the cashier told.

These tests run on a server of their own with small limits (6 look-ups a
minute, lockout after 3 misses for 60 s) so that they stay quick and leave the
shared server's kiosks alone.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from sqlalchemy import func, select

from backoffice.app import housekeeping
from backoffice.models import AuditEvent, RateLimitHit, RegisterEvent, utcnow
from backoffice.services import devices, sales
from tests.support.api import Api, error_code, personnummer
from tests.support.database import fresh_database
from tests.support.server import start_in_thread
from tests.support.staff import another_backoffice, sign_in

LIMITS = {"identify_rate_per_minute": 6, "identify_lockout_failures": 3, "identify_lockout_seconds": 60}


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    with another_backoffice(tmp_path_factory, **LIMITS) as server:
        yield server


class Counter:
    """A register with a kiosk on the strict server, and a customer to find."""

    def __init__(self, server):
        self.server = server
        self.register, token = server.register_with_kiosk()
        self.kiosk = Api(server.base_url, token)
        self.pos = Api(server.base_url, server.api_key())
        number = self.pos.post("/api/v1/customers", {"first_name": "Tove", "last_name": "Lund"}).json()
        self.customer_number = str(number["customer_number"])

    @property
    def kiosk_id(self) -> int:
        kiosks = self.pos.get("/api/v1/kiosks").json()["kiosks"]
        return next(k["id"] for k in kiosks if k["register"] == self.register)

    def second_kiosk(self) -> Api:
        with self.server.runtime.sessions() as db:
            register = sales.get_register(db, self.register)
            _, token = devices.pair_kiosk(db, register, "Second kiosk", actor="test")
            db.commit()
        return Api(self.server.base_url, token)

    def events(self, type_: str) -> list[dict]:
        with self.server.runtime.read_sessions() as db:
            register = sales.get_register(db, self.register)
            stmt = select(RegisterEvent).where(RegisterEvent.register_id == register.id, RegisterEvent.type == type_)
            return [e.data for e in db.execute(stmt).scalars()]


def _find(kiosk: Api, number: str, **headers):
    return kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number", "customer_number": number},
                      headers=headers)


def _miss(kiosk: Api):
    return _find(kiosk, str(90_000_000 + uuid.uuid4().int % 1_000_000))


@pytest.fixture
def counter(strict):
    return Counter(strict)


def test_a_kiosk_over_its_rate_is_told_to_wait_with_retry_after(counter):
    for _ in range(6):
        assert _find(counter.kiosk, counter.customer_number).json()["result"] == "matched"
    refused = _find(counter.kiosk, counter.customer_number)
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["retry_after"] == int(refused.headers["Retry-After"])


def test_misses_lock_the_kiosk_out_even_for_a_known_customer(counter):
    for _ in range(3):
        assert _miss(counter.kiosk).json()["result"] == "not_found"
    refused = _find(counter.kiosk, counter.customer_number)
    assert refused.status_code == 429 and error_code(refused) == "locked_out"
    assert 50 <= int(refused.headers["Retry-After"]) <= 60
    assert "cashier" in refused.json()["error"]["message"]


def test_invalid_numbers_count_as_misses(counter):
    for _ in range(3):
        bad = counter.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "personal_id",
                                                      "personal_id": "199001011235"})
        assert bad.status_code == 422 and error_code(bad) == "invalid_personal_id"
    assert error_code(_find(counter.kiosk, counter.customer_number)) == "locked_out"


def test_the_cashier_console_is_told_once_with_the_kiosk_and_until_when(counter):
    for _ in range(5):
        _miss(counter.kiosk)
    alerts = counter.events("kiosk_locked_out")
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["kiosk"] == counter.kiosk_id and alert["kiosk_name"] == f"Kiosk {counter.register}"
    until = dt.datetime.fromisoformat(alert["until"])
    assert 55 <= (until - utcnow()).total_seconds() <= 61
    page = sign_in(counter.server.base_url, *counter.server.staff("cashier")).get(f"/console/{_register_id(counter)}").text
    assert f'data-lockout="{counter.kiosk_id}"' in page and "is locked until" in page


def test_a_second_kiosk_at_the_same_register_shares_the_register_limit(counter):
    second = counter.second_kiosk()
    for kiosk in (counter.kiosk, second, counter.kiosk):
        assert _miss(kiosk).json()["result"] == "not_found"
    for kiosk in (counter.kiosk, second):
        assert error_code(_find(kiosk, counter.customer_number)) == "locked_out"
    assert counter.events("kiosk_locked_out")[0]["scope"] == "register"


def test_another_registers_kiosk_is_not_affected(strict, counter):
    other = Counter(strict)
    for _ in range(3):
        _miss(counter.kiosk)
    assert _find(other.kiosk, other.customer_number).json()["result"] == "matched"


def test_a_retried_request_with_the_same_idempotency_key_is_counted_once(counter):
    key = str(uuid.uuid4())
    number = "98765432"
    for _ in range(5):
        assert _find(counter.kiosk, number, **{"Idempotency-Key": key}).json()["result"] == "not_found"
    assert _find(counter.kiosk, counter.customer_number).json()["result"] == "matched"


def test_a_locked_kiosk_cannot_start_a_phone_visit_but_its_registrations_still_reach_the_cashier(counter):
    for _ in range(3):
        _miss(counter.kiosk)
    started = counter.kiosk.post("/api/v1/mobile-sessions", {"language": "en"})
    assert started.status_code == 429 and error_code(started) == "locked_out"
    registered = counter.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter", "first_name": "Ida"})
    assert registered.status_code == 201


def test_a_kiosk_back_online_sends_its_whole_outbox_of_registrations_past_the_rate(counter):
    for n in range(10):  # the strict server allows six look-ups a minute
        registered = counter.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter", "first_name": f"Q{n}"},
                                        headers={"Idempotency-Key": str(uuid.uuid4())})
        assert registered.status_code == 201


def test_a_phone_form_opened_before_the_lockout_asks_the_customer_to_see_the_cashier(counter):
    url = counter.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()["url"]
    for _ in range(3):
        _miss(counter.kiosk)
    form = {"first_name": "Ulla", "last_name": "Berg", "phone": "+46701112233", "lang": "en"}
    answer = requests.post(url, data=form, timeout=30)
    assert answer.status_code == 429 and "Please ask at the counter" in answer.text


def test_phone_form_look_ups_that_find_nobody_count_as_misses(counter):
    for serial in range(3):
        url = counter.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()["url"]
        pid = personnummer("19660606", f"{uuid.uuid4().int % 900 + 100:03d}")
        form = {"first_name": "Ulla", "last_name": f"Berg{serial}", "phone": f"+4670111{uuid.uuid4().int % 10000:04d}",
                "personal_id": pid, "lang": "en"}
        assert requests.post(url, data=form, timeout=30, allow_redirects=False).status_code == 303
    assert error_code(_find(counter.kiosk, counter.customer_number)) == "locked_out"


def test_a_manager_lifts_the_lock_from_the_devices_page(counter):
    for _ in range(3):
        _miss(counter.kiosk)
    username, password = counter.server.staff("manager")
    manager = sign_in(counter.server.base_url, username, password)
    page = manager.get("/admin/devices").text
    assert "Locked until" in page and f"/admin/devices/kiosks/{counter.kiosk_id}/unlock" in page
    lifted = manager.post_form(f"/admin/devices/kiosks/{counter.kiosk_id}/unlock")
    assert lifted.status_code == 200 and "can be used again" in lifted.text
    assert f"/admin/devices/kiosks/{counter.kiosk_id}/unlock" not in lifted.text
    assert _find(counter.kiosk, counter.customer_number).json()["result"] == "matched"
    assert counter.events("kiosk_lockout_lifted")[0]["kiosk"] == counter.kiosk_id
    with counter.server.runtime.read_sessions() as db:
        actions = set(db.execute(select(AuditEvent.action).where(AuditEvent.actor == f"staff:{username}")).scalars())
    assert "kiosk_lockout_lifted" in actions


def test_a_pos_integration_sees_the_lock_and_can_lift_it(counter):
    for _ in range(3):
        _miss(counter.kiosk)
    listed = next(k for k in counter.pos.get("/api/v1/kiosks").json()["kiosks"] if k["id"] == counter.kiosk_id)
    assert dt.datetime.fromisoformat(listed["locked_until"]) > utcnow()
    lifted = counter.pos.delete(f"/api/v1/kiosks/{counter.kiosk_id}/lockout")
    assert lifted.status_code == 200 and lifted.json()["was_locked"] is True
    assert _find(counter.kiosk, counter.customer_number).json()["result"] == "matched"


def test_a_cashier_cannot_lift_the_lock(counter):
    cashier = sign_in(counter.server.base_url, *counter.server.staff("cashier"))
    refused = cashier.post_form(f"/admin/devices/kiosks/{counter.kiosk_id}/unlock")
    assert refused.status_code == 403


def test_the_lock_holds_across_server_processes_sharing_the_database(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("two-servers")
    with fresh_database(data_dir) as url:
        first = start_in_thread(data_dir, url, **LIMITS)
        second = start_in_thread(data_dir, url, **LIMITS)
        try:
            _, token = first.register_with_kiosk()
            for _ in range(3):
                _miss(Api(first.base_url, token))
            refused = _miss(Api(second.base_url, token))
            assert refused.status_code == 429 and error_code(refused) == "locked_out"
        finally:
            second.stop()
            first.stop()


def test_housekeeping_prunes_old_hits_and_ended_locks(counter):
    for _ in range(3):
        _miss(counter.kiosk)
    rt = counter.server.runtime
    with rt.sessions() as db:
        old = utcnow() - dt.timedelta(hours=1)
        db.add(RateLimitHit(bucket=f"identify:k:{counter.kiosk_id}", at=old, failed=True))
        for bucket in ("lock:k", "k", "miss:k"):  # the lock, the calls and the misses, all an hour old
            db.execute(RateLimitHit.__table__.update()
                       .where(RateLimitHit.bucket == f"identify:{bucket}:{counter.kiosk_id}").values(at=old))
        db.commit()
    housekeeping(rt)
    with rt.read_sessions() as db:
        left = db.execute(select(func.count()).select_from(RateLimitHit)
                          .where(RateLimitHit.bucket.like(f"identify:%:{counter.kiosk_id}"),
                                 RateLimitHit.bucket.like("identify:%k:%"))).scalar_one()
    assert left == 0


def test_rates_of_zero_turn_the_limits_off(tmp_path_factory):
    with another_backoffice(tmp_path_factory, identify_rate_per_minute=0, identify_lockout_failures=0) as server:
        _, token = server.register_with_kiosk()
        kiosk = Api(server.base_url, token)
        assert all(_miss(kiosk).status_code == 200 for _ in range(40))


def _register_id(counter) -> int:
    with counter.server.runtime.read_sessions() as db:
        return sales.get_register(db, counter.register).id
