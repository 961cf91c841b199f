"""The managers' group pages: list, create and edit with criteria, preview, reorder, delete, customers by hand."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.support.staff import new_staff, register_id


@pytest.fixture
def manager(backoffice):
    return new_staff(backoffice, "manager")


def _tag() -> str:
    return f"page-{uuid.uuid4().hex[:8]}"


def _form(name: str, criteria: dict | None, **extra) -> dict:
    return {"name": name, "colour": "#b45309", "description": "For the tests", "visible_in_scanners": "1",
            "criteria": json.dumps(criteria) if criteria else "", **extra}


def _group_id(response) -> int:
    return int(re.search(r"/admin/groups/(\d+)", response.url).group(1))


def test_a_manager_creates_a_group_with_criteria_and_sees_its_members(manager, make_customer):
    tag = _tag()
    make_customer(first_name="Gunhild", last_name="Grupp", tags=[tag])
    name = f"Regulars {tag}"
    created = manager.post_form("/admin/groups/new", _form(name, {"match": "all", "rules": [
        {"field": "tag", "op": "has", "value": tag}]}, blink="1"))
    assert created.status_code == 200 and "Group created." in created.text
    assert f"has tag {tag}" in created.text and "Gunhild Grupp" in created.text
    assert 'id="member-count">1<' in created.text
    listing = manager.get("/admin/groups").text
    row = listing.split(f'id="group-{_group_id(created)}"')[1].split("</tr>")[0]
    assert 'class="dot blink" viewBox="0 0 2 2" aria-hidden="true"><circle cx="1" cy="1" r="1" fill="#b45309"/>' in row and name in row
    assert "Visible" in row and "Blinks" in row and ">1<" in row


def test_mistakes_are_shown_on_the_form_with_what_was_typed(manager):
    bad = {"match": "all", "rules": [{"field": "age", "op": "gte", "value": "old"}]}
    response = manager.post_form("/admin/groups/new", _form("", bad))
    assert response.status_code == 422
    assert "A group&#39;s name has 1 to 60 characters." in response.text
    assert "criteria.rules.0.value: Enter an age in years (0 to 150)." in response.text
    assert "&#34;old&#34;" in response.text  # the criteria as sent, for the editor to show again
    broken = manager.post_form("/admin/groups/new", {**_form("Broken", None), "criteria": "{not json"})
    assert broken.status_code == 422 and "The criteria are not valid JSON." in broken.text


def test_preview_without_javascript_counts_and_names_without_saving(manager, make_customer):
    tag = _tag()
    make_customer(first_name="Petra", last_name="Preview", tags=[tag])
    name = f"Preview {tag}"
    response = manager.post_form("/admin/groups/new", _form(name, {"match": "all", "rules": [
        {"field": "tag", "op": "has", "value": tag}]}, action="preview"))
    assert response.status_code == 200
    assert 'class="preview-count">1<' in response.text and "Petra Preview" in response.text
    assert name not in manager.get("/admin/groups").text


def test_groups_move_up_and_down_with_the_arrows(manager):
    ids = []
    for _ in range(2):
        ids.append(_group_id(manager.post_form("/admin/groups/new", _form(f"Order {_tag()}", None))))
    first, second = ids

    def order() -> list[int]:
        return [int(i) for i in re.findall(r'<tr id="group-(\d+)"', manager.get("/admin/groups").text)]

    assert order().index(first) < order().index(second)
    manager.post_form(f"/admin/groups/{second}/move", {"direction": "up"})
    assert order().index(second) < order().index(first)
    manager.post_form(f"/admin/groups/{second}/move", {"direction": "down"})
    assert order().index(first) < order().index(second)


def test_editing_and_deleting_a_group(manager):
    group_id = _group_id(manager.post_form("/admin/groups/new", _form(f"Edit {_tag()}", None)))
    form = manager.get(f"/admin/groups/{group_id}/edit").text
    assert 'id="criteria-editor"' in form and 'src="/static/groups.js"' in form
    new_name = f"Edited {_tag()}"
    saved = manager.post_form(f"/admin/groups/{group_id}/edit", {"name": new_name, "colour": "#000000", "criteria": ""})
    assert "Group saved." in saved.text and new_name in saved.text and "Hidden (register only)" in saved.text
    assert "Delete" in manager.get(f"/admin/groups/{group_id}/delete").text
    deleted = manager.post_form(f"/admin/groups/{group_id}/delete")
    assert deleted.status_code == 200 and f"Group {new_name} deleted." in deleted.text
    assert manager.get(f"/admin/groups/{group_id}").status_code == 404


def test_customers_are_added_and_removed_by_hand_on_the_group_page(manager, make_customer):
    customer = make_customer(first_name="Hanna", last_name="Hand")
    group_id = _group_id(manager.post_form("/admin/groups/new", _form(f"Hand {_tag()}", None)))
    added = manager.post_form(f"/admin/groups/{group_id}/members", {"customer": str(customer["customer_number"])})
    assert "Hanna Hand added to" in added.text and 'id="member-count">1<' in added.text
    assert "by hand" in added.text
    unknown = manager.post_form(f"/admin/groups/{group_id}/members", {"customer": "nobody@example.invalid"})
    assert 'role="alert"' in unknown.text and "No customer matches" in unknown.text
    removed = manager.post_form(f"/admin/groups/{group_id}/members/{customer['reference']}/remove")
    assert "is no longer in" in removed.text and 'id="member-count">0<' in removed.text


def test_the_customer_page_adds_to_a_group_by_hand_and_records_memberships(manager, make_customer):
    plan = f"Friend {_tag()}"
    customer = make_customer(first_name="Klas", last_name="Kund")
    friends = _group_id(manager.post_form("/admin/groups/new", _form(f"Friends {_tag()}", {"match": "all", "rules": [
        {"field": "membership", "op": "active", "plan": plan}]})))
    picked = _group_id(manager.post_form("/admin/groups/new", _form(f"Picked {_tag()}", None)))
    page = manager.post_form(f"/admin/customers/{customer['reference']}/groups", {"group_id": str(picked)})
    assert "Added to" in page.text and "added by hand" in page.text
    joined = manager.post_form(f"/admin/customers/{customer['reference']}/memberships",
                               {"plan": plan, "starts_on": "2020-01-01", "ends_on": ""})
    assert plan in joined.text and "meets the criteria" in joined.text
    assert f'href="/admin/groups/{friends}"' in joined.text
    wrong = manager.post_form(f"/admin/customers/{customer['reference']}/memberships",
                              {"plan": plan, "starts_on": "2020-01-01", "ends_on": "2019-01-01"})
    assert "The end date is before the start date." in wrong.text
    removed = manager.post_form(f"/admin/groups/{picked}/members/{customer['reference']}/remove",
                                {"back": f"/admin/customers/{customer['reference']}"})
    assert removed.url.split("?")[0].endswith(customer["reference"]) and "no longer in" in removed.text


def test_the_cashier_console_shows_the_connected_customers_groups_with_their_colours(backoffice, manager, till,
                                                                                     make_customer):
    tag = _tag()
    customer = make_customer(first_name="Cissi", tags=[tag])
    name = f"Console {tag}"
    manager.post_form("/admin/groups/new", _form(name, {"match": "all", "rules": [
        {"field": "tag", "op": "has", "value": tag}]}, blink="1"))
    sale = till.open_sale()
    till.pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    cashier = new_staff(backoffice, "cashier")
    panel = cashier.get(f"/console/{register_id(backoffice, till.name)}/panel").text
    assert f'<svg class="dot blink" viewBox="0 0 2 2" aria-hidden="true"><circle cx="1" cy="1" r="1" fill="#b45309"/></svg>{name}' in panel


def test_deleting_a_group_a_door_verifies_alone_is_refused_with_a_reason(backoffice, manager, pos):
    group_id = _group_id(manager.post_form("/admin/groups/new", _form(f"Door {_tag()}", None)))
    _, token = backoffice.register_with_kiosk()
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if token.startswith(k["token_hint"]))
    pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": [group_id]})
    refused = manager.post_form(f"/admin/groups/{group_id}/delete")
    assert refused.status_code == 409 and "verifies only this group" in refused.text
    assert manager.get(f"/admin/groups/{group_id}").status_code == 200


def test_cashiers_cannot_open_the_group_pages(backoffice):
    cashier = new_staff(backoffice, "cashier")
    assert cashier.get("/admin/groups").status_code == 403
    assert cashier.get("/admin/scans").status_code == 403
