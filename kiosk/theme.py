"""Colours and sizes of the customer screen, chosen for contrast (WCAG AA, 4.5:1) and touch (12 mm).

No Kivy import: the tests check every text/background pair's contrast ratio.
"""

from __future__ import annotations

PIXELS_PER_MM = 5.5  # the official 7" Pi display (800×480) and 10.1" 1280×800 panels are both ~5.2-5.9
MIN_TOUCH_MM = 12.0

COLOURS = {
    "background": "#0b3d3a",  # deep teal: calm behind the waiting screen
    "surface": "#ffffff",
    "surface_alt": "#eef5f4",
    "ink": "#10201f",
    "ink_muted": "#3f514f",
    "on_background": "#ffffff",
    "on_background_muted": "#cde3e0",
    "primary": "#0f6b64",
    "on_primary": "#ffffff",
    "success": "#166534",
    "on_success": "#ffffff",
    "warning": "#f5b82e",
    "on_warning": "#1f1300",
    "danger": "#b42318",
    "on_danger": "#ffffff",
    "repeat": "#5b21b6",  # venue scanner: already scanned (violet, apart from success, warning and danger)
    "on_repeat": "#ffffff",
    "focus": "#f5b82e",
}

# (text, background) pairs the screens actually use.
TEXT_PAIRS = [
    ("on_background", "background"),
    ("on_background_muted", "background"),
    ("ink", "surface"),
    ("ink_muted", "surface"),
    ("ink", "surface_alt"),
    ("ink_muted", "surface_alt"),
    ("on_primary", "primary"),
    ("primary", "surface"),
    ("on_success", "success"),
    ("on_warning", "warning"),
    ("on_danger", "danger"),
    ("on_repeat", "repeat"),
    ("danger", "surface"),
]


def rgba(name_or_hex: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """A colour name from COLOURS (or a #rrggbb string) as Kivy's 0-1 RGBA."""
    value = COLOURS.get(name_or_hex, name_or_hex).lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = rgba(hex_colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio between two colours (names or hex)."""
    a, b = _luminance(COLOURS.get(foreground, foreground)), _luminance(COLOURS.get(background, background))
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def readable_on(background_hex: str) -> str:
    """Black or white text, whichever reads better on a group's own colour."""
    return "#ffffff" if contrast_ratio("#ffffff", background_hex) >= contrast_ratio("#10201f", background_hex) else "#10201f"
