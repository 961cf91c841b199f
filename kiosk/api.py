"""The backoffice client: timeouts, retries with back-off, idempotency keys, typed answers and errors.

Every answer is validated into its ``counter_core.kiosk_api`` model, so the
visit flow works with attributes, never with raw JSON; an answer that is not
what the API describes raises ``ProtocolError``.  Takes a ``requests.Session``
so tests can point it at a real server in-process or swap the transport.
Only keyed (idempotent) requests are retried: a retry of a submission can
never be applied twice by the server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from counter_core import __version__
from counter_core.kiosk_api import (
    IdentifyAnswer,
    MobileSessionView,
    PairingAnswer,
    RegisterState,
    RegistrationView,
    VerifyAnswer,
    VerifyLogAnswer,
)

from .errors import BackofficeUnavailable, NotPaired, ProtocolError, RateLimited, Rejected

log = logging.getLogger(__name__)
RETRY_STATUSES = {500, 502, 503, 504}
Answer = TypeVar("Answer", bound=BaseModel)


class BackofficeClient:
    """What the kiosk asks of the backoffice; every method returns its answer as a typed model."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 8.0,
        retries: int = 2,
        backoff: float = 0.4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()
        self.http.headers.update({"User-Agent": f"counter-kiosk/{__version__}"})
        if token:  # an unpaired kiosk has none: it may only trade a pairing code (pair)
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    # ----------------------------------------------------------------- kiosk endpoints

    def pair(self, code: str) -> PairingAnswer:
        """Trade the back office's pairing code for this kiosk's device token (no token needed; never retried:
        the code works once, and a second try after a lost answer would be refused as used)."""
        return _read(PairingAnswer, self._call("POST", "/api/v1/kiosk/pair", json={"code": code}, retry=False))

    def state(self, *, wait: float = 0, after: int = 0) -> RegisterState:
        """The register's state; with ``wait`` the server answers when ``version`` passes ``after``."""
        body = self._call("GET", "/api/v1/kiosk/state", params={"wait": wait, "after": after}, extra_timeout=wait)
        return _read(RegisterState, body)

    def identify(self, payload: dict, key: str) -> IdentifyAnswer:
        return _read(IdentifyAnswer, self._call("POST", "/api/v1/identify", json=payload, key=key))

    def register(self, payload: dict, key: str) -> RegistrationView:
        return _read(RegistrationView, self._call("POST", "/api/v1/kiosk/registrations", json=payload, key=key))

    def registration(self, reference: str, *, wait: float = 0) -> RegistrationView:
        body = self._call("GET", f"/api/v1/kiosk/registrations/{reference}", params={"wait": wait},
                          extra_timeout=wait)
        return _read(RegistrationView, body)

    def start_mobile_session(self, language: str, key: str) -> MobileSessionView:
        body = self._call("POST", "/api/v1/mobile-sessions", json={"language": language}, key=key)
        return _read(MobileSessionView, body)

    def mobile_session(self, reference: str, *, wait: float = 0, after: str = "") -> MobileSessionView:
        body = self._call("GET", f"/api/v1/mobile-sessions/{reference}", params={"wait": wait, "after": after},
                          extra_timeout=wait)
        return _read(MobileSessionView, body)

    def report_status(self, status: dict) -> None:
        self._call("POST", "/api/v1/kiosk/status", json=status, key=None, retry=False)

    def verify(self, payload: dict, key: str) -> VerifyAnswer:
        """Venue scanner: is this customer code in the selected groups? (success | warning | unknown)."""
        return _read(VerifyAnswer, self._call("POST", "/api/v1/kiosk/verify", json=payload, key=key))

    def verify_cache(self, etag: str = "") -> tuple[Iterator[bytes] | None, str]:
        """The signed offline list as chunks to stream into the store, or (None, etag) when ours is current.

        The chunks arrive as they are read from the network (gzip undone), so the list never has
        to fit in memory; a download that breaks off raises BackofficeUnavailable from the iterator.
        """
        response = self._call("GET", "/api/v1/kiosk/verify-cache", headers={"If-None-Match": etag} if etag else None,
                              raw=True, stream=True)
        if response.status_code == 304:
            response.close()
            return None, etag
        return self._chunks(response), response.headers.get("ETag", "")

    @staticmethod
    def _chunks(response: requests.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_content(chunk_size=64 * 1024)
        except requests.RequestException as exc:
            raise BackofficeUnavailable(f"the offline list download broke off: {type(exc).__name__}") from exc
        finally:
            response.close()

    def verify_log(self, payload: dict, key: str) -> VerifyLogAnswer:
        """Scans answered from the offline list, reported once the backoffice answers again."""
        return _read(VerifyLogAnswer, self._call("POST", "/api/v1/kiosk/verify-log", json=payload, key=key))

    def send(self, kind: str, payload: dict, key: str) -> BaseModel:
        """Send an outbox entry of the given kind (``identify``, ``registration`` or ``verify_log``)."""
        if kind == "identify":
            return self.identify(payload, key)
        if kind == "registration":
            return self.register(payload, key)
        if kind == "verify_log":
            return self.verify_log(payload, key)
        raise ValueError(f"unknown outbox kind {kind!r}")

    # ----------------------------------------------------------------- transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        key: str | None = None,
        extra_timeout: float = 0,
        retry: bool | None = None,
        headers: dict | None = None,
        raw: bool = False,
        stream: bool = False,
    ) -> Any:
        headers = {**(headers or {}), **({"Idempotency-Key": key} if key else {})}
        may_retry = (method == "GET" or key is not None) if retry is None else retry
        attempts = 1 + (self.retries if may_retry else 0)
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.http.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=(min(self.timeout, 5.0), self.timeout + extra_timeout),
                    stream=stream,
                )
            except requests.RequestException as exc:
                last = exc
                log.warning("%s %s failed (attempt %d/%d): %s", method, path, attempt + 1, attempts, type(exc).__name__)
                continue
            if response.status_code in RETRY_STATUSES:
                response.close()
                last = BackofficeUnavailable(f"the backoffice answered {response.status_code}")
                log.warning("%s %s answered %d (attempt %d/%d)", method, path, response.status_code, attempt + 1, attempts)
                continue
            return response if raw and response.status_code < 400 else self._decode(response)
        raise BackofficeUnavailable(f"cannot reach the backoffice at {self.base_url}: {last}") from last

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            raise ProtocolError(f"the backoffice answered {response.status_code} without JSON") from None
        if response.status_code < 400:
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        code = str(error.get("code") or "error")
        message = str(error.get("message") or "refused")
        fields = error.get("fields") or []
        if response.status_code == 401:
            raise NotPaired(401, code, message)
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After") or error.get("retry_after") or 60)
            raise RateLimited(429, code, message, retry_after=retry_after)
        raise Rejected(response.status_code, code, message, fields)


def _read(model: type[Answer], body: Any) -> Answer:
    """The answer as its model; JSON that is not what the API describes is a ProtocolError."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
        raise ProtocolError(f"the backoffice's answer is not a {model.__name__}: {problems}") from None
