"""A kiosk (or whoever stands at it) learns whether a number is a customer only as the flow needs: no more.

Identify answers matched (first name, groups) or not found; an invalid number
differs from an unknown one only by validation.  Registrations, phone visits
and the phone form answer the same for known and unknown people, and anything
of another register or kiosk looks exactly like something that does not exist.
"""

from __future__ import annotations

import re
import uuid

import requests

from tests.support.api import error_code, personnummer


def _identify(till, **body):
    return till.kiosk.post("/api/v1/identify", {"method": "enter", **body})


def _register(till, **fields):
    return till.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter", **fields},
                           headers={"Idempotency-Key": str(uuid.uuid4())})


def _shape(value):
    """The answer with every value replaced by its type: what it tells beyond its values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_an_invalid_personal_id_and_an_unknown_one_differ_only_by_validation(till, make_customer):
    known = personnummer("19811111", "246")
    make_customer(first_name="Vera", personal_id=known)
    invalid = _identify(till, kind="personal_id", personal_id=known[:-1] + str((int(known[-1]) + 1) % 10))
    assert invalid.status_code == 422 and error_code(invalid) == "invalid_personal_id"
    assert set(invalid.json()["error"]) == {"code", "message", "field"}
    unknowns = [_identify(till, kind="personal_id", personal_id=personnummer("19811111", f"{n:03d}")) for n in (247, 248)]
    assert [u.json() for u in unknowns] == [{"result": "not_found", "can_register": True}] * 2
    unknown_phone = _identify(till, kind="phone", phone="+46709876543").json()
    assert unknown_phone == unknowns[0].json()  # not even the kind of number shows
    assert _identify(till, kind="personal_id", personal_id=known).json()["result"] == "matched"


def test_a_registration_is_answered_alike_for_a_known_and_an_unknown_person(till, make_customer, new_phone):
    phone = new_phone()
    make_customer(first_name="Nils", phone=phone, personal_id=personnummer("19700707", "135"))
    known = _register(till, first_name="Nils", phone=phone, personal_id=personnummer("19700707", "135"))
    unknown = _register(till, first_name="Nils", phone=new_phone(), personal_id=personnummer("19700707", "136"))
    assert known.status_code == unknown.status_code == 201
    assert _shape(known.json()) == _shape(unknown.json())
    assert known.json()["status"] == unknown.json()["status"] == "pending"


def test_another_registers_registration_looks_exactly_like_one_that_does_not_exist(backoffice, till, new_phone):
    from tests.support.api import Api

    _, other_token = backoffice.register_with_kiosk()
    other = Api(backoffice.base_url, other_token)
    theirs = other.post("/api/v1/kiosk/registrations", {"source": "enter", "first_name": "Olga", "phone": new_phone()})
    assert theirs.status_code == 201
    foreign = till.kiosk.get(f"/api/v1/kiosk/registrations/{theirs.json()['reference']}")
    made_up = till.kiosk.get("/api/v1/kiosk/registrations/reg_00000000000000000000")
    assert foreign.status_code == made_up.status_code == 404
    assert foreign.json() == made_up.json()


def test_another_kiosks_phone_visit_looks_exactly_like_one_that_does_not_exist(backoffice, till):
    from tests.support.api import Api

    _, other_token = backoffice.register_with_kiosk()
    theirs = Api(backoffice.base_url, other_token).post("/api/v1/mobile-sessions", {"language": "en"}).json()
    foreign = till.kiosk.get(f"/api/v1/mobile-sessions/{theirs['reference']}")
    made_up = till.kiosk.get("/api/v1/mobile-sessions/mob_00000000000000000000")
    assert foreign.status_code == made_up.status_code == 404
    assert foreign.json() == made_up.json()


def test_a_phone_visit_answers_the_kiosk_alike_until_the_phone_has_sent_the_form(till, make_customer, new_phone):
    make_customer(first_name="Saga", phone=new_phone())
    first = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()
    second = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()
    assert _shape(first) == _shape(second) and first["url"] != second["url"]


def test_the_phone_form_shows_a_membership_code_only_to_who_typed_the_customers_own_names(till, make_customer,
                                                                                        new_phone):
    phone = new_phone()
    make_customer(first_name="Greta", last_name="Garbo", phone=phone)
    url = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()["url"]
    browser = requests.Session()
    browser.get(url + "?lang=en", timeout=30)
    result = browser.post(url, data={"first_name": "Eve", "last_name": "Dropper", "phone": phone, "lang": "en"},
                          timeout=30)
    # Was: "Welcome, Greta!" (the phone number alone matched). Now another name gets no greeting and no first name.
    assert result.status_code == 200 and "Greta" not in result.text
    assert "<svg" not in result.text and "membership code" not in result.text
    assert not re.search(r'class="code"', result.text)
    # A forged proof cookie does not help either.
    browser.cookies.set("m_card", "0" * 64, path="/m")
    again = browser.get(url + "?lang=en", timeout=30)
    assert "membership code" not in again.text


def test_a_kiosk_cannot_read_audit_exports_or_erase(till, make_customer):
    customer = make_customer()
    for method, path in (
        ("GET", f"/api/v1/customers/{customer['reference']}/export"),
        ("POST", f"/api/v1/customers/{customer['reference']}/erase"),
        ("DELETE", f"/api/v1/customers/{customer['reference']}?erase=true"),
        ("GET", "/api/v1/audit-events"),
        ("GET", f"/api/v1/customers/{customer['reference']}/sales"),
        ("GET", f"/api/v1/customers?q={customer['customer_number']}"),
    ):
        response = till.kiosk.call(method, path)
        assert response.status_code == 403 and error_code(response) == "kiosk_not_allowed", path
