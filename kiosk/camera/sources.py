"""Where frames come from: a V4L2/USB camera, a video or image file, or a Pi CSI camera.

Every source has the same small interface (:class:`FrameSource`): ``open()``, ``read()`` one
BGR frame, ``close()``. Failures are raised as :class:`SourceError` carrying a
:class:`~kiosk.camera.events.FailureReason`, so the capture thread can tell the screen *why*
the camera is out (no device, no permission, ...) and reopen it.

Sources do not pace themselves with sleeps: a camera blocks in ``read()`` until its next
frame, and a file source announces the interval it wants (``frame_interval``) so that the
capture thread can wait on its own stop signal and stay promptly stoppable.
"""

from __future__ import annotations

import errno
import importlib.util
import inspect
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .events import FailureReason

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mjpeg", ".mjpg", ".mpg", ".mpeg"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"})


class SourceError(Exception):
    """A frame source could not open or stopped delivering frames; ``reason`` says why."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class FrameSource(ABC):
    """One camera or file, opened and closed by the capture thread (never used from two threads)."""

    #: Seconds between frames the source wants the reader to keep, or None when ``read()``
    #: blocks by itself until the next frame (a real camera).
    frame_interval: float | None = None
    #: True when identical consecutive frames are expected (a still image), so a frozen
    #: picture is not a fault.
    repeats_frames: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """What to call the source in logs and on the status screen."""

    @abstractmethod
    def open(self) -> None:
        """Start delivering frames; raise :class:`SourceError` when that is impossible."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """The next BGR frame (H×W×3, uint8); raise :class:`SourceError` when none comes."""

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; safe to call twice or when not open."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _check_path(path: Path, what: str) -> None:
    """Raise the SourceError a person can act on when ``path`` is missing or unreadable."""
    if not path.exists():
        raise SourceError(FailureReason.NO_DEVICE, f"{what} {path} does not exist")
    if not os.access(path, os.R_OK):
        raise SourceError(FailureReason.PERMISSION, f"no permission to read {what} {path} (is the user in the 'video' group?)")


class V4L2Source(FrameSource):
    """A USB/V4L2 camera through OpenCV, asking for MJPG so 720p still runs at full rate on USB 2."""

    def __init__(
        self,
        device: int | str = 0,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        fourcc: str | None = "MJPG",
        buffer_size: int = 1,
        read_timeout_ms: int = 2000,
    ) -> None:
        self.device = device
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.fourcc = fourcc
        self.buffer_size = int(buffer_size)
        self.read_timeout_ms = int(read_timeout_ms)
        self._cap: cv2.VideoCapture | None = None

    @property
    def path(self) -> Path:
        """The device node (/dev/videoN)."""
        return Path(f"/dev/video{self.device}") if isinstance(self.device, int) else Path(self.device)

    @property
    def name(self) -> str:
        return str(self.path)

    def open(self) -> None:
        _check_path(self.path, "camera")
        try:
            with open(self.path, "rb", buffering=0):
                pass  # the kernel says EACCES/EBUSY/ENODEV here more precisely than OpenCV would
        except PermissionError as exc:
            raise SourceError(FailureReason.PERMISSION, f"no permission to open camera {self.path}: {exc}") from exc
        except OSError as exc:
            reason = FailureReason.NO_DEVICE if exc.errno in (errno.ENODEV, errno.ENOENT, errno.ENXIO) else FailureReason.OPEN_ERROR
            raise SourceError(reason, f"cannot open camera {self.path}: {exc}") from exc
        # A stable /dev/v4l/by-id/... link may point at another /dev/videoN after a replug:
        # resolve it at every opening.
        target: int | str = self.device if isinstance(self.device, int) else os.path.realpath(self.path)
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise SourceError(FailureReason.OPEN_ERROR, f"camera {self.path} exists but V4L2 refused to open it")
        # FOURCC must come before the size: some UVC drivers only offer 720p at 30 fps in MJPG.
        if self.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*self.fourcc))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        # A small driver queue keeps latency low: we want the newest picture, not a backlog.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, self.buffer_size)
        cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.read_timeout_ms)
        self._cap = cap
        log.info(
            "opened %s (%s) at %dx%d %.0f fps",
            self.path,
            target,
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            cap.get(cv2.CAP_PROP_FPS),
        )

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise SourceError(FailureReason.READ_ERROR, f"camera {self.path} is not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            reason = FailureReason.NO_DEVICE if not self.path.exists() else FailureReason.READ_ERROR
            raise SourceError(reason, f"camera {self.path} stopped delivering frames")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class FileSource(FrameSource):
    """A video file played in a loop like a camera: at the file's frame rate, or ``fps``, or flat out.

    ``realtime=False`` delivers frames as fast as they decode (tests, benchmarks). ``loop=False``
    makes the end of the file a failure, as a camera that went away.
    """

    def __init__(self, path: str | os.PathLike[str], *, fps: float | None = None, realtime: bool = True, loop: bool = True) -> None:
        self.path = Path(path)
        self.fps_override = fps
        self.realtime = realtime
        self.loop = loop
        self.fps: float = 0.0
        self.frames_read = 0
        self._cap: cv2.VideoCapture | None = None

    @property
    def name(self) -> str:
        return f"file:{self.path}"

    def open(self) -> None:
        _check_path(self.path, "video file")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(FailureReason.OPEN_ERROR, f"cannot decode video file {self.path}")
        self._cap = cap
        file_fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(self.fps_override or (file_fps if 1.0 <= file_fps <= 240.0 else 25.0))
        self.frame_interval = 1.0 / self.fps if self.realtime else None

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise SourceError(FailureReason.READ_ERROR, f"{self.name} is not open")
        ok, frame = self._cap.read()
        if not ok and self.loop and self.frames_read > 0:
            # Reopen rather than seek: seeking is unreliable across containers, and a reopen
            # notices when the file has gone away (a camera that was unplugged).
            self.close()
            self.open()
            ok, frame = self._cap.read()
        if not ok or frame is None:
            raise SourceError(FailureReason.READ_ERROR, f"{self.name} has no more frames")
        self.frames_read += 1
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageSource(FrameSource):
    """One still image delivered over and over at ``fps`` (a card photo for the demo or tests)."""

    repeats_frames = True

    def __init__(self, path: str | os.PathLike[str], *, fps: float = 10.0) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        self.frame_interval = 1.0 / self.fps if self.fps > 0 else None
        self._image: np.ndarray | None = None

    @property
    def name(self) -> str:
        return f"image:{self.path}"

    def open(self) -> None:
        _check_path(self.path, "image")
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(FailureReason.OPEN_ERROR, f"cannot decode image {self.path}")
        self._image = image

    def read(self) -> np.ndarray:
        if self._image is None:
            raise SourceError(FailureReason.READ_ERROR, f"{self.name} is not open")
        return self._image.copy()  # readers may keep it; never hand out the same buffer twice

    def close(self) -> None:
        self._image = None


class Picamera2Source(FrameSource):
    """A Raspberry Pi CSI camera through picamera2 (Raspberry Pi OS: ``apt install python3-picamera2``)."""

    def __init__(self, camera_num: int = 0, *, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        self.camera_num = int(camera_num)
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self._cam: Any = None

    @property
    def name(self) -> str:
        return f"picamera2:{self.camera_num}"

    def open(self) -> None:
        try:
            from picamera2 import Picamera2  # imported here: only present on a Pi
        except ImportError as exc:
            raise SourceError(FailureReason.UNAVAILABLE, PICAMERA2_MISSING) from exc
        try:
            cam = Picamera2(self.camera_num)
        except IndexError as exc:
            raise SourceError(FailureReason.NO_DEVICE, f"no CSI camera number {self.camera_num} is connected") from exc
        except RuntimeError as exc:
            raise SourceError(FailureReason.OPEN_ERROR, f"cannot open CSI camera {self.camera_num}: {exc}") from exc
        frame_us = int(1_000_000 / self.fps)
        # "RGB888" in libcamera terms is B,G,R byte order in memory: exactly what OpenCV expects.
        config = cam.create_video_configuration(
            main={"size": (self.width, self.height), "format": "RGB888"},
            controls={"FrameDurationLimits": (frame_us, frame_us)},
            buffer_count=2,
        )
        cam.configure(config)
        cam.start()
        self._cam = cam

    def read(self) -> np.ndarray:
        if self._cam is None:
            raise SourceError(FailureReason.READ_ERROR, f"{self.name} is not open")
        try:
            frame = self._cam.capture_array("main")
        except Exception as exc:  # picamera2 raises bare RuntimeErrors and libcamera errors alike
            raise SourceError(FailureReason.READ_ERROR, f"{self.name} stopped delivering frames: {exc}") from exc
        return frame[:, :, :3] if frame.ndim == 3 and frame.shape[2] == 4 else frame

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            finally:
                self._cam = None


PICAMERA2_MISSING = (
    "picamera2 is not installed: on Raspberry Pi OS run 'sudo apt install python3-picamera2' and create "
    "the virtual environment with --system-site-packages, or use a USB camera (camera = 0)"
)


def picamera2_available() -> bool:
    """Whether the picamera2 package can be imported."""
    return importlib.util.find_spec("picamera2") is not None


def make_source(spec: str | int | os.PathLike[str], **options: Any) -> FrameSource:
    """The frame source a config string names.

    ``0`` or ``"0"`` or ``"/dev/video0"`` or ``"v4l2:/dev/video0"``: a V4L2 camera;
    ``"file:demo.mp4"`` or any path ending in a video extension: a looping video file;
    ``"image:card.png"`` or a path ending in an image extension: a still image;
    ``"picamera2"`` or ``"picamera2:1"``: a Pi CSI camera.
    Options not understood by the chosen source (e.g. ``fourcc`` for a file) are ignored, so
    one camera section of the config works whichever source it names.
    """
    if isinstance(spec, int):
        return _build(V4L2Source, spec, options)
    text = os.fspath(spec).strip()
    kind, sep, rest = text.partition(":")
    kind = kind.lower() if sep else ""
    if text.isdigit():
        return _build(V4L2Source, int(text), options)
    if kind == "v4l2":
        return _build(V4L2Source, int(rest) if rest.isdigit() else rest, options)
    if kind == "file":
        return _build(FileSource, rest, _recording(options))
    if kind == "image":
        return _build(ImageSource, rest, options)
    if text.lower() == "picamera2" or kind == "picamera2":
        if not picamera2_available():
            raise SourceError(FailureReason.UNAVAILABLE, PICAMERA2_MISSING)
        return _build(Picamera2Source, int(rest) if rest.isdigit() else 0, options)
    if text.startswith("/dev/"):
        return _build(V4L2Source, text, options)
    suffix = Path(text).suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return _build(FileSource, text, _recording(options))
    if suffix in IMAGE_EXTENSIONS:
        return _build(ImageSource, text, options)
    raise ValueError(
        f"unknown camera source {text!r}: use a device number (0), /dev/videoN, v4l2:/dev/videoN, "
        "file:PATH (or a video path), image:PATH (or an image path) or picamera2"
    )


def _recording(options: dict[str, Any]) -> dict[str, Any]:
    """A camera section's options for a video file: its ``fps`` is the camera's, and a recording plays at its own."""
    return {k: v for k, v in options.items() if k != "fps"}


def _build(cls: type[FrameSource], target: Any, options: dict[str, Any]) -> FrameSource:
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    ignored = sorted(set(options) - accepted)
    if ignored:
        log.debug("%s ignores options %s", cls.__name__, ignored)
    return cls(target, **{k: v for k, v in options.items() if k in accepted})  # type: ignore[call-arg]
