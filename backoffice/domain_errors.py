"""What the backoffice's services refuse, said in the domain's words: no HTTP, no FastAPI.

Services raise these; :mod:`backoffice.errors` has the one handler that turns
each kind into an HTTP status, and the pages render the same errors as pages.
Every error carries a stable reason ``code`` (the API's contract, e.g.
``customer_not_found``), a ``message`` a person can act on, and extra details
that go into the JSON body as they are (``field``, ``fields``, ``customer``,
``retry_after``...).  Callers that must react to a refusal test its kind
(``except NotFound``), never a status number.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses: a reason code, a message for a person and details for the answer."""

    def __init__(self, code: str, message: str, **extra: object):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class NotFound(DomainError):
    """What was named does not exist (or is no longer there for this caller)."""


class Conflict(DomainError):
    """The request contradicts what is stored: a duplicate, a closed sale, a state that does not allow it."""


class Invalid(DomainError):
    """Some input is wrong; ``field`` names it, or ``fields`` lists every mistake as {field, code, message}."""

    @classmethod
    def of_field(cls, field: str, code: str, message: str, *, summary: str | None = None) -> Invalid:
        """One wrong field, told both ways: in the message and in ``fields`` (as forms show it)."""
        return cls(code, summary or f"Please correct: {field}: {message}",
                   fields=[{"field": field, "code": code, "message": message}])

    @property
    def field_messages(self) -> dict[str, str]:
        """{field: message} for every field named, for a form to show next to its inputs."""
        listed = {f["field"]: f["message"] for f in self.extra.get("fields") or []}
        if not listed and self.extra.get("field"):
            listed[str(self.extra["field"])] = self.message
        return listed


class MalformedRequest(DomainError):
    """The request itself cannot be read (a missing or unusable header), whatever its content."""


class NotSignedIn(DomainError):
    """The caller is not known: wrong credentials, an unknown or revoked token, an ended session."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` (seconds) says when to try again, if known."""


class Locked(RateLimited):
    """Too many misses: locked until a person lifts the lock (answered like a rate limit)."""


class Gone(DomainError):
    """It existed but is used up or expired (a one-time code)."""


class Failed(DomainError):
    """The server could not do it this time, through no fault of the request; trying again may work."""
