"""Scan ID: the live camera picture with a guide frame; a read gives a flash and a beep at once."""

from __future__ import annotations

from kivy.animation import Animation
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from ..i18n import N_
from .base import KioskScreen

HINTS = {
    "url_not_a_card": N_("This web address is not a customer card. Show your membership code instead."),
    "unknown_format": N_("This code is not a customer card. Try another code."),
    "bad_check_digit": N_("The barcode could not be read correctly. Hold it still and try again."),
    "binary": N_("This code is not a customer card. Try another code."),
    "too_long": N_("This code is not a customer card. Try another code."),
    "no_usable_fields": N_("The card has no details we can use. Try another code or Enter ID."),
    "empty": N_("This code is empty. Try another code."),
}


class ScanScreen(KioskScreen):
    preview = ObjectProperty(None, allownone=True)
    hint = StringProperty("")
    camera_ok = BooleanProperty(True)
    flash = NumericProperty(0)

    def render(self, state) -> None:
        self.camera_ok = state.camera_ok
        code = state.visit.scan_hint
        self.hint = self.tr(HINTS.get(code, "This code cannot be used here. Try another code.")) if code else ""

    def code_seen(self) -> None:
        """Immediate visual feedback for a read (the beep is the app's)."""
        Animation.cancel_all(self, "flash")
        self.flash = 1
        Animation(flash=0, duration=0.6).start(self)

    def clear(self) -> None:
        self.preview = None
        self.hint = ""
