"""The customer screens: one module and one .kv file per screen, loaded when first shown.

Beside them: ``widgets`` (the pieces they share, and the top bar, banner and idle prompt) and
``camera_preview`` (the camera picture as a texture).  Screens draw the flow's state and forward
touches to the flow; they hold no rules and reach no backoffice.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from kivy.lang import Builder

from ..flow import Screen

SCREEN_CLASSES = {
    Screen.WAITING: ("waiting", "WaitingScreen"),
    Screen.HOME: ("home", "HomeScreen"),
    Screen.MOBILE: ("mobile", "MobileScreen"),
    Screen.SCAN: ("scan", "ScanScreen"),
    Screen.ENTER: ("enter", "EnterScreen"),
    Screen.CHOOSE: ("choose", "ChooseScreen"),
    Screen.WORKING: ("working", "WorkingScreen"),
    Screen.WELCOME: ("welcome", "WelcomeScreen"),
    Screen.NOT_FOUND: ("not_found", "NotFoundScreen"),
    Screen.PENDING: ("pending", "PendingScreen"),
    Screen.DECLINED: ("message", "DeclinedScreen"),
    Screen.QUEUED: ("message", "QueuedScreen"),
    Screen.PROBLEM: ("message", "ProblemScreen"),
    Screen.VERIFY: ("verify", "VerifyScreen"),
}
_loaded: set[str] = set()


def create_screen(screen: Screen):
    """Import the screen's module, load its .kv once, and return a new instance named after the screen."""
    module_name, class_name = SCREEN_CLASSES[screen]
    module = importlib.import_module(f"{__name__}.{module_name}")
    if module_name not in _loaded:
        Builder.load_file(str(Path(module.__file__).with_suffix(".kv")))
        _loaded.add(module_name)
    return getattr(module, class_name)(name=screen.value)
