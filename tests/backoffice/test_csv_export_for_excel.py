"""The customer export opens as it is in the staff member's Excel: Swedish semicolons and a BOM, English commas,
phone numbers as text without a visible quote, and cells that would run as formulas still neutralised."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from backoffice.services.export import safe_cell, spreadsheet_phone
from tests.support.api import Api
from tests.support.database import fresh_database
from tests.support.server import start_in_thread
from tests.support.staff import new_staff

# What Excel runs as a formula when a cell starts with it (and so what an export must never leave first).
FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture(scope="module")
def swedish_shop(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("excel")
    with fresh_database(data_dir) as url:
        server = start_in_thread(data_dir, url, shop_language="sv")
        yield server
        server.stop()


def _export(staff, **params) -> bytes:
    response = staff.get("/admin/customers/export.csv", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return response.content


def test_phone_numbers_are_text_excel_keeps_without_a_quote():
    assert spreadsheet_phone("+46701234567", "SE") == "070-123 45 67"
    assert spreadsheet_phone("+4741234567", "SE") == "00 47 41 23 45 67"
    for number in ("+46701234567", "+4741234567", "+447911123456", "+33612345678"):
        cell = spreadsheet_phone(number, "SE")
        assert not cell.startswith(FORMULA_STARTS) and not cell.startswith("'")
        assert cell.replace(" ", "").replace("-", "").lstrip("0").isdigit()


def test_formula_starts_are_still_neutralised():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "Anna")] == ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "Anna"]


def test_a_swedish_export_has_semicolons_a_bom_swedish_titles_and_plain_phone_numbers(swedish_shop):
    pos = Api(swedish_shop.base_url, swedish_shop.api_key())
    mark = "Excel" + uuid.uuid4().hex[:6]
    made = pos.post("/api/v1/customers", {"first_name": "=HYPERLINK(\"http://x\")", "last_name": mark,
                                          "phone": "+46701234567", "city": "Göteborg", "marketing_consent": True})
    assert made.status_code == 201, made.text
    abroad = pos.post("/api/v1/customers", {"first_name": "Ola", "last_name": mark, "phone": "+4741234567"})
    assert abroad.status_code == 201, abroad.text
    content = _export(new_staff(swedish_shop, "manager"))
    assert content.startswith("\ufeff".encode())  # Excel reads UTF-8 (å, ä, ö) only with the BOM
    text = content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("Kundnummer;Förnamn;Efternamn;E-post;Mobilnummer;")
    rows = [r for r in csv.DictReader(io.StringIO(text), delimiter=";") if r["Efternamn"] == mark]
    by_name = {r["Förnamn"]: r for r in rows}
    assert by_name["'=HYPERLINK(\"http://x\")"]["Mobilnummer"] == "070-123 45 67"
    assert by_name["'=HYPERLINK(\"http://x\")"]["Ort"] == "Göteborg"
    assert by_name["'=HYPERLINK(\"http://x\")"]["Samtycke till marknadsföring"] == "ja"
    assert by_name["Ola"]["Mobilnummer"] == "00 47 41 23 45 67"
    assert "'" not in "".join(r["Mobilnummer"] for r in rows)
    assert all(len(r["Skapad"]) == 16 for r in rows)  # 2026-12-07 14:02, the shop's clock


def test_a_staff_member_reading_english_gets_commas(swedish_shop):
    staff = new_staff(swedish_shop, "manager")
    assert staff.post_form("/account/language", {"language": "en"}).status_code == 200
    text = _export(staff).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Customer number,First name,Last name,E-mail,Mobile phone,")
    assert ";" not in text.splitlines()[0]
