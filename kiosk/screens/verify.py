"""Venue scanner: scan a customer code at a door; Success, Already scanned, Warning or Code not recognised.

Each answer fills the screen in its own colour with its own icon (a tick like the welcome screen's for a
success, a clock for a second pass, an exclamation mark for a warning, a cross for a code not recognised),
so that a door attendant tells them apart at a glance, as on ticket scanners.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from ..i18n import N_
from .base import KioskScreen
from .widgets import show_group_badges

RESULTS = {  # result: (title, background, ink, icon)
    "success": (N_("Success"), "success", "on_success", "check"),
    "repeat": (N_("Already scanned at {time}"), "repeat", "on_repeat", "clock"),
    "warning": (N_("Warning: not part of the selected customer groups"), "warning", "on_warning", "alert"),
    "unknown": (N_("Code not recognised"), "danger", "on_danger", "cross"),
    "unavailable": (N_("Cannot check this code right now: no connection and no offline list"), "danger", "on_danger",
                    "cross"),
}


class VerifyScreen(KioskScreen):
    preview = ObjectProperty(None, allownone=True)
    result = StringProperty("")
    title = StringProperty("")
    tone = StringProperty("primary")
    ink = StringProperty("on_primary")
    icon = StringProperty("")
    detail = StringProperty("")
    first_name = StringProperty("")
    checking = StringProperty("")
    offline = BooleanProperty(False)
    _groups: tuple = ()

    def render(self, state) -> None:
        visit = state.visit
        repeat = visit.verify_result == "success" and bool(visit.verify_repeat_time)
        self.result = "repeat" if repeat else visit.verify_result
        self.offline = visit.verify_offline or not state.online
        title, self.tone, self.ink, self.icon = RESULTS.get(self.result, ("", "primary", "on_primary", ""))
        self.title = self.tr(title, time=visit.verify_repeat_time) if title else ""
        self.detail = self.tr("Check before letting them in again.") if repeat else ""
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
