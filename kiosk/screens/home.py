"""Home: a sale is open; three large choices to connect it to a customer account."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from .base import KioskScreen


class HomeScreen(KioskScreen):
    mobile_note = StringProperty("")
    scan_note = StringProperty("")
    connected = BooleanProperty(False)

    def render(self, state) -> None:
        self.mobile_note = "" if state.online else self.tr("Needs a connection")
        self.scan_note = "" if state.camera_ok else self.tr("Camera not available")
        self.connected = state.sale_has_customer
