"""What a scanned code or a typed number means: parsers and normalisers (no Kivy, no HTTP).

``parse_payload`` reads a scanned code into an :class:`Identity`;
``classify_typed_input`` reads the number pad into a :class:`TypedInput`;
the normalisers are shared with the backoffice, which validates again.
"""

from .model import KINDS, UNRECOGNISED_REASONS, Address, Identity
from .normalize import (
    InvalidIdentifier,
    mask_email,
    mask_personal_id,
    mask_phone,
    normalize_birth_date,
    normalize_country,
    normalize_email,
    normalize_name,
    normalize_personal_id,
    normalize_phone,
)
from .payloads import MAX_PAYLOAD, parse_payload
from .typed import Candidate, TypedInput, classify_typed_input

__all__ = [
    "KINDS",
    "MAX_PAYLOAD",
    "UNRECOGNISED_REASONS",
    "Address",
    "Candidate",
    "Identity",
    "InvalidIdentifier",
    "TypedInput",
    "classify_typed_input",
    "mask_email",
    "mask_personal_id",
    "mask_phone",
    "normalize_birth_date",
    "normalize_country",
    "normalize_email",
    "normalize_name",
    "normalize_personal_id",
    "normalize_phone",
    "parse_payload",
]
