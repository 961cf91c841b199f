"""The typed results of reading a scanned code: :class:`Identity` and :class:`Address`.

Every payload the kiosk meets becomes one :class:`Identity`; a code that
cannot be used is an ``Identity`` of kind ``unrecognised`` with a reason code
from :data:`UNRECOGNISED_REASONS` (machine-readable) and a message (for a
person), never an exception.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, fields
from typing import Any

#: What a payload turned out to be (``Identity.kind``).
KINDS = ("vcard", "mecard", "bizcard", "aamva", "se_licence", "customer_number", "card_code", "unrecognised")

#: Why a payload was not recognised: reason code -> message for a person.
UNRECOGNISED_REASONS = {
    "empty": "The code is empty.",
    "binary": "The code holds binary data, not text.",
    "too_long": "The code is too long to be a customer card or an ID.",
    "unknown_format": "This code is not a customer card, ID card, contact card or driving licence.",
    "url_not_a_card": "This link is not a customer card link.",
    "bad_check_digit": "The barcode's check digit is wrong; please scan it again.",
    "no_usable_fields": "The card has no name, phone number, e-mail or ID number that can be used.",
    "internal_error": "The code could not be read because of an error in the kiosk.",
}


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code (``SE``), absent when the card's is not understood."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The parts that are known, for JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True, slots=True)
class Identity:
    """What a scanned code says about a customer, with every field normalised (``None`` when unknown)."""

    kind: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    birth_date: _dt.date | None = None
    personal_id: str | None = None  # 12 digits YYYYMMDDNNNN
    customer_number: str | None = None
    card_code: str | None = None
    licence_number: str | None = None
    address: Address | None = None
    symbology: str | None = None  # the decoder's format name, as given
    reason: str | None = None  # only for kind "unrecognised"
    message: str | None = None

    @classmethod
    def unrecognised(cls, reason: str, symbology: str | None = None) -> Identity:
        """A refusal with one of :data:`UNRECOGNISED_REASONS` and its message."""
        return cls(kind="unrecognised", symbology=symbology, reason=reason, message=UNRECOGNISED_REASONS[reason])

    @property
    def recognised(self) -> bool:
        """True when the code can be used to look up or register a customer."""
        return self.kind != "unrecognised"

    def to_dict(self) -> dict[str, Any]:
        """The JSON fields of ``kiosk-decode --json`` and ``POST /api/v1/identify``; unknown fields are absent.

        ``symbology`` is included when the decoder named one; a refusal adds ``reason`` and ``message``.
        """
        out: dict[str, Any] = {"kind": self.kind}
        for name in (
            "first_name",
            "last_name",
            "phone",
            "email",
            "birth_date",
            "personal_id",
            "customer_number",
            "card_code",
            "licence_number",
        ):
            value = getattr(self, name)
            if value:
                out[name] = value.isoformat() if isinstance(value, _dt.date) else value
        address = self.address.to_dict() if self.address else {}
        if address:
            out["address"] = address
        if self.symbology:
            out["symbology"] = self.symbology
        if not self.recognised:
            out["reason"] = self.reason
            out["message"] = self.message
        return out
