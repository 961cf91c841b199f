"""Fixtures for the camera tests: a scriptable fake camera and synthetic videos."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from kiosk.camera.events import CameraState, FailureReason
from kiosk.camera.sources import FrameSource, SourceError


class FakeCamera(FrameSource):
    """A camera whose presence and pictures the test controls.

    ``present`` False makes ``open()`` fail with NO_DEVICE and ``read()`` fail as an unplugged
    camera does; ``picture(n)`` gives the n-th frame (default: fresh noise, like a live sensor).
    """

    def __init__(self, picture: Callable[[int], np.ndarray] | None = None, fps: float = 100.0) -> None:
        self.present = True
        self.opens = 0
        self.closes = 0
        self.frames = 0
        self.frame_interval = 1.0 / fps
        self._rng = np.random.default_rng(0)
        self._picture = picture or (lambda n: self._rng.integers(40, 200, (48, 64, 3), dtype=np.uint8))

    @property
    def name(self) -> str:
        return "fake"

    def open(self) -> None:
        self.opens += 1
        if not self.present:
            raise SourceError(FailureReason.NO_DEVICE, "fake camera is unplugged")

    def read(self) -> np.ndarray:
        if not self.present:
            raise SourceError(FailureReason.NO_DEVICE, "fake camera was unplugged")
        self.frames += 1
        return self._picture(self.frames)

    def close(self) -> None:
        self.closes += 1


class StateLog:
    """Collects CameraStates from the capture thread and lets a test wait for one."""

    def __init__(self) -> None:
        self.states: list[CameraState] = []
        self._cond = threading.Condition()

    def __call__(self, state: CameraState) -> None:
        with self._cond:
            self.states.append(state)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[CameraState], bool], timeout: float = 5.0, after: int = 0) -> CameraState:
        """The first state (from index ``after`` on) that matches, waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for state in self.states[after:]:
                    if predicate(state):
                        return state
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching camera state within {timeout} s; saw {[s.status for s in self.states]}")
                self._cond.wait(left)

    def count(self, predicate: Callable[[CameraState], bool]) -> int:
        with self._cond:
            return sum(1 for s in self.states if predicate(s))


@pytest.fixture
def fake_camera() -> FakeCamera:
    return FakeCamera()


@pytest.fixture
def state_log() -> StateLog:
    return StateLog()
