"""Short sounds for feedback: a read code beeps at once, before the backoffice answers."""

from __future__ import annotations

import logging

from .assets import asset_path

log = logging.getLogger(__name__)


class Beeper:
    """Plays assets/sounds/*.wav through Kivy's audio provider; silent (with one log line) without audio."""

    def __init__(self, *, enabled: bool = True):
        self.enabled = enabled
        self._sounds: dict[str, object] = {}
        self._broken = False

    def _load(self, name: str):
        if name not in self._sounds:
            from kivy.core.audio import SoundLoader

            path = asset_path("sounds", f"{name}.wav")
            sound = SoundLoader.load(str(path)) if path.exists() else None
            if sound is None and not self._broken:
                self._broken = True
                log.warning("No sound: cannot play %s (no audio device or provider)", path)
            self._sounds[name] = sound
        return self._sounds[name]

    def beep(self, *, ok: bool = True) -> None:
        if not self.enabled:
            return
        sound = self._load("read" if ok else "unknown")
        if sound is not None:
            try:
                sound.stop()
                sound.play()
            except Exception as exc:  # an audio glitch must never break a scan
                log.warning("Sound failed: %s", exc)
