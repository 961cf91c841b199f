"""The group editor and the scan log in a real browser (Debian's chromium through Playwright).

Screenshots go to test-artifacts/groups/.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.browser import chromium_available, launch_chromium, staff_pages

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "groups"
SCREEN = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]


@pytest.fixture(scope="module")
def chromium():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def manager_page(chromium, backoffice):
    """A signed-in manager's page; fails the test on any JavaScript error."""
    with staff_pages(chromium, backoffice, viewport=SCREEN) as open_as:
        yield lambda path: open_as("manager", path)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, animations="disabled")


def test_the_criteria_editor_builds_an_and_or_tree_previews_and_saves(manager_page, pos, make_customer):
    tag, plan = f"vip-{uuid.uuid4().hex[:6]}", f"Friend-{uuid.uuid4().hex[:6]}"
    make_customer(first_name="Vilma", last_name="Webb", tags=[tag])
    friend = make_customer(first_name="Folke", last_name="Webb")
    make_customer(first_name="Nils", last_name="Nobody")
    pos.post(f"/api/v1/customers/{friend['reference']}/memberships",
             {"plan": plan, "starts_on": (dt.date.today() - dt.timedelta(days=10)).isoformat()})
    page = manager_page("/admin/groups/new")
    expect(page.locator("#criteria-raw")).to_be_hidden()  # the structured editor replaces the JSON box
    page.fill("#name", f"Webb {tag}")
    page.click("text=+ Add criteria")
    editor = page.locator("#criteria-editor")
    editor.locator("select[aria-label=Match]").first.select_option("any")
    editor.locator("input[aria-label='Tag value']").fill(tag)
    editor.locator("text=+ Group of rules").first.click()
    nested = editor.locator(".rule-group.depth-2")
    nested.locator("select[aria-label=Field]").select_option("membership")
    nested.locator("input[aria-label=Plan]").fill(plan)
    nested.locator("select[aria-label=Operator]").select_option("active")
    nested.locator("text=+ Rule").click()
    nested.locator("select[aria-label=Field]").nth(1).select_option("age")
    nested.locator("input[aria-label='Age value']").fill("x")
    page.click("#preview-button")
    expect(nested.locator(".field-error")).to_contain_text("Enter an age in years")
    _shot(page, "01-editor-mistake")
    nested.locator("button[aria-label='Remove rule']").nth(1).click()
    page.click("#preview-button")
    expect(page.locator(".preview-count")).to_have_text("2")
    expect(page.locator("#preview")).to_contain_text("Folke Webb")
    expect(page.locator("#preview")).to_contain_text("Vilma Webb")
    _shot(page, "02-editor-preview")
    page.click("button[value=save]")
    expect(page.locator("#criteria-text")).to_have_text(f"has tag {tag} OR {plan} membership active today")
    expect(page.locator("#member-count")).to_have_text("2")
    _shot(page, "03-group-page")
    group_id = int(re.search(r"/admin/groups/(\d+)", page.url).group(1))
    saved = pos.get(f"/api/v1/groups/{group_id}").json()["criteria"]
    assert saved == {"match": "any", "rules": [
        {"field": "tag", "op": "has", "value": tag},
        {"match": "all", "rules": [{"field": "membership", "op": "active", "plan": plan}]}]}
    page.goto(page.url.split("?")[0] + "/edit")
    expect(page.locator("#criteria-editor input[aria-label=Plan]")).to_have_value(plan)  # rebuilt from the JSON
    page.goto(page.url.rsplit("/", 2)[0])
    expect(page.locator(f"#group-{group_id} .dot")).to_be_visible()
    _shot(page, "04-group-list")


def test_the_scan_log_shows_counts_and_filters_by_result(backoffice, manager_page, pos, make_customer):
    tag = f"door-{uuid.uuid4().hex[:6]}"
    group = pos.post("/api/v1/groups", {"name": f"Door {tag}", "colour": "#15803d", "criteria": {
        "match": "all", "rules": [{"field": "tag", "op": "has", "value": tag}]}}).json()
    member, outsider = make_customer(first_name="Maja", tags=[tag]), make_customer(first_name="Otto")
    _, token = backoffice.register_with_kiosk()
    door = Api(backoffice.base_url, token)
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if token.startswith(k["token_hint"]))
    pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": [group["id"]]})
    for number in (member["customer_number"], outsider["customer_number"], 98765429):
        door.post("/api/v1/kiosk/verify", {"kind": "customer_number", "customer_number": str(number)})
    page = manager_page(f"/admin/scans?kiosk={kiosk_id}")
    table = page.locator("#scan-table tbody tr")
    expect(table).to_have_count(3)
    expect(page.locator("#counts-today")).to_contain_text("Success")
    _shot(page, "05-scan-log")
    page.select_option("#result", "warning")
    page.click("#scan-filter button[type=submit]")
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("Not in the groups")
    expect(table.first.locator("a")).to_have_text(f"{outsider['first_name']} {outsider['last_name']}")
    expect(table.first).to_contain_text(f"No. {outsider['customer_number']}")
    _shot(page, "06-scan-log-filtered")
