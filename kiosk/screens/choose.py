"""Ambiguous number: the customer says whether they typed their phone or their personal ID."""

from __future__ import annotations

from kivy.properties import ListProperty

from .base import KioskScreen


class ChooseScreen(KioskScreen):
    options = ListProperty([])  # [(kind, label)]

    def render(self, state) -> None:
        typed = state.visit.typed
        names = {"phone": self.tr("My phone number"), "personal_id": self.tr("My personal ID number")}
        self.options = [(c.kind, f"{names.get(c.kind, c.kind)}\n{c.display}") for c in (typed.candidates if typed else ())]

    def clear(self) -> None:
        self.options = []
