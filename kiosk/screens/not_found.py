"""Not found: offer to become a member (the cashier finishes it), or to try again."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from .base import KioskScreen


class NotFoundScreen(KioskScreen):
    title = StringProperty("")
    message = StringProperty("")
    can_register = BooleanProperty(False)

    def render(self, state) -> None:
        visit = state.visit
        self.can_register = visit.can_register
        self.title = self.tr("We could not find you")
        if visit.reason == "ask_cashier":  # a phone number alone, or a card whose names are not the account's
            self.title = self.tr("The cashier will check your details")
            self.message = self.tr("Please ask the cashier, who checks your details and connects your purchase.")
        elif visit.reason == "card_not_linked":
            self.message = self.tr("This card is not linked to a customer account yet. The cashier can link it for you.")
        elif visit.can_register:
            self.message = self.tr("Would you like to become a member? We send your number to the cashier, "
                                   "who finishes your registration.")
        else:
            self.message = self.tr("Check the number or try another way.")

    def clear(self) -> None:
        self.title = ""
        self.message = ""
        self.can_register = False
