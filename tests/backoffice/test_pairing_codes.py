"""Pairing a kiosk by camera, the backoffice's side: a short-lived, single-use code (stored hashed) traded once
for a device token at ``POST /api/v1/kiosk/pair``, rate-limited, audited, and shown on the pairing page.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.  Each test pretends to be its own client address
(X-Forwarded-For from localhost), so the per-address limit of one test does not reach another's.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from sqlalchemy import delete, select, update

from backoffice.models import AuditEvent, Kiosk, PairingCode, RateLimitHit, utcnow
from backoffice.security import hash_token
from backoffice.services import devices
from backoffice.services.sales import get_register
from counter_core.pairing import display_code, parse_pairing_payload
from tests.support.api import Api, error_code
from tests.support.staff import another_backoffice, new_staff


@pytest.fixture
def address() -> str:
    """A client address of this test's own."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


@pytest.fixture
def register(backoffice) -> str:
    name = backoffice.unique("Kassa")
    with backoffice.runtime.sessions() as db:
        devices.create_register(db, name)
        db.commit()
    return name


def make_code(backoffice, register: str, *, kiosk_name: str = "", ttl: dt.timedelta = devices.PAIRING_CODE_TTL):
    with backoffice.runtime.sessions() as db:
        pairing, code = devices.create_pairing_code(db, get_register(db, register), kiosk_name, actor="staff:anna",
                                                    ttl=ttl)
        db.commit()
        return pairing.id, code


def exchange(backoffice, code: str, address: str):
    return Api(backoffice.base_url).post("/api/v1/kiosk/pair", {"code": code}, headers={"X-Forwarded-For": address})


def audit_actions(backoffice, **detail) -> list[tuple[str, str, dict]]:
    with backoffice.runtime.read_sessions() as db:
        rows = db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(e.actor, e.action, e.detail or {}) for e in rows
                if all((e.detail or {}).get(k) == v for k, v in detail.items())]


def test_a_pairing_code_is_traded_once_for_a_working_device_token_and_only_its_hash_is_stored(
        backoffice, register, address):
    pairing_id, code = make_code(backoffice, register, kiosk_name="Kiosk vid dörren")
    with backoffice.runtime.read_sessions() as db:
        stored = db.get(PairingCode, pairing_id)
        assert stored.code_hash == hash_token(code) and code not in repr(stored.__dict__)
        assert dt.timedelta(minutes=9) < stored.expires_at - stored.created_at <= dt.timedelta(minutes=10)

    answer = exchange(backoffice, display_code(code).lower(), address)  # as typed: lower case, with the dash
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kiosk"]["name"] == "Kiosk vid dörren" and body["register"]["name"] == register
    token = body["device_token"]
    assert token.startswith("kd_")
    state = Api(backoffice.base_url, token).get("/api/v1/kiosk/state")
    assert state.status_code == 200 and state.json()["register"]["name"] == register

    again = exchange(backoffice, code, address)
    assert again.status_code == 409 and error_code(again) == "pairing_code_used"
    with backoffice.runtime.read_sessions() as db:
        stored = db.get(PairingCode, pairing_id)
        assert stored.used_at is not None and stored.used_from == address
        assert db.get(Kiosk, stored.kiosk_id).token_hash == hash_token(token)

    events = audit_actions(backoffice, pairing=pairing_id)
    assert [action for _, action, _ in events] == ["pairing_code_created", "kiosk_paired", "pairing_refused"]
    assert events[1][0] == "staff:anna" and events[1][2]["via"] == "pairing_code" and events[1][2]["address"] == address
    assert events[2][2]["reason"] == "used" and events[2][0] == f"address:{address}"


def test_an_expired_code_is_refused_with_its_own_reason(backoffice, register, address):
    pairing_id, code = make_code(backoffice, register)
    with backoffice.runtime.sessions() as db:
        db.execute(update(PairingCode).where(PairingCode.id == pairing_id)
                   .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    refused = exchange(backoffice, code, address)
    assert refused.status_code == 410 and error_code(refused) == "pairing_code_expired"
    assert "expired" in refused.json()["error"]["message"]
    with backoffice.runtime.read_sessions() as db:
        assert db.get(PairingCode, pairing_id).kiosk_id is None
    assert audit_actions(backoffice, pairing=pairing_id)[-1][2]["reason"] == "expired"


def test_codes_spent_a_month_ago_are_deleted_when_a_new_one_is_made(backoffice, register):
    old_id, _ = make_code(backoffice, register)
    with backoffice.runtime.sessions() as db:
        db.execute(update(PairingCode).where(PairingCode.id == old_id)
                   .values(expires_at=utcnow() - devices.PAIRING_CODES_KEPT - dt.timedelta(minutes=1)))
        db.commit()
    new_id, _ = make_code(backoffice, register)
    with backoffice.runtime.read_sessions() as db:
        assert db.get(PairingCode, old_id) is None and db.get(PairingCode, new_id) is not None
    assert [a for _, a, _ in audit_actions(backoffice, pairing=old_id)] == ["pairing_code_created"]


def test_unknown_and_malformed_codes_are_refused_and_audited(backoffice, address):
    unknown = exchange(backoffice, "ZZZZZ-ZZZZZ", address)
    assert unknown.status_code == 404 and error_code(unknown) == "pairing_code_unknown"
    malformed = exchange(backoffice, "kd_not-a-code", address)
    assert malformed.status_code == 422 and error_code(malformed) == "pairing_code_invalid"
    reasons = [d["reason"] for actor, action, d in audit_actions(backoffice) if actor == f"address:{address}"]
    assert reasons == ["unknown", "invalid"]
    assert Api(backoffice.base_url).post("/api/v1/kiosk/pair", {"code": "x" * 41}).status_code == 422


def test_exchanges_are_limited_per_client_address(backoffice, register, address):
    _, code = make_code(backoffice, register)
    for _ in range(devices.PAIRING_TRIES_PER_ADDRESS):
        assert error_code(exchange(backoffice, "ZZZZZ-ZZZZZ", address)) == "pairing_code_unknown"
    limited = exchange(backoffice, code, address)  # even the right code: guessing must not pay
    assert limited.status_code == 429 and error_code(limited) == "pairing_rate_limited"
    assert limited.headers["Retry-After"] == "60"
    other = exchange(backoffice, code, address + "0")
    assert other.status_code == 200, other.text


def test_exchanges_from_everywhere_together_are_limited(backoffice, register, monkeypatch):
    with backoffice.runtime.sessions() as db:
        db.execute(delete(RateLimitHit).where(RateLimitHit.bucket == "pair:all"))
        db.commit()
    monkeypatch.setattr(devices, "PAIRING_TRIES_IN_ALL", 3)
    answers = [exchange(backoffice, "ZZZZZ-ZZZZZ", f"192.0.2.{n}") for n in range(1, 5)]
    assert [error_code(a) for a in answers] == ["pairing_code_unknown"] * 3 + ["pairing_rate_limited"]
    with backoffice.runtime.sessions() as db:  # the next test starts with a clean count
        db.execute(delete(RateLimitHit).where(RateLimitHit.bucket == "pair:all"))
        db.commit()


def test_a_code_exchanged_by_two_kiosks_at_once_pairs_only_one(backoffice, register, address):
    pairing_id, code = make_code(backoffice, register)
    answers: list = []
    start = threading.Barrier(4)

    def attempt(n: int) -> None:
        start.wait()
        answers.append(exchange(backoffice, code, f"{address}{n}"))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    with backoffice.runtime.read_sessions() as db:
        kiosk_id = db.get(PairingCode, pairing_id).kiosk_id
        register_id = get_register(db, register).id
        assert db.execute(select(Kiosk.id).where(Kiosk.register_id == register_id)).scalars().all() == [kiosk_id]


def test_the_pairing_page_shows_the_code_as_qr_and_text_never_a_token_and_then_when_it_was_used(
        backoffice, register, address):
    manager = new_staff(backoffice, "manager")
    devices_page = manager.get("/admin/devices").text
    register_id = re.search(rf'name="register" value="(\d+)">\s*<input name="name" placeholder="Kiosk name, e.g. '
                            rf'Kiosk at {register}"', devices_page).group(1)
    page = manager.post_form("/admin/devices/kiosks", {"register": register_id, "name": "Kiosk vid kassan"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "<svg" in page.text and "kd_" not in page.text and "device_token" not in page.text
    payload = re.search(r"(KIOSKPAIR:https?://[^\s<]+?:[0-9A-Z]{5}-[0-9A-Z]{5})", page.text).group(1)
    pairing = parse_pairing_payload(payload)
    assert pairing.backoffice_url == backoffice.settings.base_url.rstrip("/")
    assert display_code(pairing.code) in page.text  # the same code as text to type
    assert "which only this computer reaches" in page.text  # the test server's address is 127.0.0.1
    status_url = re.search(r'data-status-url="([^"]+)"', page.text).group(1)
    assert manager.get(status_url).json()["status"] == "waiting"
    assert "waiting until" in manager.get("/admin/devices").text

    assert exchange(backoffice, pairing.code, address).status_code == 200
    status = manager.get(status_url).json()
    assert status["status"] == "used" and status["kiosk_name"] == "Kiosk vid kassan" and status["used_at_local"]
    listing = manager.get("/admin/devices").text
    assert f"used {status['used_at_local']}" in listing and "Kiosk vid kassan" in listing
    assert new_staff(backoffice, "cashier").get(status_url).status_code == 403


def test_with_a_public_address_the_qr_names_it_and_the_page_gives_no_warning(tmp_path_factory):
    with another_backoffice(tmp_path_factory, public_url="http://kassa.example.se:8080") as server:
        with server.runtime.sessions() as db:
            register_id = devices.create_register(db, "Kassa 9").id
            db.commit()
        page = new_staff(server, "manager").post_form("/admin/devices/kiosks", {"register": str(register_id)}).text
    assert re.search(r"KIOSKPAIR:http://kassa\.example\.se:8080:[0-9A-Z]{5}-[0-9A-Z]{5}", page)
    assert "which only this computer reaches" not in page
