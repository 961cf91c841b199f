"""The kiosk API's answers as both ends read them: the backoffice declares them as response models
(so the OpenAPI schema describes every answer) and the kiosk's client validates into them (so the
visit flow works with typed values, not dicts).

Kiosk-side reading ignores fields it does not know, so a backoffice that adds a field never breaks
the kiosks already at the counters; a missing or wrong field is a protocol error.  A kiosk only ever
sees what its screen shows: first names, customer groups and opaque references.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# ------------------------------------------------------------------ reason codes

IdentifyResult = Literal["matched", "not_found", "pending"]
#: Why identify found nobody, beyond plain "not_found".
NotFoundReason = Literal["not_found", "card_not_linked", "ask_cashier"]  # ask_cashier: the cashier checks who it is
RegistrationStatus = Literal["pending", "confirmed", "aborted", "expired"]
MobileStatus = Literal["waiting", "opened", "matched", "pending", "checking", "expired"]  # checking: the cashier decides
VerifyResult = Literal["success", "warning", "unknown"]
KioskMode = Literal["connect", "verify"]
SaleStatus = Literal["open", "closed"]


def new_idempotency_key() -> str:
    """A fresh key for one submission: a retry with the same key is applied once."""
    return uuid.uuid4().hex


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# ------------------------------------------------------------------ what a kiosk may know of a customer


class GroupBadge(_Answer):
    """A customer group as scanners show it: a coloured dot, the name, whether it blinks."""

    id: int
    name: str
    colour: str
    blink: bool = False


class PublicCustomer(_Answer):
    """The only customer data a kiosk ever sees."""

    reference: str = Field(description="Opaque customer reference (cus_...)")
    first_name: str
    groups: tuple[GroupBadge, ...] = ()


# ------------------------------------------------------------------ answers


class SaleState(_Answer):
    reference: str
    status: SaleStatus
    customer_connected: bool


class KioskInfo(_Answer):
    name: str
    mode: KioskMode = "connect"
    verify_groups: tuple[GroupBadge, ...] = Field((), description="The groups a venue scanner checks")
    verify_rescan_seconds: int = Field(600, ge=0, description="A venue scanner's re-scan window, for its offline "
                                       "answers too (0: never 'already scanned')")


class RegisterInfo(_Answer):
    name: str


class RegisterState(_Answer):
    """``GET /kiosk/state``: the paired register's state; ``version`` grows with every change."""

    model_config = ConfigDict(populate_by_name=True)

    kiosk: KioskInfo
    till: RegisterInfo = Field(alias="register", description="The register (till) the kiosk is paired with")
    shop_name: str
    sale: SaleState | None = None
    version: int
    server_time: dt.datetime


class RegistrationView(_Answer):
    """A pending registration as its kiosk follows it; once confirmed, who it became."""

    reference: str
    status: RegistrationStatus
    expires_at: dt.datetime
    customer: PublicCustomer | None = None


class IdentifyAnswer(_Answer):
    """``POST /identify``: matched (and connected to the open sale), not found, or a pending registration."""

    result: IdentifyResult
    customer: PublicCustomer | None = None
    connected: bool = False
    can_register: bool = False
    reason: NotFoundReason | None = None
    registration: RegistrationView | None = None


class MobileSessionView(_Answer):
    """A Via-mobile session: the QR's URL when it starts, then its status as the phone goes on."""

    reference: str
    status: MobileStatus
    expires_at: dt.datetime
    expires_in_seconds: int = Field(ge=0)
    url: str | None = Field(None, description="Only when the session starts: the address the QR code holds")
    customer: PublicCustomer | None = None
    registration: RegistrationView | None = None


class VerifyAnswer(_Answer):
    """``POST /kiosk/verify``: the venue scanner's answer for one scanned customer code."""

    result: VerifyResult
    customer: PublicCustomer | None = None
    matched_groups: tuple[int, ...] = ()
    already_scanned_at: dt.datetime | None = Field(
        None, description="A success for a customer who passed this door within the re-scan window: when")
    already_scanned_time: str = Field("", description="That moment on the shop's 24-hour clock, e.g. 14:02")


class VerifyLogAnswer(_Answer):
    stored: int


class PairingAnswer(_Answer):
    """``POST /kiosk/pair``: a valid pairing code traded, once, for the new kiosk's device token."""

    device_token: str = Field(description="The kiosk's credential; shown only in this answer")
    kiosk: KioskInfo
    till: RegisterInfo = Field(alias="register", description="The register (till) the kiosk is now paired with")
    shop_name: str = ""

    model_config = ConfigDict(populate_by_name=True)


#: Why a pairing code was refused (``error.code`` of the refusal).
PAIRING_REFUSALS = ("pairing_code_invalid", "pairing_code_unknown", "pairing_code_expired", "pairing_code_used",
                    "pairing_rate_limited")


# ------------------------------------------------------------------ refusals


class ErrorDetail(_Answer):
    code: str = Field(description="Stable, machine-readable reason code")
    message: str = Field(description="What happened, for a person")
    field: str | None = Field(None, description="The field that was refused, when one was")
    fields: tuple[dict, ...] | None = Field(None, description="Each refused field of a request that failed validation")
    retry_after: float | None = Field(None, description="Seconds to wait before trying again")


class ErrorBody(_Answer):
    """Every refusal: a 4xx (or 503) with this body."""

    error: ErrorDetail
