"""Pairing an unpaired kiosk by camera, as a small state machine with no Kivy and no HTTP of its own.

    SCANNING ──pairing QR read──▶ CHECKING ──token stored──▶ PAIRED (the register's name) ──▶ the kiosk starts
        ▲                             │
        └──── REFUSED (unknown, expired, used code; rate limited) / UNREACHABLE (no backoffice) ◀┘

The camera keeps reading while a refusal is shown: the next pairing QR is tried at once, so "retry" is
"show a new code"; "Try again" sends the same code once more when the backoffice was out of reach.  A code the backoffice
refused for good (unknown, expired, used) is not sent again, however long it stays in front of the camera.
The slow part (the exchange and storing the token) runs through ``runner``; results come back as events
on the UI thread.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from counter_core.pairing import InvalidPairingCode, PairingPayload, parse_pairing_payload

from .errors import BackofficeUnavailable, ProtocolError, RateLimited, Rejected
from .i18n import N_

log = logging.getLogger(__name__)


class Step(enum.StrEnum):
    SCANNING = "scanning"
    CHECKING = "checking"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    PAIRED = "paired"


# What the customer screen says about each refusal (the backoffice's reason codes, and the kiosk's own).
MESSAGES = {
    "pairing_code_unknown": N_("This pairing code is not known. Make a new code in the back office and scan it."),
    "pairing_code_expired": N_("This pairing code has expired. Make a new code in the back office and scan it."),
    "pairing_code_used": N_("This pairing code has been used already. Make a new code in the back office and scan it."),
    "pairing_code_invalid": N_("This is not a pairing code. Scan the code on the back office's pairing page."),
    "pairing_rate_limited": N_("Too many pairing attempts. Wait a minute, then scan the code again."),
    "not_pairing": N_("This is not a pairing code. Scan the code on the back office's pairing page."),
    "damaged": N_("The pairing code could not be read correctly. Hold it still and try again."),
    "unreachable": N_("The shop system at {address} cannot be reached. Check the network; we try again when "
                      "you scan the code."),
    "not_backoffice": N_("There is no shop system at {address}. Check the back office's address and make a new "
                         "code."),
    "storage": N_("The pairing could not be saved on this kiosk. Ask for help; then scan the code again."),
    "refused": N_("The shop system refused the pairing. Make a new code in the back office and scan it."),
}
FINAL = {"pairing_code_unknown", "pairing_code_expired", "pairing_code_used", "pairing_code_invalid"}
# Refusals a "Try again" can help with (the others need another code in front of the camera).
RETRYABLE = {"unreachable", "pairing_rate_limited", "not_backoffice", "storage", "refused"}


@dataclass(frozen=True)
class PairingState:
    step: Step = Step.SCANNING
    reason: str = ""  # a key of MESSAGES while REFUSED or UNREACHABLE
    address: str = ""  # the backoffice's address the last code came with
    language: str = "sv"
    camera_ok: bool = True
    camera_message: str = ""
    kiosk_name: str = ""
    register_name: str = ""
    shop_name: str = ""

    @property
    def message(self) -> str:
        """The English message of the refusal (translated by the screen), "" when there is none."""
        return MESSAGES.get(self.reason, "") if self.reason else ""

    @property
    def can_retry(self) -> bool:
        return self.step in (Step.REFUSED, Step.UNREACHABLE) and self.reason in RETRYABLE


@dataclass(frozen=True)
class Paired:
    """What the exchange gave: the kiosk and register it is paired as (the token is stored, not kept here)."""

    kiosk_name: str
    register_name: str
    shop_name: str = ""


class Exchange(Protocol):
    def __call__(self, payload: PairingPayload) -> Paired: ...


Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]], None]


class PairingFlow:
    """The rules of pairing by camera; every method runs on the UI thread."""

    def __init__(self, exchange: Exchange, runner: Runner, *, language: str = "sv") -> None:
        self.exchange = exchange
        self.runner = runner
        self.state = PairingState(language=language)
        self._subscribers: list[Callable[[PairingState], None]] = []
        self._refused_codes: set[str] = set()
        self._last: PairingPayload | None = None  # tried again by "Try again" when the backoffice was out of reach

    def subscribe(self, callback: Callable[[PairingState], None]) -> None:
        self._subscribers.append(callback)

    def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        for callback in self._subscribers:
            callback(self.state)

    # ------------------------------------------------------------------ events

    def scanned(self, text: str) -> None:
        """The camera read a code: a pairing QR is exchanged; anything else gets a clear word."""
        if self.state.step in (Step.CHECKING, Step.PAIRED):
            return
        try:
            payload = parse_pairing_payload(text)
        except InvalidPairingCode:
            self._set(step=Step.REFUSED, reason="damaged")
            return
        if payload is None:
            self._set(step=Step.REFUSED, reason="not_pairing")
            return
        if payload.code in self._refused_codes:
            return  # refused for good: its message stays until another code is shown
        self._try(payload)

    def _try(self, payload: PairingPayload) -> None:
        self._last = payload
        self._set(step=Step.CHECKING, reason="", address=payload.backoffice_url)
        self.runner(lambda: self.exchange(payload), self._paired, lambda error: self._failed(payload, error))

    def _paired(self, paired: Paired) -> None:
        self._set(step=Step.PAIRED, reason="", kiosk_name=paired.kiosk_name, register_name=paired.register_name,
                  shop_name=paired.shop_name)

    def _failed(self, payload: PairingPayload, error: Exception) -> None:
        if isinstance(error, RateLimited):
            self._set(step=Step.REFUSED, reason="pairing_rate_limited")
        elif isinstance(error, Rejected):
            reason = error.code if error.code in MESSAGES else "refused"
            if reason in FINAL:
                self._refused_codes.add(payload.code)
            self._set(step=Step.REFUSED, reason=reason)
        elif isinstance(error, BackofficeUnavailable):
            self._set(step=Step.UNREACHABLE, reason="unreachable")
        elif isinstance(error, ProtocolError):
            self._set(step=Step.REFUSED, reason="not_backoffice")
        elif isinstance(error, OSError):
            log.error("The pairing could not be stored: %s", error)
            self._set(step=Step.REFUSED, reason="storage")
        else:
            log.exception("Pairing failed", exc_info=error)
            self._set(step=Step.REFUSED, reason="refused")

    def retry(self) -> None:
        """"Try again": the last code once more when the backoffice was out of reach (the camera does not
        report a code again while it stays in view); else back to scanning, where any code may be tried."""
        if self.state.step == Step.UNREACHABLE and self._last is not None:
            self._try(self._last)
        elif self.state.step == Step.REFUSED:
            self._refused_codes.clear()
            self._set(step=Step.SCANNING, reason="")

    def camera_state(self, ok: bool, message: str = "") -> None:
        self._set(camera_ok=ok, camera_message=message)

    def set_language(self, language: str) -> None:
        self._set(language=language)
