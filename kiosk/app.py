"""Wiring: the Kivy app, the flow, the backoffice watcher, the outbox and the camera.

Worker threads never touch widgets: everything they report reaches the UI
through :func:`on_ui_thread`, the one scheduling helper.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from counter_core import __version__
from counter_core.identity import parse_payload

from . import i18n, systemd, theme
from .api import BackofficeClient
from .camera_view import CameraController
from .config import KioskConfig
from .errors import BackofficeUnavailable, NotPaired, ProtocolError, Rejected
from .flow import FlowState, Screen, Timing, VisitFlow
from .outbox import Outbox, OutboxSender
from .sound import Beeper
from .verify_cache import CacheRefused, VerifyCache

log = logging.getLogger(__name__)
SYMBOL_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CAMERA_SCREENS = {Screen.SCAN, Screen.VERIFY}
VERIFY_CACHE_REFRESH_SECONDS = 300


def on_ui_thread(function, *args) -> None:
    """Run ``function(*args)`` on the UI thread at the next frame (the only way workers reach the UI)."""
    Clock.schedule_once(lambda _dt: function(*args), 0)


class KioskApp(App):
    """The customer screen."""

    lang = StringProperty("sv")
    shop_name = StringProperty("")
    symbol_font = StringProperty("Roboto")
    px_per_mm = NumericProperty(theme.PIXELS_PER_MM)
    scale = NumericProperty(1.0)  # layout scale: 1 at 1280×800, smaller on the 7" 800×480 display
    ready = BooleanProperty(False)

    def __init__(self, config: KioskConfig, *, client: BackofficeClient | None = None, services: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = config
        self.title = f"{config.shop_name} kiosk"
        self.lang = config.language
        self.shop_name = config.shop_name
        self.services = services
        token = config.token()
        self.client = client or BackofficeClient(config.backoffice_url, token, timeout=config.request_timeout_seconds)
        self._token = token
        self.outbox = Outbox(config.state_path / "outbox.sqlite3")
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kiosk-work")
        self.flow = VisitFlow(
            self.client,
            self._run_in_background,
            outbox=self.outbox,
            language=config.language,
            timing=Timing(
                idle_timeout=config.idle_timeout_seconds,
                idle_warning=config.idle_warning_seconds,
                welcome=config.welcome_seconds,
                result=config.result_seconds,
                verify_result=config.verify_result_seconds,
            ),
        )
        self.flow.on_outbox_added = self._outbox_added
        self.verify_cache = VerifyCache(config.state_path / "verify-cache.json", token)
        self.flow.verify_cache = self.verify_cache
        self._cache_checked = 0.0
        self._cache_download: threading.Thread | None = None
        self._list_client: BackofficeClient | None = None  # the offline list's own connection (start_services)
        self.camera = CameraController(config, on_state=self._camera_state, on_scan=self._scanned)
        self.beeper = Beeper(enabled=config.sound)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sender: OutboxSender | None = None
        self.screens: dict[Screen, object] = {}
        self._idle_prompt = None
        self.on_ready_callbacks: list = []
        self.watchdog = systemd.Watchdog()

    # ------------------------------------------------------------------ helpers used by the kv files

    def mm(self, millimetres: float) -> float:
        """Physical millimetres: for touch targets, which must stay at least 12 mm on any screen."""
        return millimetres * self.px_per_mm

    def gap(self, millimetres: float) -> float:
        """Spacing, padding and drawings, designed for 1280×800 and scaled to the screen."""
        return millimetres * self.px_per_mm * self.scale

    def fs(self, millimetres: float) -> float:
        """A font size, scaled to the screen and by the configured text scale."""
        # text shrinks less than the layout: a 7" screen is read from the same distance as a 10" one
        return millimetres * self.px_per_mm * max(0.7, self.scale) * self.kiosk_config.text_scale

    def tr(self, message: str, language: str | None = None, **values) -> str:
        return i18n.translate(language or self.lang, message, **values)

    # ------------------------------------------------------------------ building

    def build(self):
        from . import screens, widgets  # after the window configuration: widgets load their kv

        self._screens_module = screens
        if SYMBOL_FONT.exists():
            LabelBase.register("DejaVuSans", str(SYMBOL_FONT))
            self.symbol_font = "DejaVuSans"
        Window.clearcolor = theme.rgba("background")
        self.px_per_mm = theme.PIXELS_PER_MM
        width, height = Window.size
        self.scale = max(0.55, min(1.5, width / 1280, height / 800))
        root = FloatLayout()
        column = BoxLayout(orientation="vertical")
        self.top_bar = widgets.TopBar(shop_name=self.shop_name)
        for code in self.kiosk_config.language_list:
            button = widgets.LanguageButton(text=i18n.language_name(code), code=code)
            button.bind(on_release=lambda b: self.flow.set_language(b.code))
            self.top_bar.add_widget(button)
        self.manager = ScreenManager(transition=NoTransition())
        self.banner = widgets.StatusBanner()
        column.add_widget(self.top_bar)
        column.add_widget(self.manager)
        column.add_widget(self.banner)
        root.add_widget(column)
        self._idle_prompt = widgets.IdlePrompt()
        self.root_layout = root
        root.bind(on_touch_down=lambda *_: self.flow.touched() and False)
        self.flow.subscribe(self.render)
        self.render(self.flow.state)
        Clock.schedule_interval(self._tick, 0.25)
        return root

    def on_start(self) -> None:
        if self.verify_cache.load():  # a venue scanner keeps answering at the door after a restart offline
            self.flow.resume_verify_mode()
        if self.services:
            self.start_services()
        Clock.schedule_once(self._first_frame, 0.5)

    def _first_frame(self, _dt) -> None:
        """The first screen is drawn: tell systemd, and from now on feed its watchdog from this (UI) thread."""
        self.ready = True
        systemd.notify("READY=1", f"STATUS=Showing the {self.flow.state.screen.value} screen")
        Clock.schedule_interval(self._feed_watchdog, 1.0)
        for callback in self.on_ready_callbacks:
            callback()

    def _feed_watchdog(self, _dt) -> None:
        # returns None on purpose: a Kivy interval callback that returns False is unscheduled
        self.watchdog.ping()

    def on_stop(self) -> None:
        systemd.notify("STOPPING=1")
        self._stopping.set()
        self.camera.stop()
        if self.sender:
            self.sender.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ rendering the flow

    def screen(self, which: Screen):
        widget = self.screens.get(which)
        if widget is None:
            widget = self._screens_module.create(which)
            self.screens[which] = widget
            self.manager.add_widget(widget)
        return widget

    def render(self, state: FlowState) -> None:
        self.lang = state.language
        if state.shop_name:
            self.shop_name = state.shop_name
        self.top_bar.shop_name = self.shop_name
        for button in self.top_bar.children:
            if hasattr(button, "code"):
                button.selected = button.code == state.language
        current = self.screen(state.screen)
        if self.manager.current != state.screen.value:
            self.manager.current = state.screen.value
        current.render(state)
        self.banner.text = self._banner_text(state)
        self._show_idle_prompt(state.idle_prompt)
        if state.screen in CAMERA_SCREENS:
            self.camera.start()
        else:
            self.camera.stop()

    def _banner_text(self, state: FlowState) -> str:
        if not state.paired or state.screen == Screen.WAITING:
            return ""
        if not state.online:
            if state.outbox:
                return self.tr("No connection to the shop system. {count} saved, sent when it is back.", count=state.outbox)
            return self.tr("No connection to the shop system. We keep trying.")
        return ""

    def _show_idle_prompt(self, show: bool) -> None:
        prompt = self._idle_prompt
        if show and prompt.parent is None:
            self.root_layout.add_widget(prompt)
        elif not show and prompt.parent is not None:
            self.root_layout.remove_widget(prompt)

    def _tick(self, _dt) -> None:
        self.flow.tick()
        left = self.flow.seconds_left()
        if self._idle_prompt is not None:
            self._idle_prompt.seconds = left
        if self.flow.state.screen == Screen.MOBILE:
            self.screen(Screen.MOBILE).countdown(left)
        if self.flow.state.screen in CAMERA_SCREENS:
            texture = self.camera.preview_texture()
            if texture is not None:
                self.screen(self.flow.state.screen).preview = texture

    # ------------------------------------------------------------------ background work

    def _run_in_background(self, work, done, failed) -> None:
        def finished(future) -> None:
            error = future.exception()
            if error is not None:
                on_ui_thread(failed, error)
            else:
                on_ui_thread(done, future.result())

        try:
            self.executor.submit(work).add_done_callback(finished)
        except RuntimeError as exc:  # shutting down
            log.info("Background work not started: %s", exc)

    def start_services(self) -> None:
        """The register watcher, the outbox sender and the status reporter."""
        watcher_client = BackofficeClient(self.kiosk_config.backoffice_url, self._token,
                                          timeout=self.kiosk_config.request_timeout_seconds, retries=0)
        sender_client = BackofficeClient(self.kiosk_config.backoffice_url, self._token,
                                         timeout=self.kiosk_config.request_timeout_seconds)
        self.sender = OutboxSender(self.outbox, sender_client.send, on_delivered=self._delivered).start()
        self._list_client = BackofficeClient(self.kiosk_config.backoffice_url, self._token,
                                             timeout=self.kiosk_config.request_timeout_seconds, retries=1)
        thread = threading.Thread(target=self._watch, args=(watcher_client,), name="register-watcher", daemon=True)
        thread.start()
        self._threads.append(thread)
        if self.outbox.count():
            on_ui_thread(self.flow.outbox_changed, self.outbox.count())

    def _watch(self, client: BackofficeClient) -> None:
        version, delay, last_report = 0, 1.0, 0.0
        while not self._stopping.is_set():
            try:
                state = client.state(wait=25 if version else 0, after=version)
            except NotPaired:
                self.verify_cache.wipe()  # an unpaired door keeps nothing
                on_ui_thread(self.flow.not_paired)
                self._stopping.wait(10)
                continue
            except (BackofficeUnavailable, ProtocolError) as exc:
                log.warning("Backoffice unreachable: %s", exc)
                on_ui_thread(self.flow.server_unreachable)
                self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)
                continue
            except Rejected as exc:
                log.error("Register state refused: %s", exc)
                self._stopping.wait(5)
                continue
            delay = 1.0
            version = state.version
            on_ui_thread(self.flow.server_state, state)
            if state.kiosk.mode == "verify":
                self._refresh_verify_cache()
            if self.outbox.count() and self.sender:
                self.sender.wake()
            if time.monotonic() - last_report > self.kiosk_config.status_report_seconds:
                last_report = time.monotonic()
                self._report_status(client)

    def _refresh_verify_cache(self) -> None:
        """Fetch the signed offline list every few minutes (cheaply: an unchanged list is a 304).

        A changed list streams into the store on a thread of its own (a million codes take a while on
        a Pi), so that the register's state keeps being followed meanwhile.
        """
        if time.monotonic() - self._cache_checked < VERIFY_CACHE_REFRESH_SECONDS and self.verify_cache.loaded:
            return
        if self._list_client is None or (self._cache_download is not None and self._cache_download.is_alive()):
            return
        self._cache_checked = time.monotonic()
        self._cache_download = threading.Thread(target=self._download_verify_cache, args=(self._list_client,),
                                                name="offline-list", daemon=True)
        self._cache_download.start()

    def _download_verify_cache(self, client: BackofficeClient) -> None:
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

    def _report_status(self, client: BackofficeClient) -> None:
        camera = self.camera.state
        try:
            client.report_status({
                "screen": self.flow.state.screen.value,
                "camera": camera.status.value if camera else "off",
                "camera_detail": (camera.message if camera else "")[:200],
                "outbox": self.outbox.count(),
                "version": __version__,
            })
        except Exception as exc:  # a status report is never worth more than a log line
            log.info("Status report failed: %s", type(exc).__name__)

    def _outbox_added(self) -> None:
        if self.sender:
            self.sender.wake()

    def _delivered(self, entry, _answer) -> None:
        log.info("Outbox entry %s (%s) delivered", entry.id, entry.kind)
        on_ui_thread(self.flow.outbox_changed, self.outbox.count())

    # ------------------------------------------------------------------ camera

    def _camera_state(self, ok: bool, message: str) -> None:
        on_ui_thread(self.flow.camera_state, ok, message)

    def _scanned(self, event) -> None:
        identity = parse_payload(event.text, symbology=event.format)  # parsed on the worker, not the UI thread
        on_ui_thread(self._scan_arrived, identity)

    def _scan_arrived(self, identity) -> None:
        screen = self.flow.state.screen
        if screen in CAMERA_SCREENS:
            self.beeper.beep(ok=identity.kind != "unrecognised")
            widget = self.screens.get(screen)
            if widget is not None and hasattr(widget, "code_seen"):
                widget.code_seen()
        if screen == Screen.VERIFY:
            self.flow.verify_scanned(identity)
        else:
            self.flow.scanned(identity)
