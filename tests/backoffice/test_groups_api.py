"""Customer groups over the JSON API: create, edit, validate, order, preview, members by hand, refresh on change."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from backoffice.services import group_members
from backoffice.services.criteria_sql import years_before
from tests.support.api import Api, error_code
from tests.support.staff import new_staff


def _tag(stem: str = "tag") -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def _has_tag(tag: str) -> dict:
    return {"match": "all", "rules": [{"field": "tag", "op": "has", "value": tag}]}


@pytest.fixture
def make_group(pos):
    def make(**fields) -> dict:
        body = {"name": f"Group {uuid.uuid4().hex[:6]}", "colour": "#15803d", **fields}
        response = pos.post("/api/v1/groups", body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


def _member_refs(pos, group_id: int) -> set[str]:
    refs, after = set(), None
    while True:
        page = pos.get(f"/api/v1/groups/{group_id}/members", params={"after": after} if after else None).json()
        refs |= {m["reference"] for m in page["members"]}
        after = page["next"]
        if not after:
            return refs


def test_a_group_is_evaluated_when_created_and_lists_its_members(pos, make_group, make_customer):
    tag = _tag("vip")
    first, second = make_customer(first_name="Vera", tags=[tag]), make_customer(first_name="Vilgot", tags=[tag])
    make_customer(first_name="Nobody", tags=["other"])
    group = make_group(name=f"VIP {tag}", criteria=_has_tag(tag), blink=True, description="Offer a programme")
    assert group["member_count"] == 2 and group["blink"] is True and group["visible_in_scanners"] is True
    assert group["criteria"] == _has_tag(tag) and group["criteria_text"] == f"has tag {tag}"
    assert group["refreshed_at"] is not None
    members = pos.get(f"/api/v1/groups/{group['id']}/members").json()["members"]
    assert {m["reference"] for m in members} == {first["reference"], second["reference"]}
    assert all(m["by_criteria"] and not m["manual"] for m in members)
    assert set(members[0]) == {"reference", "customer_number", "first_name", "last_name", "manual", "by_criteria"}


def test_members_come_in_pages(pos, make_group, make_customer):
    tag = _tag()
    made = {make_customer(tags=[tag])["reference"] for _ in range(5)}
    group = make_group(criteria=_has_tag(tag))
    first = pos.get(f"/api/v1/groups/{group['id']}/members", params={"limit": 2}).json()
    assert len(first["members"]) == 2 and first["next"]
    assert _member_refs(pos, group["id"]) == made


def test_editing_criteria_re_evaluates_the_group(pos, make_group, make_customer):
    old, new = _tag("old"), _tag("new")
    a, b = make_customer(tags=[old]), make_customer(tags=[new])
    group = make_group(criteria=_has_tag(old))
    assert _member_refs(pos, group["id"]) == {a["reference"]}
    edited = pos.patch(f"/api/v1/groups/{group['id']}", {"criteria": _has_tag(new), "colour": "#ABCDEF"}).json()
    assert edited["member_count"] == 1 and edited["colour"] == "#abcdef" and edited["name"] == group["name"]
    assert _member_refs(pos, group["id"]) == {b["reference"]}
    hand_picked_only = pos.patch(f"/api/v1/groups/{group['id']}", {"criteria": None}).json()
    assert hand_picked_only["member_count"] == 0 and hand_picked_only["criteria_text"] == "Hand-picked customers only"


def test_a_customer_whose_tags_change_joins_and_leaves_at_once(pos, make_group, make_customer):
    tag = _tag()
    group = make_group(criteria=_has_tag(tag))
    customer = make_customer(first_name="Tove")
    assert pos.patch(f"/api/v1/customers/{customer['reference']}", {"tags": [tag]}).status_code == 200
    assert _member_refs(pos, group["id"]) == {customer["reference"]}
    assert pos.get(f"/api/v1/groups/{group['id']}").json()["member_count"] == 1
    detail = pos.get(f"/api/v1/customers/{customer['reference']}").json()
    assert group["id"] in [g["id"] for g in detail["groups"]]
    pos.patch(f"/api/v1/customers/{customer['reference']}", {"tags": []})
    assert _member_refs(pos, group["id"]) == set()
    assert pos.get(f"/api/v1/groups/{group['id']}").json()["member_count"] == 0


def test_a_new_membership_puts_the_customer_in_the_friends_group_at_once(pos, make_group, make_customer):
    plan = _tag("Friend")
    group = make_group(criteria={"match": "all", "rules": [{"field": "membership", "op": "active", "plan": plan}]})
    customer = make_customer(first_name="Frida")
    today = dt.date.today()
    added = pos.post(f"/api/v1/customers/{customer['reference']}/memberships",
                     {"plan": plan, "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=365)).isoformat()})
    assert added.status_code == 201 and added.json()["active"] is True
    assert _member_refs(pos, group["id"]) == {customer["reference"]}
    listed = pos.get(f"/api/v1/customers/{customer['reference']}/memberships").json()["memberships"]
    assert [m["plan"] for m in listed] == [plan]
    assert pos.delete(f"/api/v1/customers/{customer['reference']}/memberships/{added.json()['id']}").status_code == 204
    assert _member_refs(pos, group["id"]) == set()


def test_a_membership_ending_before_it_starts_is_refused(pos, make_customer):
    customer = make_customer()
    response = pos.post(f"/api/v1/customers/{customer['reference']}/memberships",
                        {"plan": "Friend", "starts_on": "2026-05-01", "ends_on": "2026-04-30"})
    assert response.status_code == 422 and error_code(response) == "invalid_membership"
    assert response.json()["error"]["fields"][0]["field"] == "ends_on"


def test_deleting_a_customer_lowers_the_member_count(pos, make_group, make_customer):
    tag = _tag()
    customer = make_customer(tags=[tag])
    make_customer(tags=[tag])
    group = make_group(criteria=_has_tag(tag))
    assert group["member_count"] == 2
    assert pos.delete(f"/api/v1/customers/{customer['reference']}").status_code == 204
    assert pos.get(f"/api/v1/groups/{group['id']}").json()["member_count"] == 1


def test_customers_added_by_hand_stay_whatever_the_criteria(pos, make_group, make_customer):
    tag = _tag()
    matched, picked = make_customer(tags=[tag]), make_customer(first_name="Hand")
    group = make_group(criteria=_has_tag(tag))
    added = pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": picked["reference"]})
    assert added.status_code == 201 and added.json()["member_count"] == 2
    again = pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": picked["reference"]})
    assert again.status_code == 200 and again.json()["member_count"] == 2
    both = pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": matched["reference"]})
    assert both.json()["member_count"] == 2  # picked by hand and matching: counted once
    members = {m["reference"]: m for m in pos.get(f"/api/v1/groups/{group['id']}/members").json()["members"]}
    assert members[picked["reference"]]["manual"] and not members[picked["reference"]]["by_criteria"]
    assert members[matched["reference"]]["manual"] and members[matched["reference"]]["by_criteria"]
    pos.patch(f"/api/v1/groups/{group['id']}", {"criteria": _has_tag(_tag())})
    assert _member_refs(pos, group["id"]) == {picked["reference"], matched["reference"]}
    assert pos.delete(f"/api/v1/groups/{group['id']}/members/{picked['reference']}").status_code == 204
    assert pos.delete(f"/api/v1/groups/{group['id']}/members/{picked['reference']}").status_code == 404
    assert pos.get(f"/api/v1/groups/{group['id']}").json()["member_count"] == 1


def test_groups_are_listed_in_priority_order_and_reordered(pos, make_group):
    a, b, c = make_group(), make_group(), make_group()
    ids = [g["id"] for g in pos.get("/api/v1/groups").json()["groups"]]
    assert ids.index(a["id"]) < ids.index(b["id"]) < ids.index(c["id"])  # a new group comes last
    moved = pos.post(f"/api/v1/groups/{c['id']}/move", {"direction": "up"}).json()["groups"]
    order = [g["id"] for g in moved]
    assert order.index(c["id"]) < order.index(b["id"])
    assert [g["priority"] for g in moved] == list(range(len(moved)))
    wanted = [c["id"], a["id"], b["id"]] + [i for i in order if i not in (a["id"], b["id"], c["id"])]
    reordered = pos.post("/api/v1/groups/reorder", {"group_ids": wanted})
    assert [g["id"] for g in reordered.json()["groups"]] == wanted
    incomplete = pos.post("/api/v1/groups/reorder", {"group_ids": wanted[:2]})
    assert incomplete.status_code == 422 and error_code(incomplete) == "invalid_order"


def test_the_kiosk_shows_visible_groups_in_priority_order(pos, till, make_group, make_customer):
    tag = _tag()
    customer = make_customer(first_name="Prio", tags=[tag])
    low = make_group(criteria=_has_tag(tag), colour="#111111")
    high = make_group(criteria=_has_tag(tag), colour="#222222")
    hidden = make_group(criteria=_has_tag(tag), visible_in_scanners=False)

    def kiosk_groups() -> list[int]:
        answer = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                      "customer_number": str(customer["customer_number"])}).json()
        return [g["id"] for g in answer["customer"]["groups"]]

    assert kiosk_groups() == [low["id"], high["id"]]
    pos.post(f"/api/v1/groups/{high['id']}/move", {"direction": "up"})
    assert kiosk_groups() == [high["id"], low["id"]]
    staff_view = [g["id"] for g in pos.get(f"/api/v1/customers/{customer['reference']}").json()["groups"]]
    assert staff_view == [high["id"], low["id"], hidden["id"]]  # staff see hidden groups too


def test_preview_counts_matches_and_names_ten_without_saving(pos, make_customer):
    tag = _tag()
    for n in range(12):
        make_customer(first_name=f"Pre{n}", last_name="View", tags=[tag])
    before = len(pos.get("/api/v1/groups").json()["groups"])
    answer = pos.post("/api/v1/groups/preview", {"criteria": _has_tag(tag)}).json()
    assert answer["count"] == 12 and len(answer["sample"]) == 10
    assert set(answer["sample"][0]) == {"reference", "customer_number", "name"}
    assert answer["sample"][0]["name"].endswith("View")
    assert len(pos.get("/api/v1/groups").json()["groups"]) == before


@pytest.mark.parametrize("body, field, code", [
    ({"name": ""}, "name", "invalid_name"),
    ({"name": "Ok", "colour": "green"}, "colour", "invalid_colour"),
    ({"name": "Ok", "criteria": {"match": "all", "rules": [{"field": "tag", "op": "has"}]}}, "criteria.rules.0.value",
     "missing_value"),
    ({"name": "Ok", "criteria": {"match": "all", "rules": [{"field": "zodiac", "op": "is", "value": "leo"}]}},
     "criteria.rules.0", "unknown_field"),
    ({"name": "Ok", "criteria": {"match": "all", "rules": [{"field": "age", "op": "older", "value": 3}]}},
     "criteria.rules.0.op", "unknown_operator"),
])
def test_mistakes_are_refused_with_the_field_and_a_reason(pos, body, field, code):
    response = pos.post("/api/v1/groups", body)
    assert response.status_code == 422 and error_code(response) == "invalid_group"
    problems = {(p["field"], p["code"]) for p in response.json()["error"]["fields"]}
    assert (field, code) in problems


def test_unknown_keys_and_a_taken_name_are_refused(pos, make_group):
    assert error_code(pos.post("/api/v1/groups", {"name": "X", "shape": "round"})) == "invalid_request"
    group = make_group()
    taken = pos.post("/api/v1/groups", {"name": group["name"]})
    assert taken.status_code == 409 and error_code(taken) == "group_name_taken"
    bad_preview = pos.post("/api/v1/groups/preview", {"criteria": {"match": "all", "rules": [{"field": "x"}]}})
    assert bad_preview.status_code == 422 and error_code(bad_preview) == "invalid_criteria"
    assert bad_preview.json()["error"]["fields"][0]["field"] == "criteria.rules.0"


def test_the_criteria_language_is_listed(pos):
    fields = pos.get("/api/v1/groups/criteria-fields").json()["fields"]
    assert fields["age"]["between"] == "ages" and fields["membership"]["active"] == "none"
    assert set(fields) == {"tag", "label", "membership", "age", "postcode", "created_by", "has_email", "has_phone",
                           "customer_since"}


def test_deleting_a_group_keeps_its_customers(pos, make_group, make_customer):
    tag = _tag()
    customer = make_customer(tags=[tag])
    group = make_group(criteria=_has_tag(tag))
    assert pos.delete(f"/api/v1/groups/{group['id']}").status_code == 204
    assert pos.get(f"/api/v1/groups/{group['id']}").status_code == 404
    assert pos.get(f"/api/v1/customers/{customer['reference']}").status_code == 200


def test_only_managers_and_pos_keys_manage_groups(backoffice, till):
    assert error_code(till.kiosk.get("/api/v1/groups")) == "kiosk_not_allowed"
    cashier = new_staff(backoffice, "cashier")
    assert error_code(cashier.api("GET", "/api/v1/groups")) == "manager_only"
    manager = new_staff(backoffice, "manager")
    assert manager.api("GET", "/api/v1/groups").status_code == 200
    no_csrf = manager.http.post(backoffice.base_url + "/api/v1/groups/preview", json={"criteria": None}, timeout=30)
    assert no_csrf.status_code == 403
    assert Api(backoffice.base_url).get("/api/v1/groups").status_code == 401


def test_the_nightly_refresh_follows_birthdays_and_membership_ends(backoffice, pos, make_group, make_customer):
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    plan = _tag("Friend")
    adult_tomorrow = make_customer(first_name="Birthday", birth_date=years_before(tomorrow, 18).isoformat())
    ending = make_customer(first_name="Ending")
    pos.post(f"/api/v1/customers/{ending['reference']}/memberships",
             {"plan": plan, "starts_on": (today - dt.timedelta(days=30)).isoformat(), "ends_on": today.isoformat()})
    tag = _tag()
    for customer in (adult_tomorrow, ending):
        pos.patch(f"/api/v1/customers/{customer['reference']}", {"tags": [tag]})
    adults = make_group(criteria={"match": "all", "rules": [{"field": "tag", "op": "has", "value": tag},
                                                            {"field": "age", "op": "gte", "value": 18}]})
    friends = make_group(criteria={"match": "all", "rules": [{"field": "membership", "op": "active", "plan": plan}]})
    assert (adults["member_count"], friends["member_count"]) == (0, 1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0, 5)).astimezone()
    with backoffice.runtime.sessions() as db:
        refreshed = group_members.refresh_due(db, now=midnight)
    assert {adults["id"], friends["id"]} <= set(refreshed)
    assert _member_refs(pos, adults["id"]) == {adult_tomorrow["reference"]}
    assert _member_refs(pos, friends["id"]) == set()
    with backoffice.runtime.sessions() as db:
        assert group_members.refresh_due(db, now=midnight) == []  # once a day
