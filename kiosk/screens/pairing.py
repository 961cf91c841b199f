"""An unpaired kiosk: "Scan the pairing code from the back office" with the camera picture, then who it is paired as.

Drawn from :class:`kiosk.pairing_flow.PairingState` (the pairing app's flow); touches go to that flow.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from kivy.animation import Animation
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from .base import KioskScreen


class PairingScreen(KioskScreen):
    preview = ObjectProperty(None, allownone=True)
    step = StringProperty("scanning")
    message = StringProperty("")
    camera_ok = BooleanProperty(True)
    can_retry = BooleanProperty(False)
    flash = NumericProperty(0)

    def render(self, state) -> None:
        self.step = state.step.value
        self.camera_ok = state.camera_ok
        address = urlsplit(state.address).netloc or state.address
        self.message = self.tr(state.message, address=address) if state.message else ""
        self.can_retry = state.can_retry

    def code_seen(self) -> None:
        Animation.cancel_all(self, "flash")
        self.flash = 1
        Animation(flash=0, duration=0.6).start(self)

    def clear(self) -> None:
        self.preview = None


class PairedScreen(KioskScreen):
    kiosk_name = StringProperty("")
    register_name = StringProperty("")

    def render(self, state) -> None:
        self.kiosk_name = state.kiosk_name
        self.register_name = state.register_name
