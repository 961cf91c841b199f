"""The real-world payload corpus (payloads.json, written by make_corpus.py) and how a parse is scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent / "payloads.json"


def load() -> list[dict[str, Any]]:
    """Every corpus entry: name, source, symbology, payload, expected (to_dict fields; None: must be absent)."""
    return json.loads(PAYLOADS.read_text(encoding="utf-8"))


def field_results(expected: dict[str, Any], got: dict[str, Any]) -> dict[str, bool]:
    """Each expected field (address parts one by one) -> whether the parse got it right."""
    results: dict[str, bool] = {}
    for key, want in expected.items():
        if key == "address" and isinstance(want, dict):
            have = got.get("address") or {}
            for part, value in want.items():
                results[f"address.{part}"] = have.get(part) == value
        else:
            results[key] = got.get(key) == want
    return results
