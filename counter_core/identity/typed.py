"""What the digits typed on the number pad are: customer number, personal ID or phone number.

Number pad rules (also in CONTRIBUTING.md, "Number pad rules").  Spaces are
ignored, and hyphens too except as a personal ID separator.  The first rule
that matches decides:

=====================================  ==============================================================
typed                                  read as
=====================================  ==============================================================
``YYMMDD-NNNN``, ``YYMMDD+NNNN``,      personal ID (``+``: aged 100 or more)
``YYYYMMDD-NNNN``
starts with ``+`` or ``00``            phone, international (``00`` is the international prefix)
starts with ``0``                      phone, Swedish national number
(either of the two above)              ...but 10 digits that are also a valid personnummer (born
                                       2000-2009: ``0701011231``, ``0001011238``) are ``ambiguous``
                                       when both readings are valid, so the screen can ask which
                                       one was meant, and a personal ID when only that one is
1-8 digits                             customer number
9 digits                               Swedish mobile typed without its 0 (``701234567``)
10 digits                              personal ID ``YYMMDDNNNN``; the century is the latest that
                                       puts the birth date in the past
11 digits                              phone, country code first (``46701234567``)
12 digits starting 19 or 20            personal ID ``YYYYMMDDNNNN``
other 12 digits, 13-15 digits          phone, country code first (``358401234567``)
more digits, or anything but digits    invalid: ``too_long``, ``not_digits``
=====================================  ==============================================================

A personal ID must pass the date check (samordningsnummer: day + 60) and the
Luhn check; a phone must be a valid number for its country (``phonenumbers``).
Input that matches a rule but fails its check is ``invalid`` with the rule's
reason (``invalid_personal_id``, ``invalid_phone``, ``unknown_number`` for 9
digits that are no mobile).  A Norwegian or Danish number typed with its
country code but without ``+`` has 10 digits and so reads as a personal ID;
that refusal tells the customer to start with ``+`` or ``00``.

``complete=False`` checks as the customer types: a reading that is already
valid is returned as it is (``possible_kinds`` says what more digits could
still make of it); otherwise, while more digits could make the input valid,
the result is ``incomplete`` with the kinds still possible; only input that
no digit can save is ``invalid``.  ``complete=True`` (OK pressed) never
returns ``incomplete``.

``display`` is what the input field shows.  A personal ID is masked after
its date (``19850412-••••``) once it is the reading, or, while typing, once
there are too many digits for a customer number and a personal ID is still
possible.  Phones are grouped (``070-123 45 67``) and a valid one is shown as
read (``701234567`` shows ``070-123 45 67``).  Input starting with ``0`` or
``+`` is shown as a phone even while it could still be a personal ID: that
is what it usually is.  Each candidate of an ambiguous reading has its own
display, the personal ID in its canonical masked form (``20070101-••••``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from .normalize import InvalidIdentifier, normalize_personal_id, normalize_phone

logger = logging.getLogger(__name__)

CUSTOMER_NUMBER, PERSONAL_ID, PHONE = "customer_number", "personal_id", "phone"
AMBIGUOUS, INCOMPLETE, INVALID = "ambiguous", "incomplete", "invalid"
MAX_PHONE_DIGITS = 15  # E.164
MAX_CUSTOMER_NUMBER_DIGITS = 8
MAX_TYPED_LENGTH = 40  # the longest sensible input, "+358 40 123 4567" with spaces, is far shorter

_FROM_ABROAD = "A phone number from abroad starts with + or 00."
_MESSAGES = {
    CUSTOMER_NUMBER: "Customer number.",
    PERSONAL_ID: "Personal ID number.",
    PHONE: "Phone number.",
    "phone_or_personal_id": "Is this your phone number or your personal ID number?",
    "keep_typing": "Keep typing.",
    "empty": "Enter your customer number, personal ID number or phone number.",
    "not_digits": "Use digits only (a phone number may start with +).",
    "too_long": "That is too many digits for a customer number, personal ID number or phone number.",
    "unknown_number": "Nine digits is not a customer number (at most 8 digits), "
    "a personal ID number (10 or 12) or a mobile number.",
    "invalid_phone": "This phone number is not valid.",
    "invalid_personal_id": "This personal ID number is not valid.",
    "internal_error": "Something went wrong in the kiosk; please try again.",
}
_KIND_NAMES = {CUSTOMER_NUMBER: "customer number", PERSONAL_ID: "personal ID number", PHONE: "phone number"}
_SEPARATED_PID_RE = re.compile(r"([0-9]{6}|[0-9]{8})([-+])([0-9]{0,4})")
_IGNORED_RE = re.compile(r"[\s\u00a0]")
_DIGITS_RE = re.compile(r"[0-9]*")  # not str.isdigit(): that also accepts "²" and "٣"
_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_MASK = "•"
_MAX_NATIONAL_DIGITS = 13  # 0 + the longest Swedish national number (12 digits)
_MONTH_PREFIXES = {"0", "1"} | {f"{m:02d}" for m in range(1, 13)}
_DAY_PREFIXES = set("01236789") | {f"{d:02d}" for d in range(1, 32)} | {str(d) for d in range(61, 92)}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of the digits: its kind, normalised value and how to show it."""

    kind: str
    value: str
    display: str

    def to_dict(self) -> dict[str, str]:
        """The identify request's fields for this reading: ``{"kind": "phone", "phone": "+46701234567"}``."""
        return {"kind": self.kind, self.kind: self.value}


@dataclass(frozen=True, slots=True)
class TypedInput:
    """The reading of the number pad's input.

    ``kind`` is one of ``customer_number personal_id phone ambiguous incomplete
    invalid``; ``value`` is the normalised value (customer number, 12-digit
    personal ID, E.164 phone) when the kind is one of the first three;
    ``candidates`` lists every valid reading (two when ambiguous);
    ``message_code`` is stable, for the screen to translate (the reason code
    when invalid) and ``message`` is its English text.
    """

    kind: str
    value: str | None
    display: str
    message_code: str
    message: str
    candidates: tuple[Candidate, ...] = ()
    possible_kinds: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON for a valid reading as :meth:`Candidate.to_dict`; otherwise the kind with candidates or reason."""
        if self.value is not None:
            return {"kind": self.kind, self.kind: self.value}
        if self.kind == AMBIGUOUS:
            return {"kind": self.kind, "candidates": [candidate.to_dict() for candidate in self.candidates]}
        return {"kind": self.kind, "reason": self.message_code}


@dataclass(frozen=True, slots=True)
class _Typed:
    form: str  # "international" (starts with +), "separated" (personal ID with - or +) or "digits"
    digits: str  # without the + or the separator
    separator: str = ""
    date_length: int = 0  # digits before the separator


def classify_typed_input(text: str, *, complete: bool = True, today: _dt.date | None = None) -> TypedInput:
    """Read the number pad's input by the rules in this module's docstring; never raises.

    ``today`` fixes the date used to infer a 10-digit personal ID's century (tests).
    """
    try:
        return _classify(text, complete, today)
    except Exception:  # a key press must never take the screen down; the log keeps the bug visible
        logger.exception("classify_typed_input failed")
        return _invalid("internal_error", "")


def _classify(text: str, complete: bool, today: _dt.date | None) -> TypedInput:
    if isinstance(text, str) and len(text) > MAX_TYPED_LENGTH:
        return _invalid("too_long", "")  # pasted junk: no need to look at it
    typed = _tokenise(text if isinstance(text, str) else "")
    if typed is None:
        return _invalid("not_digits", _plain(text))
    result = _read(typed, today)
    if complete:
        return result
    possible = _possible_kinds(typed)
    if result.kind != INVALID:
        return dataclasses.replace(result, possible_kinds=possible)
    if not possible:
        return result
    names = " or ".join(_KIND_NAMES[kind] for kind in possible)
    return TypedInput(
        INCOMPLETE, None, _partial_display(typed, possible), "keep_typing", f"Keep typing: {names}.", (), possible
    )


def _tokenise(text: str) -> _Typed | None:
    """Spaces dropped; ``None`` when something other than digits, a leading ``+`` or separators was typed."""
    s = _IGNORED_RE.sub("", text)
    separated = _SEPARATED_PID_RE.fullmatch(s)
    if separated:
        date, separator, serial = separated.groups()
        return _Typed("separated", date + serial, separator=separator, date_length=len(date))
    if s.startswith("+"):
        rest = s[1:].replace("-", "")
        return _Typed("international", rest) if _DIGITS_RE.fullmatch(rest) else None
    s = s.replace("-", "")
    return _Typed("digits", s) if _DIGITS_RE.fullmatch(s) else None


def _read(typed: _Typed, today: _dt.date | None) -> TypedInput:
    """The reading as if OK had been pressed."""
    digits = typed.digits
    if typed.form == "separated":
        return _personal_id(typed, today)
    if typed.form == "international":
        if not digits:
            return _invalid("invalid_phone", "+")
        if len(digits) > MAX_PHONE_DIGITS:
            return _invalid("too_long", "+" + digits)
        return _phone("+" + digits, typed, international=True)
    if not digits:
        return _invalid("empty", "")
    if len(digits) > MAX_PHONE_DIGITS + 2:
        return _invalid("too_long", digits)
    if digits.startswith("00"):
        return _phone_or_personal_id(_phone("+" + digits[2:], typed, international=True), typed, today)
    if digits.startswith("0"):
        return _phone_or_personal_id(_phone(digits, typed, international=False), typed, today)
    if len(digits) > MAX_PHONE_DIGITS:
        return _invalid("too_long", digits)
    if len(digits) <= MAX_CUSTOMER_NUMBER_DIGITS:
        return _valid(Candidate(CUSTOMER_NUMBER, digits, digits))
    if len(digits) == 9:
        mobile = _swedish_mobile(digits)
        return _valid(mobile) if mobile else _invalid("unknown_number", _partial_display(typed, _possible_kinds(typed)))
    if len(digits) == 10 or (len(digits) == 12 and digits[:2] in ("19", "20")):
        personal_id = _personal_id(typed, today)
        if personal_id.kind == INVALID and len(digits) == 10 and not _date_prefix_ok(digits, 6):
            # not even a date: maybe a Norwegian or Danish number without its +
            return dataclasses.replace(personal_id, message=f"{personal_id.message} {_FROM_ABROAD}")
        return personal_id
    return _phone("+" + digits, typed, international=True)


def _phone_or_personal_id(phone: TypedInput, typed: _Typed, today: _dt.date | None) -> TypedInput:
    """Starts with 0: a phone; but 10 digits may also be a personnummer born 2000-2009."""
    if len(typed.digits) != 10:
        return phone
    personal_id = _personal_id(typed, today)
    if phone.kind == PHONE and personal_id.kind == PERSONAL_ID:
        code = "phone_or_personal_id"
        candidates = phone.candidates + personal_id.candidates
        return TypedInput(AMBIGUOUS, None, phone.display, code, _MESSAGES[code], candidates)
    return personal_id if personal_id.kind == PERSONAL_ID else phone


def _phone(number: str, typed: _Typed, *, international: bool) -> TypedInput:
    try:
        e164 = normalize_phone(number)
    except InvalidIdentifier:
        return _invalid("invalid_phone", _as_you_type(typed))
    return _valid(Candidate(PHONE, e164, _phone_display(e164, international)))


def _swedish_mobile(digits: str) -> Candidate | None:
    """Nine digits are a mobile typed without its 0 only when 0 + digits is a Swedish mobile number."""
    parsed = phonenumbers.parse("0" + digits, "SE")
    if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE:
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return Candidate(PHONE, e164, _phone_display(e164, international=False))
    return None


def _personal_id(typed: _Typed, today: _dt.date | None) -> TypedInput:
    text = typed.digits
    if typed.separator:
        text = text[: typed.date_length] + typed.separator + text[typed.date_length :]
    try:
        canonical = normalize_personal_id(text, today)
    except InvalidIdentifier as exc:
        return TypedInput(INVALID, None, _masked(typed), "invalid_personal_id", exc.message)
    return _valid(Candidate(PERSONAL_ID, canonical, f"{canonical[:8]}-{_MASK * 4}"), _masked(typed))


def _valid(candidate: Candidate, display: str | None = None) -> TypedInput:
    """One valid reading; ``display`` is the field as typed, the candidate's own is its canonical form."""
    return TypedInput(
        candidate.kind,
        candidate.value,
        candidate.display if display is None else display,
        candidate.kind,
        _MESSAGES[candidate.kind],
        (candidate,),
    )


def _invalid(code: str, display: str) -> TypedInput:
    return TypedInput(INVALID, None, display, code, _MESSAGES[code])


# -- what more digits could still make ------------------------------------------------------------------------


def _possible_kinds(typed: _Typed) -> tuple[str, ...]:
    """Kinds that appending digits could still turn the input into, in the order of the rules."""
    digits, n = typed.digits, len(typed.digits)
    if typed.form == "separated":
        serial_length = n - typed.date_length
        return (PERSONAL_ID,) if serial_length < 4 and _date_prefix_ok(digits, typed.date_length) else ()
    if typed.form == "international":
        return (PHONE,) if n < MAX_PHONE_DIGITS and _country_code_possible(digits) else ()
    if digits.startswith("0"):
        if digits.startswith("00"):
            phone = n - 2 < MAX_PHONE_DIGITS and _country_code_possible(digits[2:])
        else:
            phone = n < _MAX_NATIONAL_DIGITS
        return ((PHONE,) if phone else ()) + ((PERSONAL_ID,) if n < 10 and _date_prefix_ok(digits, 6) else ())
    kinds = []
    if n < MAX_CUSTOMER_NUMBER_DIGITS:
        kinds.append(CUSTOMER_NUMBER)
    if (n < 10 and _date_prefix_ok(digits, 6)) or (n < 12 and _date_prefix_ok(digits, 8)):
        kinds.append(PERSONAL_ID)
    if (n < 9 and digits[:1] in ("", "7")) or (n < MAX_PHONE_DIGITS and _country_code_possible(digits)):
        kinds.append(PHONE)
    return tuple(kinds)


def _date_prefix_ok(digits: str, date_length: int) -> bool:
    """Could ``digits`` start a YYMMDD (``date_length`` 6) or YYYYMMDD (8) date, samordningsnummer included?"""
    year, month, day = (
        digits[: date_length - 4],
        digits[date_length - 4 : date_length - 2],
        digits[date_length - 2 : date_length],
    )
    if date_length == 8 and not ("19".startswith(year[:2]) or "20".startswith(year[:2])):
        return False
    if month and month not in _MONTH_PREFIXES:
        return False
    return not day or day in _DAY_PREFIXES


def _country_code_possible(digits: str) -> bool:
    if len(digits) >= 3:
        return any(digits[:k] in _COUNTRY_CODES for k in (1, 2, 3))
    return any(code.startswith(digits) for code in _COUNTRY_CODES)


# -- what the field shows -------------------------------------------------------------------------------------


def _partial_display(typed: _Typed, possible: tuple[str, ...]) -> str:
    if typed.form == "separated":
        return _masked(typed)
    if typed.form == "international" or typed.digits.startswith("0"):
        return _as_you_type(typed)
    if len(typed.digits) > MAX_CUSTOMER_NUMBER_DIGITS and (
        PERSONAL_ID in possible or _date_prefix_ok(typed.digits, 6) or _date_prefix_ok(typed.digits, 8)
    ):
        # A mistyped personal ID (wrong check digit) is still somebody's personal ID: keep it masked.
        return _masked(typed)
    return typed.digits


def _masked(typed: _Typed) -> str:
    """``19850412-••••``: the date stays readable, the digits after it never show."""
    digits = typed.digits
    if typed.separator:
        date_length = typed.date_length
    elif len(digits) > 10 or (not _date_prefix_ok(digits, 6) and _date_prefix_ok(digits, 8)):
        date_length = 8  # "198504121": the start of YYYYMMDD-NNNN, not of YYMMDD-NNNN
    else:
        date_length = 6
    rest = digits[date_length:]
    if not rest and not typed.separator:
        return digits
    return digits[:date_length] + (typed.separator or "-") + _MASK * len(rest)


def _phone_display(e164: str, international: bool) -> str:
    parsed = phonenumbers.parse(e164)
    fmt = phonenumbers.PhoneNumberFormat
    if not international and parsed.country_code == 46:
        return phonenumbers.format_number(parsed, fmt.NATIONAL)
    return phonenumbers.format_number(parsed, fmt.INTERNATIONAL)


def _as_you_type(typed: _Typed) -> str:
    """The phone grouped as typed so far (``070-123 45 67``, ``+46 70 123 45 67``)."""
    formatter = phonenumbers.AsYouTypeFormatter("SE")
    shown = ""
    for char in ("+" if typed.form == "international" else "") + typed.digits:
        shown = formatter.input_digit(char)
    return shown


def _plain(text: object) -> str:
    return _IGNORED_RE.sub("", text) if isinstance(text, str) else ""
