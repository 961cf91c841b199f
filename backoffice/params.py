"""Bounds on numbers checked where a request comes in: path ids as FastAPI parameters (see ``numbers``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from .numbers import MAX_ROW_ID, fits_row_id, is_number, row_id

__all__ = ["MAX_ROW_ID", "RowId", "fits_row_id", "is_number", "row_id"]

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id")]
