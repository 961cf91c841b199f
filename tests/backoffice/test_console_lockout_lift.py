"""The cashier lifts a kiosk's lockout from the console's prompt: only at their register, audited, 24-hour times.

A server of its own with small limits (lockout after 3 misses); SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from backoffice import shop_time
from backoffice.models import AuditEvent, RegisterEvent
from backoffice.services import sales
from tests.support.api import Api, error_code
from tests.support.staff import another_backoffice, sign_in

LIMITS = {"identify_rate_per_minute": 60, "identify_lockout_failures": 3, "identify_lockout_seconds": 300}
CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    with another_backoffice(tmp_path_factory, **LIMITS) as server:
        yield server


class Till:
    def __init__(self, server):
        self.server = server
        self.register, token = server.register_with_kiosk()
        self.kiosk = Api(server.base_url, token)
        self.pos = Api(server.base_url, server.api_key())
        self.kiosk_id = next(k["id"] for k in self.pos.get("/api/v1/kiosks").json()["kiosks"]
                             if k["register"] == self.register)
        with server.runtime.read_sessions() as db:
            self.register_id = sales.get_register(db, self.register).id

    def miss(self):
        return self.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                     "customer_number": str(90_000_000 + uuid.uuid4().int % 10**6)})

    def lock_out(self) -> None:
        for _ in range(3):
            self.miss()
        assert error_code(self.miss()) == "locked_out"

    def lift_path(self, kiosk_id: int | None = None, register_id: int | None = None) -> str:
        return f"/api/v1/console/{register_id or self.register_id}/kiosks/{kiosk_id or self.kiosk_id}/lockout/lift"

    def events(self, type_: str) -> list[dict]:
        with self.server.runtime.read_sessions() as db:
            stmt = select(RegisterEvent.data).where(RegisterEvent.register_id == self.register_id,
                                                    RegisterEvent.type == type_).order_by(RegisterEvent.id)
            return list(db.execute(stmt).scalars())


@pytest.fixture
def till(strict):
    return Till(strict)


@pytest.fixture
def cashier(strict):
    username, password = strict.staff("cashier")
    client = sign_in(strict.base_url, username, password)
    client.username = username
    return client


def test_the_cashier_lifts_the_lock_and_the_kiosk_works_again(till, cashier):
    till.lock_out()
    lifted = cashier.api("POST", till.lift_path())
    assert lifted.status_code == 200 and lifted.json() == {"kiosk": till.kiosk_id, "was_locked": True}
    assert till.miss().json()["result"] == "not_found"  # misses forgiven, lock gone
    [event] = till.events("kiosk_lockout_lifted")
    assert event["kiosk"] == till.kiosk_id and event["by"] == f"staff:{cashier.username}"
    with till.server.runtime.read_sessions() as db:
        [audit] = db.execute(select(AuditEvent).where(AuditEvent.action == "kiosk_lockout_lifted",
                                                      AuditEvent.actor == f"staff:{cashier.username}")).scalars()
    assert audit.detail == {"kiosk": till.kiosk_id, "was_locked": True, "via": "console"}


def test_the_lockout_prompt_carries_the_end_on_the_shops_24_hour_clock(till, cashier):
    till.lock_out()
    [event] = till.events("kiosk_locked_out")
    assert CLOCK.fullmatch(event["until_local"])
    page = cashier.get(f"/console/{till.register_id}").text
    assert f'data-lockout="{till.kiosk_id}"' in page and 'data-action="lift-lockout"' in page
    shown = re.search(r'class="prompt-until">([^<]+)<', page.split(f'data-lockout="{till.kiosk_id}"')[1]).group(1)
    assert shown == event["until_local"]
    assert shown == shop_time.clock(dt.datetime.fromisoformat(event["until"]))


def test_a_kiosk_of_another_register_cannot_be_lifted_from_this_one(strict, till, cashier):
    other = Till(strict)
    other.lock_out()
    refused = cashier.api("POST", till.lift_path(kiosk_id=other.kiosk_id))
    assert refused.status_code == 404 and error_code(refused) == "kiosk_not_found"
    assert error_code(other.miss()) == "locked_out"
    assert cashier.api("POST", till.lift_path(kiosk_id=999_999)).status_code == 404


def test_lifting_needs_a_signed_in_staff_member_with_the_csrf_token(till, cashier):
    till.lock_out()
    assert cashier.api("POST", till.lift_path(), headers={"X-CSRF-Token": "wrong"}).status_code in (401, 403)
    assert till.pos.post(till.lift_path()).status_code in (401, 403)  # the POS API has its own route
    assert till.kiosk.post(till.lift_path()).status_code in (401, 403)
    assert error_code(till.miss()) == "locked_out"


def test_lifting_a_kiosk_that_is_not_locked_says_so(till, cashier):
    lifted = cashier.api("POST", till.lift_path())
    assert lifted.status_code == 200 and lifted.json()["was_locked"] is False
