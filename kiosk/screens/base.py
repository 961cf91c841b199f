"""What every customer screen has: ``render(state)`` from the flow, and ``clear()`` when the visit ends."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen

from ..flow import FlowState


class KioskScreen(Screen):
    """A screen draws the flow's state and forwards touches to the flow; it holds no rules of its own."""

    @property
    def app(self):
        return App.get_running_app()

    @property
    def flow(self):
        return self.app.flow

    def tr(self, message: str, **values) -> str:
        return self.app.tr(message, self.app.lang, **values)

    def render(self, state: FlowState) -> None:
        """Show ``state``; called on every change while this screen is current."""

    def clear(self) -> None:
        """Forget everything personal this screen shows (called when it stops being current)."""

    def on_leave(self, *_args) -> None:
        self.clear()
