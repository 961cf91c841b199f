"""The Kivy app: builds the window, renders the visit flow's state and forwards touches and scans to it.

The background work (register watcher, outbox sender, offline list, status
reports, camera) is :class:`kiosk.services.KioskServices`, which knows no
Kivy; whatever its worker threads report reaches the UI through
:func:`on_ui_thread`, the one scheduling helper.  The systemd watchdog is fed
here, from the UI thread, because its pings must prove that thread alive.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from . import i18n, systemd, theme
from .config import KioskConfig
from .flow import CAMERA_SCREENS, FlowState, Screen, Timing, VisitFlow
from .screens import create_screen
from .screens.camera_preview import PreviewTexture
from .services import KioskServices
from .sound import Beeper

log = logging.getLogger(__name__)
SYMBOL_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


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

    def __init__(self, config: KioskConfig, *, background: bool = True, **kwargs):
        """``background=False``: no register watcher, outbox sender or status reports (the gallery, some UI tests)."""
        super().__init__(**kwargs)
        self.kiosk_config = config
        self.title = f"{config.shop_name} kiosk"
        self.lang = config.language
        self.shop_name = config.shop_name
        self.background = background
        self.services = KioskServices(config, report=on_ui_thread)
        self.flow = VisitFlow(
            self.services.client,
            self.services.run,
            outbox=self.services.outbox,
            verify_cache=self.services.verify_cache,
            language=config.language,
            timing=Timing(
                idle_timeout=config.idle_timeout_seconds,
                idle_warning=config.idle_warning_seconds,
                welcome=config.welcome_seconds,
                result=config.result_seconds,
                verify_result=config.verify_result_seconds,
            ),
        )
        self.flow.on_outbox_added = self.services.outbox_added
        self.services.report_to(self.flow, on_scan=self._scan_arrived)
        self.beeper = Beeper(enabled=config.sound)
        self.preview = PreviewTexture()
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
        from .screens import widgets  # importing the widgets loads their kv: only once the window is configured

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
        self.top_bar.add_languages(self.kiosk_config.language_list, self.flow.set_language)
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
        if self.services.verify_cache.load():  # a venue scanner keeps answering at the door after a restart offline
            self.flow.resume_verify_mode()
        if self.background:
            self.services.start()
        Clock.schedule_once(self._first_frame, 0.5)

    def _first_frame(self, _dt) -> None:
        """The first screen is drawn: tell systemd, and from now on feed its watchdog from this (UI) thread."""
        systemd.notify("READY=1", f"STATUS=Showing the {self.flow.state.screen.value} screen")
        Clock.schedule_interval(self._feed_watchdog, 1.0)
        for callback in self.on_ready_callbacks:
            callback()

    def _feed_watchdog(self, _dt) -> None:
        # returns None on purpose: a Kivy interval callback that returns False is unscheduled
        self.watchdog.ping()

    def on_stop(self) -> None:
        systemd.notify("STOPPING=1")
        self.services.stop()

    # ------------------------------------------------------------------ rendering the flow

    def screen(self, which: Screen):
        widget = self.screens.get(which)
        if widget is None:
            widget = create_screen(which)
            self.screens[which] = widget
            self.manager.add_widget(widget)
        return widget

    def render(self, state: FlowState) -> None:
        self.lang = state.language
        if state.shop_name:
            self.shop_name = state.shop_name
        self.top_bar.render(self.shop_name, state.language)
        current = self.screen(state.screen)
        if self.manager.current != state.screen.value:
            self.manager.current = state.screen.value
        current.render(state)
        self.banner.render(state)
        self._show_idle_prompt(state.idle_prompt)
        self.services.screen_shown(state.screen)

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
            image = self.services.camera.preview_image()
            if image is not None:
                self.screen(self.flow.state.screen).preview = self.preview.show(image)

    # ------------------------------------------------------------------ scans (reported by the services)

    def _scan_arrived(self, identity) -> None:
        """A code was read: a beep and a flash at once, then the flow acts on it."""
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
