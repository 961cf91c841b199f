"""Every error the kiosk's backoffice client raises, each with what it means at the counter."""

from __future__ import annotations


class KioskError(Exception):
    """Base class of the kiosk's own errors."""


class BackofficeUnavailable(KioskError):
    """The backoffice could not be reached or answered with a server error, even after retries.

    The screen says the system is unreachable; submissions go to the outbox.
    """


class Rejected(KioskError):
    """The backoffice refused the request (4xx) with a reason code; retrying will not help."""

    def __init__(self, status: int, code: str, message: str, fields: list | None = None, retry_after: float = 0):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.retry_after = retry_after


class NotPaired(Rejected):
    """The device token is unknown or revoked: the kiosk must be paired again (401)."""


class RateLimited(Rejected):
    """Too many attempts from this kiosk or register (429); the customer is asked to see the cashier."""


class ProtocolError(KioskError):
    """The backoffice answered something that is not the API's answer: no JSON (wrong URL, proxy page),
    or JSON that does not validate into the answer's model (a field missing or of the wrong type)."""
