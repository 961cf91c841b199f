"""Customer cards and ID cards: customer numbers, card codes, card URLs and retail barcodes.

Formats (CONTRIBUTING.md, "Identifier formats"):

* customer number: 1-8 digits, no leading zero;
* card code: ``<PREFIX>-<8 Crockford base32>`` or any 4-64 character
  ``[A-Z0-9-]`` code, or a numeric EAN printed on a pre-made card; letters
  are upper-cased (a code is never case-sensitive);
* card URL: ``.../c/<card code>``, or ``?card=`` / ``?code=`` /
  ``?customer=<number>`` - any host: which public URL is ours is the
  backoffice's to know, not this pure module's.

A retail barcode (EAN-13, EAN-8, UPC-A, UPC-E, as named by zxing-cpp) has a
check digit, validated here: a wrong one means a misread, so the customer is
asked to scan again rather than being told the card is unknown.  Digits from
any other symbology carry no check digit and are taken as they are.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from stdnum import ean

from .model import Identity

_CUSTOMER_NUMBER_RE = re.compile(r"[1-9][0-9]{0,7}")
_CARD_CODE_RE = re.compile(r"[A-Z0-9-]{4,64}")
_URL_RE = re.compile(r"https?://", re.IGNORECASE)
_RETAIL_LENGTHS = {"EAN13": (13,), "EAN8": (8,), "UPCA": (12, 13), "UPCE": (8,)}
RETAIL_SYMBOLOGIES = frozenset(_RETAIL_LENGTHS)


def parse_card_text(text: str, symbology: str | None = None) -> Identity | None:
    """A customer number or card code, or ``None`` when the text is neither."""
    if _CUSTOMER_NUMBER_RE.fullmatch(text):
        return Identity(kind="customer_number", customer_number=text, symbology=symbology)
    code = text.upper()
    if _CARD_CODE_RE.fullmatch(code):
        return Identity(kind="card_code", card_code=code, symbology=symbology)
    return None


def parse_retail_barcode(text: str, symbology_key: str, symbology: str | None = None) -> Identity:
    """An EAN/UPC printed on a pre-made card: a card code when its check digit is right."""
    if not (text.isascii() and text.isdigit()) or len(text) not in _RETAIL_LENGTHS[symbology_key]:
        return Identity.unrecognised("unknown_format", symbology)
    checked = _upc_e_to_upc_a(text) if symbology_key == "UPCE" else text
    if checked is None or not ean.is_valid(checked):
        return Identity.unrecognised("bad_check_digit", symbology)
    return Identity(kind="card_code", card_code=text, symbology=symbology)


def is_url(text: str) -> bool:
    """An http(s) link (other schemes, ``tel:`` or ``WIFI:``, are not cards either but are not links)."""
    return bool(_URL_RE.match(text))


def parse_card_url(text: str, symbology: str | None = None) -> Identity:
    """The card code or customer number a card link carries, else ``url_not_a_card``."""
    try:
        url = urlsplit(text)
        query = parse_qs(url.query)
    except ValueError:  # a malformed netloc ("http://[x") is a link to nothing
        return Identity.unrecognised("url_not_a_card", symbology)
    segments = [unquote(s) for s in url.path.split("/") if s]
    for i, segment in enumerate(segments[:-1]):
        if segment.lower() == "c":
            return _card_or_refusal(segments[i + 1], symbology)
    for key in ("card", "code"):
        if query.get(key):
            return _card_or_refusal(query[key][0], symbology)
    number = (query.get("customer") or [""])[0].strip()
    if _CUSTOMER_NUMBER_RE.fullmatch(number):
        return Identity(kind="customer_number", customer_number=number, symbology=symbology)
    return Identity.unrecognised("url_not_a_card", symbology)


def _card_or_refusal(code: str, symbology: str | None) -> Identity:
    code = code.strip().upper()
    if _CARD_CODE_RE.fullmatch(code):
        return Identity(kind="card_code", card_code=code, symbology=symbology)
    return Identity.unrecognised("url_not_a_card", symbology)


def _upc_e_to_upc_a(code: str) -> str | None:
    """Expand an 8-digit UPC-E to the UPC-A its check digit is computed on."""
    system, body, check = code[0], code[1:7], code[7]
    if system not in "01":
        return None
    last = body[5]
    if last in "012":
        middle = f"{body[:2]}{last}0000{body[2:5]}"
    elif last == "3":
        middle = f"{body[:3]}00000{body[3:5]}"
    elif last == "4":
        middle = f"{body[:4]}00000{body[4]}"
    else:
        middle = f"{body[:5]}0000{last}"
    return f"{system}{middle}{check}"
