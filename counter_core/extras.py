"""Commands check their optional libraries first, so a plain ``pip install .`` gives a message, not a traceback."""

from __future__ import annotations

import sys
from importlib.util import find_spec

from . import DISTRIBUTION

# What each extra's commands import at start (import names, not distribution names).
EXTRAS = {
    "kiosk": ("kivy", "cv2", "zxingcpp", "pyzbar", "requests", "numpy", "segno", "babel"),
    "camera": ("cv2", "zxingcpp", "numpy"),
    "server": ("fastapi", "uvicorn", "sqlalchemy", "alembic", "jinja2", "cryptography", "argon2", "segno", "babel"),
}


def missing_modules(extra: str) -> list[str]:
    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def require(command: str, *extras: str) -> None:
    """Exit with status 2 and an install hint when a library the command needs is not installed."""
    missing = sorted({name for extra in extras for name in missing_modules(extra)})
    if missing:
        wanted = ",".join("kiosk" if e == "camera" else e for e in extras)
        print(f"{command}: the libraries {', '.join(missing)} are not installed; "
              f"install them with: pip install '{DISTRIBUTION}[{wanted}]'", file=sys.stderr)
        raise SystemExit(2)
