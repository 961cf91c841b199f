"""From raw field text found in a payload to a normalised :class:`Identity`.

Parsers only find text; this module normalises it with the shared
normalisers.  A field that fails normalisation (an invalid phone number in a
vCard, a birth date without a year) is dropped, never fatal: the rest of the
card is still worth having.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from .model import Address, Identity
from .normalize import (
    InvalidIdentifier,
    normalize_birth_date,
    normalize_country,
    normalize_email,
    normalize_name,
    normalize_personal_id,
    normalize_phone,
    personal_id_birth_date,
)

# A personnummer written the way people and documents write it: YYMMDD-NNNN,
# YYMMDD+NNNN (aged 100 or more) or YYYYMMDD-NNNN.  Bare 10-digit runs are not
# taken from free text: a phone number (0701234567) would too often pass.
_SEPARATED_PID_RE = re.compile(r"(?<![\w+-])((?:19|20)?[0-9]{6}[-+][0-9]{4})(?![\w-])")
# After a key that says what follows is a personal ID, a bare number is fine.
_KEYED_PID_RE = re.compile(r"(?<![0-9])([0-9]{6}(?:[0-9]{2})?[-+ ]?[0-9]{4})(?![0-9])")
_PID_KEYWORD_RE = re.compile(
    r"(?:person(?:nummer|nr|al[ _-]?(?:id|number|identity number))|pnr|samordningsnummer|ssn)\s*[:=.]?\s*",
    re.IGNORECASE,
)
# Values of one field tried before giving up: a card has a few phone numbers, never hundreds,
# and each try costs tens of microseconds.
MAX_CANDIDATES = 10
_PHONE_DIGITS_RE = re.compile(r"[\s\-().\u00a0/]")
_WORD_SPLIT_RE = re.compile(r"\s+")


@dataclass
class RawFields:
    """Text found in a payload, before normalisation; lists are in order of preference."""

    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None  # used only when neither first nor last name is found
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    birth_date: str | _dt.date | None = None
    personal_ids: list[str] = field(default_factory=list)  # candidates already found in context
    licence_number: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


def build_identity(kind: str, raw: RawFields, symbology: str | None) -> Identity:
    """Normalise every field, drop those that fail, and refuse a card with nothing to identify a person by."""
    first, last = _name_or_none(raw.first_name), _name_or_none(raw.last_name)
    if not first and not last and raw.full_name:
        first, last = split_full_name(_name_or_none(raw.full_name) or "")
    personal_id = _first_valid(raw.personal_ids, normalize_personal_id)
    birth_date = _first_valid([raw.birth_date] if raw.birth_date else [], normalize_birth_date)
    if birth_date is None and personal_id:
        birth_date = personal_id_birth_date(personal_id)
    identity = Identity(
        kind=kind,
        first_name=first,
        last_name=last,
        phone=_first_valid(raw.phones, payload_phone),
        email=_first_valid(raw.emails, normalize_email),
        birth_date=birth_date,
        personal_id=personal_id,
        licence_number=_name_or_none(raw.licence_number),
        address=_address(raw),
        symbology=symbology,
    )
    if not any(
        (identity.first_name, identity.last_name, identity.phone, identity.email, personal_id, identity.licence_number)
    ):
        return Identity.unrecognised("no_usable_fields", symbology)
    return identity


def payload_phone(raw: str) -> str:
    """E.164 of a phone written on a card: national (Swedish) first, then digits read with their country code.

    Contact cards from abroad often carry ``12125551212`` without the ``+``;
    a Swedish national number starts with 0, so the second reading cannot
    steal one.
    """
    try:
        return normalize_phone(raw)
    except InvalidIdentifier:
        digits = _PHONE_DIGITS_RE.sub("", raw or "")
        if not (digits.isdigit() and digits[0] != "0" and 8 <= len(digits) <= 15):
            raise
        return normalize_phone("+" + digits)


def find_personal_ids(text: str, *, keyed: bool = False) -> list[str]:
    """Raw personnummer candidates in ``text`` (validate them with ``normalize_personal_id``).

    With ``keyed`` the whole text is the value of a field that is known to hold
    a personal ID, so a bare 10- or 12-digit number counts; otherwise a number
    counts when written with a separator or right after a word such as
    "personnummer".
    """
    text = text or ""
    found = [m.group(1) for m in _SEPARATED_PID_RE.finditer(text)]
    if keyed:
        found += [m.group(1) for m in _KEYED_PID_RE.finditer(text)]
    for keyword in _PID_KEYWORD_RE.finditer(text):
        match = _KEYED_PID_RE.match(text, keyword.end())
        if match:
            found.append(match.group(1))
    return [candidate.replace(" ", "") for candidate in found]


def valid_personal_ids(candidates: list[str]) -> list[str]:
    """The distinct valid personal IDs among ``candidates``, canonical, in order."""
    out: list[str] = []
    for candidate in candidates[:MAX_CANDIDATES]:
        try:
            canonical = normalize_personal_id(candidate)
        except InvalidIdentifier:
            continue
        if canonical not in out:
            out.append(canonical)
    return out


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """Guess first and last name from one string: ``Last, First`` or ``First [Middle] Last``."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip() or None, last.strip() or None
    words = _WORD_SPLIT_RE.split(full.strip())
    if not words or not words[0]:
        return None, None
    if len(words) == 1:
        return words[0], None  # one word is more often what a person is called by
    return " ".join(words[:-1]), words[-1]


def tidy_capitals(name: str | None) -> str | None:
    """``SVENSSON`` -> ``Svensson``: licences print names in capitals, a greeting should not shout."""
    if name and name.isupper():
        return name.title()
    return name


def _name_or_none(value: str | None) -> str | None:
    try:
        return normalize_name(value) or None
    except InvalidIdentifier:
        return None


def _first_valid(values, normalise):
    for value in values[:MAX_CANDIDATES]:
        try:
            result = normalise(value)
        except InvalidIdentifier:
            continue
        if result:
            return result
    return None


def _address(raw: RawFields) -> Address | None:
    address = Address(
        street=_name_or_none(raw.street),
        postal_code=_name_or_none(raw.postal_code),
        city=_name_or_none(raw.city),
        region=_name_or_none(raw.region),
        country=_first_valid([raw.country] if raw.country else [], normalize_country),
    )
    return address if address.to_dict() else None
