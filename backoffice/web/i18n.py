"""Translations for the pages, read from gettext catalogues (``locale/<lang>/LC_MESSAGES/*.po``).

The .po files are read directly with Babel, so adding a language is adding a
catalogue: no compile step, no code.
"""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po

from . import LOCALE_DIR

DEFAULT_LANGUAGE = "sv"


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "backoffice.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "backoffice.po").exists())


def pick_language(requested: str | None, accept_language: str = "") -> str:
    """The requested language if we have it, else the browser's first match, else Swedish."""
    available = languages()
    if requested in available:
        return requested
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in available:
            return code
    return DEFAULT_LANGUAGE


def translator(language: str):
    table = _catalogue(language)

    def gettext(message: str, **values: object) -> str:
        text = table.get(message, message)
        return text.format(**values) if values else text

    return gettext
