"""Bounds on numbers that reach the database (no web framework: the services check with these too).

An id beyond what its column can hold names nothing; without a bound it would
reach the driver and fail there (SQLite: "Python int too large to convert",
PostgreSQL: "integer out of range") as a server error.
"""

from __future__ import annotations

MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer column; no row id gets anywhere near it


def fits_row_id(value: int) -> bool:
    return 1 <= value <= MAX_ROW_ID


def is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²" (which int() refuses) and "٣" (which it reads as 3)."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """The id a form field or header holds, or None when it holds no id that can exist."""
    text = text.strip()
    return int(text) if is_number(text) and len(text) <= 10 and fits_row_id(int(text)) else None
