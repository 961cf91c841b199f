"""The console and the back office of a Swedish shop in a real browser (Debian's chromium, Playwright).

Swedish everywhere a cashier looks (live state, prompts, dialog, refusals, toasts), the back office menu on one
row at 1366x768, the criteria preview without "null", and the phone's membership QR centred on its card.
Screenshots go to test-artifacts/swedish/ (sv-console.png, sv-backoffice.png, ...).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice.models import IdCard
from backoffice.services import cards
from tests.support.api import Api
from tests.support.browser import chromium_available, launch_chromium, staff_pages
from tests.support.database import fresh_database
from tests.support.server import start_in_thread
from tests.support.staff import register_id

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "swedish"
LAPTOP = {"width": 1366, "height": 768}  # the back office's smallest everyday screen
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("swedish-browser")
    with fresh_database(data_dir) as url:
        server = start_in_thread(data_dir, url, shop_language="sv")
        yield server
        server.stop()


@pytest.fixture(scope="module")
def chromium():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def signed_in(chromium, shop):
    with staff_pages(chromium, shop, viewport=LAPTOP, locale="sv-SE", timezone_id="Europe/Stockholm") as open_as:
        yield open_as


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


def _till(shop):
    register, token = shop.register_with_kiosk(f"Kassa {uuid.uuid4().hex[:3]}")
    return register, Api(shop.base_url, token), Api(shop.base_url, shop.api_key())


def test_the_console_speaks_swedish_to_the_cashier(shop, signed_in):
    register, kiosk, pos = _till(shop)
    customer = pos.post("/api/v1/customers", {"first_name": "Sara", "last_name": "Nyberg", "phone": "+46701112233",
                                              "labels": ["stamkund"]}).json()
    sale = pos.post("/api/v1/sales", {"register": register}).json()
    pos.post(f"/api/v1/sales/{sale['reference']}/lines",
             [{"product": "Kanelbulle", "brand": "Bageriet", "quantity": 2, "unit_price": "32.00"},
              {"product": "Cappuccino", "brand": "Linnea Rosteri", "variant": "Stor", "unit_price": "42.00"}])
    pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    page = signed_in("cashier", f"/console/{register_id(shop, register)}")
    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.locator("#live")).to_have_text("Ansluten")
    expect(page.locator(".customer-name")).to_have_text("Sara Nyberg")
    expect(page.locator(".sale-card")).to_contain_text("Öppet sedan")
    kiosk.post("/api/v1/identify", {"method": "scan", "kind": "vcard", "first_name": "Elsa", "last_name": "Ek",
                                    "phone": "+46702223344"}, headers={"Idempotency-Key": str(uuid.uuid4())})
    prompt = page.locator(".prompt-registration")
    expect(prompt).to_contain_text("Elsa E. vill bli kund")
    expect(prompt).to_contain_text("går ut om")
    _shot(page, "sv-console")
    page.locator("#scan").fill("2233")  # the last four digits of Sara's phone
    expect(page.locator("#results .result")).to_contain_text("Sara Nyberg")
    page.locator("[data-action=create-customer]").click()
    dialog = page.locator("#customer-dialog")
    expect(dialog.locator("#dialog-title")).to_have_text("Skapa kund")
    dialog.locator("#dialog-submit").click()
    expect(dialog.locator("#dialog-error")).to_contain_text("Förnamn: ange ett förnamn eller efternamn")
    expect(dialog.locator("#f-first_name")).to_have_attribute("aria-invalid", "true")
    dialog.locator("#f-first_name").fill("Olle")
    dialog.locator("#f-phone").fill("070-111 22 33")  # Sara's number
    dialog.locator("#dialog-submit").click()
    expect(dialog.locator("#dialog-error")).to_contain_text(
        "Mobilnummer: en annan kund har redan det här telefonnumret")
    expect(dialog.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator('[data-field="phone"] .field-error')).to_have_text(
        "En annan kund har redan det här telefonnumret.")
    _shot(page, "sv-console-duplicate-phone")


def test_the_back_office_menu_fits_one_row_at_1366_and_pages_are_swedish(shop, signed_in):
    pos = Api(shop.base_url, shop.api_key())
    for first, last, city in (("Anna", "Andersson", "Stockholm"), ("Elin", "Öberg", "Umeå"),
                              ("Johan", "Lindqvist", "Göteborg"), ("Ida", "Åberg", "Malmö")):
        pos.post("/api/v1/customers", {"first_name": first, "last_name": last, "city": city,
                                       "email": f"{first.lower()}@exempel.se", "labels": ["stamkund"]})
    page = signed_in("manager", "/admin/customers")
    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.locator("h1")).to_have_text("Kunder")
    tops = page.eval_on_selector_all(".topbar .mainnav a, .topbar .brand, .topbar .who", "els => els.map(e => "
                                     "Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))")
    assert max(tops) - min(tops) <= 2, f"the menu wraps: centres at {tops}"
    assert page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().height") <= 64
    _shot(page, "sv-backoffice")
    page.goto(f"{shop.base_url}/admin/groups/new")
    page.get_by_role("button", name="+ Lägg till villkor").click()
    tag = f"ingen-{uuid.uuid4().hex[:6]}"
    page.locator('#criteria-editor input[list="suggest-tag"]').fill(tag)  # a tag nobody has
    page.locator("#preview-button").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("kunder matchar i dag.")
    assert "null" not in preview.inner_text()
    expect(preview.locator(".preview-count")).to_have_text("0")
    _shot(page, "sv-group-preview")


def test_the_phones_membership_qr_is_centred_on_its_card(shop, chromium):
    with shop.runtime.sessions() as db:
        batch = cards.create_batch(db, "Q" + uuid.uuid4().hex[:5].upper(), 1)
        code = db.execute(select(IdCard.code).where(IdCard.batch_id == batch.id)).scalar_one()
        db.commit()
    context = chromium.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{shop.base_url}/c/{code}")
        card = page.eval_on_selector(".card", "e => { const r = e.getBoundingClientRect(); return [r.left, r.width]; }")
        qr = page.eval_on_selector(".qr svg", "e => { const r = e.getBoundingClientRect(); return [r.left, r.width]; }")
        drawn = page.eval_on_selector(".qr svg path", "e => { const r = e.getBoundingClientRect(); "
                                                      "return [r.left, r.width]; }")
        card_centre, qr_centre = card[0] + card[1] / 2, drawn[0] + drawn[1] / 2
        assert abs(card_centre - qr_centre) <= 2, (card, qr, drawn)
        assert drawn[1] >= 0.8 * qr[1]  # the code fills its box instead of sitting in a corner of it
        _shot(page, "sv-phone-card")
    finally:
        context.close()
