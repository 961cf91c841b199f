"""What a scanned code is: one entry point, :func:`parse_payload`, that never raises.

Order of the checks, and why:

1. Size cap (:data:`MAX_PAYLOAD` bytes or characters) before anything else,
   so a hostile code costs nothing; then bytes are decoded (UTF-8, else
   cp1252, else latin-1) and text with control characters is refused as
   ``binary``.
2. A retail barcode symbology (EAN/UPC) means a card number with a check
   digit, whatever the digits look like.
3. Contact cards and licences announce themselves: ``BEGIN:VCARD``,
   ``MECARD:``, ``BIZCARD:``, the AAMVA header.
4. An http(s) link is a card link or nothing (``url_not_a_card``).
5. A valid personnummer in licence form (``YYMMDD-NNNN``, keyed fields) is a
   Swedish licence; it goes before card codes because ``19121212-1212``
   also fits the card code alphabet.
6. Customer numbers and card codes; anything else is ``unknown_format``.
"""

from __future__ import annotations

import logging
import re

from . import aamva, cards, mecard, se_licence, vcard
from .model import Identity

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 8192
# Separators that real codes carry: tab, LF, CR and the ASCII FS/GS/RS of AAMVA and GS1.
_BINARY_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1b\x7f-\x9f\ufffd\ud800-\udfff]")
_BINARY_TOLERANCE = 0.02  # a stray control character from a keyboard-wedge scanner is not binary
_SYMBOLOGY_RE = re.compile(r"[^A-Z0-9]")


def parse_payload(text: str | bytes, symbology: str | None = None) -> Identity:
    """Classify and parse a scanned code; never raises (an internal error is logged and refused)."""
    try:
        return _parse(text, symbology)
    except Exception:  # the scanner thread must survive any code; the log keeps the bug visible
        logger.exception("parse_payload failed on a %s payload", symbology or "scanned")
        return Identity.unrecognised("internal_error", symbology if isinstance(symbology, str) else None)


def decode_payload(payload: str | bytes) -> str:
    """Text of a payload: UTF-8 (BOM dropped), else cp1252, else latin-1 (which cannot fail)."""
    if isinstance(payload, str):
        return payload.removeprefix("\ufeff")
    data = bytes(payload)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _parse(payload: str | bytes, symbology: str | None) -> Identity:
    if payload is None:
        return Identity.unrecognised("empty", symbology)
    if not isinstance(payload, str | bytes | bytearray | memoryview):
        return Identity.unrecognised("unknown_format", symbology)
    if len(payload) > MAX_PAYLOAD:
        return Identity.unrecognised("too_long", symbology)
    text = decode_payload(payload).rstrip("\x00").strip()
    if not text:
        return Identity.unrecognised("empty", symbology)
    junk = len(_BINARY_RE.findall(text))
    if "\x00" in text or junk > max(1, len(text) * _BINARY_TOLERANCE):
        return Identity.unrecognised("binary", symbology)
    if junk:
        text = _BINARY_RE.sub("", text)
    key = _SYMBOLOGY_RE.sub("", (symbology or "").upper())
    if key in cards.RETAIL_SYMBOLOGIES:
        return cards.parse_retail_barcode(text, key, symbology)
    head = text[:12].upper()
    if head.startswith("BEGIN:VCARD"):
        return vcard.parse_vcard(text, symbology)
    if head.startswith("MECARD:"):
        return mecard.parse_mecard(text, symbology)
    if head.startswith("BIZCARD:"):
        return mecard.parse_bizcard(text, symbology)
    if aamva.looks_like_aamva(text):
        return aamva.parse_aamva(text, symbology)
    if cards.is_url(text):
        return cards.parse_card_url(text, symbology)
    found = se_licence.parse_se_licence(text, symbology) or cards.parse_card_text(text, symbology)
    return found or Identity.unrecognised("unknown_format", symbology)
