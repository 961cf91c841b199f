"""Where the kiosk's assets (sounds, demo video, logo) are: the checkout's assets/ or the installed copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CANDIDATES = (
    Path(__file__).resolve().parent.parent / "assets",  # a checkout (editable install, tests, demo)
    Path(sys.prefix) / "share" / "counter-kiosk" / "assets",  # pip install (setup.py data_files)
)


def assets_dir() -> Path:
    override = os.environ.get("KIOSK_ASSETS")
    if override:
        return Path(override)
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    return _CANDIDATES[0]


def asset_path(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)
