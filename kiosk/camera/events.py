"""The values that leave the camera package: decoded codes, scan events and camera states."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]


class Frame(NamedTuple):
    """One captured picture: ``image`` is BGR (H×W×3, uint8) and must not be modified by readers.

    A named tuple, so ``image, seq, timestamp = capture.latest()`` works too.
    """

    image: np.ndarray
    seq: int
    timestamp: float  # time.monotonic() when the frame arrived

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True)
class DecodedCode:
    """A code read from one frame.

    ``position`` holds the four corners (top-left, top-right, bottom-right, bottom-left as the
    decoder saw them) in the frame's pixel coordinates; ``strategy`` names the recovery that read it.
    """

    text: str
    format: str
    position: Quad
    strategy: str = "fast"

    @property
    def key(self) -> tuple[str, str]:
        """What makes two reads "the same code"."""
        return (self.format, self.text)

    @property
    def center(self) -> Point:
        """The mean of the corners."""
        xs, ys = zip(*self.position, strict=True)
        return (sum(xs) / 4.0, sum(ys) / 4.0)


@dataclass(frozen=True)
class ScanEvent:
    """A code the customer held up, reported once per appearance by the :class:`Scanner`."""

    text: str
    format: str
    position: Quad
    time: float  # time.time() (wall clock) when the frame was decoded
    frame_size: tuple[int, int]  # (width, height) of the frame the position refers to
    strategy: str = "fast"


class CameraStatus(enum.StrEnum):
    """What the camera is doing, in words the screen can show."""

    STARTING = "starting"
    RUNNING = "running"
    REOPENING = "reopening"  # a failure was seen; the next attempt is scheduled
    FAILED = "failed"  # several attempts in a row failed; still retried at the capped interval
    STOPPED = "stopped"


class FailureReason(enum.StrEnum):
    """Why the camera is not delivering usable pictures."""

    NO_DEVICE = "no_device"
    PERMISSION = "permission"
    BLACK_FRAMES = "black_frames"
    FROZEN_FRAMES = "frozen_frames"
    READ_ERROR = "read_error"  # the device opened but stopped delivering frames
    OPEN_ERROR = "open_error"  # the device exists but refused to start
    UNAVAILABLE = "unavailable"  # the driver/library for this source is missing


@dataclass(frozen=True)
class CameraState:
    """A snapshot of the capture thread's health, reported on every change."""

    status: CameraStatus
    reason: FailureReason | None = None
    message: str = ""
    attempt: int = 0  # consecutive failed attempts so far
    next_attempt_at: float | None = None  # time.monotonic() of the next reopen, when one is scheduled
    since: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """True while frames flow."""
        return self.status is CameraStatus.RUNNING

    def seconds_to_next_attempt(self, now: float | None = None) -> float | None:
        """How long until the next reopen attempt, for a countdown on screen."""
        if self.next_attempt_at is None:
            return None
        return max(0.0, self.next_attempt_at - (time.monotonic() if now is None else now))
