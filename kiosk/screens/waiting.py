"""Waiting: no sale is open at the register; a calm, branded screen."""

from __future__ import annotations

from pathlib import Path

from kivy.properties import StringProperty

from .base import KioskScreen


class WaitingScreen(KioskScreen):
    note = StringProperty("")
    logo = StringProperty("")

    def render(self, state) -> None:
        logo = self.app.kiosk_config.logo
        self.logo = logo if logo and Path(logo).is_file() else ""
        if not state.paired:
            self.note = self.tr("This screen is not connected to a register. Please ask the staff to pair it.")
        elif not state.online:
            self.note = self.tr("Connecting to the shop system…")
        else:
            self.note = self.tr("When the cashier starts your purchase, you can connect it to your customer account here.")
