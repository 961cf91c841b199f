"""Via mobile over real HTTP: the kiosk starts a session, a phone fills the form, the kiosk follows."""

from __future__ import annotations

import datetime as dt
import re

import requests
from sqlalchemy import select

from backoffice.models import MobileSession


def _start(till, language="sv") -> dict:
    response = till.kiosk.post("/api/v1/mobile-sessions", {"language": language})
    assert response.status_code == 201, response.text
    return response.json()


def _follow(till, session) -> dict:
    return till.kiosk.get(f"/api/v1/mobile-sessions/{session['reference']}").json()


def test_phone_form_matches_a_known_customer_and_offers_their_membership_qr(till, make_customer, new_phone):
    phone = new_phone()
    make_customer(first_name="Wilma", phone=phone)
    sale = till.open_sale()
    session = _start(till)
    assert session["status"] == "waiting" and session["url"].startswith("http")
    browser = requests.Session()
    form = browser.get(session["url"] + "?lang=en")
    assert form.status_code == 200 and "Connect your purchase" in form.text
    assert _follow(till, session)["status"] == "opened"
    result = browser.post(session["url"], data={"first_name": "wilma", "last_name": "Customer", "phone": "0" + phone[3:],
                                                "lang": "en"})
    assert result.status_code == 200 and "Welcome, Wilma!" in result.text
    assert "<svg" in result.text and "Your membership code" in result.text
    code = re.search(r'class="code">([A-Z0-9-]+)<', result.text).group(1)
    followed = _follow(till, session)
    assert followed["status"] == "matched" and followed["customer"]["first_name"] == "Wilma"
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["name"].startswith("Wilma")
    # the saved code is what Scan ID recognises next time
    answer = till.kiosk.post("/api/v1/identify", {"method": "scan", "kind": "card_code", "card_code": code}).json()
    assert answer["result"] == "matched" and answer["customer"]["first_name"] == "Wilma"


def test_phone_form_shows_every_field_error_and_keeps_what_was_typed(till):
    session = _start(till)
    browser = requests.Session()
    browser.get(session["url"])
    page = browser.post(session["url"], data={"first_name": "Xena", "last_name": "", "phone": "12345",
                                              "personal_id": "19121212-1213", "lang": "en"})
    assert page.status_code == 422
    assert "This field is required." in page.text
    assert "Enter a mobile number" in page.text and "Check your personal ID number" in page.text
    assert 'value="Xena"' in page.text
    assert _follow(till, session)["status"] == "opened"


def test_unknown_person_on_the_phone_becomes_a_pending_registration_then_gets_the_qr(till, new_phone):
    session = _start(till)
    browser = requests.Session()
    browser.get(session["url"])
    page = browser.post(session["url"], data={"first_name": "Yrsa", "last_name": "Ym", "phone": new_phone(),
                                              "marketing_consent": "yes", "lang": "sv"})
    assert "Kassören bekräftar din registrering" in page.text
    followed = _follow(till, session)
    assert followed["status"] == "pending"
    reference = followed["registration"]["reference"]
    till.pos.post(f"/api/v1/registrations/{reference}/confirm")
    page = browser.get(session["url"])
    assert "Välkommen, Yrsa!" in page.text and "<svg" in page.text


def test_a_used_code_opened_by_another_phone_shows_a_friendly_page(till, new_phone):
    session = _start(till)
    browser = requests.Session()
    browser.get(session["url"])
    browser.post(session["url"], data={"first_name": "Zack", "last_name": "Z", "phone": new_phone(), "lang": "en"})
    other = requests.get(session["url"] + "?lang=en", timeout=10)
    assert other.status_code == 410 and "This code has been used" in other.text
    assert "Zack" not in other.text


def test_an_expired_code_shows_a_friendly_page_and_the_kiosk_sees_expired(backoffice, till):
    session = _start(till)
    with backoffice.runtime.sessions() as db:
        row = db.execute(select(MobileSession).where(MobileSession.reference == session["reference"])).scalar_one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.commit()
    page = requests.get(session["url"] + "?lang=en", timeout=10)
    assert page.status_code == 410 and "This code has expired" in page.text
    assert "Traceback" not in page.text
    assert _follow(till, session)["status"] == "expired"
    posted = requests.post(session["url"], data={"first_name": "A", "last_name": "B", "phone": "0701234567"}, timeout=10)
    assert posted.status_code == 410


def test_a_made_up_code_shows_a_friendly_page(backoffice):
    for token in ("m_doesnotexist", "garbage", "m_" + "x" * 500):
        page = requests.get(f"{backoffice.base_url}/m/{token}?lang=en", timeout=10)
        assert page.status_code == 404 and "This code is not valid" in page.text


def test_kiosk_long_poll_on_the_session_wakes_when_the_phone_opens_it(till):
    import threading
    import time

    session = _start(till)
    seen = {}

    def poll():
        started = time.monotonic()
        seen["view"] = till.kiosk.get(f"/api/v1/mobile-sessions/{session['reference']}",
                                      params={"wait": 15, "after": "waiting"}).json()
        seen["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.4)
    requests.get(session["url"], timeout=10)
    thread.join(20)
    assert seen["view"]["status"] == "opened" and seen["seconds"] < 3


def test_card_page_shows_the_code_and_nothing_personal(backoffice):
    page = requests.get(f"{backoffice.base_url}/c/unknown-code?lang=en", timeout=10)
    assert page.status_code == 404 and "Unknown card" in page.text
