"""What a scanned code or a typed number means: parsers and normalisers (no Kivy, no HTTP)."""

from .normalize import (
    InvalidIdentifier,
    mask_email,
    mask_personal_id,
    mask_phone,
    normalize_email,
    normalize_name,
    normalize_personal_id,
    normalize_phone,
)

__all__ = [
    "InvalidIdentifier",
    "mask_email",
    "mask_personal_id",
    "mask_phone",
    "normalize_email",
    "normalize_name",
    "normalize_personal_id",
    "normalize_phone",
]
