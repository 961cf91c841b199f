"""The console's prompt cards in a real browser (Debian's chromium): what was presented, masked identifiers,
first name, age and countdown, the newest highlighted, abort with undo, and lifting a lockout at the till.

Screenshots go to test-artifacts/console/ (prompt-cards.png is the one to look at).
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.backoffice.test_console_browser import SHOTS, _console, _identify, _shot
from tests.backoffice.test_console_browser import chromium as _chromium
from tests.backoffice.test_console_browser import open_page as _open_page
from tests.support.browser import chromium_available

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]
chromium, open_page = _chromium, _open_page  # the console browser tests' fixtures

COUNTDOWN = re.compile(r"expires in \d+:\d\d")


def _registration(till, **body) -> dict:
    response = till.kiosk.post("/api/v1/kiosk/registrations", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return response.json()


def _icons_resolve(page) -> bool:
    """Every icon on the page is an SVG <use> of a symbol the page itself carries (no font glyph to miss)."""
    return page.evaluate("""() => {
        const uses = Array.from(document.querySelectorAll('.prompt-icon'));
        return uses.length > 0 && uses.every((box) => {
            const use = box.querySelector('svg use');
            const text = box.textContent.trim();
            return use && text === '' && document.querySelector(use.getAttribute('href'));
        });
    }""")


def test_prompt_cards_say_what_was_presented_who_how_long_ago_and_how_long_left(backoffice, till, open_page,
                                                                               new_phone):
    till.open_sale()
    page = _console(open_page, backoffice, till)
    _identify(till, method="scan", kind="vcard", first_name="Klara", last_name="Kvist", phone=new_phone(),
              email=f"klara.kvist.{uuid.uuid4().hex[:6]}@example.org")  # test_console_browser made a Klara Kvist
    expect(page.locator(".prompt-registration")).to_have_count(1)
    _identify(till, method="scan", kind="aamva", first_name="Lars", last_name="Licens", birth_date="1980-05-17",
              licence_number="D1234567")
    expect(page.locator(".prompt-registration")).to_have_count(2)
    phone = new_phone()
    _registration(till, source="enter", phone=phone)
    cards = page.locator(".prompt-registration")
    expect(cards).to_have_count(3)
    # Newest first; with several waiting, the newest is highlighted as most likely the customer at the till.
    expect(cards.nth(0).locator(".prompt-presented")).to_have_text("Enter ID: phone number")
    expect(cards.nth(1).locator(".prompt-presented")).to_have_text("Driving licence")
    expect(cards.nth(2).locator(".prompt-presented")).to_have_text("vCard")
    expect(cards.nth(0)).to_have_class(re.compile(r"\bprompt-newest\b"))
    expect(cards.nth(0).locator(".prompt-newest-badge")).to_be_visible()
    expect(cards.nth(1).locator(".prompt-newest-badge")).to_be_hidden()
    for index in range(3):
        expect(cards.nth(index).locator(".prompt-from")).to_have_text(f"Kiosk {till.name}")
        expect(cards.nth(index).locator(".prompt-age")).to_have_text(re.compile(r"^([01]\d|2[0-3]):[0-5]\d · just now$"))
        expect(cards.nth(index).locator(".prompt-expiry")).to_have_text(COUNTDOWN)
    # First name and masked identifiers only.
    expect(cards.nth(2).locator(".prompt-text")).to_have_text("Klara K. wants to become a customer")
    expect(cards.nth(2).locator(".prompt-detail")).to_contain_text("k•••@example.org")
    expect(cards.nth(1).locator(".prompt-detail")).to_contain_text("Born 1980")
    expect(cards.nth(0).locator(".prompt-detail")).to_contain_text(f"+46 •••• ••{phone[-2:]}")
    assert "Kvist" not in cards.nth(2).inner_text() and phone not in page.content()
    # The countdown runs, on the server's clock: never more than the registration's ten minutes.
    before = cards.nth(0).locator(".prompt-expiry").inner_text()
    minutes, seconds = re.search(r"(\d+):(\d\d)", before).groups()
    assert 580 <= int(minutes) * 60 + int(seconds) <= 600, before
    page.wait_for_timeout(1300)
    assert cards.nth(0).locator(".prompt-expiry").inner_text() != before
    assert _icons_resolve(page)
    sprite = page.locator(".icon-sprite").bounding_box()
    assert sprite is None or sprite["height"] == 0  # the sprite takes no room on the page
    page.screenshot(path=str(SHOTS / "prompt-cards.png"), animations="disabled")
    # A reload shows the same cards in the same order.
    order = [cards.nth(i).get_attribute("data-registration") for i in range(3)]
    page.reload()
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    expect(cards).to_have_count(3)
    assert [cards.nth(i).get_attribute("data-registration") for i in range(3)] == order
    expect(cards.nth(0)).to_have_class(re.compile(r"\bprompt-newest\b"))


def test_abort_can_be_undone_for_a_few_seconds_then_goes_through(backoffice, till, open_page, new_phone):
    page = _console(open_page, backoffice, till)
    answer = _identify(till, method="scan", kind="vcard", first_name="Ulla", last_name="Ångra", phone=new_phone())
    reference = answer["registration"]["reference"]
    card = page.locator(f'[data-registration="{reference}"]')
    card.locator('[data-action="abort"]').click()
    expect(card).to_be_hidden()
    undo = page.locator(".toast-undo")
    expect(undo).to_contain_text("Registration of Ulla aborted.")
    _shot(page, "abort-undo-toast")
    undo.locator("[data-undo]").click()
    expect(card).to_be_visible()
    expect(undo).to_have_count(0)
    page.wait_for_timeout(6500)  # past the undo time: nothing was sent
    followed = till.kiosk.get(f"/api/v1/kiosk/registrations/{reference}").json()
    assert followed["status"] == "pending"
    card.locator('[data-action="abort"]').click()
    expect(card).to_be_hidden()
    expect(page.locator(".toast-ok")).to_contain_text("the customer's details were removed", timeout=9000)
    expect(card).to_have_count(0)
    assert till.kiosk.get(f"/api/v1/kiosk/registrations/{reference}").json()["status"] == "aborted"


def test_leaving_the_page_sends_an_abort_still_waiting(backoffice, till, open_page, new_phone):
    page = _console(open_page, backoffice, till)
    answer = _identify(till, method="scan", kind="vcard", first_name="Gun", last_name="Gå", phone=new_phone())
    reference = answer["registration"]["reference"]
    page.locator(f'[data-registration="{reference}"] [data-action="abort"]').click()
    expect(page.locator(".toast-undo")).to_be_visible()
    page.goto(f"{backoffice.base_url}/console?choose=1")
    for _ in range(50):
        if till.kiosk.get(f"/api/v1/kiosk/registrations/{reference}").json()["status"] == "aborted":
            break
        page.wait_for_timeout(100)
    assert till.kiosk.get(f"/api/v1/kiosk/registrations/{reference}").json()["status"] == "aborted"


def test_the_cashier_lifts_a_kiosk_lockout_from_the_prompt(backoffice, till, open_page):
    page = _console(open_page, backoffice, till)
    for serial in range(10):  # the shared server's default: ten misses lock a kiosk out
        _identify(till, method="enter", kind="customer_number", customer_number=str(96_000_000 + serial))
    prompt = page.locator(".prompt-lockout")
    expect(prompt).to_be_visible()
    expect(prompt.locator(".prompt-until")).to_have_text(re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"))
    expect(prompt.locator(".prompt-expiry")).to_have_text(re.compile(r"unlocks in \d+:\d\d"))
    assert _icons_resolve(page)
    _shot(page, "lockout-lift")
    locked = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                   "customer_number": "96000099"})
    assert locked.status_code == 429
    prompt.locator('[data-action="lift-lockout"]').click()
    expect(prompt).to_have_count(0)
    expect(page.locator(".toast-ok")).to_contain_text(f"Kiosk {till.name} can be used again.")
    again = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                  "customer_number": "96000099"})
    assert again.status_code == 200 and again.json()["result"] == "not_found"


def test_the_scan_log_names_the_customer_and_what_was_presented_at_a_glance(backoffice, till, open_page,
                                                                            make_customer):
    pos = till.pos
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if k["register"] == till.name)
    assert pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": None}).ok
    member = make_customer(first_name="Siri", last_name="Skannad")
    group = pos.post("/api/v1/groups", {"name": f"Door {uuid.uuid4().hex[:6]}", "colour": "#15803d"}).json()
    pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": member["reference"]})

    def verify(**body):
        return till.kiosk.post("/api/v1/kiosk/verify", body, headers={"Idempotency-Key": uuid.uuid4().hex}).json()

    number = {"kind": "customer_number", "customer_number": str(member["customer_number"])}
    assert verify(**number)["result"] == "success"
    assert verify(**number)["already_scanned_time"]
    verify(kind="other", presented="vcard")
    verify(kind="other", presented="se_licence")
    page = open_page("manager", f"/admin/scans?kiosk={kiosk_id}")
    rows = page.locator("#scan-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0).locator(".scan-presented")).to_have_text("Swedish driving licence")
    expect(rows.nth(1).locator(".scan-presented")).to_have_text("vCard (contact card)")
    expect(rows.nth(2)).to_contain_text("Siri Skannad")
    expect(rows.nth(2)).to_contain_text("Already scanned")
    expect(rows.nth(3)).to_contain_text("Siri Skannad")
    _shot(page, "scan-log")


def test_a_connection_prompt_arriving_last_is_the_one_highlighted(backoffice, till, open_page, make_customer,
                                                                 new_phone):
    till.open_sale()
    sara, elsa = make_customer(first_name="Sara", last_name="Nyberg"), make_customer(first_name="Elsa", last_name="Ek")
    page = _console(open_page, backoffice, till)
    _identify(till, method="scan", kind="vcard", first_name="Klara", last_name="Kvist", phone=new_phone())
    expect(page.locator(".prompt-registration")).to_have_count(1)
    expect(page.locator(".prompt-newest")).to_have_count(0)  # one person waiting: nobody to tell apart
    for customer in (sara, elsa):  # the first connects, the second asks the cashier
        _identify(till, method="enter", kind="customer_number", customer_number=str(customer["customer_number"]))
    connection = page.locator(".prompt-connection")
    expect(connection).to_have_count(1)
    expect(connection).to_have_class(re.compile(r"\bprompt-newest\b"))
    expect(page.locator(".prompt-registration")).not_to_have_class(re.compile(r"\bprompt-newest\b"))
    _shot(page, "connection-newest")


def test_the_prompt_cards_in_swedish(backoffice, till, open_page, new_phone):
    from sqlalchemy import select, update

    from backoffice.models import StaffUser

    till.open_sale()
    page = _console(open_page, backoffice, till)
    with backoffice.runtime.sessions() as db:  # the cashier who just signed in picks Swedish
        newest = db.execute(select(StaffUser.id).order_by(StaffUser.id.desc()).limit(1)).scalar_one()
        db.execute(update(StaffUser).where(StaffUser.id == newest).values(language="sv"))
        db.commit()
    page.reload()
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    _identify(till, method="scan", kind="vcard", first_name="Klara", last_name="Kvist", phone=new_phone(),
              email=f"klara.kvist.{uuid.uuid4().hex[:6]}@example.org")
    expect(page.locator(".prompt-registration")).to_have_count(1)
    _identify(till, method="scan", kind="se_licence", first_name="Lars", last_name="Larsson",
              birth_date="1980-05-17", licence_number="19800517-2388")
    _registration(till, source="enter", phone=new_phone())
    cards = page.locator(".prompt-registration")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).locator(".prompt-presented")).to_have_text("Ange ID: telefonnummer")
    expect(cards.nth(1).locator(".prompt-presented")).to_have_text("Körkort")
    expect(cards.nth(0).locator(".prompt-newest-badge")).to_have_text("Senaste")
    expect(cards.nth(2)).to_contain_text("vill bli kund")
    expect(cards.nth(0).locator(".prompt-expiry")).to_have_text(re.compile(r"går ut om \d+:\d\d"))
    expect(cards.nth(0).locator(".prompt-age")).to_have_text(re.compile(r"\d\d:\d\d · nyss"))
    cards.nth(2).locator('[data-action="abort"]').click()
    expect(page.locator(".toast-undo")).to_contain_text("Registreringen av Klara avbröts.")
    expect(page.locator(".toast-undo [data-undo]")).to_have_text("Ångra")
    page.screenshot(path=str(SHOTS / "prompt-cards-sv.png"), animations="disabled")
    page.locator(".toast-undo [data-undo]").click()
    expect(cards).to_have_count(3)
