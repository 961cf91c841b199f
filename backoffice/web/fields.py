"""Refused fields as people read them: "Förnamn: ange ett förnamn eller efternamn", never ``first_name:``.

The services refuse a form with one Invalid listing each bad field (its name,
a code and an English message).  Pages mark each field (``aria-invalid`` and
the message next to it) and sum up at the top with the fields' own labels,
both in the staff member's language.  A duplicate phone number or personal ID
is a refusal of that field too.
"""

from __future__ import annotations

import re

from ..domain_errors import DomainError
from .i18n import Gettext

# msgids of the labels the forms show (see the templates' field lists)
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Mobile phone",
    "email": "E-mail",
    "personal_id": "Personal ID number",
    "birth_date": "Birth date",
    "street": "Street address",
    "postal_code": "Postal code",
    "city": "City",
    "country": "Country (two letters)",
    "notes": "Notes",
    "labels": "Labels",
    "tags": "Tags",
}
# refusals of one field that come as a conflict rather than a list of fields
DUPLICATE_FIELDS = {"duplicate_phone": "phone", "duplicate_personal_id": "personal_id"}
# English messages with a number in them: translated with the number put back
_NUMBERED = (
    (re.compile(r"At most (\d+) characters\."), "At most {limit} characters."),
    (re.compile(r"A name may have at most (\d+) characters\."), "A name may have at most {limit} characters."),
)


def message(text: str, _: Gettext) -> str:
    """An English service message in the page's language (numbers kept)."""
    for pattern, msgid in _NUMBERED:
        found = pattern.fullmatch(text)
        if found:
            return _(msgid, limit=found.group(1))
    return _(text)


def field_errors(exc: DomainError, _: Gettext) -> dict[str, str]:
    """Each refused field and its message, translated, for marking the field on the form."""
    if exc.code in DUPLICATE_FIELDS:
        return {DUPLICATE_FIELDS[exc.code]: message(exc.message, _)}
    errors: dict[str, str] = {}
    for problem in exc.extra.get("fields") or []:
        errors.setdefault(problem["field"], message(problem["message"], _))
    return errors


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def summary(exc: DomainError, _: Gettext) -> str:
    """One line for the top of the form: each field by its label, then what to do."""
    errors = field_errors(exc, _)
    if not errors:
        return message(exc.message, _)
    return "; ".join(f"{_(FIELD_LABELS.get(name, name))}: {_lower_first(text)}" for name, text in errors.items())
