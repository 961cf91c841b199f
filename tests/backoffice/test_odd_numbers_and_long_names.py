"""Inputs the API fuzzer found crashing the server (each was a 500) are refused or handled plainly now."""

from __future__ import annotations

import uuid

import pytest
import requests

from backoffice.services import devices, sales
from tests.support.api import Api, error_code
from tests.support.staff import another_backoffice, new_staff, register_id, sign_in_response

TOO_BIG = "99999999999999999999"  # more than SQLite's and PostgreSQL's integers hold


def test_an_id_too_large_for_the_database_is_refused_not_a_crash(backoffice, till, pos):
    console = new_staff(backoffice, "cashier")
    for response, status in (
        (console.api("POST", f"/api/v1/console/{TOO_BIG}/scan", {"text": "x"}), 422),
        (console.api("POST", f"/api/v1/console/{TOO_BIG}/customers", {"first_name": "A"}), 422),
        (pos.post(f"/api/v1/kiosks/{TOO_BIG}/revoke"), 422),
        (pos.delete(f"/api/v1/kiosks/{TOO_BIG}/lockout"), 422),
        (pos.get("/api/v1/audit-events", params={"before": TOO_BIG}), 422),
        (pos.post("/api/v1/sales", {"register": TOO_BIG}), 404),
        (pos.get("/api/v1/sales", params={"register": TOO_BIG}), 404),
        (pos.post("/api/v1/kiosks", {"register": TOO_BIG}), 404),
    ):
        assert response.status_code == status, response.text
        assert error_code(response)
    for path in (f"/console/{TOO_BIG}", f"/admin/staff/{TOO_BIG}", f"/admin/sales?before={TOO_BIG}"):
        page = console.get(path)
        assert page.status_code in (403, 422), (path, page.status_code)


def test_a_console_resuming_from_an_odd_last_event_id_starts_from_now(backoffice, till):
    console = new_staff(backoffice, "cashier")
    register = register_id(backoffice, till.name)
    for odd in (TOO_BIG, "²", "-1"):
        with console.http.get(f"{backoffice.base_url}/console/{register}/events", stream=True, timeout=30,
                              headers={"Last-Event-ID": odd, "Accept": "text/event-stream"}) as stream:
            assert stream.status_code == 200
            assert next(stream.iter_lines(decode_unicode=True)).startswith("retry:")


@pytest.mark.parametrize("digits", ["²", "³", "٣٣"])
def test_digits_that_are_not_ascii_are_no_numbers(backoffice, till, pos, digits):
    identify = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                    "customer_number": digits})
    assert identify.status_code == 422 and error_code(identify) == "invalid_customer_number"
    opened = pos.post("/api/v1/sales", {"register": digits})
    assert opened.status_code == 404 and error_code(opened) == "register_not_found"
    audit = pos.get("/api/v1/audit-events", params={"customer": digits})
    assert audit.status_code == 404 and error_code(audit) == "customer_not_found"


def test_a_kiosk_paired_to_a_register_with_a_long_name_gets_a_default_name_that_fits(pos):
    name = ("Register with a very long name " + uuid.uuid4().hex)[:80].ljust(80, "x")
    assert pos.post("/api/v1/registers", {"name": name}).status_code == 201
    paired = pos.post("/api/v1/kiosks", {"register": name})
    assert paired.status_code == 201, paired.text
    assert paired.json()["name"] == f"Kiosk at {name}"[:80]


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    with another_backoffice(tmp_path_factory, identify_lockout_failures=2) as server:
        yield server


def test_names_of_eighty_characters_fit_the_audit_log(strict):
    username = ("u" + uuid.uuid4().hex * 3)[:80]
    with strict.runtime.sessions() as db:
        devices.create_staff(db, username, "correct-horse-1", "manager")
        register = devices.create_register(db, "K" * 80)
        _, token = devices.pair_kiosk(db, register, "k" * 80, actor="test")
        db.commit()
    _, wrong = sign_in_response(strict.base_url, username, "not-the-password")
    assert wrong.status_code == 401
    _, right = sign_in_response(strict.base_url, username, "correct-horse-1")
    assert right.status_code == 303
    kiosk = Api(strict.base_url, token)
    for number in ("91000001", "91000002"):
        kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number", "customer_number": number})
    locked = kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number", "customer_number": "1"})
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    pos = Api(strict.base_url, strict.api_key())
    consent = pos.post("/api/v1/customers", {"first_name": "Long", "marketing_consent": True})
    assert consent.status_code == 201
    with strict.runtime.read_sessions() as db:
        assert sales.get_register(db, "K" * 80).name == "K" * 80
    assert requests.get(f"{strict.base_url}/healthz", timeout=10).status_code == 200


def test_text_with_a_nul_character_is_refused_alike_on_both_databases(pos):
    """(JSON columns keep it escaped as \\u0000, which both databases store.)"""
    for response in (
        pos.get("/api/v1/registrations", params={"register": "Till\x00"}),
        pos.post("/api/v1/registers", {"name": "Till\x00 1"}),
        pos.post("/api/v1/kiosks", {"register": "Till\x00 1", "name": "k"}),
        pos.get("/api/v1/audit-events", params={"actor": "staff:\x00"}),
    ):
        assert response.status_code == 422 and error_code(response) == "invalid_characters", response.text


def test_a_search_that_grows_when_normalised_or_runs_long_finds_nothing_instead_of_failing(backoffice, till, pos):
    grows = "\u0958" * 100  # NFC spells each of these as two characters: 200, over a name's 100
    assert pos.get("/api/v1/customers", params={"q": grows}).json() == {"customers": []}
    manager = new_staff(backoffice, "manager")
    assert manager.get("/admin/customers", params={"q": grows}).status_code == 200
    console = new_staff(backoffice, "cashier")
    register = register_id(backoffice, till.name)
    assert console.get(f"/console/{register}/search", params={"q": "Lång " * 40}).status_code == 200


def test_a_label_longer_than_a_name_is_refused_with_a_reason(pos):
    response = pos.post("/api/v1/customers", {"first_name": "Lab", "labels": ["x" * 150]})
    assert response.status_code == 422 and error_code(response) == "invalid_fields"
    assert response.json()["error"]["fields"][0]["field"] == "labels"
