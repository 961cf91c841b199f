"""A customer's country and birth date are checked by counter_core's normalisers, in the API and on the pages."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from tests.support.api import error_code
from tests.support.staff import new_staff, register_id

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def _fields(response) -> dict[str, dict]:
    return {f["field"]: f for f in response.json()["error"]["fields"]}


@pytest.fixture
def manager(backoffice):
    return new_staff(backoffice, "manager")


def test_an_unknown_country_is_refused_with_the_field_named(pos):
    response = pos.post("/api/v1/customers", {"first_name": "Xena", "country": "XX"})
    assert response.status_code == 422 and error_code(response) == "invalid_fields"
    problem = _fields(response)["country"]
    assert problem["code"] == "invalid_country" and "two-letter country code" in problem["message"]
    assert "country:" in response.json()["error"]["message"]


def test_a_birth_date_in_the_future_is_refused_with_the_field_named(pos):
    response = pos.post("/api/v1/customers", {"first_name": "Future", "birth_date": TOMORROW})
    assert response.status_code == 422 and error_code(response) == "invalid_fields"
    assert _fields(response)["birth_date"]["code"] == "invalid_birth_date"
    assert "birth_date: This birth date is not plausible." in response.json()["error"]["message"]


def test_both_mistakes_are_reported_at_once_and_nothing_is_saved(pos):
    name = "Nobody" + TOMORROW.replace("-", "")
    response = pos.post("/api/v1/customers", {"first_name": name, "country": "xx", "birth_date": "1800-01-01"})
    assert response.status_code == 422 and set(_fields(response)) == {"country", "birth_date"}
    assert pos.get("/api/v1/customers", params={"q": name}).json()["customers"] == []


def test_an_edit_is_refused_the_same_way_and_the_customer_is_unchanged(pos, make_customer):
    customer = make_customer(country="NO", birth_date="1990-02-03")
    response = pos.patch(f"/api/v1/customers/{customer['reference']}", {"country": "XX", "birth_date": TOMORROW})
    assert response.status_code == 422 and set(_fields(response)) == {"country", "birth_date"}
    again = pos.get(f"/api/v1/customers/{customer['reference']}").json()
    assert again["country"] == "NO" and again["birth_date"] == "1990-02-03"


def test_valid_country_and_birth_date_are_kept_in_canonical_form(make_customer):
    customer = make_customer(country="se", birth_date="1985-04-12")
    assert customer["country"] == "SE" and customer["birth_date"] == "1985-04-12"


def test_the_back_office_form_shows_the_country_mistake_next_to_the_field(manager):
    response = manager.post_form("/admin/customers/new", {"first_name": "Xena", "last_name": "Form", "country": "XX"})
    assert response.status_code == 422
    field = re.search(r'<input id="country".*?</div>', html.unescape(response.text), re.S).group(0)
    assert 'value="XX"' in field and 'aria-invalid="true"' in field
    assert '<p class="field-error" id="country-error">Use a two-letter country code such as SE.</p>' in field
    assert 'aria-describedby="country-error"' in field

def test_the_console_refuses_a_birth_date_in_the_future(backoffice, till):
    cashier = new_staff(backoffice, "cashier")
    rid = register_id(backoffice, till.name)
    response = cashier.api("POST", f"/api/v1/console/{rid}/customers",
                           {"first_name": "Ny", "last_name": "Framtid", "birth_date": TOMORROW, "country": "XX"})
    assert response.status_code == 422 and set(_fields(response)) == {"birth_date", "country"}
