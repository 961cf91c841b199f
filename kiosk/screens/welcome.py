"""Welcome: the customer's first name and their groups (coloured dots); nothing else personal."""

from __future__ import annotations

from kivy.properties import StringProperty

from ..widgets import GroupBadge
from .base import KioskScreen


class WelcomeScreen(KioskScreen):
    first_name = StringProperty("")
    _groups: tuple = ()

    def render(self, state) -> None:
        visit = state.visit
        self.first_name = visit.first_name
        if visit.groups != self._groups:
            self._groups = visit.groups
            self._show_groups(visit.groups)

    def _show_groups(self, groups) -> None:
        box = self.ids.groups
        for badge in box.children:
            badge.stop()
        box.clear_widgets()
        for group in groups:  # already in priority order from the backoffice
            box.add_widget(GroupBadge(group))

    def clear(self) -> None:
        self.first_name = ""
        self._groups = ()
        self._show_groups(())
