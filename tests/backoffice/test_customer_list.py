"""The back office's customer list: keyset pages (no OFFSET), name search in two streams, the CSV export."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import event

from backoffice.services import customer_list
from backoffice.services.export import csv_chunks, safe_cell
from tests.support.staff import new_staff


@pytest.fixture
def family(backoffice, make_customer):
    """Seven customers sharing a last name nobody else has, and one whose first name is that name."""
    name = "Zq" + uuid.uuid4().hex[:8]
    made = [make_customer(first_name=f"P{i}", last_name=name) for i in range(7)]
    made.append(make_customer(first_name=name, last_name="Aaberg"))
    return name, made


def _walk(db, vault, q: str, size: int, sort: str = customer_list.DEFAULT_SORT) -> list:
    pages, cursor = [], None
    while True:
        page = customer_list.list_page(db, vault, q=q, sort=sort, after=cursor, size=size)
        pages.append(page)
        cursor = page.next_cursor
        if not cursor:
            return pages


def test_search_pages_through_every_match_once_last_names_first(backoffice, family):
    name, made = family
    with backoffice.runtime.read_sessions() as db:
        pages = _walk(db, backoffice.runtime.vault, name.upper(), size=3)
    seen = [c.reference for page in pages for c in page.customers]
    assert [len(p.customers) for p in pages] == [3, 3, 2]
    assert sorted(seen) == sorted(c["reference"] for c in made) and len(set(seen)) == len(seen)
    assert seen[-1] == made[-1]["reference"]  # the first-name match comes after the last-name matches
    assert pages[0].prev_cursor is None and pages[1].prev_cursor


def test_previous_page_is_the_page_before(backoffice, family):
    name, _ = family
    vault = backoffice.runtime.vault
    with backoffice.runtime.read_sessions() as db:
        first = customer_list.list_page(db, vault, q=name, size=3)
        second = customer_list.list_page(db, vault, q=name, after=first.next_cursor, size=3)
        third = customer_list.list_page(db, vault, q=name, after=second.next_cursor, size=3)
        back = customer_list.list_page(db, vault, q=name, before=third.prev_cursor, size=3)
        back_again = customer_list.list_page(db, vault, q=name, before=back.prev_cursor, size=3)
    assert [c.id for c in back.customers] == [c.id for c in second.customers]
    assert [c.id for c in back_again.customers] == [c.id for c in first.customers]
    assert back.next_cursor and back_again.prev_cursor is None


@pytest.mark.parametrize("sort", sorted(customer_list.SORTS))
def test_every_sort_order_pages_in_order_without_offset(backoffice, family, sort):
    statements = []
    engine = backoffice.runtime.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement.upper(), parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with backoffice.runtime.read_sessions() as db:
            first = customer_list.list_page(db, backoffice.runtime.vault, sort=sort, size=4)
            second = customer_list.list_page(db, backoffice.runtime.vault, sort=sort, after=first.next_cursor, size=4)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    chosen = customer_list.SORTS[sort]
    keys = [(getattr(c, chosen.key), c.id) for c in first.customers + second.customers]
    assert keys == sorted(keys, reverse=chosen.descending) and len(set(keys)) == 8
    # SQLite's dialect writes "LIMIT ? OFFSET ?" with 0 for any LIMIT: no row is ever skipped by offset.
    assert all(params[-1] == 0 for sql, params in statements if " OFFSET " in sql)


def test_exact_identifiers_find_one_customer(backoffice, make_customer, new_phone):
    phone = new_phone()
    customer = make_customer(first_name="Exakt", phone=phone, email=f"exakt{uuid.uuid4().hex[:6]}@example.org")
    with backoffice.runtime.read_sessions() as db:
        for q in (phone, "0" + phone[3:], customer["email"], str(customer["customer_number"])):
            page = customer_list.list_page(db, backoffice.runtime.vault, q=q)
            assert page.exact and [c.reference for c in page.customers] == [customer["reference"]], q


def test_a_tampered_cursor_starts_from_the_first_page(backoffice):
    with backoffice.runtime.read_sessions() as db:
        for cursor in ("garbage", "WyJ4Il0", customer_list.encode_cursor(7, [1])):
            page = customer_list.list_page(db, backoffice.runtime.vault, after=cursor, size=2)
            assert page.prev_cursor is None


def test_the_list_page_shows_the_total_and_pages_with_next_and_previous(backoffice, family):
    name, _ = family
    manager = new_staff(backoffice, "manager")
    page = manager.get("/admin/customers", params={"q": name}).text
    assert page.count('href="/admin/customers/cus_') == 2 * 8  # number and name link per row
    listing = manager.get("/admin/customers").text
    assert "customers in the register" in listing and 'rel="next"' in listing
    following = manager.get("/admin/customers?" + listing.split('rel="next" href="?')[1].split('"')[0].replace("&amp;", "&"))
    assert following.status_code == 200 and 'rel="prev"' in following.text


def test_csv_cells_that_would_run_as_formulas_are_quoted():
    assert [safe_cell(v) for v in ("=1+1", "+46701234567", "-2", "@SUM(A1)", "\tx", "Anna", "", None, 42)] == [
        "'=1+1", "'+46701234567", "'-2", "'@SUM(A1)", "'\tx", "Anna", "", "", "42"]


def test_csv_export_streams_every_customer_and_only_consenting_ones_when_asked(backoffice, make_customer, pos):
    mark = "Csv" + uuid.uuid4().hex[:6]
    evil = make_customer(first_name="=HYPERLINK(\"http://x\")", last_name=mark, labels=["VIP"])
    keen = make_customer(first_name="Keen", last_name=mark, marketing_consent=True)
    manager = new_staff(backoffice, "manager")
    response = manager.get("/admin/customers/export.csv", stream=True)
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = {r["Customer number"]: r for r in rows if r["Last name"] == mark}
    assert mine[str(evil["customer_number"])]["First name"] == "'=HYPERLINK(\"http://x\")"
    assert mine[str(evil["customer_number"])]["Labels"] == "VIP"
    assert mine[str(keen["customer_number"])]["Mobile phone"].startswith("073")  # as text, no quote (see export)
    assert mine[str(keen["customer_number"])]["Marketing consent"] == "yes"
    consenting = manager.get("/admin/customers/export.csv?marketing=1").content.decode("utf-8-sig")
    marketing_rows = list(csv.DictReader(io.StringIO(consenting)))
    assert {r["Customer number"] for r in marketing_rows if r["Last name"] == mark} == {str(keen["customer_number"])}
    assert all(r["Marketing consent"] == "yes" for r in marketing_rows)


def test_csv_export_is_written_in_batches(backoffice, make_customer, monkeypatch):
    from backoffice.services import export

    for _ in range(3):
        make_customer()
    monkeypatch.setattr(export, "BATCH", 2)
    chunks = list(csv_chunks(backoffice.runtime.read_sessions, backoffice.runtime.vault, marketing_only=False))
    rows = sum(chunk.decode("utf-8-sig").count("\n") for chunk in chunks) - 1
    assert len(chunks) == 1 + (rows + 1) // 2  # a header chunk, then one per batch of two
