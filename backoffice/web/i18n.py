"""Translations for the pages, read from gettext catalogues (``locale/<lang>/LC_MESSAGES/*.po``).

The .po files are read directly with Babel, so adding a language is adding a
catalogue: no compile step, no code.  The msgid is the English text; a staff
page is in its staff member's language, else the shop's (``shop_language``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from babel.messages.pofile import read_po
from fastapi import Request

from . import LOCALE_DIR

DEFAULT_LANGUAGE = "sv"
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English", "fr": "Français"}  # each in its own language

Gettext = Callable[..., str]


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


def pick_language(requested: str | None, accept_language: str = "", default: str = DEFAULT_LANGUAGE) -> str:
    """The requested language if we have it, else the browser's first match, else the default."""
    available = languages()
    if requested in available:
        return requested
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in available:
            return code
    return default


def translator(language: str) -> Gettext:
    """``_("Text {name}", name=...)``: the catalogue's text for ``language`` (English when missing)."""
    table = _catalogue(language)

    def gettext(message: str, **values: object) -> str:
        text = table.get(message, message)
        return text.format(**values) if values else text

    return gettext


def staff_language(request: Request) -> str:
    """The signed-in staff member's language, else the shop's default."""
    shop = request.app.state.runtime.settings.shop_language
    staff = getattr(request.state, "staff", None)
    chosen = getattr(staff, "language", "") if staff else ""
    return chosen if chosen in languages() else shop


def for_request(request: Request) -> Gettext:
    """The gettext of a staff page's request (see ``staff_language``)."""
    return translator(staff_language(request))


def tr(request: Request, message: str, **values: object) -> str:
    """``message`` in the language of a staff page's request (for notices built before a redirect)."""
    return for_request(request)(message, **values)


def script_messages(language: str, messages: tuple[str, ...]) -> dict[str, str]:
    """The texts a page's script shows (toasts, dialogs), translated, for a JSON block on the page."""
    gettext = translator(language)
    return {message: gettext(message) for message in messages}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate later"
    """Mark a text for the catalogue where it is defined; it is translated where it is shown."""
    return message
