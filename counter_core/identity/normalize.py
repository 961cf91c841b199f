"""Normalisers shared by the kiosk and the backoffice.

The backoffice imports these to validate again whatever a kiosk or a phone
form sends: the kiosk is never trusted.  Every function either returns the
canonical form or raises :class:`InvalidIdentifier` with a reason code and a
message a person can act on.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

import phonenumbers
from personnummer import personnummer as _pnr

DEFAULT_REGION = "SE"
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
MAX_AGE_YEARS = 130

_EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_SPACES_RE = re.compile(r"\s+")
_BIRTH_DATE_RE = re.compile(r"^(?P<year>[0-9]{4})(?P<sep>-?)(?P<month>[0-9]{2})(?P=sep)(?P<day>[0-9]{2})$")
# Names and three-letter codes seen on cards at a Swedish counter (upper case, dots removed) -> ISO alpha-2.
_COUNTRY_NAMES = {
    **dict.fromkeys(("SWEDEN", "SVERIGE", "SWE"), "SE"),
    **dict.fromkeys(("NORWAY", "NORGE", "NOREG", "NOR"), "NO"),
    **dict.fromkeys(("DENMARK", "DANMARK", "DNK"), "DK"),
    **dict.fromkeys(("FINLAND", "SUOMI", "FIN"), "FI"),
    **dict.fromkeys(("ICELAND", "ISLAND", "ÍSLAND", "ISL"), "IS"),
    **dict.fromkeys(("GERMANY", "DEUTSCHLAND", "TYSKLAND", "DEU"), "DE"),
    **dict.fromkeys(("UNITED KINGDOM", "STORBRITANNIEN", "GREAT BRITAIN", "UK", "GBR"), "GB"),
    **dict.fromkeys(("UNITED STATES", "UNITED STATES OF AMERICA", "USA"), "US"),
    **dict.fromkeys(("CANADA", "KANADA", "CAN"), "CA"),
    **dict.fromkeys(("IRELAND", "IRLAND", "ÉIRE", "EIRE", "IRL"), "IE"),
    **dict.fromkeys(("MEXICO", "MEX"), "MX"),
    **dict.fromkeys(("FRANCE", "FRANKRIKE", "FRA"), "FR"),
    **dict.fromkeys(("SPAIN", "SPANIEN", "ESPAÑA", "ESP"), "ES"),
    **dict.fromkeys(("NETHERLANDS", "NEDERLÄNDERNA", "NEDERLAND", "NLD"), "NL"),
    **dict.fromkeys(("POLAND", "POLEN", "POLSKA", "POL"), "PL"),
}
_PID_CHARS_RE = re.compile(r"^[0-9]{6}(?:[0-9]{2})?[-+]?[0-9]{4}$")


class InvalidIdentifier(ValueError):
    """A typed or scanned identifier that cannot be used, with a reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_name(value: str | None) -> str:
    """Trim, collapse white space, drop control characters and apply Unicode NFC."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text).strip()
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidIdentifier("name_too_long", f"A name may have at most {MAX_NAME_LENGTH} characters.")
    return text


def normalize_email(value: str | None) -> str:
    """Lower-case the domain, trim, and check the address has a plausible shape."""
    text = normalize_name(value) if value else ""
    if not text:
        return ""
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(text):
        raise InvalidIdentifier("invalid_email", "This does not look like an e-mail address.")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_country(value: str | None) -> str:
    """Return an ISO 3166-1 alpha-2 code (``SE``) from a code or a common name (``Sverige``, ``USA``, ``U.S.A.``).

    Cards write countries as they please; only two-letter codes, the
    three-letter codes of AAMVA licences and the names in
    :data:`_COUNTRY_NAMES` are understood, anything else is refused.
    """
    text = normalize_name(value).upper().replace(".", "").strip() if value else ""
    code = _COUNTRY_NAMES.get(text, text)
    if len(code) != 2 or code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidIdentifier("invalid_country", "Use a two-letter country code such as SE.")
    return code


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """Return the phone number in E.164 (``+46701234567``).

    National numbers are read in ``region`` (Sweden by default); ``00`` is read
    as the international prefix.  Raises :class:`InvalidIdentifier` when the
    number is not a possible, valid number.
    """
    text = normalize_name(value)
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    text = re.sub(r"[\s\-().\u00a0/]", "", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 20 or not re.fullmatch(r"\+?[0-9]+", text):
        raise InvalidIdentifier("invalid_phone", "A phone number has only digits, and may start with +.")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier("invalid_phone", "This is not a phone number we can use.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier("invalid_phone", "This phone number is not valid.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_birth_date(value: str | _dt.date | None, today: _dt.date | None = None) -> _dt.date:
    """Return a birth date from ``YYYY-MM-DD`` or ``YYYYMMDD`` (a time part after ``T`` is ignored).

    A date without a year (vCard ``--0415``), in the future or more than
    :data:`MAX_AGE_YEARS` years ago is refused: it cannot be a customer's.
    """
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        born = value
    else:
        text = str(value or "").strip()[:40]
        match = _BIRTH_DATE_RE.match(text.split("T", 1)[0])
        if not match:
            raise InvalidIdentifier("invalid_birth_date", "A birth date is written YYYY-MM-DD.")
        try:
            born = _dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError as exc:
            raise InvalidIdentifier("invalid_birth_date", "This birth date does not exist.") from exc
    today = today or _dt.date.today()
    if born > today or today.year - born.year > MAX_AGE_YEARS:
        raise InvalidIdentifier("invalid_birth_date", "This birth date is not plausible.")
    return born


def normalize_personal_id(value: str, today: _dt.date | None = None) -> str:
    """Return a Swedish personnummer or samordningsnummer as 12 digits.

    Accepts 10 or 12 digits, with or without ``-``/``+`` separator.  For 10
    digits the century is inferred: the most recent century that does not put
    the birth date in the future, one more century back with ``+`` (aged 100
    or more).  The Luhn check digit and the date (day + 60 for a
    samordningsnummer) are validated.
    """
    text = re.sub(r"\s", "", normalize_name(value))
    if not _PID_CHARS_RE.match(text):
        raise InvalidIdentifier(
            "invalid_personal_id", "A personal ID number has 10 or 12 digits (YYMMDD-NNNN or YYYYMMDDNNNN)."
        )
    digits = re.sub(r"[-+]", "", text)
    today = today or _dt.date.today()
    if len(digits) == 10:
        digits = _with_century(digits, today, aged_100_or_more="+" in text)
    if personal_id_birth_date(digits) is None:
        raise InvalidIdentifier("invalid_personal_id", "This personal ID number does not contain a valid date.")
    if not _pnr.valid(digits):
        raise InvalidIdentifier("invalid_personal_id", "The check digit of this personal ID number is wrong.")
    return digits


def _with_century(ten_digits: str, today: _dt.date, *, aged_100_or_more: bool) -> str:
    """Prefix the century that puts the birth date in the past (compared by full date, not only the year)."""
    century = today.year // 100
    candidate = f"{century:02d}{ten_digits}"
    born = personal_id_birth_date(candidate)
    # A number born "later this year" belongs to the previous century; an invalid date is left for the caller to refuse.
    if int(ten_digits[:2]) > today.year % 100 or (born is not None and born > today):
        century -= 1
    if aged_100_or_more:
        century -= 1
    return f"{century:02d}{ten_digits}"


def personal_id_birth_date(canonical: str) -> _dt.date | None:
    """Birth date of a canonical 12-digit number (samordningsnummer: day - 60)."""
    if len(canonical) != 12 or not (canonical.isascii() and canonical.isdigit()):
        return None
    year, month, day = int(canonical[:4]), int(canonical[4:6]), int(canonical[6:8])
    if day > 60:
        day -= 60
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def is_coordination_number(canonical: str) -> bool:
    """True for a samordningsnummer (day of month + 60)."""
    return len(canonical) == 12 and int(canonical[6:8]) > 60


def mask_personal_id(canonical: str) -> str:
    """Show a personal ID as ``YYYYMMDD-****``: enough for a cashier to recognise it."""
    if len(canonical) != 12:
        return "****"
    return f"{canonical[:8]}-****"


def mask_phone(e164: str) -> str:
    """Show a phone as ``+46 •••• ••67``: country code and the last two digits."""
    if not e164:
        return ""
    try:
        cc = "+" + str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        cc = ""
    return f"{cc} •••• ••{e164[-2:]}"


def mask_email(email: str) -> str:
    """Show an e-mail as ``a•••@example.com``."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return ""
    return f"{local[:1]}•••@{domain}"


def personal_id_is_valid(value: str) -> bool:
    """True when ``value`` normalises to a valid personal ID number."""
    try:
        normalize_personal_id(value)
    except InvalidIdentifier:
        return False
    return True
