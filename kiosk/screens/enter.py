"""Enter ID: a big number pad; the field shows what the digits are read as, personal IDs masked."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from ..i18n import N_
from .base import KioskScreen

KIND_NAMES = {
    "customer_number": N_("Customer number"),
    "personal_id": N_("Personal ID number"),
    "phone": N_("Phone number"),
}
PROBLEMS = {
    "invalid_personal_id": N_("This personal ID number is not valid. Check the digits."),
    "invalid_phone": N_("This phone number is not valid. Check the digits."),
    "invalid_customer_number": N_("This customer number is not valid."),
    "unknown_number": N_("Nine digits is neither a customer number, a personal ID number nor a mobile number."),
    "too_long": N_("That is too many digits."),
    "not_digits": N_("Use digits only."),
}


class EnterScreen(KioskScreen):
    shown = StringProperty("")
    understood = StringProperty("")
    problem = StringProperty("")
    valid = BooleanProperty(False)

    def render(self, state) -> None:
        visit = state.visit
        typed = visit.typed
        self.shown = typed.display if typed else ""
        self.valid = bool(typed and typed.kind in KIND_NAMES)
        if visit.typed_message:
            self.problem = self.tr(PROBLEMS.get(visit.typed_message, "Please check the number."))
        elif typed and typed.kind == "invalid":
            self.problem = self.tr(PROBLEMS.get(typed.message_code, "Please check the number."))
        else:
            self.problem = ""
        if not typed:
            self.understood = self.tr("Customer number, personal ID number or phone number")
        elif typed.kind in KIND_NAMES:
            self.understood = self.tr(KIND_NAMES[typed.kind])
        elif typed.kind == "incomplete":
            possible = [self.tr(KIND_NAMES[k]) for k in typed.possible_kinds if k in KIND_NAMES]
            self.understood = self.tr("Keep typing") + (f": {' / '.join(possible)}" if possible else "")
        elif typed.kind == "ambiguous":
            self.understood = self.tr("Phone number or personal ID number?")
        else:
            self.understood = ""

    def clear(self) -> None:
        self.shown = self.understood = self.problem = ""
        self.valid = False
