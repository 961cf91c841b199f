"""Customers: create, edit, delete, search by every identifier; identifiers encrypted and masked."""

from __future__ import annotations

from sqlalchemy import select, text

from backoffice.models import Customer
from tests.support.api import error_code, personnummer


def test_customer_numbers_are_assigned_automatically_and_unique(make_customer):
    numbers = {make_customer()["customer_number"] for _ in range(5)}
    assert len(numbers) == 5 and min(numbers) >= 100001


def test_search_finds_a_customer_by_name_number_phone_email_and_personal_id(pos, make_customer, new_phone):
    phone = new_phone()
    pid = personnummer("19660606", "321")
    customer = make_customer(first_name="Ulrika", last_name="Ängström", phone=phone, email="ulrika@example.org",
                             personal_id=pid)
    for query in ("ulrika äng", "ängström", "ÄNGSTRÖM ULR", str(customer["customer_number"]), "0" + phone[3:], phone,
                  "ulrika@example.org", pid, f"{pid[2:8]}-{pid[8:]}"):
        found = pos.get("/api/v1/customers", params={"q": query}).json()["customers"]
        assert customer["reference"] in [c["reference"] for c in found], query


def test_search_with_special_characters_finds_nothing_and_does_not_fail(pos):
    for query in ("%", "_", "\\", "' OR 1=1 --", "a%b"):
        response = pos.get("/api/v1/customers", params={"q": query})
        assert response.status_code == 200
        assert all(query.lower() in (c["first_name"] + " " + c["last_name"]).lower() for c in response.json()["customers"])


def test_phone_and_personal_id_are_stored_encrypted_and_shown_masked(backoffice, make_customer, new_phone):
    phone = new_phone()
    pid = personnummer("19770707", "777")
    customer = make_customer(phone=phone, personal_id=pid)
    assert customer["phone"] == f"+46 •••• ••{phone[-2:]}"
    assert customer["personal_id"] == f"{pid[:8]}-****"
    with backoffice.runtime.read_sessions() as db:
        row = db.execute(select(Customer).where(Customer.reference == customer["reference"])).scalar_one()
        raw = db.execute(text("SELECT * FROM customers WHERE id = :id"), {"id": row.id}).one()
    dump = repr(tuple(raw))
    assert phone not in dump and phone[3:] not in dump and pid not in dump


def test_duplicate_phone_or_personal_id_is_refused(pos, make_customer, new_phone):
    phone = new_phone()
    pid = personnummer("19550505", "505")
    make_customer(phone=phone, personal_id=pid)
    response = pos.post("/api/v1/customers", {"first_name": "Copy", "phone": "0" + phone[3:]})
    assert response.status_code == 409 and error_code(response) == "duplicate_phone"
    response = pos.post("/api/v1/customers", {"first_name": "Copy", "personal_id": pid})
    assert response.status_code == 409 and error_code(response) == "duplicate_personal_id"


def test_invalid_fields_are_all_reported_at_once(pos):
    response = pos.post("/api/v1/customers", {"first_name": "", "phone": "12", "personal_id": "19991301-0000",
                                              "email": "nope"})
    assert response.status_code == 422 and error_code(response) == "invalid_fields"
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"phone", "personal_id", "email", "first_name"}


def test_edit_keeps_absent_fields_and_clears_empty_ones(pos, make_customer):
    customer = make_customer(first_name="Vera", email="vera@example.org", city="Lund")
    edited = pos.patch(f"/api/v1/customers/{customer['reference']}", {"city": "", "last_name": "Wall"}).json()
    assert edited["first_name"] == "Vera" and edited["email"] == "vera@example.org"
    assert edited["city"] == "" and edited["last_name"] == "Wall"


def test_labels_and_tags_are_kept_sorted(pos, make_customer):
    customer = make_customer(labels=["Wholesale", "Friend"], tags=["newsletter"])
    assert customer["labels"] == ["Friend", "Wholesale"] and customer["tags"] == ["newsletter"]
    edited = pos.patch(f"/api/v1/customers/{customer['reference']}", {"labels": ["Friend"]}).json()
    assert edited["labels"] == ["Friend"]


def test_deleting_a_customer_keeps_their_sales_without_the_link(till, make_customer):
    customer = make_customer()
    sale = till.open_sale()
    till.pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    assert till.pos.delete(f"/api/v1/customers/{customer['reference']}").status_code == 204
    assert till.pos.get(f"/api/v1/customers/{customer['reference']}").status_code == 404
    kept = till.pos.get(f"/api/v1/sales/{sale['reference']}").json()
    assert kept["status"] == "closed" and kept["customer"] is None


def test_marketing_consent_is_recorded_and_can_be_withdrawn(pos, make_customer):
    customer = make_customer(marketing_consent=True)
    detail = pos.get(f"/api/v1/customers/{customer['reference']}").json()
    (record,) = detail["consents"]
    assert record["purpose"] == "marketing" and record["wording_version"] and record["withdrawn_at"] is None
    assert pos.delete(f"/api/v1/customers/{customer['reference']}/consents/marketing").status_code == 204
    (record,) = pos.get(f"/api/v1/customers/{customer['reference']}").json()["consents"]
    assert record["withdrawn_at"] is not None
