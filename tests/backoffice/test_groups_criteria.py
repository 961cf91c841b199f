"""Group criteria as SQL: every field and operator, AND/OR and nesting, dates and birthdays, one customer or all.

Each test makes its own customers (unique tags, plans and postcodes) and asks
which of them match, through the same condition a group refresh uses; every
answer is also checked against the one-customer evaluation that runs when a
customer changes, and against the narrowed search a group refresh makes.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from backoffice.domain_errors import Invalid
from backoffice.models import Customer, CustomerGroup, Membership
from backoffice.services import customers, group_members
from backoffice.services.criteria import describe, parse_criteria
from backoffice.services.criteria_sql import candidates, condition, matching, years_before

DAY = dt.date(2027, 3, 1)  # the day after 28 February in a year without 29 February


def _unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def people(backoffice):
    """Make customers with given fields (tags, labels, birth date, ...); returns their ids."""

    def make(*specs: dict) -> list[int]:
        ids = []
        with backoffice.runtime.sessions() as db:
            for spec in specs:
                spec = dict(spec)
                created_at = spec.pop("created_at", None)
                created_by = spec.pop("created_by", "cashier")
                plans = spec.pop("memberships", [])
                fields = customers.clean_fields({"first_name": "Crit", "last_name": "Eria", **spec}, partial=True)
                customer = customers.create_customer(db, backoffice.runtime.vault, fields, created_by=created_by,
                                                     actor="test")
                for plan, starts, ends in plans:
                    db.add(Membership(customer_id=customer.id, plan=plan, starts_on=starts, ends_on=ends))
                if created_at:
                    customer.created_at = created_at
                ids.append(customer.id)
            db.commit()
        return ids

    return make


def matches(backoffice, criteria: dict, ids: list[int], on: dt.date = DAY) -> list[int]:
    """Which of ``ids`` match, in their order; the whole-table and one-customer evaluations must agree."""
    parsed = parse_criteria(criteria)
    with backoffice.runtime.read_sessions() as db:
        stmt = select(Customer.id).where(Customer.id.in_(ids), condition(parsed, on))
        found = set(db.execute(stmt).scalars())
        probe = CustomerGroup(id=0, criteria=parsed.to_json())
        one_by_one = {cid for cid in ids if group_members.matching_groups(db, cid, [probe], on=on)}
        # a refresh looks among the candidates only: they must hold every match
        narrowed = set(db.execute(select(Customer.id).where(Customer.id.in_(ids), matching(parsed, on))).scalars())
        ids_of_candidates = candidates(parsed, on)
        if ids_of_candidates is not None:
            assert found <= set(db.execute(ids_of_candidates).scalars())
    assert found == one_by_one == narrowed
    return [cid for cid in ids if cid in found]


def rule(field: str, op: str, value=None, **extra) -> dict:
    body = {"field": field, "op": op, **extra}
    if value is not None:
        body["value"] = value
    return {"match": "all", "rules": [body]}


def test_tag_operators_has_has_not_has_any_has_none(backoffice, people):
    gold, silver = _unique("gold"), _unique("silver")
    a, b, c = people({"tags": [gold]}, {"tags": [silver, "other"]}, {"tags": []})
    ids = [a, b, c]
    assert matches(backoffice, rule("tag", "has", gold), ids) == [a]
    assert matches(backoffice, rule("tag", "has_not", gold), ids) == [b, c]
    assert matches(backoffice, rule("tag", "has_any", [gold, silver]), ids) == [a, b]
    assert matches(backoffice, rule("tag", "has_none", [gold, silver]), ids) == [c]


def test_label_operators_match_by_label_name(backoffice, people):
    label = _unique("Summer")
    a, b = people({"labels": [label, "Regular"]}, {"labels": ["Regular"]})
    assert matches(backoffice, rule("label", "has", label), [a, b]) == [a]
    assert matches(backoffice, rule("label", "has_not", label), [a, b]) == [b]
    assert matches(backoffice, rule("label", "has_any", [label, _unique("x")]), [a, b]) == [a]
    assert matches(backoffice, rule("label", "has_none", [label]), [a, b]) == [b]


def test_membership_is_active_from_its_first_to_its_last_day(backoffice, people):
    plan = _unique("Friend")
    day = dt.timedelta(days=1)
    starts_today, ended_yesterday, ends_today, open_ended, starts_tomorrow, other_plan, never = people(
        {"memberships": [(plan, DAY, DAY + 300 * day)]},
        {"memberships": [(plan, DAY - 400 * day, DAY - day)]},
        {"memberships": [(plan, DAY - 30 * day, DAY)]},
        {"memberships": [(plan, DAY - 3000 * day, None)]},
        {"memberships": [(plan, DAY + day, DAY + 365 * day)]},
        {"memberships": [("Patron " + plan, DAY - day, None)]},
        {},
    )
    ids = [starts_today, ended_yesterday, ends_today, open_ended, starts_tomorrow, other_plan, never]
    assert matches(backoffice, rule("membership", "active", plan=plan), ids) == [starts_today, ends_today, open_ended]
    assert matches(backoffice, rule("membership", "not_active", plan=plan), ids) == [
        ended_yesterday, starts_tomorrow, other_plan, never]
    assert matches(backoffice, rule("membership", "active_on", (DAY + day).isoformat(), plan=plan), ids) == [
        starts_today, open_ended, starts_tomorrow]
    assert matches(backoffice, rule("membership", "ever", plan=plan), ids) == [
        starts_today, ended_yesterday, ends_today, open_ended, starts_tomorrow]
    assert matches(backoffice, rule("membership", "never", plan=plan), ids) == [other_plan, never]
    assert matches(backoffice, rule("membership", "expires_within", 0, plan=plan), ids) == [ends_today]
    assert matches(backoffice, rule("membership", "ended_within", 1, plan=plan), ids) == [ended_yesterday]
    assert matches(backoffice, rule("membership", "active"), ids) == [starts_today, ends_today, open_ended, other_plan]


def test_age_operators_turn_over_on_the_birthday(backoffice, people):
    eighteen_today = years_before(DAY, 18)  # born 2009-03-01
    eighteen_tomorrow = eighteen_today + dt.timedelta(days=1)
    leap_baby = dt.date(2008, 2, 29)  # 19 on 1 March 2027, not yet on 28 February
    a, b, c, unknown = people({"birth_date": eighteen_today}, {"birth_date": eighteen_tomorrow},
                              {"birth_date": leap_baby}, {})
    ids = [a, b, c, unknown]
    assert matches(backoffice, rule("age", "gte", 18), ids) == [a, c]
    assert matches(backoffice, rule("age", "gt", 18), ids) == [c]
    assert matches(backoffice, rule("age", "lt", 18), ids) == [b]
    assert matches(backoffice, rule("age", "lte", 18), ids) == [a, b]
    assert matches(backoffice, rule("age", "eq", 18), ids) == [a]
    assert matches(backoffice, rule("age", "ne", 18), ids) == [b, c]  # unknown birth date: no age at all
    assert matches(backoffice, rule("age", "between", [17, 18]), ids) == [a, b]
    assert matches(backoffice, rule("age", "eq", 19), ids) == [c]
    assert matches(backoffice, rule("age", "eq", 18), ids, on=dt.date(2027, 2, 28)) == [c]  # not 19 yet


def test_age_on_29_february_counts_those_born_on_28_february(backoffice, people):
    leap_day = dt.date(2028, 2, 29)
    born_28, born_1_march = people({"birth_date": dt.date(2010, 2, 28)}, {"birth_date": dt.date(2010, 3, 1)})
    assert matches(backoffice, rule("age", "gte", 18), [born_28, born_1_march], on=leap_day) == [born_28]


def test_postcode_equals_starts_with_and_in_list_ignoring_spaces_and_case(backoffice, people):
    stem = str(uuid.uuid4().int)[:6]
    a, b, c = people({"postal_code": f"{stem[:3]} {stem[3:]}"}, {"postal_code": f"{stem}9"}, {"postal_code": "sw1a 1aa"})
    ids = [a, b, c]
    assert matches(backoffice, rule("postcode", "equals", stem), ids) == [a]
    assert matches(backoffice, rule("postcode", "starts_with", stem[:4]), ids) == [a, b]
    assert matches(backoffice, rule("postcode", "in", [f"{stem}9", "SW1A1AA"]), ids) == [b, c]


def test_created_by_and_has_email_and_has_phone(backoffice, people, new_phone):
    a, b, c = people({"created_by": "kiosk", "email": "a@example.org"}, {"created_by": "import", "phone": new_phone()},
                     {"created_by": "mobile"})
    ids = [a, b, c]
    assert matches(backoffice, rule("created_by", "is", "kiosk"), ids) == [a]
    assert matches(backoffice, rule("created_by", "is_not", "kiosk"), ids) == [b, c]
    assert matches(backoffice, rule("created_by", "in", ["import", "mobile"]), ids) == [b, c]
    assert matches(backoffice, rule("has_email", "is", True), ids) == [a]
    assert matches(backoffice, rule("has_email", "is", False), ids) == [b, c]
    assert matches(backoffice, rule("has_phone", "is", True), ids) == [b]
    assert matches(backoffice, rule("has_phone", "is", False), ids) == [a, c]


def test_customer_since_dates_and_days(backoffice, people):
    def local(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour)).astimezone()

    old, week, today = people({"created_at": local(DAY - dt.timedelta(days=400), 12)},
                              {"created_at": local(DAY - dt.timedelta(days=7), 23)},
                              {"created_at": local(DAY, 0)})
    ids = [old, week, today]
    assert matches(backoffice, rule("customer_since", "before", (DAY - dt.timedelta(days=7)).isoformat()), ids) == [old]
    assert matches(backoffice, rule("customer_since", "on_or_after", (DAY - dt.timedelta(days=7)).isoformat()),
                   ids) == [week, today]
    assert matches(backoffice, rule("customer_since", "at_least_days", 7), ids) == [old, week]
    assert matches(backoffice, rule("customer_since", "within_days", 7), ids) == [today]
    assert matches(backoffice, rule("customer_since", "within_days", 8), ids) == [week, today]


def test_all_any_and_nested_groups(backoffice, people):
    vip, access, plan = _unique("vip"), _unique("access"), _unique("Friend")
    member = (plan, DAY - dt.timedelta(days=10), None)
    vip_only, vip_friend, access_adult, access_child, nobody = people(
        {"tags": [vip]}, {"tags": [vip], "memberships": [member]},
        {"tags": [access], "birth_date": dt.date(1980, 1, 1)}, {"tags": [access], "birth_date": dt.date(2020, 1, 1)},
        {})
    ids = [vip_only, vip_friend, access_adult, access_child, nobody]
    both = {"match": "all", "rules": [{"field": "tag", "op": "has", "value": vip},
                                      {"field": "membership", "op": "active", "plan": plan}]}
    either = {"match": "any", "rules": [{"field": "tag", "op": "has", "value": vip},
                                        {"field": "membership", "op": "active", "plan": plan}]}
    assert matches(backoffice, both, ids) == [vip_friend]
    assert matches(backoffice, either, ids) == [vip_only, vip_friend]
    tree = {"match": "any", "rules": [both, {"match": "all", "rules": [
        {"field": "tag", "op": "has", "value": access}, {"field": "age", "op": "gte", "value": 18}]}]}
    assert matches(backoffice, tree, ids) == [vip_friend, access_adult]
    assert describe(parse_criteria(tree)) == (
        f"(has tag {vip} AND {plan} membership active today) OR (has tag {access} AND age 18 or over)")


@pytest.mark.parametrize("criteria, path, code", [
    ({"match": "some", "rules": [{"field": "tag", "op": "has", "value": "x"}]}, "criteria.match", "invalid_match"),
    ({"match": "all", "rules": []}, "criteria.rules", "no_rules"),
    ({"match": "all", "rules": [{"field": "shoe_size", "op": "gt", "value": 40}]}, "criteria.rules.0", "unknown_field"),
    ({"match": "all", "rules": [{"field": "tag", "op": "like", "value": "x"}]}, "criteria.rules.0.op", "unknown_operator"),
    ({"match": "all", "rules": [{"field": "tag", "op": "has", "value": "x", "colour": 1}]}, "criteria.rules.0.colour",
     "unknown_key"),
    ({"match": "all", "rules": [{"field": "tag", "op": "has_any", "value": "x"}]}, "criteria.rules.0.value",
     "invalid_value"),
    ({"match": "all", "rules": [{"field": "age", "op": "gte", "value": "18"}]}, "criteria.rules.0.value", "invalid_value"),
    ({"match": "all", "rules": [{"field": "age", "op": "between", "value": [30, 18]}]}, "criteria.rules.0.value",
     "invalid_value"),
    ({"match": "all", "rules": [{"field": "age", "op": "gte"}]}, "criteria.rules.0.value", "missing_value"),
    ({"match": "all", "rules": [{"field": "membership", "op": "active", "value": 3}]}, "criteria.rules.0.value",
     "unexpected_value"),
    ({"match": "all", "rules": [{"field": "membership", "op": "active_on", "value": "31/01/2027"}]},
     "criteria.rules.0.value", "invalid_value"),
    ({"match": "all", "rules": [{"field": "created_by", "op": "is", "value": "robot"}]}, "criteria.rules.0.value",
     "invalid_value"),
    ({"match": "all", "rules": [{"field": "has_email", "op": "is", "value": "yes"}]}, "criteria.rules.0.value",
     "invalid_value"),
    ({"match": "all", "rules": [{"field": "postcode", "op": "starts_with", "value": "11%"}]}, "criteria.rules.0.value",
     "invalid_value"),
    ({"match": "all", "rules": [{"match": "any", "rules": [{"match": "all", "rules": [{"match": "any", "rules": [
        {"field": "has_phone", "op": "is", "value": True}]}]}]}]}, "criteria", "too_deep"),
    ({"match": "all", "rules": [{"match": "any", "rules": [{"field": "tag", "op": "hass", "value": "x"}]}]},
     "criteria.rules.0.rules.0.op", "unknown_operator"),
])
def test_criteria_mistakes_are_refused_with_their_path(criteria, path, code):
    with pytest.raises(Invalid) as refused:
        parse_criteria(criteria)
    assert refused.value.code == "invalid_criteria"
    problems = {(p["field"], p["code"]) for p in refused.value.extra["fields"]}
    assert (path, code) in problems, problems


def test_criteria_are_normalised_when_saved():
    parsed = parse_criteria({"match": "any", "rules": [
        {"field": "tag", "op": "has_any", "value": [" vip ", "gold", "vip"]},
        {"field": "postcode", "op": "in", "value": ["113 45", "sw1a 1aa"]},
        {"field": "membership", "op": "active", "plan": ""},
    ]})
    assert parsed.to_json()["rules"] == [
        {"field": "tag", "op": "has_any", "value": ["gold", "vip"]},
        {"field": "postcode", "op": "in", "value": ["11345", "SW1A1AA"]},
        {"field": "membership", "op": "active"},
    ]


def test_random_criteria_trees_match_the_same_customers_however_they_are_evaluated(backoffice, people):
    """Whole table, one customer at a time, and narrowed to candidates: the same answer for any tree."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tag, other, plan = _unique("rt"), _unique("rt"), _unique("Plan")
    current, ended = (plan, DAY - dt.timedelta(days=30), None), (plan, dt.date(2020, 1, 1), dt.date(2021, 1, 1))
    specs = []
    for i in range(12):
        specs.append({"tags": [t for t, on in ((tag, i % 2 == 0), (other, i % 3 == 0)) if on],
                      "memberships": [current] if i % 4 == 0 else ([ended] if i % 4 == 1 else []),
                      "birth_date": dt.date(1950 + 6 * i, 5, 17), "postal_code": f"{1 + i % 3}1122"})
    ids = people(*specs)
    rules = st.sampled_from([
        {"field": "tag", "op": "has", "value": tag}, {"field": "tag", "op": "has_not", "value": other},
        {"field": "tag", "op": "has_any", "value": [tag, other]}, {"field": "tag", "op": "has_none", "value": [tag]},
        {"field": "membership", "op": "active", "plan": plan}, {"field": "membership", "op": "ever", "plan": plan},
        {"field": "membership", "op": "never", "plan": plan}, {"field": "membership", "op": "not_active", "plan": plan},
        {"field": "membership", "op": "ended_within", "plan": plan, "value": 3000},
        {"field": "age", "op": "gte", "value": 40}, {"field": "age", "op": "lt", "value": 30},
        {"field": "postcode", "op": "starts_with", "value": "2"},
    ])
    trees = st.recursive(rules, lambda children: st.builds(
        lambda match, parts: {"match": match, "rules": parts},
        st.sampled_from(["all", "any"]), st.lists(children, min_size=1, max_size=3)), max_leaves=6)

    has_tag = {"field": "tag", "op": "has", "value": tag}
    nested = {"match": "any", "rules": [has_tag, {"match": "any", "rules": [has_tag, {"match": "all", "rules": [
        {"field": "membership", "op": "active", "plan": plan}, {"field": "age", "op": "gte", "value": 40}]}]}]}
    matches(backoffice, nested, ids)  # found by this test in CI: a union nested in a union, which SQLite refuses

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(trees)
    def check(tree):
        criteria = tree if "match" in tree else {"match": "all", "rules": [tree]}
        matches(backoffice, criteria, ids)  # asserts that the three evaluations agree

    check()
