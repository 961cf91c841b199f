"""The scanner: decodes the newest frame a few times a second and reports each code once.

A code held up to the camera stays in view for seconds and is decoded in many frames; the
customer expects one beep. So a code is reported when it appears, and again only after it has
been out of view (not decoded) for ``dedup_seconds``. Callbacks run on the scanner's worker
thread; the UI hops to its own thread with one helper (``kiosk.app.on_ui_thread``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .capture import CaptureThread
from .decoder import LINEAR, Decoder
from .events import DecodedCode, Frame, ScanEvent

log = logging.getLogger(__name__)

ScanListener = Callable[[ScanEvent], None]


class Scanner:
    """Decode worker between a :class:`CaptureThread` and the UI.

    ``rate`` caps decodes per second (the decoder's per-frame budget keeps each one short);
    a frame is never decoded twice. A linear barcode (EAN, Code 128, ...) is reported once it
    has been read in ``confirm_linear`` frames of the same showing: with one check digit, a
    blurred frame can misread it. ``on_frame`` (optional) gets every decoded frame's codes,
    de-duplicated or not, e.g. to draw boxes on the preview.
    """

    def __init__(
        self,
        capture: CaptureThread,
        decoder: Decoder | None = None,
        on_scan: ScanListener | None = None,
        *,
        rate: float = 10.0,
        dedup_seconds: float = 3.0,
        confirm_linear: int = 2,
        on_frame: Callable[[Frame, list[DecodedCode]], None] | None = None,
        name: str = "code-scanner",
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive (decodes per second)")
        self.capture = capture
        self.decoder = decoder or Decoder()
        self.on_scan = on_scan
        self.on_frame = on_frame
        self.period = 1.0 / float(rate)
        self.dedup_seconds = float(dedup_seconds)
        self.confirm_linear = max(1, int(confirm_linear))
        self._sightings: dict[tuple[str, str], tuple[int, float]] = {}  # key -> (reads this showing, last read)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.decodes = 0
        self.events = 0
        self.decode_seconds = 0.0
        self.last_codes: list[DecodedCode] = []

    # ------------------------------------------------------------------ public

    def start(self) -> Scanner:
        """Start the worker (returns self, for chaining)."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the worker to end and wait up to ``timeout`` s; True when it has ended."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> Scanner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the worker is alive."""
        return self._thread.is_alive()

    def forget(self) -> None:
        """Forget which codes were seen, so the next sighting of any code is reported again."""
        with self._lock:
            self._sightings.clear()

    def observe(self, codes: list[DecodedCode], frame_size: tuple[int, int], now: float | None = None) -> list[ScanEvent]:
        """Feed one frame's codes through de-duplication; returns (and emits) the new events."""
        now = time.monotonic() if now is None else now
        fresh: list[ScanEvent] = []
        with self._lock:
            for code in codes:
                hits, last = self._sightings.get(code.key, (0, -1e18))
                if now - last > self.dedup_seconds:
                    hits = 0  # out of view long enough: this is a new showing
                hits += 1
                # Every sighting refreshes the memory, so a code kept in view is never repeated.
                self._sightings[code.key] = (hits, now)
                # A linear code's one check digit lets a blurred frame misread now and then;
                # matrix codes carry error correction and count at the first read.
                if hits == (self.confirm_linear if code.format in LINEAR else 1):
                    fresh.append(ScanEvent(code.text, code.format, code.position, time.time(), frame_size, code.strategy))
            for key in [k for k, (_, t) in self._sightings.items() if now - t > self.dedup_seconds]:
                del self._sightings[key]
        for event in fresh:
            self.events += 1
            log.info("scanned %s (%d chars) via %s", event.format, len(event.text), event.strategy)
            if self.on_scan is not None:
                try:
                    self.on_scan(event)
                except Exception:
                    log.exception("scan listener failed")
        return fresh

    # ------------------------------------------------------------------ thread

    def _run(self) -> None:
        last_seq = 0
        next_due = time.monotonic()
        while not self._stop.is_set():
            wait = next_due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                break
            # Only a frame we have not decoded yet; the timeout lets stop() be noticed while
            # the camera is down.
            frame = self.capture.wait_frame(after_seq=last_seq, timeout=0.25)
            if frame is None or self._stop.is_set():
                continue
            last_seq = frame.seq
            started = time.monotonic()
            next_due = started + self.period
            try:
                codes = self.decoder.decode(frame.image)
            except Exception:
                log.exception("decoding frame %d failed", frame.seq)
                continue
            self.decode_seconds += time.monotonic() - started
            self.decodes += 1
            self.last_codes = codes
            if self.on_frame is not None:
                try:
                    self.on_frame(frame, codes)
                except Exception:
                    log.exception("frame listener failed")
            if codes:
                self.observe(codes, frame.size, now=frame.timestamp)
