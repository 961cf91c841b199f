"""The kiosk's background work, without Kivy: everything that runs beside the screen.

:class:`KioskServices` owns the threads that talk to the backoffice and to the camera:

- the register watcher, which long-polls ``GET /kiosk/state`` and notices an outage or an unpairing,
- the outbox sender, which delivers, once, what was saved while the backoffice was unreachable,
- the venue scanner's offline list, downloaded on a thread of its own and wiped when unpaired,
- the status reports (screen, camera, outbox) the back office shows per kiosk,
- the camera's capture and scanner, running only while a screen that scans is shown,
- the worker pool on which the visit flow's backoffice calls run.

It tells the visit flow what happened only through ``report(function, *args)``: the app passes
``kiosk.app.on_ui_thread``, so every flow method runs on the UI thread; tests pass a queue.  The
systemd watchdog is not fed here: its pings must prove that the UI thread is alive.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from counter_core import __version__
from counter_core.identity import Identity, parse_payload
from counter_core.kiosk_api import RegisterState

from .api import BackofficeClient
from .camera import ScanEvent
from .camera_control import CameraController
from .config import KioskConfig
from .errors import BackofficeUnavailable, NotPaired, ProtocolError, Rejected
from .flow import CAMERA_SCREENS, Screen
from .outbox import Entry, Outbox, OutboxSender
from .verify_cache import CacheRefused, VerifyCache

log = logging.getLogger(__name__)
POLL_WAIT = 25.0  # seconds the backoffice may hold a state request until something changes
OFFLINE_LIST_REFRESH_SECONDS = 300.0
Report = Callable[..., None]  # report(function, *args): run function(*args) where the flow lives


class FlowEvents(Protocol):
    """What the services tell the visit flow (``kiosk.flow.VisitFlow``), each call made through ``report``."""

    def server_state(self, state: RegisterState) -> None: ...
    def server_unreachable(self) -> None: ...
    def not_paired(self) -> None: ...
    def outbox_changed(self, count: int) -> None: ...
    def camera_state(self, ok: bool, message: str = "") -> None: ...


class KioskServices:
    """The watcher, the outbox sender, the offline list, the status reports, the camera and the worker pool."""

    def __init__(self, config: KioskConfig, *, report: Report) -> None:
        self.config = config
        self.report = report
        self._token = config.token()
        self.client = self._client()  # the visit flow's: identify, register, follow, verify
        self.outbox = Outbox(config.state_path / "outbox.sqlite3")
        self.verify_cache = VerifyCache(config.state_path / "verify-cache.json", self._token)
        self.camera = CameraController(config, on_state=self._camera_state, on_scan=self._scanned)
        self.sender: OutboxSender | None = None
        self.poll_wait = POLL_WAIT
        self.flow: FlowEvents | None = None
        self.on_scan: Callable[[Identity], None] = lambda _identity: None
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kiosk-work")
        self._stopping = threading.Event()
        self._screen = Screen.WAITING
        self._list_client: BackofficeClient | None = None
        self._list_checked = 0.0
        self._list_download: threading.Thread | None = None

    def _client(self, **options: Any) -> BackofficeClient:
        return BackofficeClient(self.config.backoffice_url, self._token,
                                timeout=self.config.request_timeout_seconds, **options)

    def report_to(self, flow: FlowEvents, *, on_scan: Callable[[Identity], None]) -> None:
        """Where the news goes: to the flow, and scans to ``on_scan`` (the app beeps first); always via ``report``."""
        self.flow = flow
        self.on_scan = on_scan

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Start the register watcher (with the status reports and the offline list) and the outbox sender."""
        if self.flow is None:
            raise RuntimeError("KioskServices.report_to(flow) first: the services have nobody to report to")
        self.sender = OutboxSender(self.outbox, self._client().send, on_delivered=self._delivered).start()
        self._list_client = self._client(retries=1)
        threading.Thread(target=self._watch, args=(self._client(retries=0),), name="register-watcher",
                         daemon=True).start()
        if self.outbox.count():
            self.report(self.flow.outbox_changed, self.outbox.count())

    def stop(self) -> None:
        """Stop the camera, the sender and the worker pool; the watcher ends after its current request."""
        self._stopping.set()
        self.camera.stop()
        if self.sender:
            self.sender.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def screen_shown(self, screen: Screen) -> None:
        """The screen the customer sees now: the camera runs only on screens that scan; status reports name it."""
        self._screen = screen
        if screen in CAMERA_SCREENS:
            self.camera.start()
        else:
            self.camera.stop()

    # ------------------------------------------------------------------ the flow's backoffice calls

    def run(self, work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]) -> None:
        """The visit flow's runner: ``work`` on a worker thread, then ``done(result)`` or ``failed(error)`` reported."""

        def finished(future: Future) -> None:
            error = future.exception()
            if error is not None:
                self.report(failed, error)
            else:
                self.report(done, future.result())

        try:
            self._executor.submit(work).add_done_callback(finished)
        except RuntimeError as exc:  # shutting down
            log.info("Background work not started: %s", exc)

    def outbox_added(self) -> None:
        """The flow saved a submission: try to send it now."""
        if self.sender:
            self.sender.wake()

    # ------------------------------------------------------------------ the register watcher

    def _watch(self, client: BackofficeClient) -> None:
        version, delay, next_report = 0, 1.0, 0.0
        while not self._stopping.is_set():
            try:
                state = client.state(wait=self.poll_wait if version else 0, after=version)
            except NotPaired:
                self.verify_cache.wipe()  # an unpaired door keeps nothing
                self.report(self.flow.not_paired)
                self._stopping.wait(10)
                continue
            except (BackofficeUnavailable, ProtocolError) as exc:
                log.warning("Backoffice unreachable: %s", exc)
                self.report(self.flow.server_unreachable)
                self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)
                continue
            except Rejected as exc:
                log.error("Register state refused: %s", exc)
                self._stopping.wait(5)
                continue
            if self._stopping.is_set():
                break
            delay, version = 1.0, state.version
            self.report(self.flow.server_state, state)
            if state.kiosk.mode == "verify":
                self._refresh_offline_list()
            if self.outbox.count() and self.sender:
                self.sender.wake()
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + self.config.status_report_seconds
                self._report_status(client)

    def _report_status(self, client: BackofficeClient) -> None:
        camera = self.camera.state
        try:
            client.report_status({
                "screen": self._screen.value,
                "camera": camera.status.value if camera else "off",
                "camera_detail": (camera.message if camera else "")[:200],
                "outbox": self.outbox.count(),
                "version": __version__,
            })
        except Exception as exc:  # a status report is never worth more than a log line
            log.info("Status report failed: %s", type(exc).__name__)

    # ------------------------------------------------------------------ the venue scanner's offline list

    def _refresh_offline_list(self) -> None:
        """Fetch the signed offline list every few minutes (cheaply: an unchanged list is a 304).

        A changed list streams into the store on a thread of its own (a million codes take a while on
        a Pi), so that the register's state keeps being followed meanwhile.
        """
        if time.monotonic() - self._list_checked < OFFLINE_LIST_REFRESH_SECONDS and self.verify_cache.loaded:
            return
        if self._list_client is None or (self._list_download is not None and self._list_download.is_alive()):
            return
        self._list_checked = time.monotonic()
        self._list_download = threading.Thread(target=self._download_offline_list, args=(self._list_client,),
                                               name="offline-list", daemon=True)
        self._list_download.start()

    def _download_offline_list(self, client: BackofficeClient) -> None:
        try:
            chunks, etag = client.verify_cache(self.verify_cache.etag)
            if chunks is not None:
                codes = self.verify_cache.store(chunks, etag)
                log.info("Offline list refreshed: %d codes", codes)
        except CacheRefused as exc:
            log.error("Offline list refused: %s", exc)
        except (BackofficeUnavailable, ProtocolError, Rejected) as exc:
            log.warning("Offline list not refreshed: %s", exc)
        except (OSError, sqlite3.Error) as exc:  # a full disk: the list in use stays
            log.error("Offline list could not be stored (%s); the one in use stays", exc)

    # ------------------------------------------------------------------ callbacks from worker threads

    def _delivered(self, entry: Entry, _answer: object) -> None:
        log.info("Outbox entry %s (%s) delivered", entry.id, entry.kind)
        self.report(self.flow.outbox_changed, self.outbox.count())

    def _camera_state(self, ok: bool, message: str) -> None:
        if self.flow is not None:
            self.report(self.flow.camera_state, ok, message)

    def _scanned(self, event: ScanEvent) -> None:
        identity = parse_payload(event.text, symbology=event.format)  # parsed on the worker, not the UI thread
        self.report(self.on_scan, identity)
