"""Every bad request gets a 4xx with a reason code, and nothing is half-written."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from backoffice.models import Customer, PendingRegistration
from tests.support.api import Api, error_code


def _counts(backoffice) -> tuple[int, int]:
    with backoffice.runtime.read_sessions() as db:
        return (
            db.execute(select(func.count(Customer.id))).scalar_one(),
            db.execute(select(func.count(PendingRegistration.id))).scalar_one(),
        )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ('{"method": "enter", "kind": "phone", "phone": ', 400, "malformed_json"),
        ('{"method": "enter", "kind": "teleport"}', 422, "invalid_request"),
        ('{"method": 7, "kind": "phone"}', 422, "invalid_request"),
        ('{"method": "enter", "kind": "phone", "phone": "123"}', 422, "invalid_phone"),
        ('{"method": "enter", "kind": "phone", "phone": "070-abc"}', 422, "invalid_phone"),
        ('{"method": "enter", "kind": "personal_id", "personal_id": "19121212-1213"}', 422, "invalid_personal_id"),
        ('{"method": "enter", "kind": "personal_id", "personal_id": "19991399-1234"}', 422, "invalid_personal_id"),
        ('{"method": "enter", "kind": "customer_number", "customer_number": "12ab"}', 422, "invalid_customer_number"),
        ('{"method": "scan", "kind": "card_code", "card_code": "<script>"}', 422, "invalid_card_code"),
        ('{"method": "scan", "kind": "vcard", "first_name": "A", "email": "not-mail"}', 422, "invalid_fields"),
        ('[1, 2, 3]', 422, "invalid_request"),
    ],
)
def test_malformed_or_invalid_identify_requests_are_refused_with_a_reason(backoffice, till, body, status, code):
    before = _counts(backoffice)
    response = till.kiosk.post("/api/v1/identify", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert _counts(backoffice) == before


def test_oversize_body_is_refused_before_it_is_read(backoffice, till):
    huge = '{"method": "scan", "kind": "vcard", "first_name": "' + "x" * 200_000 + '"}'
    response = till.kiosk.post("/api/v1/identify", data=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_code(response) == "body_too_large"


def test_chunked_oversize_body_without_length_is_refused(backoffice, till):
    def chunks():
        yield b'{"method": "scan", "kind": "vcard", "first_name": "'
        for _ in range(100):
            yield b"x" * 4096
        yield b'"}'

    response = till.kiosk.post("/api/v1/identify", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "unauthorized"),
        ("Bearer kd_not-a-real-token", "invalid_token"),
        ("Bearer pk_not-a-real-key", "invalid_token"),
        ("Bearer something-else", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "unauthorized"),
    ],
)
def test_missing_or_unknown_credentials_are_refused(backoffice, header, code):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{backoffice.base_url}/api/v1/kiosk/state", headers=headers, timeout=10)
    assert response.status_code == 401 and error_code(response) == code


def test_revoked_kiosk_token_stops_working_at_once(backoffice, till):
    assert till.kiosk.get("/api/v1/kiosk/state").status_code == 200
    kiosks = Api(backoffice.base_url, backoffice.api_key()).get("/api/v1/kiosks").json()["kiosks"]
    kiosk_id = next(k["id"] for k in kiosks if k["register"] == till.name)
    assert till.pos.post(f"/api/v1/kiosks/{kiosk_id}/revoke").status_code == 200
    response = till.kiosk.get("/api/v1/kiosk/state")
    assert response.status_code == 401 and error_code(response) == "token_revoked"


def test_double_submitted_registration_with_one_key_creates_one(backoffice, till, new_phone):
    key = str(uuid.uuid4())
    body = {"source": "enter", "phone": new_phone()}
    first = till.kiosk.post("/api/v1/kiosk/registrations", body, headers={"Idempotency-Key": key})
    second = till.kiosk.post("/api/v1/kiosk/registrations", body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] == second.json()["reference"]


def test_empty_registration_is_refused(till):
    response = till.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter"})
    assert response.status_code == 422 and error_code(response) == "nothing_to_register"


def test_unknown_route_and_wrong_method_answer_in_the_error_shape(backoffice, till):
    assert error_code(till.kiosk.get("/api/v1/nowhere")) == "not_found"
    response = till.kiosk.call("DELETE", "/api/v1/identify")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"


def test_overlong_idempotency_key_is_refused(till, new_phone):
    response = till.kiosk.post(
        "/api/v1/identify", {"method": "enter", "kind": "phone", "phone": new_phone()}, headers={"Idempotency-Key": "k" * 101}
    )
    assert response.status_code == 422 and error_code(response) == "invalid_request"


def test_openapi_schema_documents_the_kiosk_and_pos_endpoints(backoffice):
    schema = requests.get(f"{backoffice.base_url}/openapi.json", timeout=10).json()
    for path in ("/api/v1/identify", "/api/v1/kiosk/state", "/api/v1/sales", "/api/v1/customers",
                 "/api/v1/mobile-sessions", "/api/v1/registrations/{reference}/confirm"):
        assert path in schema["paths"], path
