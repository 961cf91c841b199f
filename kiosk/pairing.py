"""Pairing by camera, the background part (no Kivy): the camera and scanner, the exchange, storing the token.

:class:`PairingService` runs the same capture and scanner as the scan screens (``CameraController``)
and gives what they read to the :class:`kiosk.pairing_flow.PairingFlow` through ``report`` (the app
passes ``kiosk.app.on_ui_thread``; tests pass a queue).  The flow's exchange runs on a worker:
``POST /api/v1/kiosk/pair`` at the address the QR names, then the token goes to
``<state_dir>/pairing.json`` (0600, written atomically) before the flow hears "paired".

:func:`pair_with_code` does the same for a code typed on the kiosk's command line (``kiosk pair CODE``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from counter_core.pairing import PairingPayload, normalize_code

from .api import BackofficeClient
from .camera import ScanEvent
from .camera_control import CameraController
from .config import KioskConfig
from .pairing_flow import Paired, PairingFlow
from .pairing_store import write_pairing

log = logging.getLogger(__name__)
Report = Callable[..., None]


def exchange_and_store(config: KioskConfig, payload: PairingPayload) -> Paired:
    """Trade the code for the device token at the QR's backoffice, then store both; raises the client's errors."""
    client = BackofficeClient(payload.backoffice_url, "", timeout=config.request_timeout_seconds, retries=0)
    answer = client.pair(payload.code)
    write_pairing(config.state_path, payload.backoffice_url, answer.device_token, kiosk_name=answer.kiosk.name,
                  register_name=answer.till.name)
    log.info("Paired as %r with register %r at %s", answer.kiosk.name, answer.till.name, payload.backoffice_url)
    return Paired(kiosk_name=answer.kiosk.name, register_name=answer.till.name, shop_name=answer.shop_name)


def pair_with_code(config: KioskConfig, code: str, backoffice_url: str = "") -> Paired:
    """``kiosk pair CODE [--url URL]``: the typed code, at the given backoffice or the configured one."""
    url = (backoffice_url or config.backoffice_url).rstrip("/")
    return exchange_and_store(config, PairingPayload(backoffice_url=url, code=normalize_code(code)))


class PairingService:
    """The camera and the worker of an unpaired kiosk; reports only through ``report``."""

    def __init__(self, config: KioskConfig, *, report: Report) -> None:
        self.config = config
        self.report = report
        self.camera = CameraController(config, on_state=self._camera_state, on_scan=self._scanned)
        self.flow: PairingFlow | None = None
        self.on_scan: Callable[[str], None] | None = None  # the app flashes first; else straight to the flow
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-pairing")

    def make_flow(self) -> PairingFlow:
        self.flow = PairingFlow(lambda payload: exchange_and_store(self.config, payload), self.run,
                                language=self.config.language)
        return self.flow

    def start(self) -> None:
        self.camera.start()

    def stop(self) -> None:
        self.camera.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def run(self, work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]) -> None:
        """The flow's runner: ``work`` on the worker thread, then ``done(result)`` or ``failed(error)`` reported."""

        def finished(future: Future) -> None:
            error = future.exception()
            self.report(failed, error) if error is not None else self.report(done, future.result())

        try:
            self._executor.submit(work).add_done_callback(finished)
        except RuntimeError as exc:  # shutting down
            log.info("Pairing not started: %s", exc)

    def _camera_state(self, ok: bool, message: str) -> None:
        if self.flow is not None:
            self.report(self.flow.camera_state, ok, message)

    def _scanned(self, event: ScanEvent) -> None:
        target = self.on_scan or (self.flow.scanned if self.flow is not None else None)
        if target is not None:
            self.report(target, event.text)
