"""The camera as the kiosk runs it: capture + scanner started for the scan screens, camera health, preview images.

Capture and decoding run in the camera package's own threads; this module
starts and stops them from the configuration and prepares the newest frame
for the screen (scaled down, mirrored).  It knows no Kivy: the screens turn
the prepared image into a texture (``kiosk.screens.camera_preview``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np

from .camera import CameraState, CameraStatus, CaptureThread, Decoder, ScanEvent, Scanner, SourceError, make_source
from .config import KioskConfig

log = logging.getLogger(__name__)
PREVIEW_WIDTH = 640  # enough for the customer to aim; keeps the texture upload small on a Pi


class CameraController:
    """Starts and stops capture + scanner; reports camera health and scans through callbacks (worker threads)."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        on_state: Callable[[bool, str], None],
        on_scan: Callable[[ScanEvent], None],
        mirror: bool = True,
    ) -> None:
        self.config = config
        self.on_state = on_state
        self.on_scan = on_scan
        self.mirror = mirror
        self.capture: CaptureThread | None = None
        self.scanner: Scanner | None = None
        self.decoder = Decoder()
        self._last_seq = -1

    @property
    def running(self) -> bool:
        return self.capture is not None

    @property
    def state(self) -> CameraState | None:
        return self.capture.state if self.capture else None

    def start(self) -> None:
        if self.capture is not None:
            return
        try:
            source = make_source(
                self.config.camera,
                width=self.config.camera_width,
                height=self.config.camera_height,
                fps=self.config.camera_fps,
            )
        except (SourceError, ValueError) as exc:
            log.error("Camera %r cannot be used: %s", self.config.camera, exc)
            self.on_state(False, str(exc))
            return
        self.capture = CaptureThread(source, on_state=self._state_changed).start()
        self.scanner = Scanner(self.capture, self.decoder, on_scan=self.on_scan, rate=self.config.scan_rate).start()
        self._last_seq = -1

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        if self.capture is not None:
            self.capture.stop()
            self.capture = None

    def _state_changed(self, state: CameraState) -> None:
        if state.status in (CameraStatus.RUNNING, CameraStatus.STARTING, CameraStatus.STOPPED):
            self.on_state(True, "")
        else:
            self.on_state(False, state.message)

    def preview_image(self) -> np.ndarray | None:
        """The newest frame scaled for the screen and mirrored (BGR, top row first); None when nothing is new."""
        if self.capture is None:
            return None
        frame = self.capture.latest()
        if frame is None or frame.seq == self._last_seq:
            return None
        self._last_seq = frame.seq
        image = frame.image
        height, width = image.shape[:2]
        if width > PREVIEW_WIDTH:
            image = cv2.resize(image, (PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)), interpolation=cv2.INTER_AREA)
        if self.mirror:
            image = cv2.flip(image, 1)  # a front camera shows the customer as in a mirror
        return image
