"""Kivy's configuration for the counter, applied before its window exists.

Kept apart from kiosk.app on purpose: importing kiosk.app creates the window,
so this module imports nothing from Kivy at module level.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import KioskConfig


def kiosk_environment(config: KioskConfig, *, offscreen: bool = False) -> None:
    """Configure Kivy for the counter before its window exists: full screen, no cursor, no escape, one input.

    Must run before ``kivy.core.window`` is imported.
    """
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")  # the journal (or the terminal) has the log; spare the SD card
    os.environ.setdefault("KIVY_LOG_MODE", "MIXED")  # Kivy logs through Python logging, at our level
    os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")
    os.environ.setdefault("KIVY_HOME", str(config.state_path / "kivy"))
    Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "log_level", "warning")
    Config.set("graphics", "width", str(config.width))
    Config.set("graphics", "height", str(config.height))
    Config.set("graphics", "rotation", str(config.rotation))
    Config.set("graphics", "fullscreen", "auto" if config.fullscreen and not offscreen else "0")
    Config.set("graphics", "show_cursor", "0" if config.fullscreen else "1")
    Config.set("graphics", "multisamples", "0")
    # one input source: the touch screen only (or the mouse on a developer's desktop)
    for option in list(Config.options("input")) if Config.has_section("input") else []:
        Config.remove_option("input", option)
    if config.touch_device:
        Config.set("input", "touch", f"hidinput,{config.touch_device}")
    else:
        Config.set("input", "mouse", "mouse,disable_multitouch")
