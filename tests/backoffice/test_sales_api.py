"""Sales: one open sale per register, line items, tracking afterwards, purchase history."""

from __future__ import annotations

from tests.support.api import error_code


def test_a_register_has_at_most_one_open_sale(till):
    till.open_sale()
    response = till.pos.post("/api/v1/sales", {"register": till.name})
    assert response.status_code == 409 and error_code(response) == "sale_already_open"


def test_unknown_register_is_refused(pos):
    response = pos.post("/api/v1/sales", {"register": "No such till"})
    assert response.status_code == 404 and error_code(response) == "register_not_found"


def test_line_items_are_kept_with_brand_and_size_and_totalled(till):
    sale = till.open_sale()
    lines = [
        {"product": "Merino T-shirt", "brand": "Fjällräven", "variant": "M", "quantity": 2, "unit_price": "499.00"},
        {"product": "Latte", "unit_price": "39.50"},
    ]
    updated = till.pos.post(f"/api/v1/sales/{sale['reference']}/lines", lines).json()
    assert updated["total"] == "1037.50"
    assert updated["lines"][0] == {"product": "Merino T-shirt", "brand": "Fjällräven", "variant": "M",
                                   "quantity": "2", "unit_price": "499.00"}


def test_a_closed_sale_can_be_tracked_to_a_customer_afterwards_and_shows_in_history(till, make_customer):
    customer = make_customer()
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/lines", [{"product": "Sneakers", "variant": "EU 41"}])
    closed = till.pos.post(f"/api/v1/sales/{sale['reference']}/close").json()
    assert closed["receipt_number"] and closed["customer"] is None
    untracked = till.pos.get("/api/v1/sales", params={"register": till.name, "without_customer": True}).json()
    assert sale["reference"] in [s["reference"] for s in untracked["sales"]]
    till.pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer_number": customer["customer_number"]})
    history = till.pos.get(f"/api/v1/customers/{customer['reference']}/sales").json()["sales"]
    assert [s["reference"] for s in history] == [sale["reference"]]
    assert history[0]["lines"][0]["variant"] == "EU 41"


def test_lines_cannot_change_after_close(till):
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    response = till.pos.post(f"/api/v1/sales/{sale['reference']}/lines", [{"product": "Late"}])
    assert response.status_code == 409 and error_code(response) == "sale_closed"
    again = till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    assert again.status_code == 409


def test_negative_quantity_or_missing_product_is_refused(till):
    sale = till.open_sale()
    for line in ({"product": "X", "quantity": -1}, {"brand": "Y"}, {"product": "X", "unit_price": "abc"}):
        response = till.pos.post(f"/api/v1/sales/{sale['reference']}/lines", [line])
        assert response.status_code == 422, line
