"""MECARD (NTT docomo) and BIZCARD, the compact contact formats of QR codes.

``MECARD:N:Owen,Sean;TEL:...;EMAIL:...;BDAY:19850412;ADR:...;;`` and
``BIZCARD:N:Sean;X:Owen;T:title;C:company;A:address;B:phone;M:mobile;E:email;;``
share one grammar: ``KEY:value`` fields ended by ``;``, the record by
``;;``; a backslash escapes ``\\ ; : ,`` in a value.

MECARD's ``N`` is ``Last,First``; its ``ADR`` is seven comma-separated parts
(PO box, room, street, city, region, postal code, country) in the docomo
specification but free text in most real codes (ZXing's own example), so an
address that does not have exactly seven parts is kept whole as the street.
Encoders also write line breaks between fields and forget the final ``;;``:
both are tolerated.
"""

from __future__ import annotations

from .escapes import split_escaped
from .fields import RawFields, build_identity, find_personal_ids
from .model import Identity

_DOCOMO_ADR_PARTS = 7


def parse_mecard(text: str, symbology: str | None = None) -> Identity:
    """Read a payload starting with ``MECARD:``."""
    raw = RawFields()
    for key, value in _fields(text, "MECARD:"):
        if key == "N" and not (raw.first_name or raw.last_name or raw.full_name):
            names = [_unescape(part) for part in split_escaped(value, ",")]
            if len(names) >= 2:
                raw.last_name, raw.first_name = names[0], names[1]
            else:
                raw.full_name = names[0]
        elif key == "TEL":
            raw.phones.append(_unescape(value))
        elif key == "EMAIL":
            raw.emails.append(_unescape(value))
        elif key == "BDAY" and not raw.birth_date:
            raw.birth_date = _unescape(value)
        elif key == "ADR" and not raw.street:
            _read_address(raw, value)
        elif key == "NOTE":
            raw.personal_ids += find_personal_ids(_unescape(value))
        elif key.startswith("X-"):
            raw.personal_ids += find_personal_ids(_unescape(value))
    return build_identity("mecard", raw, symbology)


def parse_bizcard(text: str, symbology: str | None = None) -> Identity:
    """Read a payload starting with ``BIZCARD:`` (ZXing's format)."""
    raw = RawFields()
    mobiles: list[str] = []
    phones: list[str] = []
    for key, value in _fields(text, "BIZCARD:"):
        value = _unescape(value)
        if key == "N" and not raw.first_name:
            raw.first_name = value
        elif key == "X" and not raw.last_name:
            raw.last_name = value
        elif key == "M":
            mobiles.append(value)
        elif key == "B":
            phones.append(value)
        elif key == "E":
            raw.emails.append(value)
        elif key == "A" and not raw.street:
            raw.street = value
    raw.phones = mobiles + phones  # F is a fax
    return build_identity("bizcard", raw, symbology)


def _fields(text: str, prefix: str) -> list[tuple[str, str]]:
    """``(KEY, still-escaped value)`` pairs after ``prefix``, up to the ``;;`` that ends the record."""
    body = text.strip()[len(prefix) :]
    out = []
    for field in split_escaped(body, ";"):
        field = field.strip()
        if not field:
            if out:
                break  # ";;" ends the record; anything after it is not ours
            continue
        key, sep, value = field.partition(":")
        if sep and "\\" not in key:
            out.append((key.strip().upper(), value.strip()))
    return out


def _read_address(raw: RawFields, value: str) -> None:
    parts = [_unescape(part).strip() for part in split_escaped(value, ",")]
    if len(parts) == _DOCOMO_ADR_PARTS:
        box, room, street, raw.city, raw.region, raw.postal_code, raw.country = parts
        raw.street = ", ".join(p for p in (street, room, box) if p)
    else:
        raw.street = _unescape(value)


def _unescape(value: str) -> str:
    out, escaped = [], False
    for char in value:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)
