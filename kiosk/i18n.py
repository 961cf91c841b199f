"""Translations of the customer screen, read from gettext catalogues.

``kiosk/locale/<code>/LC_MESSAGES/kiosk.po`` is read directly with Babel: adding
a language is adding a catalogue (its ``language_name`` entry names it on the
language button), no code and no compile step.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def available_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/kiosk.po"))


def language_name(language: str) -> str:
    return catalogue(language).get("language_name", language.upper())


def translate(language: str, message: str, **values: object) -> str:
    """The message in ``language`` (English text as the key), with {placeholders} filled in."""
    text = catalogue(language).get(message, message)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return message.format(**values)
    return text


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message
