"""The Swedish driving licence's 2D code (DataMatrix), read for its personnummer.

The layout of that code is not public, so this module assumes as little as
it can and says what it assumes:

* The text holds the holder's personnummer (or samordningsnummer) in one of
  the forms documents use: ``YYMMDD-NNNN``, ``YYMMDD+NNNN`` or
  ``YYYYMMDD-NNNN`` anywhere in free text; or, after a key naming it
  (``personnummer``, ``pnr``, ``4d`` - the EU licence's field for the
  personal number - ...), also bare ``YYMMDDNNNN`` / ``YYYYMMDDNNNN``.  It
  must pass the date and Luhn checks.  A payload of bare digits alone is not
  taken for a licence: that is a card number (see ``cards``).
* Names and the licence number, when present, are ``key: value`` or
  ``key=value`` pairs separated by line breaks, ``;``, ``|`` or tabs, or lines
  numbered as on the EU card (``1. SVENSSON``, ``2. ANNA``, ``4d. ...``,
  ``5. ...``).  Keys are matched without regard to case: surname ``1``,
  ``efternamn``, ``surname``, ``last_name``; given names ``2``,
  ``förnamn``, ``fornamn``, ``given_names``, ``first_name``; licence number
  ``5``, ``körkortsnummer``, ``licence_number``, ``license_number``.
* A delimited record without keys (``SE;19701063-2391;ANDERSSON;ANNA;...``):
  the two fields right after the personnummer, when they are made of
  letters only, are the surname and the given names, in the EU card's order.
* A text with two different valid personnummer is not one person's licence
  and is not recognised.
"""

from __future__ import annotations

import re

from .fields import RawFields, build_identity, find_personal_ids, tidy_capitals, valid_personal_ids
from .model import Identity

_PAIR_SPLIT_RE = re.compile(r"[\n\r;|\t]+")
_KEY_VALUE_RE = re.compile(r"\s*([^:=]{1,40}?)\s*[:=]\s*(.*)$", re.DOTALL)
_NUMBERED_FIELD_RE = re.compile(r"^\s*(1|2|3|4[a-d]|5)\.\s+(.*)$", re.IGNORECASE)
_NAME_RE = re.compile(r"[^\W\d_]+(?:[ '-][^\W\d_]+)*")  # letters, with inner spaces, hyphens, apostrophes
_SURNAME_KEYS = {"1", "efternamn", "surname", "last_name", "lastname", "family_name"}
_GIVEN_NAME_KEYS = {"2", "förnamn", "fornamn", "given_names", "given_name", "first_name", "firstname"}
_PERSONAL_ID_KEYS = {"4d", "personnummer", "pnr", "personal_number", "personal_id", "samordningsnummer"}
_LICENCE_KEYS = {"5", "körkortsnummer", "korkortsnummer", "licence_number", "license_number"}


def parse_se_licence(text: str, symbology: str | None = None) -> Identity | None:
    """The licence holder's identity, or ``None`` when ``text`` carries no (single) valid personnummer."""
    pairs = _pairs(text)
    candidates = [c for key, value in pairs if key in _PERSONAL_ID_KEYS for c in find_personal_ids(value, keyed=True)]
    candidates += find_personal_ids(text)
    personal_ids = valid_personal_ids(candidates)
    if len(personal_ids) != 1:
        return None
    raw = RawFields(personal_ids=personal_ids)
    for key, value in pairs:
        if key in _SURNAME_KEYS and not raw.last_name:
            raw.last_name = tidy_capitals(value)
        elif key in _GIVEN_NAME_KEYS and not raw.first_name:
            raw.first_name = tidy_capitals(value.split(",")[0].strip())
        elif key in _LICENCE_KEYS and not raw.licence_number:
            raw.licence_number = value
    if not (raw.first_name or raw.last_name):
        raw.last_name, raw.first_name = _names_after(personal_ids[0], _PAIR_SPLIT_RE.split(text))
    return build_identity("se_licence", raw, symbology)


def _names_after(personal_id: str, fields: list[str]) -> tuple[str | None, str | None]:
    """Surname and given names from the two letters-only fields that follow the personnummer's field."""
    for i, field in enumerate(fields):
        if personal_id in valid_personal_ids(find_personal_ids(field, keyed=True)):
            following = [f.strip() for f in fields[i + 1 : i + 3]]
            if len(following) == 2 and all(_NAME_RE.fullmatch(f) for f in following):
                return tidy_capitals(following[0]), tidy_capitals(following[1])
            break
    return None, None


def _pairs(text: str) -> list[tuple[str, str]]:
    """``(lower-case key, value)`` for every ``key: value``, ``key=value`` or ``1. value`` piece."""
    pairs = []
    for piece in _PAIR_SPLIT_RE.split(text):
        numbered = _NUMBERED_FIELD_RE.match(piece)
        if numbered:
            pairs.append((numbered.group(1).lower(), numbered.group(2).strip()))
            continue
        match = _KEY_VALUE_RE.match(piece)
        if match:
            key = match.group(1).strip().lower().rstrip(".").replace(" ", "_").replace("-", "_")
            pairs.append((key, match.group(2).strip()))
    return pairs
