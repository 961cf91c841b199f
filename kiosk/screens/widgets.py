"""Widgets shared by the screens: big buttons, choice tiles, icons, group badges, the top bar, the banner.

Looks live in widgets.kv; this module holds only behaviour (blinking,
spinning, press feedback, which language is selected, what the banner says).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.animation import Animation
from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from counter_core import kiosk_api

from ..flow import FlowState, Screen
from ..i18n import language_name
from ..theme import readable_on, rgba

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))


class KioskLabel(Label):
    """Wrapping, centred text in the screen's ink colour."""

    role = StringProperty("ink")


class BigButton(ButtonBehavior, BoxLayout):
    """A large touch target (at least 12 mm) with a label; ``role`` picks its colours."""

    text = StringProperty("")
    role = StringProperty("primary")  # primary | secondary | danger | quiet
    pressed_scale = NumericProperty(1.0)

    def on_press(self) -> None:
        self.pressed_scale = 0.97

    def on_release(self) -> None:
        self.pressed_scale = 1.0

    def on_touch_up(self, touch):
        self.pressed_scale = 1.0
        return super().on_touch_up(touch)


class ChoiceTile(ButtonBehavior, BoxLayout):
    """One of the home screen's three large choices."""

    title = StringProperty("")
    hint = StringProperty("")
    icon = StringProperty("")
    note = StringProperty("")
    pressed_scale = NumericProperty(1.0)

    def on_press(self) -> None:
        self.pressed_scale = 0.97

    def on_touch_up(self, touch):
        self.pressed_scale = 1.0
        return super().on_touch_up(touch)


class Icon(Widget):
    """Simple line icons drawn in kv (phone, scan frame, keypad, check, back arrow)."""

    kind = StringProperty("")
    color = ColorProperty([1, 1, 1, 1])
    keypad_dots = ListProperty([])

    def on_pos(self, *_args) -> None:
        self._place_dots()

    def on_size(self, *_args) -> None:
        self._place_dots()

    def _place_dots(self) -> None:
        dots = []
        for i in range(12):
            dots += [self.x + self.width * (0.33 + 0.17 * (i % 3)), self.y + self.height * (0.17 + 0.2 * (i // 3))]
        self.keypad_dots = dots


class GroupBadge(BoxLayout):
    """A customer group as scanners show it: a coloured dot and the name; blinking groups blink."""

    name = StringProperty("")
    colour = ColorProperty([0.1, 0.4, 0.8, 1])
    text_colour = ColorProperty([1, 1, 1, 1])
    blink = BooleanProperty(False)
    dot_opacity = NumericProperty(1.0)

    def __init__(self, group: kiosk_api.GroupBadge | None = None, **kwargs):
        super().__init__(**kwargs)
        self._animation: Animation | None = None
        if group:
            colour = group.colour or "#2563eb"
            self.name = group.name
            self.colour = rgba(colour)
            self.text_colour = rgba(readable_on(colour))
            self.blink = group.blink

    def on_blink(self, _instance, value: bool) -> None:
        if self._animation is not None:
            self._animation.cancel(self)
            self._animation = None
            self.dot_opacity = 1.0
        if value:
            self._animation = Animation(dot_opacity=0.15, duration=0.5) + Animation(dot_opacity=1.0, duration=0.5)
            self._animation.repeat = True
            self._animation.start(self)

    def stop(self) -> None:
        self.blink = False


def show_group_badges(box, groups) -> None:
    """Fill ``box`` with one badge per group, in the order given (priority order from the backoffice)."""
    for badge in box.children:
        badge.stop()
    box.clear_widgets()
    for group in groups:
        box.add_widget(GroupBadge(group))


class BusySpinner(Widget):
    """A turning arc: the system is working."""

    angle = NumericProperty(0)
    color = ColorProperty([1, 1, 1, 1])

    def on_parent(self, _instance, parent) -> None:
        Animation.cancel_all(self)
        if parent is not None:
            self.angle = 0
            animation = Animation(angle=360, duration=1.2)
            animation.repeat = True
            animation.bind(on_progress=self._wrap)
            animation.start(self)

    def _wrap(self, *_args) -> None:
        if self.angle >= 359:
            self.angle = 0


class TopBar(BoxLayout):
    """Shop name on the left, the language buttons on the right."""

    shop_name = StringProperty("")

    def add_languages(self, codes: list[str], choose: Callable[[str], None]) -> None:
        """One button per language, each named in its own language; a touch calls ``choose(code)``."""
        for code in codes:
            button = LanguageButton(text=language_name(code), code=code)
            button.bind(on_release=lambda b: choose(b.code))
            self.add_widget(button)

    def render(self, shop_name: str, language: str) -> None:
        self.shop_name = shop_name
        for button in self.children:
            if isinstance(button, LanguageButton):
                button.selected = button.code == language


class LanguageButton(ButtonBehavior, Label):
    code = StringProperty("")
    selected = BooleanProperty(False)


class IdlePrompt(FloatLayout):
    """"Need more time?" over the current screen, with a countdown."""

    seconds = NumericProperty(0)


class StatusBanner(BoxLayout):
    """A quiet line at the bottom: no connection, or submissions waiting to be sent."""

    text = StringProperty("")

    def render(self, state: FlowState) -> None:
        self.text = self._text(state)

    @staticmethod
    def _text(state: FlowState) -> str:
        if not state.paired or state.screen == Screen.WAITING or state.online:
            return ""
        tr = App.get_running_app().tr
        if state.outbox:
            return tr("No connection to the shop system. {count} saved, sent when it is back.", state.language,
                      count=state.outbox)
        return tr("No connection to the shop system. We keep trying.", state.language)
