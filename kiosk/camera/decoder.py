"""Read codes from a frame: zxing-cpp first, pyzbar as fallback, recoveries within a time budget.

A frame at a counter usually holds no code, so the live first pass is cheap: zxing-cpp on a
picture no wider than 640 px, kiosk formats only, no rotation or inversion, plus an edge test
for places that look like a code (:mod:`kiosk.camera.regions`). Only when there is evidence
(zxing saw a symbol it could not decode, or a compact, busy patch of edges) does the decoder
spend time on recoveries, each aimed at something that goes wrong with real frames:

================  ===========================================================================
``roi_upscale``   small codes far from the lens: crop around each candidate and enlarge it
                  up to 3x (zxing wants about 2 px per module); inverted codes too
``roi_deskew``    linear codes and PDF417 held at an angle: turn the crop so the bars stand
                  upright (zxing's 1D readers scan along rows), scale it, then zxing and ZBar
``roi_contrast``  glare and low light: CLAHE on the scaled crop
``roi_zbar``      blurred 1D codes, moiré from phone screens: ZBar reads them differently
``roi_sharpen``   out of focus or moving: unsharp mask on the scaled crop, one global threshold
``full``          rotated and inverted codes at full resolution (plain zxing-cpp's pass)
``contrast``      CLAHE on the whole frame
``zbar``          ZBar on the whole frame
``upscale``       the whole frame enlarged 2x (stills only: it costs as much as all the rest)
================  ===========================================================================

Budget: every step (one crop, or one whole-frame pass) has a predicted cost, its measured
milliseconds per megapixel times the pixels it will process, and starts only if that fits in
what is left of the budget. Live (:meth:`Decoder.decode`), the next frame resumes the rotation
where this one ran out of time, so a hard code is attacked from every side over a few frames
while each frame stays short; the recovery that last read something goes first, and a frame's
work ends at its first read. A still (:meth:`Decoder.decode_still`) starts with plain
zxing-cpp's pass, so it is never read worse than by a plain call, then gets every recovery
within a larger budget until the codes found explain all the evidence.

Text is read in zxing-cpp's Plain mode, so the control characters of an AAMVA licence reach
the parser. A PDF417 with little error correction read by a recovery is kept only when the same
crop at another scale reads the same (see :meth:`Decoder._confirmed`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from .events import DecodedCode, Quad
from .regions import Evidence, Region, StaleRegions, find_regions

log = logging.getLogger(__name__)

KIOSK_FORMATS: tuple[str, ...] = (
    "QRCode",
    "MicroQRCode",
    "DataMatrix",
    "PDF417",
    "Aztec",
    "EAN13",
    "EAN8",
    "UPCA",
    "Code128",
    "Code39",
)

# zxing-cpp 3 reports some symbologies by variant; the kiosk only cares about the family.
_FAMILY = {
    "Code39Std": "Code39",
    "Code39Ext": "Code39",
    "Code32": "Code39",
    "PZN": "Code39",
    "AztecCode": "Aztec",
    "AztecRune": "Aztec",
    "QRCodeModel1": "QRCode",
    "QRCodeModel2": "QRCode",
    "CompactPDF417": "PDF417",
}

# ZBar's type names mapped onto zxing-cpp's, so a code has one name whoever read it.
ZBAR_NAMES = {
    "QRCODE": "QRCode",
    "EAN13": "EAN13",
    "ISBN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "PDF417": "PDF417",
    "I25": "ITF",
    "CODABAR": "Codabar",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExp",
}

LINEAR = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "Code128", "Code39", "Code93", "ITF", "Codabar"})

LIVE_ORDER: tuple[str, ...] = ("roi_upscale", "roi_deskew", "roi_contrast", "roi_zbar", "roi_sharpen", "full", "contrast", "zbar")
# A still always starts with plain zxing-cpp's pass ("full") before these.
STILL_ORDER: tuple[str, ...] = ("roi_upscale", "roi_deskew", "roi_contrast", "roi_zbar", "roi_sharpen", "upscale", "zbar", "contrast")

# Milliseconds per megapixel processed, until measurements on this machine replace them.
_INITIAL_MS_PER_MP = {
    "fast": 6.0,
    "full": 35.0,
    "roi_upscale": 25.0,
    "roi_deskew": 40.0,
    "roi_deskew_zbar": 30.0,
    "roi_contrast": 30.0,
    "roi_zbar": 30.0,
    "roi_sharpen": 25.0,
    "contrast": 25.0,
    "zbar": 30.0,
    "upscale": 25.0,
}


def format_name(fmt: object) -> str:
    """The stable, readable name of a zxing-cpp format ("QRCode", "EAN13", ...)."""
    name = getattr(fmt, "name", None) or str(fmt).replace(" ", "").replace("-", "")
    return _FAMILY.get(name, name)


def zbar_format_name(zbar_type: str) -> str:
    """ZBar's type name ("QRCODE", "CODE128") as zxing-cpp names it ("QRCode", "Code128")."""
    return ZBAR_NAMES.get(zbar_type, zbar_type)


@dataclass
class DecodeReport:
    """What one call to :meth:`Decoder.decode` did, for logs and benchmarks."""

    codes: list[DecodedCode] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    timings_ms: list[float] = field(default_factory=list)  # one per strategy, same order
    regions: list[Region] = field(default_factory=list)
    evidence: bool = False
    ms: float = 0.0


@dataclass
class _View:
    """A processed picture and the 3×3 transform from its pixels back to the frame's."""

    image: np.ndarray
    to_frame: np.ndarray

    def map(self, points: Iterable[tuple[float, float]]) -> Quad:
        pts = np.array([[x, y, 1.0] for x, y in points], float) @ self.to_frame.T
        return tuple((round(float(x), 1), round(float(y), 1)) for x, y in pts[:, :2])  # type: ignore[return-value]


@dataclass
class _Work:
    """Everything one frame's decode shares between its steps."""

    original: np.ndarray
    gray: np.ndarray
    small: np.ndarray
    small_scale: float  # frame pixels per small pixel
    deadline: float  # time.perf_counter() when the budget is spent
    exhaustive: bool
    report: DecodeReport
    found: dict[tuple[str, str], DecodedCode] = field(default_factory=dict)
    errors: list[Quad] = field(default_factory=list)
    evidence: Evidence = field(default_factory=lambda: Evidence([]))
    recovery_budget: float = 0.0  # seconds left when the recoveries began
    out_of_time_at: str | None = None  # the first recovery that had to skip a step for time
    steps: int = 0

    @property
    def regions(self) -> list[Region]:
        return self.evidence.regions

    def unexplained(self) -> list[Region]:
        """Candidate regions that no code found so far lies in."""
        return [r for r in self.regions if not any(r.overlaps(c.position) for c in self.found.values())]

    def evidence_left(self) -> bool:
        return bool(self.errors or self.unexplained() or (self.exhaustive and not self.found))


class Decoder:
    """Decodes frames into :class:`DecodedCode` lists; one instance per worker thread.

    ``budget_ms`` bounds the live path per frame and ``still_budget_ms`` the still path (soft:
    a library call in progress is not interrupted, but none is started that is not expected to
    fit). ``fast_width`` is the width of the cheap first pass. ``use_pyzbar`` enables the ZBar
    fallback when pyzbar and libzbar are installed.
    """

    def __init__(
        self,
        formats: Sequence[str] = KIOSK_FORMATS,
        *,
        budget_ms: float = 35.0,
        still_budget_ms: float = 400.0,
        fast_width: int = 640,
        max_regions: int = 3,
        min_transitions: float = 0.75,
        use_pyzbar: bool = True,
        live_order: Sequence[str] = LIVE_ORDER,
        still_order: Sequence[str] = STILL_ORDER,
    ) -> None:
        self.formats = tuple(formats)
        # kept as text (checked here): a zxing-cpp formats object alive at interpreter exit makes nanobind
        # report a leak, so one is made for each call instead (a microsecond)
        self._zx_formats_text = ",".join(self.formats)
        zxingcpp.barcode_formats_from_str(self._zx_formats_text)
        self.budget_ms = float(budget_ms)
        self.still_budget_ms = float(still_budget_ms)
        self.fast_width = int(fast_width)
        self.max_regions = int(max_regions)
        self.min_transitions = float(min_transitions)
        self._zbar = _load_pyzbar(self.formats) if use_pyzbar else None
        self._strategies: dict[str, Callable[[_Work], None]] = {
            "full": self._full,
            "roi_upscale": self._roi_upscale,
            "roi_deskew": self._roi_deskew,
            "roi_contrast": self._roi_contrast,
            "roi_zbar": self._roi_zbar,
            "roi_sharpen": self._roi_sharpen,
            "contrast": self._contrast,
            "zbar": self._zbar_full,
            "upscale": self._upscale,
        }
        unknown = (set(live_order) | set(still_order)) - set(self._strategies)
        if unknown:
            raise ValueError(f"unknown decoder strategies: {sorted(unknown)}")
        usable = [s for s in self._strategies if self._zbar is not None or "zbar" not in s]
        self.live_order = [s for s in live_order if s in usable]
        self.still_order = [s for s in still_order if s in usable]
        self._clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        self._ms_per_mp: dict[str, float] = {}  # measured cost of each kind of step
        self._cursor = 0
        self._sticky: str | None = None  # the recovery that last read something
        self._stale = StaleRegions(patience=len(self.live_order))
        self._lock = threading.Lock()
        self.last_report = DecodeReport()

    # ------------------------------------------------------------------ public

    @property
    def has_pyzbar(self) -> bool:
        """Whether the ZBar fallback is available."""
        return self._zbar is not None

    def decode(self, frame: np.ndarray, *, budget_ms: float | None = None) -> list[DecodedCode]:
        """Codes in a live frame (BGR or grayscale), within ``budget_ms`` (default: the decoder's)."""
        return self._run(frame, self.budget_ms if budget_ms is None else budget_ms, exhaustive=False)

    def decode_still(self, image: np.ndarray, *, budget_ms: float | None = None) -> list[DecodedCode]:
        """Codes in a still image, trying every recovery within a generous budget."""
        return self._run(image, self.still_budget_ms if budget_ms is None else budget_ms, exhaustive=True)

    # ------------------------------------------------------------------ driver

    def _run(self, image: np.ndarray, budget_ms: float, *, exhaustive: bool) -> list[DecodedCode]:
        if image is None or image.size == 0:
            raise ValueError("empty image")
        if image.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit image, got {image.dtype}")
        with self._lock:
            start = time.perf_counter()
            gray = _to_gray(image)
            h, w = gray.shape
            scale = max(1.0, w / self.fast_width)
            small = gray if scale == 1.0 else cv2.resize(gray, (round(w / scale), round(h / scale)), interpolation=cv2.INTER_AREA)
            # zxing-cpp takes grayscale or BGR; anything else is handed over as grayscale.
            original = image if image.ndim == 2 or image.shape[2] == 3 else gray
            work = _Work(original, gray, small, scale, start + budget_ms / 1000.0, exhaustive, DecodeReport())
            seek, seek_scale = (self._plain_pass(work, budget_ms) if exhaustive else self._fast(work))
            work.errors = [e for e in work.errors if not any(_near(e, c.position) for c in work.found.values())]
            work.evidence = find_regions(seek, seek_scale, gray.shape, work.errors, max_regions=self.max_regions, min_transitions=self.min_transitions)
            if not exhaustive:
                work.evidence.regions = self._stale.filter(work.regions, bool(work.found))
            report = work.report
            report.regions = work.regions
            report.evidence = bool(work.errors or work.unexplained())
            if work.evidence_left():
                self._recover(work)
            report.codes = list(work.found.values())
            report.ms = (time.perf_counter() - start) * 1000.0
            self.last_report = report
            if report.codes:
                log.debug("decoded %s in %.1f ms via %s", [c.format for c in report.codes], report.ms, report.strategies)
            return report.codes

    def _fast(self, work: _Work) -> tuple[np.ndarray, float]:
        """The live first pass; returns the picture (and its scale) to look for code regions in."""
        t0 = time.perf_counter()
        # No rotation or inversion: they triple the cost of the empty-frame case, and the
        # recoveries cover them when there is evidence of a code.
        view = _View(work.small, np.diag([work.small_scale, work.small_scale, 1.0]))
        self._zxing(work, view, "fast", try_rotate=False, try_invert=False, return_errors=True)
        work.report.strategies.append("fast")
        work.report.timings_ms.append(round((time.perf_counter() - t0) * 1000.0, 2))
        return work.small, work.small_scale

    def _plain_pass(self, work: _Work, budget_ms: float) -> tuple[np.ndarray, float]:
        """The still first pass: plain zxing-cpp's, so a still is never read worse than by a plain call."""
        t0 = time.perf_counter()
        self._zxing(work, _View(work.original, np.eye(3)), "full", return_errors=True)
        work.report.strategies.append("full")
        work.report.timings_ms.append(round((time.perf_counter() - t0) * 1000.0, 2))
        # The budget is for the recoveries: a 12 MP photo's plain pass alone can take 400 ms.
        work.deadline = time.perf_counter() + budget_ms / 1000.0
        h, w = work.gray.shape
        if w <= 2 * self.fast_width:
            return work.small, work.small_scale
        # Look for small codes in a big photo at a finer scale than the live pass would.
        seek_scale = w / (2 * self.fast_width)
        seek = cv2.resize(work.gray, (round(w / seek_scale), round(h / seek_scale)), interpolation=cv2.INTER_AREA)
        return seek, seek_scale

    def _recover(self, work: _Work) -> None:
        if work.exhaustive:
            order = list(self.still_order)
        else:
            n = len(self.live_order)
            order = [self.live_order[(self._cursor + i) % n] for i in range(n)]
            if self._sticky in order:
                order.remove(self._sticky)
                order.insert(0, self._sticky)
        work.recovery_budget = work.deadline - time.perf_counter()
        last = None
        for name in order:
            if (not work.exhaustive and work.found) or not work.evidence_left():
                break  # live: the customer's code is read; the rest is most likely clutter
            if time.perf_counter() >= work.deadline:
                work.out_of_time_at = work.out_of_time_at or name
                break
            before, steps, t0 = len(work.found), work.steps, time.perf_counter()
            self._strategies[name](work)
            last = name
            if work.steps > steps:
                work.report.strategies.append(name)
                work.report.timings_ms.append(round((time.perf_counter() - t0) * 1000.0, 2))
            if len(work.found) > before and not work.exhaustive:
                self._sticky = name
            work.errors = [e for e in work.errors if not any(_near(e, c.position) for c in work.found.values())]
        if not work.exhaustive and last is not None:
            resume = work.out_of_time_at or last
            self._cursor = (self.live_order.index(resume) + (0 if work.out_of_time_at else 1)) % len(self.live_order)

    def _step(self, work: _Work, name: str, pixels: float, run: Callable[[], None], cost_key: str | None = None) -> bool:
        """Run one step of a recovery if its predicted cost fits what is left of the budget."""
        key = cost_key or name
        predicted = self._predict(key, pixels)
        if predicted > work.deadline - time.perf_counter():
            # A step that could never fit in this frame is skipped for good; one that would fit
            # a fresh frame is where the next frame resumes.
            if predicted <= work.recovery_budget and work.out_of_time_at is None:
                work.out_of_time_at = name
            return False
        t0 = time.perf_counter()
        run()
        ms = (time.perf_counter() - t0) * 1000.0
        rate = ms / max(pixels / 1e6, 1e-3)
        old = self._ms_per_mp.get(key)
        self._ms_per_mp[key] = rate if old is None else 0.7 * old + 0.3 * rate
        work.steps += 1
        return True

    def _predict(self, key: str, pixels: float) -> float:
        """Seconds a step is expected to take: its measured ms per megapixel times its pixels."""
        return self._ms_per_mp.get(key, _INITIAL_MS_PER_MP[key]) * pixels / 1e9

    # ------------------------------------------------------------------ zxing / zbar calls

    def _zxing(self, work: _Work, view: _View, strategy: str, **options: object) -> None:
        opts: dict[str, object] = {"try_rotate": True, "try_invert": True, "try_downscale": True}
        opts.update(options)
        # Plain text mode: an AAMVA licence's control characters must reach the parser as they are.
        results = zxingcpp.read_barcodes(view.image, formats=zxingcpp.barcode_formats_from_str(self._zx_formats_text), text_mode=zxingcpp.TextMode.Plain, **opts)
        for r in results:
            p = r.position
            corners = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y), (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
            if not r.valid:
                if all(x > 0 or y > 0 for x, y in corners):
                    work.errors.append(view.map(corners))
                continue
            code = DecodedCode(r.text, format_name(r.format), view.map(corners), strategy)
            if strategy not in ("fast", "full") and code.format == "PDF417" and _ec_percent(r.ec_level) < 20:
                # With little error correction (AAMVA's minimum is 12 %), a PDF417 decoded from an
                # enlarged or turned crop can be "corrected" into wrong text. Believe it when the
                # same view at another scale reads the same.
                if not self._confirmed(code, view):
                    continue
            self._add(work, code)

    def _confirmed(self, code: DecodedCode, view: _View) -> bool:
        """Whether a weakly protected read comes out the same from the view at another scale.

        (Not from another frame: a wrong correction of the same picture repeats itself.)
        """
        for factor in (0.8, 1.25):
            interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
            again = cv2.resize(view.image, None, fx=factor, fy=factor, interpolation=interpolation)
            texts = {r.text for r in zxingcpp.read_barcodes(again, formats=zxingcpp.BarcodeFormat.PDF417, text_mode=zxingcpp.TextMode.Plain)}
            if code.text in texts:
                return True
        return False

    def _zbar_read(self, work: _Work, view: _View, strategy: str) -> None:
        if self._zbar is None:
            return
        decode, symbols = self._zbar
        for d in decode(view.image, symbols=symbols):
            fmt = zbar_format_name(d.type)
            if fmt not in self.formats:
                continue
            try:
                text = d.data.decode("utf-8")
            except UnicodeDecodeError:
                text = d.data.decode("latin-1")
            pts = np.array([(p.x, p.y) for p in d.polygon], np.float32)
            if len(pts) >= 3:
                box = cv2.boxPoints(cv2.minAreaRect(pts))
            else:
                r = d.rect
                box = np.array([[r.left, r.top], [r.left + r.width, r.top], [r.left + r.width, r.top + r.height], [r.left, r.top + r.height]], np.float32)
            self._add(work, DecodedCode(text, fmt, view.map(_order_corners(box)), strategy))

    def _add(self, work: _Work, code: DecodedCode) -> None:
        if code.format in LINEAR and len(code.text) < 4:
            # Kiosk card codes have at least 4 characters (CONTRIBUTING.md); shorter linear reads
            # are fragments of a partly hidden Code 39 (no check digit) or noise.
            return
        work.found.setdefault(code.key, code)

    # ------------------------------------------------------------------ strategies

    def _full(self, work: _Work) -> None:
        # The original picture, as plain zxing-cpp would be given it, so that a still image is
        # never read worse than by a plain call.
        view = _View(work.original, np.eye(3))
        self._step(work, "full", work.gray.size, lambda: self._zxing(work, view, "full", return_errors=True))

    def _contrast(self, work: _Work) -> None:
        # Live, rotation and inversion are left to "full"; this pass is about light.
        extra = {} if work.exhaustive else {"try_rotate": False, "try_invert": False}
        self._step(work, "contrast", work.gray.size, lambda: self._zxing(work, _View(self._clahe.apply(work.gray), np.eye(3)), "contrast", **extra))

    def _zbar_full(self, work: _Work) -> None:
        self._step(work, "zbar", work.gray.size, lambda: self._zbar_read(work, _View(work.gray, np.eye(3)), "zbar"))

    def _upscale(self, work: _Work) -> None:
        h, w = work.gray.shape
        if w * h > 1_500_000:
            return  # already large; enlarging only costs time

        def run() -> None:
            big = cv2.resize(work.gray, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
            self._zxing(work, _View(big, np.diag([0.5, 0.5, 1.0])), "upscale", try_downscale=False)

        self._step(work, "upscale", 4 * w * h, run)

    def _regions_to_try(self, work: _Work) -> list[Region]:
        return work.unexplained()

    def _roi_upscale(self, work: _Work) -> None:
        frame_area = work.gray.size
        for r in self._regions_to_try(work):
            f = _upscale_factor(r, work.exhaustive)
            if f <= 1.0 and r.area > frame_area / 2:
                continue  # nothing to enlarge: the same picture as the "full" pass
            self._step(work, "roi_upscale", r.area * f * f, lambda r=r, f=f: self._zxing(work, _crop(work.gray, r, f), "roi_upscale", try_downscale=f == 1.0))

    def _roi_deskew(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            work.evidence.orient(r)
            # Parallel edges mean bars; exactly upright or sideways needs no turning (try_rotate).
            if r.coherence < 0.35 or abs(r.angle) < 3.0 or abs(abs(r.angle) - 90.0) < 3.0:
                continue
            f = _upscale_factor(r, work.exhaustive)
            pixels = r.area * f * f * 1.4  # the turned crop sits on a larger canvas
            turned: list[_View] = []
            if not self._step(work, "roi_deskew", pixels, lambda r=r, f=f, out=turned: self._read_turned(work, r, f, out)):
                continue
            if self._zbar is not None and not any(r.overlaps(c.position) for c in work.found.values()):
                view = turned[0]
                self._step(work, "roi_deskew", pixels, lambda v=view: self._zbar_read(work, v, "roi_deskew"), cost_key="roi_deskew_zbar")

    def _read_turned(self, work: _Work, r: Region, factor: float, out: list[_View]) -> None:
        view = _rotated(work.gray[r.y : r.y + r.h, r.x : r.x + r.w], r.angle, factor)
        view.to_frame = _shift(r.x, r.y) @ view.to_frame
        out.append(view)
        self._zxing(work, view, "roi_deskew", try_downscale=False)

    def _roi_contrast(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            f = _upscale_factor(r, work.exhaustive)

            def run(r: Region = r, f: float = f) -> None:
                view = _crop(work.gray, r, f)
                view.image = self._clahe.apply(view.image)
                self._zxing(work, view, "roi_contrast", try_downscale=f == 1.0)

            self._step(work, "roi_contrast", r.area * f * f, run)

    def _roi_sharpen(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            f = _upscale_factor(r, work.exhaustive)

            def run(r: Region = r, f: float = f) -> None:
                view = _crop(work.gray, r, f)
                soft = cv2.GaussianBlur(view.image, (0, 0), 2.0)
                view.image = cv2.addWeighted(view.image, 1.8, soft, -0.8, 0)
                # After sharpening, the edges are steep enough for one threshold; the local one
                # would follow the halos instead.
                self._zxing(work, view, "roi_sharpen", try_downscale=f == 1.0, binarizer=zxingcpp.Binarizer.FixedThreshold)

            self._step(work, "roi_sharpen", r.area * f * f, run)

    def _roi_zbar(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            f = min(2.0, _upscale_factor(r, work.exhaustive))  # ZBar gains little beyond 2x
            self._step(work, "roi_zbar", r.area * f * f, lambda r=r, f=f: self._zbar_read(work, _crop(work.gray, r, f), "roi_zbar"))


# ---------------------------------------------------------------------- helpers

def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _ec_percent(ec_level: str) -> float:
    """zxing-cpp's error-correction level ("12%", "M", "") as a percentage (unknown: trusted)."""
    text = (ec_level or "").strip().rstrip("%")
    try:
        return float(text)
    except ValueError:
        return 100.0


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _upscale_factor(r: Region, still: bool) -> float:
    """Scale a crop toward ~560 px on its long side (900 for stills): enlarge small codes up to
    3x; shrink big ones (a licence filling the frame) so turning and reading them stays cheap."""
    target = 900.0 if still else 560.0
    factor = min(3.0, target / max(r.w, r.h, 1))
    return 1.0 if 0.8 <= factor < 1.25 else factor


def _crop(gray: np.ndarray, r: Region, factor: float) -> _View:
    """The region, enlarged by ``factor`` (bicubic: keeps module edges steep)."""
    crop = gray[r.y : r.y + r.h, r.x : r.x + r.w]
    if factor == 1.0:
        return _View(crop, _shift(r.x, r.y))
    interpolation = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
    big = cv2.resize(crop, (max(1, round(r.w * factor)), max(1, round(r.h * factor))), interpolation=interpolation)
    return _View(big, _shift(r.x, r.y) @ np.diag([1.0 / factor, 1.0 / factor, 1.0]))


def _rotated(crop: np.ndarray, angle_deg: float, factor: float) -> _View:
    """``crop`` turned by ``angle_deg`` and scaled, on a canvas that holds all of it."""
    h, w = crop.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, factor)
    a = math.radians(angle_deg)
    nw = int(factor * (abs(w * math.cos(a)) + abs(h * math.sin(a)))) + 2
    nh = int(factor * (abs(w * math.sin(a)) + abs(h * math.cos(a)))) + 2
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    if factor < 1.0:  # shrink first: warping straight down would alias the modules
        crop = cv2.resize(crop, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        turned = _rotated(crop, angle_deg, 1.0)
        turned.to_frame = np.diag([w / crop.shape[1], h / crop.shape[0], 1.0]) @ turned.to_frame
        return turned
    out = cv2.warpAffine(crop, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return _View(out, np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]])))


def _order_corners(box: np.ndarray) -> list[tuple[float, float]]:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(box, float).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    tl, br, tr, bl = pts[np.argmin(s)], pts[np.argmax(s)], pts[np.argmin(d)], pts[np.argmax(d)]
    return [tuple(tl), tuple(tr), tuple(br), tuple(bl)]


def _near(a: Quad, b: Quad) -> bool:
    ax, ay = zip(*a, strict=True)
    bx, by = zip(*b, strict=True)
    return not (max(ax) < min(bx) or min(ax) > max(bx) or max(ay) < min(by) or min(ay) > max(by))


def _load_pyzbar(formats: Sequence[str]) -> tuple[Callable, list] | None:
    """pyzbar's decode and the ZBar symbol types matching ``formats``; None when not installed."""
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # OSError: the Python package is there, libzbar is not
        log.info("pyzbar fallback not available: %s", exc)
        return None
    # UPC-A is left to ZBar's EAN-13 reader, so both libraries name it EAN13 with 13 digits.
    wanted = {"QRCode": "QRCODE", "EAN13": "EAN13", "UPCA": "EAN13", "EAN8": "EAN8", "Code128": "CODE128", "Code39": "CODE39", "PDF417": "PDF417"}
    symbols = sorted({getattr(pyzbar.ZBarSymbol, wanted[f]) for f in formats if f in wanted}, key=int)
    return (pyzbar.decode, symbols) if symbols else None
