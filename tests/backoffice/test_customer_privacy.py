"""GDPR for a manager: export everything about a customer, erase them for good, and see who looked at what."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests
from sqlalchemy import inspect, select, text

from backoffice.models import (
    AuditEvent,
    CustomerGroup,
    GroupMember,
    IdCard,
    Membership,
    Sale,
    VerifyScan,
)
from backoffice.services import cards, customers, mail
from tests.support.api import error_code, personnummer
from tests.support.staff import new_staff, sign_in


@pytest.fixture
def manager(backoffice):
    return new_staff(backoffice, "manager")


class Person:
    """A customer with something in every corner of the database: the reason export and erasure exist."""

    def __init__(self, backoffice, till, phone: str):
        tag = uuid.uuid4().hex[:6]
        self.first, self.last = f"Xanthe{tag}", f"Zwirnblatt{tag}"
        self.phone = phone
        self.personal_id = personnummer("19850212", f"{int(tag, 16) % 900 + 100:03d}")
        self.email = f"xanthe.{tag}@example.org"
        body = {"first_name": self.first, "last_name": self.last, "phone": phone, "personal_id": self.personal_id,
                "email": self.email, "street": f"Gatan {tag} 3", "postal_code": "11122", "city": "Stockholm",
                "country": "SE", "notes": f"Likes {self.first} tea", "labels": ["Regular"], "tags": ["vip"],
                "marketing_consent": True}
        created = till.pos.post("/api/v1/customers", body)
        assert created.status_code == 201, created.text
        self.reference = created.json()["reference"]
        self.number = created.json()["customer_number"]
        rt = backoffice.runtime
        with rt.sessions() as db:
            customer = customers.get_by_reference(db, self.reference)
            db.add(Membership(customer_id=customer.id, plan="Friend", starts_on=dt.date(2025, 1, 1)))
            group = CustomerGroup(name=f"Friends {tag}", colour="#ff0000")
            db.add(group)
            db.flush()
            db.add(GroupMember(group_id=group.id, customer_id=customer.id, manual=True))
            batch = cards.create_batch(db, "PRIV", 1)
            self.card = db.execute(select(IdCard).where(IdCard.batch_id == batch.id)).scalar_one()
            cards.link(db, self.card, customer, actor="test")
            mail.queue(db, to=self.email, subject="Your card", body=f"Hello {self.first}", actor="test",
                       customer_id=customer.id)
            db.add(VerifyScan(kiosk_id=None, result="success", customer_reference=self.reference))
            db.commit()
            self.card_code = self.card.code
        # At the counter: a sale with lines, matched at the kiosk (a stored answer with the first name),
        # a phone visit, a registration confirmed for them, a search by phone.
        self.sale = till.open_sale()["reference"]
        lines = [{"product": "Oat latte", "brand": "Café", "variant": "Large", "quantity": "2", "unit_price": "45.00"}]
        assert till.pos.post(f"/api/v1/sales/{self.sale}/lines", lines).status_code == 200
        matched = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "personal_id",
                                                          "personal_id": self.personal_id},
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
        assert matched.json()["result"] == "matched"
        visit = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"}).json()
        requests.post(visit["url"], data={"first_name": self.first, "last_name": self.last, "phone": phone,
                                          "lang": "en"}, timeout=30)
        registration = till.kiosk.post("/api/v1/kiosk/registrations",
                                       {"source": "enter", "first_name": self.first, "personal_id": self.personal_id},
                                       headers={"Idempotency-Key": str(uuid.uuid4())}).json()
        assert till.pos.post(f"/api/v1/registrations/{registration['reference']}/confirm").status_code == 200
        assert till.pos.get("/api/v1/customers", params={"q": phone}).json()["customers"]
        till.pos.post(f"/api/v1/sales/{self.sale}/close")

    def needles(self) -> list[str]:
        digits = self.phone[3:]  # the national number without its 0 is inside every written form
        return [self.first, self.last, digits, self.personal_id, self.personal_id[2:], self.email]


@pytest.fixture
def person(backoffice, till, new_phone):
    return Person(backoffice, till, new_phone())


def _every_value(backoffice):
    """(table, column, text) for every value in every table, encrypted columns decrypted."""
    rt = backoffice.runtime
    with rt.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes):
                        try:
                            value = rt.vault.decrypt(bytes(value))
                        except RuntimeError:
                            value = bytes(value).decode("latin-1")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    yield table, column, str(value)


def test_a_manager_gets_everything_stored_about_a_customer_as_json(backoffice, till, person):
    export = till.pos.get(f"/api/v1/customers/{person.reference}/export")
    assert export.status_code == 200, export.text
    data = export.json()
    identity = data["identity"]
    assert identity["phone"] == person.phone and identity["personal_id"] == person.personal_id  # unmasked
    assert identity["first_name"] == person.first and identity["email"] == person.email
    assert data["address"]["postal_code"] == "11122" and data["address"]["city"] == "Stockholm"
    assert data["labels"] == ["Regular"] and data["tags"] == ["vip"]
    assert [c["code"] for c in data["cards"]] == [person.card_code]
    assert data["consents"][0]["purpose"] == "marketing" and data["consents"][0]["withdrawn_at"] is None
    assert data["memberships"] == [{"plan": "Friend", "starts_on": "2025-01-01", "ends_on": None}]
    assert data["groups"][0]["added_by_hand"] is True
    sale = next(s for s in data["sales"] if s["reference"] == person.sale)
    assert sale["lines"] == [{"product": "Oat latte", "brand": "Café", "variant": "Large", "quantity": "2",
                              "unit_price": "45.00"}]
    assert sale["total"] == "90.00" and sale["receipt_number"]
    assert data["mail"][0]["to"] == person.email
    assert data["registrations"][0]["status"] == "confirmed"
    actions = {e["action"] for e in data["audit_trail"]}
    assert {"customer_created", "consent_given", "card_linked", "customer_searched"} <= actions
    with backoffice.runtime.read_sessions() as db:
        last = db.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert last.action == "customer_exported" and last.actor.startswith("api_key:")


def test_a_cashier_and_a_kiosk_cannot_export_or_erase(backoffice, till, make_customer):
    customer = make_customer()
    cashier = new_staff(backoffice, "cashier")
    for response in (cashier.api("GET", f"/api/v1/customers/{customer['reference']}/export"),
                     cashier.api("POST", f"/api/v1/customers/{customer['reference']}/erase")):
        assert response.status_code == 403 and error_code(response) == "manager_only"
    assert till.kiosk.get(f"/api/v1/customers/{customer['reference']}/export").status_code == 403


def test_the_customer_page_offers_the_export_as_a_download(backoffice, manager, person):
    page = manager.get(f"/admin/customers/{person.reference}").text
    assert f"/admin/customers/{person.reference}/export.json" in page
    download = manager.get(f"/admin/customers/{person.reference}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "no-store"
    assert download.json()["identity"]["personal_id"] == person.personal_id


def test_erasure_leaves_no_personal_data_in_any_table_but_keeps_the_sales(backoffice, till, person):
    before = [hit for hit in _every_value(backoffice) if any(n in hit[2] for n in person.needles())]
    # The test sees them.  (The confirmed registration's copy is not required: housekeeping, running in
    # the background every few seconds, drops a resolved registration's personal data on its own.)
    assert {table for table, _, _ in before} >= {"customers", "idempotency_records", "register_events",
                                                  "mail_messages"}
    erased = till.pos.post(f"/api/v1/customers/{person.reference}/erase")
    assert erased.status_code == 200, erased.text
    summary = erased.json()
    assert summary["erased"] is True and summary["sales_kept"] >= 1 and summary["cards_unlinked"] == 1
    left = [f"{table}.{column}: {value[:80]}" for table, column, value in _every_value(backoffice)
            if any(n in value for n in person.needles())]
    assert not left, "personal data left after erasure:\n" + "\n".join(left)
    # The accounts stay: the sale and its lines, without the customer.
    sale = till.pos.get(f"/api/v1/sales/{person.sale}").json()
    assert sale["customer"] is None and sale["total"] == "90.00" and len(sale["lines"]) == 1
    assert till.pos.get(f"/api/v1/customers/{person.reference}").status_code == 404
    with backoffice.runtime.read_sessions() as db:
        card = db.execute(select(IdCard).where(IdCard.code == person.card_code)).scalar_one()
        assert card.customer_id is None and card.linked_at is None
        scan = db.execute(select(VerifyScan).where(VerifyScan.customer_reference == person.reference)).first()
        assert scan is None
        kept = list(db.execute(select(AuditEvent).where(AuditEvent.detail.is_not(None))).scalars())
        assert any((e.detail or {}).get("customer") == "erased" and e.action == "customer_created" for e in kept)
        assert db.execute(select(Sale.customer_id).where(Sale.reference == person.sale)).scalar_one() is None


def test_deleting_a_customer_erases_them_too(backoffice, till, person):
    deleted = till.pos.delete(f"/api/v1/customers/{person.reference}?erase=true")
    assert deleted.status_code == 204
    assert not [v for v in _every_value(backoffice) if person.first in v[2] or person.email in v[2]]


def test_a_manager_erases_a_customer_from_their_page_after_a_confirmation(backoffice, manager, make_customer):
    customer = make_customer(first_name="Ebba")
    confirm = manager.get(f"/admin/customers/{customer['reference']}/delete")
    assert confirm.status_code == 200 and "Erase Ebba Customer?" in confirm.text
    assert "Their sales stay in the accounts" in confirm.text and "Export their data first" in confirm.text
    done = manager.post_form(f"/admin/customers/{customer['reference']}/delete")
    assert done.status_code == 200 and f"customer {customer['customer_number']} was erased" in done.text
    assert manager.get(f"/admin/customers/{customer['reference']}").status_code == 404


def test_looking_a_customer_up_by_phone_or_personal_id_is_audited_but_a_name_search_is_not(backoffice, pos,
                                                                                          make_customer, new_phone):
    phone = new_phone()
    pid = personnummer("19790909", f"{uuid.uuid4().int % 900 + 100:03d}")
    customer = make_customer(first_name="Lookup", phone=phone, personal_id=pid)
    with backoffice.runtime.read_sessions() as db:
        customer_id = customers.get_by_reference(db, customer["reference"]).id
    for query in (phone, pid, "Lookup"):
        assert pos.get("/api/v1/customers", params={"q": query}).json()["customers"]
    unknown = pos.get("/api/v1/customers", params={"q": "+46709999999"}).json()["customers"]
    assert unknown == []
    events = pos.get("/api/v1/audit-events", params={"action": "customer_searched", "limit": 50}).json()["events"]
    mine = [e for e in events if e["customer"] and e["customer"]["reference"] == customer["reference"]]
    assert sorted(e["detail"]["by"] for e in mine) == ["personal_id", "phone"]
    assert any(e["customer"] is None and e["detail"] == {"by": "phone", "found": 0} for e in events)
    assert customer_id


def test_viewing_unmasking_and_exporting_are_on_the_audit_log(backoffice, manager, make_customer, new_phone):
    phone = new_phone()
    customer = make_customer(first_name="Audit", phone=phone)
    reference = customer["reference"]
    page = manager.get(f"/admin/customers/{reference}").text
    assert phone not in page and "Show phone and personal ID in full" in page
    revealed = manager.post_form(f"/admin/customers/{reference}/reveal")
    assert revealed.status_code == 200 and phone in revealed.text and "on the audit trail" in revealed.text
    manager.get(f"/admin/customers/{reference}/export.json")
    log = manager.get(f"/admin/audit?customer={customer['customer_number']}")
    assert log.status_code == 200
    for action in ("customer viewed", "identifiers unmasked", "customer exported", "customer created"):
        assert action in log.text, action


def test_the_audit_log_page_filters_by_customer_staff_and_action(backoffice, make_customer):
    username, password = backoffice.staff("manager")
    manager = sign_in(backoffice.base_url, username, password)
    first, second = make_customer(first_name="Filt"), make_customer(first_name="Other")
    manager.get(f"/admin/customers/{first['reference']}")
    manager.get(f"/admin/customers/{second['reference']}")
    by_customer = manager.get(f"/admin/audit?customer={first['reference']}").text
    assert f"No. {first['customer_number']}" in by_customer and f"No. {second['customer_number']}" not in by_customer
    by_staff = manager.get(f"/admin/audit?actor=staff:{username}&action=customer_viewed").text
    assert by_staff.count("<tr>") == 1 + 2  # the header and the two views
    unknown = manager.get("/admin/audit?customer=cus_nobody")
    assert unknown.status_code == 200 and "No customer has this reference or number." in unknown.text
    assert "Audit log" in manager.get("/admin/customers").text  # in the menu


def test_the_audit_log_api_pages_by_id(backoffice, pos, make_customer):
    customer = make_customer()
    for _ in range(3):
        pos.get(f"/api/v1/customers/{customer['reference']}")
    first = pos.get("/api/v1/audit-events", params={"customer": customer["reference"], "limit": 2}).json()
    assert len(first["events"]) == 2 and first["next_before"] == first["events"][-1]["id"]
    rest = pos.get("/api/v1/audit-events", params={"customer": customer["reference"], "limit": 2,
                                                   "before": first["next_before"]}).json()
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) == 4  # three views and the creation
    missing = pos.get("/api/v1/audit-events", params={"customer": "999999999"})
    assert missing.status_code == 404 and error_code(missing) == "customer_not_found"
