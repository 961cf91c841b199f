"""A cashier finds a customer by the last four digits of the phone number ("the one ending 4567"), and the
look-up goes on the audit trail like any search by phone."""

from __future__ import annotations

import random

from sqlalchemy import select, update

from backoffice.models import AuditEvent, Customer
from backoffice.services import customer_list, customers
from tests.support.staff import new_staff


def _ending_phone(ending: str) -> str:
    """A Swedish mobile number ending with the four digits (+46 70 xxx yyyy)."""
    return f"+4670{random.randrange(100, 999)}{ending}"


def test_the_console_finds_every_customer_whose_phone_ends_with_the_four_digits(backoffice, till, make_customer):
    ending = f"{random.randrange(1000, 9999)}"
    first = make_customer(first_name="Sara", last_name="Änden", phone=_ending_phone(ending))
    second = make_customer(first_name="Elsa", last_name="Änden", phone=_ending_phone(ending))
    other = make_customer(first_name="Olle", last_name="Änden", phone=_ending_phone(f"{(int(ending) + 1) % 9000 + 1000}"))
    cashier = new_staff(backoffice, "cashier")
    register = cashier.get("/console?choose=1").text.split('href="/console/')[1].split('"')[0]
    found = cashier.get(f"/console/{register}/search", params={"q": ending}).text
    assert first["reference"] in found and second["reference"] in found
    assert other["reference"] not in found
    with backoffice.runtime.read_sessions() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "customer_searched")
                           .order_by(AuditEvent.id.desc())).scalars().first()
    assert event.detail["by"] == "phone_ending" and event.detail["found"] >= 2


def test_the_back_office_list_finds_them_too_and_a_miss_is_an_empty_list(backoffice, make_customer):
    ending = f"{random.randrange(1000, 9999)}"
    customer = make_customer(first_name="Nils", last_name="Slutsiffra", phone=_ending_phone(ending))
    manager = new_staff(backoffice, "manager")
    listing = manager.get("/admin/customers", params={"q": ending}).text
    assert f"/admin/customers/{customer['reference']}" in listing
    with backoffice.runtime.read_sessions() as db:
        page = customer_list.list_page(db, backoffice.runtime.vault, q=ending)
        assert customer["reference"] in [c.reference for c in page.customers] and page.exact


def test_customers_stored_before_the_ending_existed_are_filled_in_by_housekeeping(backoffice, make_customer):
    from backoffice.app import housekeeping

    ending = f"{random.randrange(1000, 9999)}"
    customer = make_customer(first_name="Gammal", last_name="Kund", phone=_ending_phone(ending))
    with backoffice.runtime.sessions() as db:
        db.execute(update(Customer).where(Customer.reference == customer["reference"])
                   .values(phone_ending_lookup=None))
        db.commit()
    with backoffice.runtime.read_sessions() as db:
        assert customer["reference"] not in [c.reference for c in customers.search(db, backoffice.runtime.vault, ending)]
    for _ in range(50):  # other tests' customers may be waiting too; each round fills a batch
        housekeeping(backoffice.runtime, retention=False)
        with backoffice.runtime.read_sessions() as db:
            left = db.execute(select(Customer.id).where(Customer.phone_ending_lookup.is_(None))).first()
        if left is None:
            break
    with backoffice.runtime.read_sessions() as db:
        found = customers.search(db, backoffice.runtime.vault, ending)
    assert customer["reference"] in [c.reference for c in found]
