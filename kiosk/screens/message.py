"""Screens that say one thing and return home by themselves: declined, saved for later, a problem."""

from __future__ import annotations

from kivy.properties import StringProperty

from ..i18n import N_
from .base import KioskScreen

TEXTS = {
    # declined registrations
    "aborted": (N_("No registration this time"),
                N_("That is fine. You can ask the cashier any time if you change your mind.")),
    "expired": (N_("No registration this time"),
                N_("The cashier did not get to it in time. Ask at the counter if you like.")),
    # saved in the outbox while offline
    "identify": (N_("Saved"), N_("We cannot reach the shop system right now. Your purchase will be connected as "
                                 "soon as the connection is back; you do not need to wait.")),
    "registration": (N_("Saved"), N_("We cannot reach the shop system right now. Your details are saved and go to "
                                     "the cashier as soon as the connection is back.")),
    # problems
    "offline": (N_("No connection"), N_("We cannot reach the shop system right now. Please ask the cashier, or try "
                                        "again in a moment.")),
    "offline_mobile": (N_("Via mobile needs a connection"), N_("We cannot reach the shop system right now. Use Scan "
                                                               "ID or Enter ID instead; they work anyway.")),
    "rate_limited": (N_("Please ask the cashier"), N_("There have been too many attempts at this screen. The cashier "
                                                      "can help you connect your purchase.")),
    "error": (N_("Something went wrong"), N_("Please try again, or ask the cashier for help.")),
}


class MessageScreen(KioskScreen):
    title = StringProperty("")
    text = StringProperty("")

    def render(self, state) -> None:
        title, text = TEXTS.get(state.visit.reason, TEXTS["error"])
        self.title, self.text = self.tr(title), self.tr(text)

    def clear(self) -> None:
        self.title = self.text = ""


class DeclinedScreen(MessageScreen):
    pass


class QueuedScreen(MessageScreen):
    pass


class ProblemScreen(MessageScreen):
    pass
