"""The window of an unpaired kiosk: "Scan the pairing code from the back office", then who it is paired as.

Started by ``kiosk`` when the configuration holds no device token and nothing is stored from an earlier
pairing.  The camera and the exchange are :class:`kiosk.pairing.PairingService` (no Kivy); the rules
are :class:`kiosk.pairing_flow.PairingFlow`.  Once paired, the register's name is shown for a few
seconds and the app ends with ``paired`` set: the ``kiosk`` command then starts the kiosk itself
(Kivy runs one app per process, so it starts afresh).
"""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from . import i18n, systemd, theme
from .app import SYMBOL_FONT, on_ui_thread
from .config import KioskConfig
from .pairing import PairingService
from .pairing_flow import PairingState, Step
from .screens.camera_preview import PreviewTexture

log = logging.getLogger(__name__)
PAIRED_SECONDS = 5.0  # how long the register's name stays before the kiosk starts


class PairingApp(App):
    lang = StringProperty("sv")
    shop_name = StringProperty("")
    symbol_font = StringProperty("Roboto")
    px_per_mm = NumericProperty(theme.PIXELS_PER_MM)
    scale = NumericProperty(1.0)

    def __init__(self, config: KioskConfig, *, paired_seconds: float = PAIRED_SECONDS, **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = config
        self.title = f"{config.shop_name} kiosk: pairing"
        self.lang = config.language
        self.shop_name = config.shop_name
        self.paired_seconds = paired_seconds
        self.services = PairingService(config, report=on_ui_thread)
        self.flow = self.services.make_flow()
        self.services.on_scan = self._scan_arrived
        self.preview = PreviewTexture()
        self.paired = False
        self.on_ready_callbacks: list = []
        self.watchdog = systemd.Watchdog()

    # the kv files' helpers, as in kiosk.app.KioskApp
    def mm(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm

    def gap(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm * self.scale

    def fs(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm * max(0.7, self.scale) * self.kiosk_config.text_scale

    def tr(self, message: str, language: str | None = None, **values) -> str:
        return i18n.translate(language or self.lang, message, **values)

    def build(self):
        from .screens import pairing, widgets

        Builder.load_file(pairing.__file__.replace(".py", ".kv"))
        if SYMBOL_FONT.exists():
            LabelBase.register("DejaVuSans", str(SYMBOL_FONT))
            self.symbol_font = "DejaVuSans"
        Window.clearcolor = theme.rgba("background")
        width, height = Window.size
        self.scale = max(0.55, min(1.5, width / 1280, height / 800))
        root = BoxLayout(orientation="vertical")
        self.top_bar = widgets.TopBar(shop_name=self.shop_name)
        self.top_bar.add_languages(self.kiosk_config.language_list, self.flow.set_language)
        self.manager = ScreenManager(transition=NoTransition())
        self.pairing_screen = pairing.PairingScreen(name="pairing")
        self.paired_screen = pairing.PairedScreen(name="paired")
        self.manager.add_widget(self.pairing_screen)
        self.manager.add_widget(self.paired_screen)
        root.add_widget(self.top_bar)
        root.add_widget(self.manager)
        self.flow.subscribe(self.render)
        self.render(self.flow.state)
        Clock.schedule_interval(self._tick, 0.1)
        return root

    def on_start(self) -> None:
        self.services.start()
        Clock.schedule_once(self._first_frame, 0.5)

    def _first_frame(self, _dt) -> None:
        systemd.notify("READY=1", "STATUS=Not paired: showing the pairing screen")
        Clock.schedule_interval(lambda _dt: self.watchdog.ping(), 1.0)
        for callback in self.on_ready_callbacks:
            callback()

    def on_stop(self) -> None:
        self.services.stop()

    def render(self, state: PairingState) -> None:
        self.lang = state.language
        if state.shop_name:
            self.shop_name = state.shop_name
        self.top_bar.render(self.shop_name, state.language)
        if state.step == Step.PAIRED:
            self.paired_screen.render(state)
            self.manager.current = "paired"
            if not self.paired:
                self.paired = True
                self.services.camera.stop()
                systemd.notify(f"STATUS=Paired with {state.register_name}: starting the kiosk")
                Clock.schedule_once(lambda _dt: self.stop(), self.paired_seconds)
        else:
            self.pairing_screen.render(state)
            self.manager.current = "pairing"

    def _tick(self, _dt) -> None:
        if self.flow.state.step == Step.PAIRED:
            return
        image = self.services.camera.preview_image()
        if image is not None:
            self.pairing_screen.preview = self._texture(image)

    def _texture(self, image):
        return self.preview.show(image)

    def _scan_arrived(self, text: str) -> None:
        """A code was read: the guide frame flashes at once, then the flow acts on it."""
        if self.flow.state.step != Step.PAIRED:
            self.pairing_screen.code_seen()
        self.flow.scanned(text)
