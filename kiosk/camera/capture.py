"""The capture thread: keeps the newest frame of a source and keeps the source alive.

Only the latest frame is kept (a slot, never a queue): the preview and the decoder always see
the present, and a slow reader can never make memory grow. When the source fails, or delivers
black or frozen pictures, it is closed and reopened with exponential back-off (capped), and
every change is reported as a :class:`~kiosk.camera.events.CameraState` the screen can show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from .events import CameraState, CameraStatus, FailureReason, Frame
from .sources import FrameSource, SourceError

log = logging.getLogger(__name__)

StateListener = Callable[[CameraState], None]


class _Health:
    """Watches the frames of one opening for black or frozen pictures."""

    def __init__(self, black_level: float, black_frames: int, frozen_seconds: float | None) -> None:
        self.black_level = black_level
        self.black_frames = black_frames
        self.frozen_seconds = frozen_seconds
        self._dark_run = 0
        self._last_sig: np.ndarray | None = None
        self._same_since: float | None = None
        self._same_count = 0

    def check(self, image: np.ndarray, now: float) -> SourceError | None:
        # A sparse sample is plenty: both faults affect the whole picture.
        sample = image[::8, ::8]
        if float(sample.mean()) < self.black_level:
            self._dark_run += 1
            if self._dark_run >= self.black_frames:
                return SourceError(FailureReason.BLACK_FRAMES, f"the camera sent {self._dark_run} black frames in a row (lens covered or sensor fault)")
        else:
            self._dark_run = 0
        if self.frozen_seconds is None:
            return None
        # A live sensor always has some noise, so an exactly repeated picture means a stuck driver.
        if self._last_sig is not None and np.array_equal(sample, self._last_sig):
            self._same_count += 1
            if self._same_since is None:
                self._same_since = now
            elif now - self._same_since >= self.frozen_seconds and self._same_count >= 3:
                return SourceError(FailureReason.FROZEN_FRAMES, f"the picture has not changed for {now - self._same_since:.1f} s")
        else:
            self._same_since = None
            self._same_count = 0
        self._last_sig = sample.copy()
        return None


class CaptureThread:
    """Reads a :class:`FrameSource` in its own thread and keeps only the newest frame.

    Back-off after a failure: ``backoff_initial`` × 2^(attempt-1) seconds, at most
    ``backoff_max``. The status is ``reopening`` for the first failures and ``failed`` from the
    ``fail_after``-th consecutive one on (still retried at the capped interval, because a USB
    camera may be plugged back in); with ``max_attempts`` set, the thread gives up after that
    many. The attempt count is forgiven once frames have flowed cleanly for ``stable_seconds``.
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        on_state: StateListener | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        fail_after: int = 3,
        max_attempts: int | None = None,
        black_level: float = 8.0,
        black_frames: int = 30,
        frozen_seconds: float | None = 5.0,
        stable_seconds: float = 5.0,
        name: str = "camera-capture",
    ) -> None:
        self.source = source
        self.backoff_initial = float(backoff_initial)
        self.backoff_max = float(backoff_max)
        self.fail_after = int(fail_after)
        self.max_attempts = max_attempts
        self.black_level = float(black_level)
        self.black_frames = int(black_frames)
        self.frozen_seconds = None if source.repeats_frames else frozen_seconds
        self.stable_seconds = float(stable_seconds)
        self._listeners: list[StateListener] = [on_state] if on_state else []
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._seq = 0
        self._state = CameraState(CameraStatus.STARTING, message=f"opening {source.name}")
        self._fps = 0.0
        self._stable = False  # frames have flowed cleanly for stable_seconds since the last opening
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    # ------------------------------------------------------------------ public

    def start(self) -> CaptureThread:
        """Start capturing (returns self, for chaining)."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the thread to end and wait up to ``timeout`` s; True when it has ended."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s did not stop within %.1f s (a read is blocked in the driver)", self.source.name, timeout)
            return False
        return True

    def __enter__(self) -> CaptureThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    @property
    def state(self) -> CameraState:
        """The current health of the camera."""
        return self._state

    @property
    def fps(self) -> float:
        """Frames per second actually delivered (running average)."""
        return self._fps

    def subscribe(self, listener: StateListener) -> None:
        """Call ``listener(state)`` on every change, from the capture thread."""
        self._listeners.append(listener)

    def latest(self) -> Frame | None:
        """The newest frame (image, seq, timestamp), or None before the first one."""
        with self._cond:
            return self._frame

    def wait_frame(self, after_seq: int = 0, timeout: float | None = None) -> Frame | None:
        """Block until a frame newer than ``after_seq`` exists; None on timeout or stop."""
        with self._cond:
            self._cond.wait_for(lambda: self._stop.is_set() or (self._frame is not None and self._frame.seq > after_seq), timeout)
            frame = self._frame
        return frame if frame is not None and frame.seq > after_seq else None

    # ------------------------------------------------------------------ thread

    def _run(self) -> None:
        attempt = 0
        try:
            while not self._stop.is_set():
                self._stable = False
                try:
                    self._capture_until_failure(attempt)
                except SourceError as exc:
                    error = exc
                except Exception as exc:  # a driver bug must not kill the camera for good
                    log.exception("unexpected error from %s", self.source.name)
                    error = SourceError(FailureReason.READ_ERROR, f"{type(exc).__name__}: {exc}")
                else:
                    break  # stopped
                finally:
                    self._close_source()
                # Frames flowed cleanly for a while before this fault: a new fault, not the old one.
                attempt = 1 if self._stable else attempt + 1
                if not self._back_off(error, attempt):
                    return  # gave up: the FAILED state stays for the screen to show
            self._set_state(CameraState(CameraStatus.STOPPED, message="camera stopped"))
        finally:
            with self._cond:
                self._cond.notify_all()

    def _capture_until_failure(self, attempt: int) -> None:
        """Open the source and publish frames until it fails (raises) or we are stopped (returns)."""
        self.source.open()
        health = _Health(self.black_level, self.black_frames, self.frozen_seconds)
        interval = self.source.frame_interval
        next_due = time.monotonic()
        running_since: float | None = None
        last_t: float | None = None
        while not self._stop.is_set():
            if interval:
                next_due += interval
                now = time.monotonic()
                if next_due < now - interval:
                    next_due = now  # fell behind (slow decode of a file): do not burst to catch up
                if next_due > now and self._stop.wait(next_due - now):
                    return
            image = self.source.read()
            now = time.monotonic()
            self._publish(image, now)
            if last_t is not None:
                dt = now - last_t
                self._fps = (1.0 / dt if self._fps == 0 else 0.9 * self._fps + 0.1 / dt) if dt > 0 else self._fps
            last_t = now
            if running_since is None:
                running_since = now
                self._set_state(CameraState(CameraStatus.RUNNING, message=f"{self.source.name} running", attempt=attempt))
            problem = health.check(image, now)
            if problem is not None:
                raise problem
            if not self._stable and now - running_since >= self.stable_seconds:
                self._stable = True
                if attempt:
                    self._set_state(CameraState(CameraStatus.RUNNING, message=f"{self.source.name} running"))

    def _back_off(self, error: SourceError, attempt: int) -> bool:
        """Report the failure and wait before the next attempt; False when we should give up."""
        if self.max_attempts is not None and attempt >= self.max_attempts:
            log.error("%s failed %d times, giving up: %s", self.source.name, attempt, error.message)
            self._set_state(CameraState(CameraStatus.FAILED, error.reason, error.message, attempt, None))
            return False
        delay = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        status = CameraStatus.FAILED if attempt >= self.fail_after else CameraStatus.REOPENING
        log.warning("%s: %s (%s); attempt %d, retrying in %.1f s", self.source.name, error.message, error.reason, attempt, delay)
        self._set_state(CameraState(status, error.reason, error.message, attempt, time.monotonic() + delay))
        return not self._stop.wait(delay)

    def _publish(self, image: np.ndarray, now: float) -> None:
        with self._cond:
            self._seq += 1
            self._frame = Frame(image, self._seq, now)
            self._cond.notify_all()

    def _close_source(self) -> None:
        try:
            self.source.close()
        except Exception:
            log.exception("closing %s failed", self.source.name)

    def _set_state(self, state: CameraState) -> None:
        self._state = state
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                log.exception("camera state listener failed")
