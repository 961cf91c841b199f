"""Venue scanner: scan a customer code at a door; Success, Warning or Code not recognised, large and clear."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from ..i18n import N_
from .base import KioskScreen
from .widgets import show_group_badges

RESULTS = {
    "success": (N_("Success"), "success", "on_success"),
    "warning": (N_("Warning: not part of the selected customer groups"), "warning", "on_warning"),
    "unknown": (N_("Code not recognised"), "danger", "on_danger"),
    "unavailable": (N_("Cannot check this code right now: no connection and no offline list"), "danger", "on_danger"),
}


class VerifyScreen(KioskScreen):
    preview = ObjectProperty(None, allownone=True)
    result = StringProperty("")
    title = StringProperty("")
    tone = StringProperty("primary")
    ink = StringProperty("on_primary")
    first_name = StringProperty("")
    checking = StringProperty("")
    offline = BooleanProperty(False)
    _groups: tuple = ()

    def render(self, state) -> None:
        visit = state.visit
        self.result = visit.verify_result
        self.offline = visit.verify_offline or not state.online
        title, self.tone, self.ink = RESULTS.get(visit.verify_result, ("", "primary", "on_primary"))
        self.title = self.tr(title) if title else ""
        self.first_name = visit.first_name
        names = ", ".join(g.name for g in state.verify_groups)
        self.checking = self.tr("Checking: {groups}", groups=names) if names else self.tr("Checking: all customer groups")
        if visit.groups != self._groups:
            self._groups = visit.groups
            show_group_badges(self.ids.groups, visit.groups)

    def code_seen(self) -> None:
        """The answer itself is the feedback at a door."""

    def clear(self) -> None:
        self.preview = None
        self.first_name = ""
        self._groups = ()
        show_group_badges(self.ids.groups, ())
