"""Pairing a kiosk by camera: the pairing code and what the back office's pairing QR holds.

The back office shows a short-lived, single-use pairing code as a QR code and as text;
the unpaired kiosk reads the QR and trades the code for its device token
(``POST /api/v1/kiosk/pair``).  The QR never holds the token itself::

    KIOSKPAIR:<backoffice base URL>:<code>      e.g. KIOSKPAIR:https://shop.example:7K2M9-XD4QP

A code is 10 characters of Crockford's base32 (50 random bits), shown in two groups of five.
Read back, case, spaces and dashes do not matter, and the letters people mistake for digits
(I, L, O) are read as the digits (1, 1, 0).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

PREFIX = "KIOSKPAIR:"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 10
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


class InvalidPairingCode(ValueError):
    """Not a pairing code: wrong length or characters."""


def new_code() -> str:
    """A fresh random code, canonical (no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """The canonical code from what was typed or scanned; raises InvalidPairingCode."""
    code = "".join(str(text or "").split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise InvalidPairingCode(f"a pairing code has {CODE_LENGTH} letters and digits")
    return code


def display_code(code: str) -> str:
    """The code as people read and type it: two groups of five."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def pairing_payload(base_url: str, code: str) -> str:
    """What the pairing QR holds."""
    return f"{PREFIX}{base_url.rstrip('/')}:{display_code(code)}"


@dataclass(frozen=True)
class PairingPayload:
    backoffice_url: str
    code: str  # canonical


def parse_pairing_payload(text: str | bytes) -> PairingPayload | None:
    """The backoffice URL and code of a pairing QR; None when the text is no pairing QR at all.

    Raises InvalidPairingCode when it is one but its URL or code cannot be right (a damaged print).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    if not text.upper().startswith(PREFIX):
        return None
    url, sep, code = text[len(PREFIX):].rpartition(":")
    if not sep or not url.startswith(("http://", "https://")) or len(url) > 300:
        raise InvalidPairingCode("the pairing QR holds no backoffice address")
    return PairingPayload(backoffice_url=url.rstrip("/"), code=normalize_code(code))
