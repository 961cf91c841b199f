"""Customer-group criteria: the JSON a manager saves, validated strictly, and read back in words.

A criteria document is a tree, nested at most ``MAX_DEPTH`` levels::

    {"match": "all" | "any", "rules": [rule | {"match": ..., "rules": [...]}, ...]}

and a rule names a field, an operator and (for most operators) a value::

    {"field": "tag", "op": "has", "value": "vip"}
    {"field": "membership", "op": "active", "plan": "Friend"}
    {"field": "age", "op": "between", "value": [18, 25]}

``FIELDS`` lists every field with its operators and the value each operator
takes; anything else (an unknown key, field, operator or a value of the wrong
kind) is refused with the path of the mistake, e.g. ``criteria.rules.1.op``.
``criteria_sql`` turns a validated tree into one SQL condition.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from counter_core.identity.normalize import InvalidIdentifier, normalize_name

from ..domain_errors import Invalid

MAX_DEPTH = 3
MAX_RULES_PER_GROUP = 20
MAX_RULES = 40
MAX_LIST = 50
CREATED_BY = ("kiosk", "mobile", "cashier", "import", "admin", "api")
_POSTCODE_RE = re.compile(r"[A-Z0-9-]{1,12}")

# What each kind of value is, in a manager's words (for error messages and the editor).
VALUE_KINDS = {
    "none": "no value",
    "text": "a text of 1 to 60 characters",
    "texts": f"a list of 1 to {MAX_LIST} texts",
    "age": "an age in years (0 to 150)",
    "ages": "two ages in years, lowest first",
    "days": "a number of days (0 to 36500)",
    "date": "a date such as 2026-01-31 (1900 to 2200)",
    "bool": "true or false",
    "postcode": "a postcode (letters, digits, hyphen)",
    "postcodes": f"a list of 1 to {MAX_LIST} postcodes",
    "origin": "one of " + ", ".join(CREATED_BY),
    "origins": "a list of: " + ", ".join(CREATED_BY),
}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    try:
        text = normalize_name(value)
    except InvalidIdentifier:
        raise ValueError from None
    if not 1 <= len(text) <= 60:
        raise ValueError
    return text


def _int(low: int, high: int):
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError
        return value

    return convert


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        day = dt.date.fromisoformat(value.strip())
    else:
        raise ValueError
    if not 1900 <= day.year <= 2200:  # beyond, a date names nothing here (and year 1 cannot move time zones)
        raise ValueError
    return day


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _postcode(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    code = value.replace(" ", "").upper()
    if not _POSTCODE_RE.fullmatch(code):
        raise ValueError
    return code


def _origin(value: Any) -> str:
    if value not in CREATED_BY:
        raise ValueError
    return value


def _list_of(convert):
    def convert_list(value: Any) -> list:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise ValueError
        return sorted({convert(v) for v in value})

    return convert_list


def _pair_of(convert):
    def convert_pair(value: Any) -> list:
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError
        low, high = convert(value[0]), convert(value[1])
        if low > high:
            raise ValueError
        return [low, high]

    return convert_pair


_age, _days = _int(0, 150), _int(0, 36500)
CONVERTERS = {
    "text": _text, "texts": _list_of(_text), "age": _age, "ages": _pair_of(_age), "days": _days, "date": _date,
    "bool": _bool, "postcode": _postcode, "postcodes": _list_of(_postcode), "origin": _origin,
    "origins": _list_of(_origin),
}


class Rule(BaseModel):
    """One condition on a customer; subclasses list their operators and the value each takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    OPS: ClassVar[dict[str, str]] = {}
    field: str
    op: str
    value: Any = Field(None, validate_default=True)

    @field_validator("value", mode="plain")
    @classmethod
    def _value_fits_the_operator(cls, value: Any, info) -> Any:
        op = info.data.get("op")
        if op not in cls.OPS:
            return value  # the operator's own error is reported
        kind = cls.OPS[op]
        if kind == "none":
            if value is not None:
                raise PydanticCustomError("unexpected_value", "The operator {op} takes no value.", {"op": op})
            return None
        if value is None:
            raise PydanticCustomError("missing_value", "Enter {kind}.", {"kind": VALUE_KINDS[kind]})
        try:
            return CONVERTERS[kind](value)
        except (ValueError, TypeError):
            raise PydanticCustomError("invalid_value", "Enter {kind}.", {"kind": VALUE_KINDS[kind]}) from None

    def to_json(self) -> dict:
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: data[k] for k in ("field", "op", "plan", "value") if k in data}


class TagRule(Rule):
    OPS = {"has": "text", "has_not": "text", "has_any": "texts", "has_none": "texts"}
    field: Literal["tag"]
    op: Literal["has", "has_not", "has_any", "has_none"]


class LabelRule(Rule):
    OPS = TagRule.OPS
    field: Literal["label"]
    op: Literal["has", "has_not", "has_any", "has_none"]


class MembershipRule(Rule):
    OPS = {"active": "none", "not_active": "none", "active_on": "date", "expires_within": "days",
           "ended_within": "days", "ever": "none", "never": "none"}
    field: Literal["membership"]
    op: Literal["active", "not_active", "active_on", "expires_within", "ended_within", "ever", "never"]
    plan: str | None = Field(None, description="The plan, e.g. Friend; absent means any plan")

    @field_validator("plan", mode="plain")
    @classmethod
    def _plan_is_text(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        try:
            return _text(value)
        except ValueError:
            raise PydanticCustomError("invalid_value", "Enter the plan's name (1 to 60 characters).") from None


class AgeRule(Rule):
    OPS = {"eq": "age", "ne": "age", "lt": "age", "lte": "age", "gt": "age", "gte": "age", "between": "ages"}
    field: Literal["age"]
    op: Literal["eq", "ne", "lt", "lte", "gt", "gte", "between"]


class PostcodeRule(Rule):
    OPS = {"equals": "postcode", "starts_with": "postcode", "in": "postcodes"}
    field: Literal["postcode"]
    op: Literal["equals", "starts_with", "in"]


class CreatedByRule(Rule):
    OPS = {"is": "origin", "is_not": "origin", "in": "origins"}
    field: Literal["created_by"]
    op: Literal["is", "is_not", "in"]


class HasEmailRule(Rule):
    OPS = {"is": "bool"}
    field: Literal["has_email"]
    op: Literal["is"]


class HasPhoneRule(Rule):
    OPS = {"is": "bool"}
    field: Literal["has_phone"]
    op: Literal["is"]


class CustomerSinceRule(Rule):
    OPS = {"before": "date", "on_or_after": "date", "at_least_days": "days", "within_days": "days"}
    field: Literal["customer_since"]
    op: Literal["before", "on_or_after", "at_least_days", "within_days"]


RULES: dict[str, type[Rule]] = {
    "tag": TagRule, "label": LabelRule, "membership": MembershipRule, "age": AgeRule, "postcode": PostcodeRule,
    "created_by": CreatedByRule, "has_email": HasEmailRule, "has_phone": HasPhoneRule,
    "customer_since": CustomerSinceRule,
}
# The fields, their operators and the value kind of each: served to the editor, documented in the API.
FIELDS = {name: dict(rule.OPS) for name, rule in RULES.items()}


def _node_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "group" if "match" in value else value.get("field")
    if isinstance(value, RuleGroup):
        return "group"
    return getattr(value, "field", None)


class RuleGroup(BaseModel):
    """Rules combined with AND (``all``) or OR (``any``); a rule may itself be a group."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    match: Literal["all", "any"]
    rules: list[
        Annotated[
            Annotated[RuleGroup, Tag("group")]
            | Annotated[TagRule, Tag("tag")]
            | Annotated[LabelRule, Tag("label")]
            | Annotated[MembershipRule, Tag("membership")]
            | Annotated[AgeRule, Tag("age")]
            | Annotated[PostcodeRule, Tag("postcode")]
            | Annotated[CreatedByRule, Tag("created_by")]
            | Annotated[HasEmailRule, Tag("has_email")]
            | Annotated[HasPhoneRule, Tag("has_phone")]
            | Annotated[CustomerSinceRule, Tag("customer_since")],
            Discriminator(
                _node_kind,
                custom_error_type="unknown_field",
                custom_error_message="Unknown field; use one of " + ", ".join(RULES) + ", or a nested group",
            ),
        ]
    ] = Field(min_length=1, max_length=MAX_RULES_PER_GROUP)

    def depth(self) -> int:
        return 1 + max((r.depth() for r in self.rules if isinstance(r, RuleGroup)), default=0)

    def rule_count(self) -> int:
        return sum(r.rule_count() if isinstance(r, RuleGroup) else 1 for r in self.rules)

    def to_json(self) -> dict:
        return {"match": self.match, "rules": [r.to_json() for r in self.rules]}


class Criteria(RuleGroup):
    """The top of a criteria tree, with the limits on its size."""

    @model_validator(mode="after")
    def _within_limits(self) -> Criteria:
        if self.depth() > MAX_DEPTH:
            raise PydanticCustomError("too_deep", "Nest groups at most {n} levels deep.", {"n": MAX_DEPTH})
        if self.rule_count() > MAX_RULES:
            raise PydanticCustomError("too_many_rules", "Use at most {n} rules in all.", {"n": MAX_RULES})
        return self


_TAGS = {"group", *RULES}
_CODES = {"literal_error": "unknown_operator", "extra_forbidden": "unknown_key", "missing": "missing",
          "too_short": "no_rules", "too_long": "too_many_rules", "model_type": "not_an_object",
          "list_type": "not_a_list", "union_tag_not_found": "unknown_field"}


def _path(loc: tuple, prefix: str) -> str:
    parts, previous = [prefix], None
    for part in loc:
        # a discriminated union puts the chosen tag in the location: not a key the manager wrote
        if isinstance(previous, int) and part in _TAGS:
            previous = part
            continue
        parts.append(str(part))
        previous = part
    return ".".join(parts)


def _problem(error: dict, prefix: str) -> dict:
    loc = tuple(error.get("loc", ()))
    kind = error["type"]
    code = _CODES.get(kind, kind if kind in ("unknown_field", "invalid_value", "missing_value", "unexpected_value",
                                             "too_deep", "too_many_rules") else "invalid_value")
    message = error["msg"]
    if kind == "literal_error" and loc and loc[-1] == "op":
        code, message = "unknown_operator", f"Unknown operator; {message[0].lower()}{message[1:]}"
    elif kind == "literal_error" and loc and loc[-1] == "match":
        code, message = "invalid_match", "Use all (AND) or any (OR)."
    elif kind == "extra_forbidden":
        message = f"Unknown key {loc[-1]!r}."
    elif kind == "too_short":
        message = "Add at least one rule."
    elif kind == "union_tag_not_found":
        message = "Each rule needs a field (or match and rules for a nested group)."
    elif kind == "model_type":
        message = "Write a rule as an object with field, op and value, a group as an object with match and rules."
    return {"field": _path(loc, prefix), "code": code, "message": message}


def parse_criteria(raw: Any, *, prefix: str = "criteria") -> Criteria | None:
    """Validate a criteria document; ``None`` (no criteria) means a group of hand-picked customers only.

    Raises Invalid ``invalid_criteria`` listing each mistake with its path.
    """
    if raw is None:
        return None
    if isinstance(raw, Criteria):
        return raw
    try:
        return Criteria.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(e, prefix) for e in exc.errors(include_url=False)]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise Invalid("invalid_criteria", f"The criteria have mistakes ({summary}).", fields=problems) from None


# ---------------------------------------------------------------- in words, for the manager's pages

_OP_WORDS = {
    "has": "has {field} {value}", "has_not": "does not have {field} {value}",
    "has_any": "has any {field} of {value}", "has_none": "has no {field} of {value}",
    "eq": "age is {value}", "ne": "age is not {value}", "lt": "age under {value}", "lte": "age {value} or under",
    "gt": "age over {value}", "gte": "age {value} or over", "between": "age {value}",
}
_MEMBERSHIP_WORDS = {
    "active": "{plan} membership active today", "not_active": "no active {plan} membership",
    "active_on": "{plan} membership active on {value}", "expires_within": "{plan} membership ending within {value} days",
    "ended_within": "{plan} membership ended in the last {value} days", "ever": "has ever had a {plan} membership",
    "never": "has never had a {plan} membership",
}
_OTHER_WORDS = {
    ("postcode", "equals"): "postcode is {value}", ("postcode", "starts_with"): "postcode starts with {value}",
    ("postcode", "in"): "postcode is one of {value}", ("created_by", "is"): "created by {value}",
    ("created_by", "is_not"): "not created by {value}", ("created_by", "in"): "created by one of {value}",
    ("customer_since", "before"): "customer since before {value}",
    ("customer_since", "on_or_after"): "customer since {value} or later",
    ("customer_since", "at_least_days"): "customer for at least {value} days",
    ("customer_since", "within_days"): "customer for less than {value} days",
}


def _english(message: str, **values: object) -> str:
    return message.format(**values) if values else message


# every text describe() may use, for the staff pages' catalogue (backoffice.web.messages)
DESCRIBE_TEXTS = (*_OP_WORDS.values(), *_MEMBERSHIP_WORDS.values(), *_OTHER_WORDS.values(),
                  "Hand-picked customers only", " AND ", " OR ", "{low} to {high}", "any", "has an e-mail address",
                  "has no e-mail address", "has a phone number", "has no phone number", "tag", "label")


def _value_words(value: Any, op: str, _: Callable[..., str] = _english) -> str:
    if isinstance(value, list):
        return _("{low} to {high}", low=value[0], high=value[1]) if op == "between" else \
            ", ".join(str(v) for v in value)
    return str(value)


def describe(node: RuleGroup | Rule | None, _: Callable[..., str] = _english) -> str:
    """The criteria in one readable line, e.g. ``tag vip OR (Friend membership active today AND age 18 or over)``.

    ``_`` is a page's gettext: the words come out in the staff member's language.
    """
    if node is None:
        return _("Hand-picked customers only")
    if isinstance(node, RuleGroup):
        joiner = _(" AND ") if node.match == "all" else _(" OR ")
        parts = [f"({describe(r, _)})" if isinstance(r, RuleGroup) and len(r.rules) > 1 else describe(r, _)
                 for r in node.rules]
        return joiner.join(parts)
    value = _value_words(node.value, node.op, _)
    if node.field == "membership":
        return _(_MEMBERSHIP_WORDS[node.op], plan=node.plan or _("any"), value=value).replace("a any", "any")
    if node.field == "has_email":
        return _("has an e-mail address") if node.value else _("has no e-mail address")
    if node.field == "has_phone":
        return _("has a phone number") if node.value else _("has no phone number")
    if node.field in ("tag", "label") or node.field == "age":
        return _(_OP_WORDS[node.op], field=_(node.field), value=value)
    return _(_OTHER_WORDS[(node.field, node.op)], value=value)
