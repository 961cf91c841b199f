"""The right person on the right sale (issue 13, issue 16 points 2 and 4), over HTTP against a real server.

- The first connection of a sale stands; a later match becomes a prompt the cashier accepts or refuses.
- Every connect, replace, disconnect and refusal is in the sale's history: who, when, how.
- The phone form, Enter ID and scanned contact cards never connect on a phone number alone.
- Consent only from the person proven to be the customer.
- A kiosk never changes a closed sale; staff do, audited.

Run on PostgreSQL too: TEST_DATABASE_URL=postgresql://... (see CONTRIBUTING.md).
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from sqlalchemy import select

from backoffice.models import AuditEvent, ConnectionPrompt, ConsentRecord, Customer, Sale
from tests.support.api import error_code, personnummer
from tests.support.staff import new_staff, register_id


@pytest.fixture
def cashier(backoffice):
    return new_staff(backoffice, "cashier")


@pytest.fixture
def rid(backoffice, till) -> int:
    return register_id(backoffice, till.name)


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _person(make_customer, first: str, last: str, **fields) -> dict:
    """A customer whose names no other test uses (the names carry a tag)."""
    tag = _tag()
    return make_customer(first_name=f"{first}{tag}", last_name=f"{last}{tag}", **fields)


def _name(customer: dict) -> str:
    return f"{customer['first_name']} {customer['last_name']}"


def _identify(till, **body):
    body.setdefault("method", "enter")
    return till.kiosk.post("/api/v1/identify", body, headers={"Idempotency-Key": uuid.uuid4().hex}).json()


def _by_number(till, customer: dict, **extra) -> dict:
    return _identify(till, kind="customer_number", customer_number=str(customer["customer_number"]), **extra)


def _sale_customer(till, sale: dict) -> str | None:
    found = till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]
    return found["reference"] if found else None


def _prompts(backoffice, customer: dict) -> list[ConnectionPrompt]:
    with backoffice.runtime.read_sessions() as db:
        stmt = (select(ConnectionPrompt).join(Customer, Customer.id == ConnectionPrompt.customer_id)
                .where(Customer.reference == customer["reference"]).order_by(ConnectionPrompt.id))
        return list(db.execute(stmt).scalars())


def _history(till, sale: dict) -> list[dict]:
    response = till.pos.get(f"/api/v1/sales/{sale['reference']}/connections")
    assert response.status_code == 200, response.text
    return response.json()["connections"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _consents(backoffice, customer: dict) -> int:
    with backoffice.runtime.read_sessions() as db:
        stmt = select(ConsentRecord.id).join(Customer, Customer.id == ConsentRecord.customer_id).where(
            Customer.reference == customer["reference"])
        return len(db.execute(stmt).all())


# ------------------------------------------------------------------ no silent replacement


def test_a_second_match_asks_the_cashier_instead_of_replacing_the_first_customer(backoffice, till, cashier, rid,
                                                                                  make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    sale = till.open_sale()
    assert _by_number(till, sara)["connected"] is True
    second = _by_number(till, elsa)
    assert second["result"] == "matched" and second["connected"] is False
    assert _sale_customer(till, sale) == sara["reference"]  # the first connection stands

    [prompt] = _prompts(backoffice, elsa)
    assert prompt.reason == "replace" and prompt.status == "pending"
    view = cashier.api("GET", f"/api/v1/console/{rid}/prompts/{prompt.reference}").json()
    assert view["current"]["name"] == _name(sara) and view["customer"]["name"] == _name(elsa)
    page = _text(cashier.get(f"/console/{rid}").text)
    assert f"Replace {_name(sara)} with {_name(elsa)}?" in page
    assert f"Customer on this sale {_name(sara)}" in page  # the current customer at the top

    accepted = cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/accept")
    assert accepted.status_code == 200, accepted.text
    assert _sale_customer(till, sale) == elsa["reference"]
    history = _history(till, sale)
    assert [(h["action"], h["customer"], h["previous"]) for h in history] == [
        ("connected", _name(sara), ""), ("replaced", _name(elsa), _name(sara))]
    assert history[0]["via"] == "kiosk_enter" and history[0]["actor"]  # how, and who
    assert history[1]["actor"] != history[0]["actor"] and history[1]["at"] >= history[0]["at"]
    again = cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/accept")
    assert again.status_code == 409 and error_code(again) == "prompt_accepted"


def test_refusing_keeps_the_first_customer_and_the_refusal_is_in_the_history(backoffice, till, cashier, rid,
                                                                             make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    sale = till.open_sale()
    _by_number(till, sara)
    _by_number(till, elsa)
    _by_number(till, elsa)  # the same match twice is one question
    [prompt] = _prompts(backoffice, elsa)
    refused = cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/refuse")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert _sale_customer(till, sale) == sara["reference"]
    assert [h["action"] for h in _history(till, sale)] == ["connected", "refused"]
    assert f"Replace {_name(sara)}" not in _text(cashier.get(f"/console/{rid}").text)


def test_a_confirmed_registration_does_not_take_over_a_sale_that_has_a_customer(backoffice, till, make_customer,
                                                                                new_phone):
    sara = _person(make_customer, "Sara", "Nyberg")
    sale = till.open_sale()
    _by_number(till, sara)
    registration = till.kiosk.post("/api/v1/kiosk/registrations",
                                   {"source": "enter", "first_name": "Vera", "last_name": _tag(), "phone": new_phone()},
                                   headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    confirmed = till.pos.post(f"/api/v1/registrations/{registration['reference']}/confirm").json()
    assert _sale_customer(till, sale) == sara["reference"]
    [prompt] = _prompts(backoffice, confirmed["customer"])
    assert prompt.reason == "replace"


def test_a_card_scanned_at_the_till_on_a_sale_with_a_customer_becomes_a_prompt(backoffice, till, cashier, rid,
                                                                               make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    sale = till.open_sale()
    _by_number(till, sara)
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": str(elsa["customer_number"])}).json()
    assert outcome["outcome"] == "prompted" and _name(sara) in outcome["message"]
    assert _sale_customer(till, sale) == sara["reference"]
    assert [p.reason for p in _prompts(backoffice, elsa)] == ["replace"]


def test_connecting_by_hand_over_another_customer_needs_replace_and_the_customer_the_cashier_saw(till, cashier,
                                                                                                make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    bo = _person(make_customer, "Bo", "Berg")
    sale = till.open_sale()
    path = f"/api/v1/sales/{sale['reference']}/customer"
    assert cashier.api("PUT", path, {"customer": sara["reference"]}).status_code == 200
    refused = cashier.api("PUT", path, {"customer": elsa["reference"]})
    assert refused.status_code == 409 and error_code(refused) == "customer_already_connected"
    assert refused.json()["error"]["current"]["reference"] == sara["reference"]
    stale = cashier.api("PUT", path, {"customer": elsa["reference"], "replace": True, "replaces": bo["reference"]})
    assert stale.status_code == 409 and error_code(stale) == "customer_changed"
    replaced = cashier.api("PUT", path, {"customer": elsa["reference"], "replace": True, "replaces": sara["reference"]})
    assert replaced.status_code == 200 and replaced.json()["customer"]["reference"] == elsa["reference"]
    assert cashier.api("DELETE", path).json()["customer"] is None
    history = _history(till, sale)
    assert [h["action"] for h in history] == ["connected", "replaced", "disconnected"]
    assert history[2]["previous"] == _name(elsa) and history[2]["via"] == "cashier"


def test_the_console_panel_shows_the_current_customer_and_the_sale_history(till, cashier, rid, make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    sale = till.open_sale()
    before = _text(cashier.get(f"/console/{rid}/panel").text)
    assert "No customer on this sale yet" in before
    _by_number(till, sara)
    panel = _text(cashier.get(f"/console/{rid}/panel").text)
    assert f"Customer on this sale {_name(sara)}" in panel and "Enter ID at the kiosk" in panel
    assert f"Connected {_name(sara)}" in panel  # the history
    cashier.api("DELETE", f"/api/v1/sales/{sale['reference']}/customer")
    after = _text(cashier.get(f"/console/{rid}/panel").text)
    assert "No customer on this sale yet" in after and f"Disconnected {_name(sara)}" in after


# ------------------------------------------------------------------ what must agree


def _phone_form(till, **data) -> tuple[requests.Session, requests.Response, dict]:
    visit = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()
    browser = requests.Session()
    browser.get(visit["url"] + "?lang=en", timeout=30)
    result = browser.post(visit["url"], data={"lang": "en", **data}, timeout=30)
    return browser, result, visit


def test_the_phone_form_with_someone_elses_phone_and_another_name_greets_connects_and_consents_nobody(
        backoffice, till, cashier, rid, make_customer, new_phone):
    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    sale = till.open_sale()
    _, result, visit = _phone_form(till, first_name="Eve", last_name="Dropper", phone=phone, marketing_consent="yes")
    assert result.status_code == 200
    assert greta["first_name"] not in result.text and "Welcome" not in result.text
    followed = till.kiosk.get(f"/api/v1/mobile-sessions/{visit['reference']}").json()
    assert followed["status"] == "checking" and "customer" not in followed
    assert _sale_customer(till, sale) is None
    assert _consents(backoffice, greta) == 0  # issue 16 point 2

    [prompt] = _prompts(backoffice, greta)
    view = cashier.api("GET", f"/api/v1/console/{rid}/prompts/{prompt.reference}").json()
    assert view["reason"] == "verify" and view["presented"] == "phone_form"
    assert view["agreed"] == ["phone"] and view["differed"] == ["first_name", "last_name"]
    page = _text(cashier.get(f"/console/{rid}").text)
    assert "Agreed: phone number" in page and "Did not agree: first name, last name" in page

    # The cashier checks and decides: it is Greta after all. Still no consent from a form that proved nothing.
    assert cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/accept").status_code == 200
    assert _sale_customer(till, sale) == greta["reference"]
    assert till.kiosk.get(f"/api/v1/mobile-sessions/{visit['reference']}").json()["status"] == "matched"
    assert _consents(backoffice, greta) == 0


def test_the_phone_form_refused_by_the_cashier_tells_the_phone_to_ask_at_the_counter(backoffice, till, cashier, rid,
                                                                                     make_customer, new_phone):
    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    till.open_sale()
    browser, _, visit = _phone_form(till, first_name="Eve", last_name="Dropper", phone=phone)
    [prompt] = _prompts(backoffice, greta)
    cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/refuse")
    assert till.kiosk.get(f"/api/v1/mobile-sessions/{visit['reference']}").json()["status"] == "expired"
    again = browser.get(visit["url"] + "?lang=en", timeout=30)
    assert "Ask the cashier" in again.text and greta["first_name"] not in again.text


def test_the_phone_form_with_the_customers_own_phone_and_names_connects_and_records_consent(backoffice, till,
                                                                                           make_customer, new_phone):
    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    sale = till.open_sale()
    _, result, _ = _phone_form(till, first_name=greta["first_name"].upper(), last_name=f"  {greta['last_name']} ",
                               phone="0" + phone[3:], marketing_consent="yes")
    assert f"Welcome, {greta['first_name']}!" in result.text
    assert _sale_customer(till, sale) == greta["reference"]
    assert _consents(backoffice, greta) == 1


def test_the_phone_form_with_only_the_first_name_agreeing_goes_to_the_cashier_saying_so(backoffice, till,
                                                                                       make_customer, new_phone):
    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    till.open_sale()
    _, result, _ = _phone_form(till, first_name=greta["first_name"], last_name="Lundqvist", phone=phone)
    assert "Welcome" not in result.text
    [prompt] = _prompts(backoffice, greta)
    assert prompt.evidence == {"agreed": ["phone", "first_name"], "differed": ["last_name"]}


def test_the_phone_form_with_a_personal_id_of_one_customer_and_the_phone_of_another_connects_neither(
        backoffice, till, make_customer, new_phone):
    pid = personnummer("19810303", f"{int(_tag(), 16) % 900 + 100:03d}")
    anna = _person(make_customer, "Anna", "Ahl", personal_id=pid)
    berts_phone = new_phone()
    _person(make_customer, "Bert", "Berg", phone=berts_phone)
    sale = till.open_sale()
    _, result, _ = _phone_form(till, first_name=anna["first_name"], last_name=anna["last_name"],
                               phone=berts_phone, personal_id=pid)
    assert result.status_code == 200, result.text
    assert "Welcome" not in result.text and _sale_customer(till, sale) is None
    [prompt] = _prompts(backoffice, anna)
    assert "phone" in prompt.evidence["differed"] and "personal_id" in prompt.evidence["agreed"]


def test_enter_id_with_a_phone_number_alone_greets_nobody_and_asks_the_cashier(backoffice, till, make_customer,
                                                                               new_phone):
    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    sale = till.open_sale()
    answer = _identify(till, kind="phone", phone=phone)
    assert answer == {"result": "not_found", "can_register": False, "reason": "ask_cashier"}
    assert greta["first_name"] not in str(answer) and _sale_customer(till, sale) is None
    [prompt] = _prompts(backoffice, greta)
    assert prompt.reason == "verify" and prompt.presented == "enter"


def test_enter_id_with_a_personal_id_number_alone_connects(till, make_customer):
    pid = personnummer("19790404", f"{int(_tag(), 16) % 900 + 100:03d}")
    ivar = _person(make_customer, "Ivar", "Is", personal_id=pid)
    sale = till.open_sale()
    answer = _identify(till, kind="personal_id", personal_id=pid)
    assert answer["result"] == "matched" and answer["connected"] is True
    assert _sale_customer(till, sale) == ivar["reference"]


def test_a_scanned_vcard_with_the_phone_but_another_name_asks_the_cashier(backoffice, till, cashier, rid,
                                                                         make_customer, new_phone):
    phone = new_phone()
    olga = _person(make_customer, "Olga", "Ohlsson", phone=phone)
    sale = till.open_sale()
    at_kiosk = _identify(till, method="scan", kind="vcard", first_name="Someone", last_name="Else", phone=phone)
    assert at_kiosk == {"result": "not_found", "can_register": False, "reason": "ask_cashier"}
    vcard = f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Else;Someone\r\nTEL;TYPE=CELL:{phone}\r\nEND:VCARD\r\n"
    at_till = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": vcard}).json()
    assert at_till["outcome"] == "prompted"
    assert _sale_customer(till, sale) is None
    assert {p.presented for p in _prompts(backoffice, olga)} == {"vcard"}


def test_a_licence_with_the_customers_personal_id_connects_even_under_another_name(till, make_customer):
    pid = personnummer("19770707", f"{int(_tag(), 16) % 900 + 100:03d}")
    karin = _person(make_customer, "Karin", "Kask", personal_id=pid)
    sale = till.open_sale()
    answer = _identify(till, method="scan", kind="se_licence", first_name="Karin", last_name="Married", personal_id=pid)
    assert answer["result"] == "matched" and answer["connected"] is True
    assert _sale_customer(till, sale) == karin["reference"]


def test_confirming_a_registration_with_someone_elses_phone_and_another_name_is_refused_at_the_phone(
        till, make_customer, new_phone):
    phone = new_phone()
    _person(make_customer, "Rut", "Rask", phone=phone)
    registration = till.kiosk.post("/api/v1/kiosk/registrations",
                                   {"source": "enter", "first_name": "Ruth", "last_name": "Other", "phone": phone},
                                   headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    refused = till.pos.post(f"/api/v1/registrations/{registration['reference']}/confirm")
    assert refused.status_code == 409 and error_code(refused) == "phone_belongs_to_other"
    assert refused.json()["error"]["field"] == "phone"
    assert till.pos.get(f"/api/v1/registrations/{registration['reference']}").json()["status"] == "pending"


# ------------------------------------------------------------------ closed sales: staff only (issue 16 point 4)


def test_a_kiosk_naming_a_closed_sale_cannot_reassign_its_customer(backoffice, till, cashier, rid, make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    sale = till.open_sale()
    _by_number(till, sara)
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    answer = _by_number(till, elsa, sale=sale["reference"])
    assert answer["connected"] is False
    assert _sale_customer(till, sale) == sara["reference"]
    [prompt] = _prompts(backoffice, elsa)
    assert prompt.reason == "closed_sale"
    # Only staff change it, and it is audited.
    assert cashier.api("POST", f"/api/v1/console/{rid}/prompts/{prompt.reference}/accept").status_code == 200
    assert _sale_customer(till, sale) == elsa["reference"]
    with backoffice.runtime.read_sessions() as db:
        actions = set(db.execute(select(AuditEvent.action).join(Customer, Customer.id == AuditEvent.customer_id)
                                 .where(Customer.reference == elsa["reference"])).scalars())
    assert {"customer_replaced", "connection_prompt_accepted"} <= actions
    assert [h["action"] for h in _history(till, sale)] == ["connected", "replaced"]


def test_a_kiosk_naming_a_closed_sale_without_a_customer_leaves_it_to_staff(backoffice, till, make_customer):
    pia = _person(make_customer, "Pia", "Pil")
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    assert _by_number(till, pia, sale=sale["reference"])["connected"] is False
    assert _sale_customer(till, sale) is None
    with backoffice.runtime.read_sessions() as db:
        assert db.execute(select(Sale.customer_id).where(Sale.reference == sale["reference"])).scalar_one() is None
    assert [p.reason for p in _prompts(backoffice, pia)] == ["closed_sale"]


def test_an_unanswered_prompt_expires_and_its_phone_visit_with_it(backoffice, till, make_customer, new_phone):
    import datetime as dt

    from backoffice.app import housekeeping
    from backoffice.models import MobileSession, RegisterEvent

    phone = new_phone()
    greta = _person(make_customer, "Greta", "Garbo", phone=phone)
    till.open_sale()
    _, _, visit = _phone_form(till, first_name="Eve", last_name="Dropper", phone=phone)
    [prompt] = _prompts(backoffice, greta)
    with backoffice.runtime.sessions() as db:
        db.get(ConnectionPrompt, prompt.id).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.execute(select(MobileSession).where(MobileSession.reference == visit["reference"])).scalar_one() \
            .expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.commit()
    housekeeping(backoffice.runtime)
    [expired] = _prompts(backoffice, greta)
    assert expired.status == "expired"
    assert till.kiosk.get(f"/api/v1/mobile-sessions/{visit['reference']}").json()["status"] == "expired"
    with backoffice.runtime.read_sessions() as db:
        resolved = [e.data for e in db.execute(select(RegisterEvent).where(
            RegisterEvent.type == "connection_prompt_resolved")).scalars()]
    assert {"prompt": prompt.reference, "status": "expired"} in resolved


def test_two_matches_at_the_same_moment_connect_one_customer_and_prompt_the_other(backoffice, till, make_customer):
    import threading

    people = [_person(make_customer, f"Samtidig{i}", "Kund") for i in range(4)]
    sale = till.open_sale()
    answers: list[dict] = []
    start = threading.Barrier(len(people))

    def identify(person):
        start.wait()
        answers.append(_by_number(till, person))

    threads = [threading.Thread(target=identify, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["connected"] for a in answers) == [False, False, False, True]
    winner = _sale_customer(till, sale)
    assert winner in {p["reference"] for p in people}
    assert [h["action"] for h in _history(till, sale)] == ["connected"]
    assert sum(len(_prompts(backoffice, p)) for p in people if p["reference"] != winner) == 3


def test_a_registration_that_finds_a_customer_by_personal_id_under_another_name_records_no_consent(
        backoffice, till, make_customer):
    pid = personnummer("19830808", f"{int(_tag(), 16) % 900 + 100:03d}")
    anna = _person(make_customer, "Anna", "Ahl", personal_id=pid)
    registration = till.kiosk.post("/api/v1/kiosk/registrations",
                                   {"source": "enter", "first_name": "Someone", "last_name": "Else", "personal_id": pid,
                                    "marketing_consent": True},
                                   headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    confirmed = till.pos.post(f"/api/v1/registrations/{registration['reference']}/confirm").json()
    assert confirmed["customer"]["reference"] == anna["reference"]  # a personal ID number is enough to find them
    assert _consents(backoffice, anna) == 0  # but not to speak for them


def test_the_kiosks_own_client_reads_the_ask_cashier_and_checking_answers(till, make_customer, new_phone):
    """The kiosk validates every answer into counter_core.kiosk_api's types: the new reason and status are in them."""
    from kiosk.api import BackofficeClient

    phone = new_phone()
    _person(make_customer, "Greta", "Garbo", phone=phone)
    till.open_sale()
    client = BackofficeClient(till.kiosk.base_url, till.kiosk_token)
    answer = client.identify({"method": "enter", "kind": "phone", "phone": phone}, uuid.uuid4().hex)
    assert answer.result == "not_found" and answer.reason == "ask_cashier" and answer.customer is None
    _, _, visit = _phone_form(till, first_name="Eve", last_name="Dropper", phone=phone)
    view = client.mobile_session(visit["reference"])
    assert view.status == "checking" and view.customer is None
