"""The pairing page in a real browser (Debian's chromium through Playwright): the code as a QR and as text,
the countdown, and, once the kiosk has traded the code, when it was used (the QR taken away).

Screenshots go to test-artifacts/pairing/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backoffice.services import devices
from counter_core.pairing import parse_pairing_payload
from tests.support.api import Api
from tests.support.browser import chromium_available, launch_chromium

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pairing"
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]


def test_the_pairing_page_counts_down_and_says_when_the_kiosk_used_the_code(backoffice):
    SHOTS.mkdir(parents=True, exist_ok=True)
    register = backoffice.unique("Kassa")
    with backoffice.runtime.sessions() as db:
        devices.create_register(db, register)
        db.commit()
    username, password = backoffice.staff("manager")
    errors: list[str] = []
    with launch_chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{backoffice.base_url}/login?next=/admin/devices")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        card = page.locator("section.register-card", has=page.get_by_role("heading", name=register))
        card.get_by_label("Kiosk name").fill("Kiosk vid dörren")
        card.get_by_role("button", name="Pair a kiosk").click()
        page.wait_for_load_state()
        expect(page.locator("#pairing-status")).to_contain_text(re.compile(r"Waiting for the kiosk .* \d:\d\d left"))
        expect(page.locator("#pairing-code svg")).to_be_visible()
        page.screenshot(path=str(SHOTS / "01-pairing-code.png"), full_page=True, animations="disabled")
        shown = re.search(r"KIOSKPAIR:https?://\S+?:[0-9A-Z]{5}-[0-9A-Z]{5}", page.locator("#pairing").inner_text())
        payload = parse_pairing_payload(shown.group(0))
        assert page.locator("#code").inner_text().replace("-", "") == payload.code  # the same code as text

        answer = Api(backoffice.base_url).post("/api/v1/kiosk/pair", {"code": payload.code},
                                               headers={"X-Forwarded-For": "203.0.113.9"})
        assert answer.status_code == 200, answer.text
        expect(page.locator("#pairing-status")).to_contain_text(
            re.compile(rf"Used at \d\d:\d\d:\d\d: Kiosk vid dörren is paired with {register}"), timeout=8000)
        expect(page.locator("#pairing-code")).to_be_hidden()  # a spent code is not left on the screen
        page.screenshot(path=str(SHOTS / "02-used.png"), full_page=True, animations="disabled")
    assert not errors, f"JavaScript errors: {errors}"
