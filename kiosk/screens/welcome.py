"""Welcome: the customer's first name and their groups (coloured dots); nothing else personal."""

from __future__ import annotations

from kivy.properties import StringProperty

from .base import KioskScreen
from .widgets import show_group_badges


class WelcomeScreen(KioskScreen):
    first_name = StringProperty("")
    _groups: tuple = ()

    def render(self, state) -> None:
        visit = state.visit
        self.first_name = visit.first_name
        if visit.groups != self._groups:
            self._groups = visit.groups
            show_group_badges(self.ids.groups, visit.groups)

    def clear(self) -> None:
        self.first_name = ""
        self._groups = ()
        show_group_badges(self.ids.groups, ())
