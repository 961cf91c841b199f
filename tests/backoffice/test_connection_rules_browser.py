"""The connection rules on the cashier console in a real browser (Debian's chromium through Playwright).

A second match arrives live as "Replace Sara Nyberg with Elsa Ek?"; the current customer is at the top of the
sale panel; Replace swaps them, Disconnect takes them off, and the "Customer connected" card of a customer who
is no longer on the sale goes.  Screenshots in test-artifacts/console/.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.browser import chromium_available, launch_chromium
from tests.support.staff import register_id

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]


@pytest.fixture(scope="module")
def chromium():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launch_chromium() as browser:
        yield browser


def _person(make_customer, first: str, last: str) -> dict:
    tag = uuid.uuid4().hex[:4]
    return make_customer(first_name=f"{first}{tag}", last_name=f"{last}{tag}")


def _by_number(till, customer: dict) -> dict:
    return till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                "customer_number": str(customer["customer_number"])},
                           headers={"Idempotency-Key": uuid.uuid4().hex}).json()


def test_a_second_match_is_a_replace_prompt_and_the_header_follows_the_sale(chromium, backoffice, till,
                                                                            make_customer):
    sara = _person(make_customer, "Sara", "Nyberg")
    elsa = _person(make_customer, "Elsa", "Ek")
    sara_name, elsa_name = f"{sara['first_name']} {sara['last_name']}", f"{elsa['first_name']} {elsa['last_name']}"
    till.open_sale()
    username, password = backoffice.staff("cashier")
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{backoffice.base_url}/login?next=/console/{register_id(backoffice, till.name)}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        expect(page.locator("#live")).to_have_attribute("data-state", "on")
        current = page.locator("#current-customer")
        expect(current).to_contain_text("No customer on this sale yet")

        assert _by_number(till, sara)["connected"] is True
        expect(current).to_contain_text(sara_name)
        expect(page.locator('[data-info^="connected:"]')).to_contain_text(sara_name)

        assert _by_number(till, elsa)["connected"] is False
        prompt = page.locator("[data-connection]")
        expect(prompt).to_contain_text(f"Replace {sara_name} with {elsa_name}?")
        expect(current).to_contain_text(sara_name)  # nothing changed until the cashier answers
        page.screenshot(path=str(SHOTS / "replace-prompt.png"), animations="disabled")

        prompt.locator('[data-connect-action="accept"]').click()
        expect(prompt).to_have_count(0)
        expect(current).to_contain_text(elsa_name)
        expect(page.locator(".connection-history")).to_contain_text(f"Replaced {sara_name} with {elsa_name}")
        # Sara's "Customer connected" card is no longer true: it goes.
        expect(page.locator(f'[data-info="connected:{sara["reference"]}"]')).to_have_count(0)

        current.locator('[data-action="disconnect"]').click()
        expect(current).to_contain_text("No customer on this sale yet")
        expect(page.locator('[data-info^="connected:"]')).to_have_count(0)
        expect(page.locator(".connection-history")).to_contain_text(f"Disconnected {elsa_name}")
        page.screenshot(path=str(SHOTS / "sale-history.png"), animations="disabled")
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def swedish_shop(tmp_path_factory):
    from tests.support.staff import another_backoffice

    with another_backoffice(tmp_path_factory, shop_language="sv") as server:
        yield server


def test_in_a_swedish_shop_choosing_another_customer_by_hand_asks_before_replacing(chromium, swedish_shop):
    from tests.support.api import Api

    shop = swedish_shop
    register, token = shop.register_with_kiosk(f"Kassa {uuid.uuid4().hex[:4]}")
    pos = Api(shop.base_url, shop.api_key())
    sara = pos.post("/api/v1/customers", {"first_name": "Sara", "last_name": "Nyberg", "phone": "+46701112233"}).json()
    elsa = pos.post("/api/v1/customers", {"first_name": "Elsa", "last_name": "Ek", "phone": "+46701112244"}).json()
    sale = pos.post("/api/v1/sales", {"register": register}).json()
    pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": sara["reference"]})
    kiosk = Api(shop.base_url, token)
    # A phone number alone at the kiosk: the cashier is asked, nobody is greeted.
    asked = kiosk.post("/api/v1/identify", {"method": "enter", "kind": "phone", "phone": "0701112244"},
                       headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    assert asked["reason"] == "ask_cashier"
    username, password = shop.staff("cashier")
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{shop.base_url}/login?next=/console/{register_id(shop, register)}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        expect(page.locator("#live")).to_have_attribute("data-state", "on")
        expect(page.locator("#current-customer")).to_contain_text("Kund på det här köpet Sara Nyberg")
        check = page.locator("[data-connection]").first
        expect(check).to_contain_text("Byta Sara Nyberg mot Elsa Ek?")
        expect(check).to_contain_text("Stämde: telefonnummer")
        expect(check).to_contain_text("Inget namn angivet")
        page.screenshot(path=str(SHOTS / "sv-phone-alone-prompt.png"), animations="disabled")
        check.locator('[data-connect-action="refuse"]').click()
        expect(page.locator("[data-connection]")).to_have_count(0)

        page.fill("#scan", "Elsa Ek")
        page.locator('#results [data-action="pick"]').first.click()
        local = page.locator('[data-connection^="local:"]')
        expect(local).to_contain_text("Byta Sara Nyberg mot Elsa Ek?")
        expect(page.locator("#current-customer")).to_contain_text("Sara Nyberg")
        local.locator('[data-connect-action="accept"]').click()
        expect(page.locator("#current-customer")).to_contain_text("Kund på det här köpet Elsa Ek")
        expect(page.locator(".connection-history")).to_contain_text("Bytte Sara Nyberg mot Elsa Ek")
        expect(page.locator(".connection-history")).to_contain_text("Avböjde Elsa Ek, behöll Sara Nyberg")
        page.screenshot(path=str(SHOTS / "sv-replaced-by-hand.png"), animations="disabled")
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["reference"] == elsa["reference"]
