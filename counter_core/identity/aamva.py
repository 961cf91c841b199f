"""North American driving licences and ID cards: the AAMVA PDF417 (versions 1 to 10+).

The file is ``@ LF RS CR`` + ``ANSI `` (``AAMVA`` in old cards) + issuer
number (6 digits) + AAMVA version (2) [+ jurisdiction version (2), from
version 2] + number of entries (2) + subfile designators, then subfiles
``DL`` / ``ID`` whose elements are three-letter codes followed by their value,
one per line.

Offsets in the header are not trusted: scanners drop or change the control
characters (``@ANSI ...``, ``\\r\\n`` for ``\\n``, no ``@`` at all, an AIM
``]L2`` prefix), so the
header is found by pattern and elements by their code at the start of a
line.  A payload without a header is still read when it has several known
element codes including the licence number (DAQ).

Names: DCS family name and DAC first name (version 4 on), DCT given names
(versions 2-3), DAA ``LAST,FIRST,MIDDLE`` (version 1).  Dates are MMDDCCYY in
the US and CCYYMMDD in Canada and in version 1; when the expected order gives
no valid date the other is tried.  Names printed in capitals are given a
capital initial only.
"""

from __future__ import annotations

import datetime as _dt
import re

from .fields import RawFields, build_identity, split_full_name, tidy_capitals
from .model import Identity

# "]L2" is the AIM symbology identifier some keyboard-wedge scanners put before a PDF417's text.
_HEADER_RE = re.compile(
    r"(?:\][A-Za-z][0-9])?[@\s\x1c-\x1e]{0,8}(?:ANSI|AAMVA) ?(?P<iin>[0-9]{6})(?P<version>[0-9]{2})"
)
_DESIGNATORS_RE = re.compile(r"[0-9]*(?:[A-Z]{2}[0-9]{8})*")
_SEGMENT_SPLIT_RE = re.compile(r"[\r\n\x1c-\x1e]+")
_ELEMENT_RE = re.compile(r"(?:DL|ID)?(D[A-D][A-Z])(.*)", re.DOTALL)
_KNOWN_ELEMENTS = frozenset(
    "DAA DAB DAC DAD DAG DAH DAI DAJ DAK DAQ DAU DAY DBA DBB DBC DBD DCA DCB DCD DCF DCG DCS DCT DDE DDF DDG".split()
)
_MISSING = {"", "NONE", "UNAVL", "UNAVAIL", "UNKNOWN", "N/A"}
_CANADIAN_REGIONS = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
_MIN_HEADERLESS_ELEMENTS = 4


def looks_like_aamva(text: str) -> bool:
    """An AAMVA header at the start, or enough licence element lines to be sure without one."""
    if _HEADER_RE.match(text):
        return True
    elements = _elements(text)
    return "DAQ" in elements and len(elements.keys() & _KNOWN_ELEMENTS) >= _MIN_HEADERLESS_ELEMENTS


def parse_aamva(text: str, symbology: str | None = None) -> Identity:
    """Name, birth date, licence number and address of an AAMVA licence or ID card."""
    header = _HEADER_RE.match(text)
    version = int(header["version"]) if header else None
    if header:
        body = text[header.end() :]
        body = body[_DESIGNATORS_RE.match(body).end() :]  # the rest of the header line starts the first subfile
    else:
        body = text
    el = _elements(body)
    raw = RawFields(licence_number=el.get("DAQ"))
    _read_names(raw, el)
    country = el.get("DCG", "").upper()
    canadian = country == "CAN" or (not country and el.get("DAJ", "").upper() in _CANADIAN_REGIONS)
    raw.birth_date = _date(el.get("DBB", ""), year_first=canadian or version == 1)
    raw.street = ", ".join(v for v in (el.get("DAG"), el.get("DAH")) if v)
    raw.city, raw.region, raw.country = el.get("DAI"), el.get("DAJ"), el.get("DCG")
    raw.postal_code = _postal_code(el.get("DAK", ""), canadian)
    return build_identity("aamva", raw, symbology)


def _elements(body: str) -> dict[str, str]:
    """Element code -> stripped value; the first occurrence wins (the DL subfile comes first)."""
    elements: dict[str, str] = {}
    for segment in _SEGMENT_SPLIT_RE.split(body):
        match = _ELEMENT_RE.match(segment.strip(" "))
        if match and match.group(1) not in elements:
            elements[match.group(1)] = match.group(2).strip()
    return elements


def _read_names(raw: RawFields, el: dict[str, str]) -> None:
    last = _name(el.get("DCS")) or _name(el.get("DAB"))
    # DCT (versions 2-3) holds the given names, first then middle, by comma or (some states) space.
    first = _name(el.get("DAC")) or _name(re.split(r"[,\s]+", (el.get("DCT") or "").strip())[0])
    if not (first or last) and _name(el.get("DAA")):
        full = el["DAA"].replace("$", ",")
        if "," in full:
            parts = [part.strip() for part in full.split(",")]
            last, first = parts[0] or None, (parts + [""])[1] or None
            if first and len(parts) == 2 and " " in first:
                first = first.split()[0]  # "LAST, FIRST MIDDLE": the middle name came without its comma
        else:
            # "FIRST MIDDLE LAST": the middle names are not part of the first name
            words = full.split()
            first, last = (words[0], words[-1]) if len(words) > 2 else split_full_name(full)
    raw.first_name, raw.last_name = tidy_capitals(first), tidy_capitals(last)


def _name(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value.upper() in _MISSING else value


def _date(value: str, *, year_first: bool) -> _dt.date | None:
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) != 8:
        return None
    ymd = (digits[:4], digits[4:6], digits[6:])
    mdy = (digits[4:], digits[:2], digits[2:4])
    for year, month, day in (ymd, mdy) if year_first else (mdy, ymd):
        try:
            return _dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


def _postal_code(value: str, canadian: bool) -> str | None:
    code = value.replace(" ", "").upper()
    if canadian and len(code) == 6:
        return f"{code[:3]} {code[3:]}"
    if code.isdigit() and len(code) == 9:
        return code[:5] if code.endswith("0000") else f"{code[:5]}-{code[5:]}"  # 0000 is filler, not ZIP+4
    return code or None
