"""Read codes from a frame: zxing-cpp first, pyzbar as fallback, recoveries within a time budget.

A frame at a counter usually holds no code, so the first pass is cheap: zxing-cpp on a picture
no wider than 640 px, kiosk formats only, no rotation or inversion. Only when there is evidence
of a code (zxing saw a symbol it could not decode, or a patch of dense, strong edges) does the
decoder spend time on recoveries, each aimed at what goes wrong with real frames:

========================  =====================================================================
``roi_upscale``           small codes far from the lens: crop around each candidate region and
                          enlarge it 1.5-3x (zxing wants about 2 px per module)
``roi_deskew``            linear codes and PDF417 held at an angle: turn the crop so the bars
                          stand upright (zxing's 1D readers scan along rows), then enlarge
``roi_contrast``          glare and low light: CLAHE on the enlarged crop
``roi_zbar``              blurred 1D codes and damaged QR: ZBar reads them differently
``full``                  rotated and inverted codes, full resolution (the plain zxing pass)
``contrast``              CLAHE on the whole frame
``zbar``                  ZBar on the whole frame
``upscale``               the whole frame enlarged 2x, when the candidates did not find it
========================  =====================================================================

In live use each frame gets ``budget_ms``: a recovery only starts if its running-average cost
still fits, and the next frame continues the rotation where this one stopped, so a hard code is
attacked from every side over a few frames while each frame stays within budget. A recovery
that read something is tried first on the next frame (the same code is usually still there).
For still images (:meth:`Decoder.decode_still`) the budget is larger and every recovery runs in
order until the codes found explain every candidate region.
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

# Enlarging the whole frame costs as much as everything else together, so it is for stills only.
LIVE_ORDER: tuple[str, ...] = ("roi_upscale", "roi_deskew", "roi_contrast", "roi_zbar", "full", "contrast", "zbar")
STILL_ORDER: tuple[str, ...] = ("full", "roi_upscale", "roi_deskew", "roi_contrast", "roi_zbar", "upscale", "zbar", "contrast")

# First guesses of what each recovery costs (ms per megapixel of the frame) before it has run.
_INITIAL_COST_MS = {
    "fast": 10.0,
    "full": 35.0,
    "roi_upscale": 20.0,
    "roi_deskew": 20.0,
    "roi_contrast": 25.0,
    "roi_zbar": 15.0,
    "contrast": 35.0,
    "zbar": 50.0,
    "upscale": 50.0,
}


def format_name(fmt: object) -> str:
    """The stable, readable name of a zxing-cpp format ("QRCode", "EAN13", ...)."""
    name = getattr(fmt, "name", None) or str(fmt).replace(" ", "").replace("-", "")
    return _FAMILY.get(name, name)


def zbar_format_name(zbar_type: str) -> str:
    """ZBar's type name ("QRCODE", "CODE128") as zxing-cpp names it ("QRCode", "Code128")."""
    return ZBAR_NAMES.get(zbar_type, zbar_type)


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _affine(m: np.ndarray) -> np.ndarray:
    """2×3 → 3×3."""
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


@dataclass
class _View:
    """A processed picture and the 3×3 transform from its pixels back to the frame's."""

    image: np.ndarray
    to_frame: np.ndarray

    def map(self, points: Iterable[tuple[float, float]]) -> Quad:
        pts = np.array([[x, y, 1.0] for x, y in points], float) @ self.to_frame.T
        return tuple((round(float(x), 1), round(float(y), 1)) for x, y in pts[:, :2])  # type: ignore[return-value]


@dataclass
class Region:
    """A candidate area of the frame (frame pixels) that looks like it holds a code."""

    x: int
    y: int
    w: int
    h: int
    score: float
    angle: float | None = None  # dominant gradient direction, degrees (bars are perpendicular to it)
    coherence: float | None = None  # 1 = all edges parallel (a linear code), ~0 = a matrix code or clutter
    cells: tuple[slice, slice] | None = field(default=None, repr=False)  # where it lies in the small picture

    def overlaps(self, quad: Quad) -> bool:
        xs, ys = zip(*quad, strict=True)
        return not (max(xs) < self.x or min(xs) > self.x + self.w or max(ys) < self.y or min(ys) > self.y + self.h)


@dataclass
class DecodeReport:
    """What one call to :meth:`Decoder.decode` did, for logs and benchmarks."""

    codes: list[DecodedCode] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    evidence: bool = False
    ms: float = 0.0


@dataclass
class _Work:
    """Everything one frame's decode shares between strategies."""

    original: np.ndarray
    gray: np.ndarray
    small: np.ndarray
    small_scale: float  # frame pixels per small pixel
    deadline: float
    budget: float  # seconds
    exhaustive: bool
    found: dict[tuple[str, str], DecodedCode] = field(default_factory=dict)
    errors: list[Quad] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    gradients: tuple[np.ndarray, np.ndarray] | None = None  # Sobel x, y of the small picture

    def orient(self, r: Region) -> None:
        """Fill in a region's orientation (only the deskew recovery needs it, so only then)."""
        if r.coherence is not None:
            return
        if r.cells is None or self.gradients is None:
            r.angle, r.coherence = 0.0, 0.0
            return
        gx, gy = (g[r.cells][::2, ::2].astype(np.float32) for g in self.gradients)
        r.angle, r.coherence = _orientation(gx, gy)

    def unexplained(self) -> list[Region]:
        """Candidate regions that no code found so far lies in."""
        return [r for r in self.regions if not any(r.overlaps(c.position) for c in self.found.values())]


class Decoder:
    """Decodes frames into :class:`DecodedCode` lists; one instance per worker thread.

    ``budget_ms`` bounds the live path per frame (soft: a library call in progress is not
    interrupted, but none is started that is not expected to fit). ``fast_width`` is the width
    of the cheap first pass. ``use_pyzbar`` enables the ZBar fallback when pyzbar and libzbar
    are installed.
    """

    def __init__(
        self,
        formats: Sequence[str] = KIOSK_FORMATS,
        *,
        budget_ms: float = 35.0,
        still_budget_ms: float = 400.0,
        fast_width: int = 640,
        max_regions: int = 3,
        use_pyzbar: bool = True,
        live_order: Sequence[str] = LIVE_ORDER,
        still_order: Sequence[str] = STILL_ORDER,
    ) -> None:
        self.formats = tuple(formats)
        self._zx_formats = zxingcpp.barcode_formats_from_str(",".join(self.formats))
        self.budget_ms = float(budget_ms)
        self.still_budget_ms = float(still_budget_ms)
        self.fast_width = int(fast_width)
        self.max_regions = int(max_regions)
        self._zbar = _load_pyzbar(self.formats) if use_pyzbar else None
        self._strategies: dict[str, Callable[[_Work], None]] = {
            "full": self._full,
            "roi_upscale": self._roi_upscale,
            "roi_deskew": self._roi_deskew,
            "roi_contrast": self._roi_contrast,
            "roi_zbar": self._roi_zbar,
            "contrast": self._contrast,
            "zbar": self._zbar_full,
            "upscale": self._upscale,
        }
        unknown = (set(live_order) | set(still_order)) - set(self._strategies)
        if unknown:
            raise ValueError(f"unknown decoder strategies: {sorted(unknown)}")
        self.live_order = [s for s in live_order if s in self._strategies and (self._zbar or "zbar" not in s)]
        self.still_order = [s for s in still_order if s in self._strategies and (self._zbar or "zbar" not in s)]
        self._clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        self._cost: dict[str, float] = {}  # running average ms per strategy (live frames)
        self._cursor = 0
        self._sticky: str | None = None  # the recovery that last read something
        self._region_tries: dict[tuple[int, int, int, int], int] = {}  # live frames each region was tried in
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
            report = DecodeReport()
            gray = _to_gray(image)
            h, w = gray.shape
            scale = max(1.0, w / self.fast_width)
            small = gray if scale == 1.0 else cv2.resize(gray, (round(w / scale), round(h / scale)), interpolation=cv2.INTER_AREA)
            work = _Work(image, gray, small, scale, start + budget_ms / 1000.0, budget_ms / 1000.0, exhaustive)
            self._timed("fast", work, report)
            work.regions = self._find_regions(work)
            if not exhaustive:
                work.regions = self._drop_stale(work.regions, bool(work.found))
            report.regions = work.regions
            report.evidence = bool(work.errors or work.unexplained())
            if report.evidence or (exhaustive and not work.found):
                self._recover(work, report)
            report.codes = list(work.found.values())
            report.ms = (time.perf_counter() - start) * 1000.0
            self.last_report = report
            if report.codes:
                log.debug("decoded %s in %.1f ms via %s", [c.format for c in report.codes], report.ms, report.strategies)
            return report.codes

    def _recover(self, work: _Work, report: DecodeReport) -> None:
        if work.exhaustive:
            order = list(self.still_order)
        else:
            n = len(self.live_order)
            order = [self.live_order[(self._cursor + i) % n] for i in range(n)]
            if self._sticky in order:
                order.remove(self._sticky)
                order.insert(0, self._sticky)
        mp = work.gray.size / 1e6
        for name in order:
            if not work.exhaustive and work.found:
                break  # live: the customer's code is read; the rest is most likely clutter
            if not (work.errors or work.unexplained() or (work.exhaustive and not work.found)):
                break
            remaining = work.deadline - time.perf_counter()
            estimate = self._cost.get(name, _INITIAL_COST_MS[name] * mp) / 1000.0
            if estimate > remaining:
                if work.exhaustive or estimate > work.budget:
                    continue  # never fits (or a cheaper one later may): skip it
                break  # live: resume the rotation here on the next frame
            before = len(work.found)
            self._timed(name, work, report)
            if not work.exhaustive:
                self._cursor = (self.live_order.index(name) + 1) % len(self.live_order)
                if len(work.found) > before:
                    self._sticky = name
            work.errors = [e for e in work.errors if not any(_near(e, c.position) for c in work.found.values())]

    def _timed(self, name: str, work: _Work, report: DecodeReport) -> None:
        t0 = time.perf_counter()
        if name == "fast":
            self._fast(work)
        else:
            self._strategies[name](work)
        ms = (time.perf_counter() - t0) * 1000.0
        report.strategies.append(name)
        if not work.exhaustive:
            old = self._cost.get(name)
            self._cost[name] = ms if old is None else 0.7 * old + 0.3 * ms

    # ------------------------------------------------------------------ evidence

    def _find_regions(self, work: _Work) -> list[Region]:
        """Patches of dense, strong edges in the small picture: where a code may be."""
        small = work.small
        # Stretch contrast first so a dim frame shows its edges too (cheap on a subsample).
        sample = small[::4, ::4]
        lo, hi = np.percentile(sample, (2, 98)) if sample.size else (0, 255)
        if hi - lo < 12:
            return []
        alpha = 255.0 / float(hi - lo)
        # All in OpenCV on uint8/int16: this runs on every frame, so no float temporaries.
        gx = cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3)
        gy = cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3)
        _, strong_x = cv2.threshold(cv2.convertScaleAbs(gx, alpha=alpha), 160, 255, cv2.THRESH_BINARY)
        _, strong_y = cv2.threshold(cv2.convertScaleAbs(gy, alpha=alpha), 160, 255, cv2.THRESH_BINARY)
        cell = 8
        hc, wc = small.shape[0] // cell, small.shape[1] // cell
        if hc < 2 or wc < 2:
            return []
        dx = cv2.resize(strong_x[: hc * cell, : wc * cell], (wc, hc), interpolation=cv2.INTER_AREA)
        dy = cv2.resize(strong_y[: hc * cell, : wc * cell], (wc, hc), interpolation=cv2.INTER_AREA)
        density = (dx.astype(np.float32) + dy.astype(np.float32)) * (1.0 / 255.0)
        work.gradients = (gx, gy)
        mask = (density > 0.22).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        regions: list[Region] = []
        s = work.small_scale * cell
        fh, fw = work.gray.shape
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < 5 or w < 2 or h < 2:
                continue
            score = float(density[y : y + h, x : x + w].sum())
            if score < 3.0:
                continue
            # Bars and finder patterns sit inside a quiet zone; leave room for it and for
            # the parts of the code whose edges were too weak to count.
            mx, my = max(1.5, 0.3 * w), max(1.5, 0.3 * h)
            x0, y0 = max(0, int((x - mx) * s)), max(0, int((y - my) * s))
            x1, y1 = min(fw, int((x + w + mx) * s)), min(fh, int((y + h + my) * s))
            cells = (slice(y * cell, (y + h) * cell), slice(x * cell, (x + w) * cell))
            regions.append(Region(x0, y0, x1 - x0, y1 - y0, score, cells=cells))
        for quad in work.errors:
            # zxing saw a symbol there but could not decode it: the strongest evidence there is.
            xs, ys = zip(*quad, strict=True)
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            if x1 - x0 > 4 and y1 - y0 > 4:
                mx, my = 0.2 * (x1 - x0) + 8, 0.2 * (y1 - y0) + 8
                r = Region(max(0, int(x0 - mx)), max(0, int(y0 - my)), int(x1 - x0 + 2 * mx), int(y1 - y0 + 2 * my), 1e6)
                r.w, r.h = min(r.w, fw - r.x), min(r.h, fh - r.y)
                k = work.small_scale
                r.cells = (slice(int(y0 / k), int(y1 / k) + 1), slice(int(x0 / k), int(x1 / k) + 1))
                regions.append(r)
        regions.sort(key=lambda r: -r.score)
        return regions[: self.max_regions]

    def _drop_stale(self, regions: list[Region], found: bool) -> list[Region]:
        """Leave out regions that stayed put through a whole rotation of recoveries without a read.

        A shelf edge or a poster behind the customer looks like a code to the edge test; once
        every recovery has failed on it, it only costs time until it moves or changes.
        """
        seen: dict[tuple[int, int, int, int], int] = {}
        keep: list[Region] = []
        for r in regions:
            key = (r.x // 24, r.y // 24, r.w // 24, r.h // 24)
            tries = 0 if found else self._region_tries.get(key, 0) + 1
            seen[key] = tries
            if tries <= len(self.live_order):
                keep.append(r)
        self._region_tries = seen  # regions that vanished are forgotten
        return keep

    # ------------------------------------------------------------------ zxing / zbar calls

    def _zxing(self, work: _Work, view: _View, strategy: str, **options: object) -> None:
        opts: dict[str, object] = {"try_rotate": True, "try_invert": True, "try_downscale": True}
        opts.update(options)
        results = zxingcpp.read_barcodes(view.image, formats=self._zx_formats, text_mode=zxingcpp.TextMode.Plain, **opts)
        for r in results:
            pos = r.position
            corners = [(pos.top_left.x, pos.top_left.y), (pos.top_right.x, pos.top_right.y), (pos.bottom_right.x, pos.bottom_right.y), (pos.bottom_left.x, pos.bottom_left.y)]
            if not r.valid:
                if all(x > 0 or y > 0 for x, y in corners):
                    work.errors.append(view.map(corners))
                continue
            self._add(work, DecodedCode(r.text, format_name(r.format), view.map(corners), strategy))

    def _zbar_read(self, work: _Work, view: _View, strategy: str) -> None:
        if self._zbar is None:
            return
        decode, symbols = self._zbar
        for d in decode(view.image, symbols=symbols):
            fmt = zbar_format_name(d.type)
            if fmt not in self.formats and not (fmt == "UPCA" and "EAN13" in self.formats):
                continue
            try:
                text = d.data.decode("utf-8")
            except UnicodeDecodeError:
                text = d.data.decode("latin-1")
            pts = np.array([(p.x, p.y) for p in d.polygon] or [(d.rect.left, d.rect.top)], np.float32)
            if len(pts) >= 3:
                box = cv2.boxPoints(cv2.minAreaRect(pts))
            else:
                r = d.rect
                box = np.array([[r.left, r.top], [r.left + r.width, r.top], [r.left + r.width, r.top + r.height], [r.left, r.top + r.height]], np.float32)
            self._add(work, DecodedCode(text, fmt, view.map(_order_corners(box)), strategy))

    def _add(self, work: _Work, code: DecodedCode) -> None:
        if code.format in LINEAR and len(code.text) < 3:
            return  # one- and two-character linear reads are almost always noise
        work.found.setdefault(code.key, code)

    # ------------------------------------------------------------------ strategies

    def _fast(self, work: _Work) -> None:
        view = _View(work.small, _scale_matrix(work.small_scale))
        # No rotation or inversion here: they triple the cost of the empty-frame case and the
        # recoveries cover them when there is evidence of a code.
        self._zxing(work, view, "fast", try_rotate=False, try_invert=False, return_errors=True)

    def _full(self, work: _Work) -> None:
        # The original picture, as plain zxing-cpp would be given it, so that still images are
        # never read worse than by a plain call.
        self._zxing(work, _View(work.original, np.eye(3)), "full", return_errors=True)

    def _contrast(self, work: _Work) -> None:
        # Live, rotation and inversion are left to "full"; this pass is about light.
        extra = {} if work.exhaustive else {"try_rotate": False, "try_invert": False}
        self._zxing(work, _View(self._clahe.apply(work.gray), np.eye(3)), "contrast", **extra)

    def _zbar_full(self, work: _Work) -> None:
        self._zbar_read(work, _View(work.gray, np.eye(3)), "zbar")

    def _upscale(self, work: _Work) -> None:
        h, w = work.gray.shape
        if w * h > 1_500_000:
            return  # already large; enlarging only costs time
        big = cv2.resize(work.gray, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
        self._zxing(work, _View(big, _scale_matrix(0.5)), "upscale", try_downscale=False)

    def _regions_to_try(self, work: _Work) -> list[Region]:
        return work.unexplained() or ([] if not work.exhaustive else work.regions)

    def _crop(self, work: _Work, r: Region, factor: float | None = None) -> _View:
        crop = work.gray[r.y : r.y + r.h, r.x : r.x + r.w]
        if factor is None:
            factor = _upscale_factor(r, work.exhaustive)
        if factor == 1.0:
            return _View(crop, _shift(r.x, r.y))
        big = cv2.resize(crop, (round(r.w * factor), round(r.h * factor)), interpolation=cv2.INTER_CUBIC)
        return _View(big, _shift(r.x, r.y) @ np.diag([1.0 / factor, 1.0 / factor, 1.0]))

    def _roi_upscale(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            if self._out_of_time(work):
                return
            self._zxing(work, self._crop(work, r), "roi_upscale", try_downscale=False)

    def _roi_deskew(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            if self._out_of_time(work):
                return
            work.orient(r)
            if r.coherence < 0.35:
                continue
            # Bars are perpendicular to the gradient; turn the crop so they stand upright.
            if abs(r.angle) < 3.0 or abs(abs(r.angle) - 90.0) < 3.0:
                continue  # already upright (or exactly sideways, which try_rotate covers)
            crop = work.gray[r.y : r.y + r.h, r.x : r.x + r.w]
            factor = _upscale_factor(r, work.exhaustive)
            view = _rotated(crop, r.angle, factor)
            view.to_frame = _shift(r.x, r.y) @ view.to_frame
            self._zxing(work, view, "roi_deskew", try_downscale=False)
            if self._zbar is not None and not self._out_of_time(work):
                self._zbar_read(work, view, "roi_deskew")

    def _roi_contrast(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            if self._out_of_time(work):
                return
            view = self._crop(work, r)
            view.image = self._clahe.apply(view.image)
            self._zxing(work, view, "roi_contrast", try_downscale=False)

    def _roi_zbar(self, work: _Work) -> None:
        for r in self._regions_to_try(work):
            if self._out_of_time(work):
                return
            self._zbar_read(work, self._crop(work, r, min(2.0, _upscale_factor(r, work.exhaustive))), "roi_zbar")

    def _out_of_time(self, work: _Work) -> bool:
        return time.perf_counter() > work.deadline


# ---------------------------------------------------------------------- helpers

def _scale_matrix(s: float) -> np.ndarray:
    return np.diag([s, s, 1.0])


def _upscale_factor(r: Region, still: bool) -> float:
    """Enlarge small crops toward ~600 px (more for stills) but never more than 3x."""
    target = 900.0 if still else 560.0
    factor = min(3.0, target / max(r.w, r.h, 1))
    return 1.0 if factor < 1.25 else factor


def _rotated(crop: np.ndarray, angle_deg: float, factor: float) -> _View:
    """``crop`` turned by ``angle_deg`` and scaled, on a canvas that holds all of it."""
    h, w = crop.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, factor)
    a = math.radians(angle_deg)
    nw = int(factor * (abs(w * math.cos(a)) + abs(h * math.sin(a)))) + 2
    nh = int(factor * (abs(w * math.sin(a)) + abs(h * math.cos(a)))) + 2
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    out = cv2.warpAffine(crop, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return _View(out, np.linalg.inv(_affine(m)))


def _orientation(gx: np.ndarray, gy: np.ndarray) -> tuple[float, float]:
    """Dominant gradient angle (degrees, image coordinates) and how coherent it is (0..1)."""
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    total = jxx + jyy
    if total <= 0:
        return 0.0, 0.0
    angle = 0.5 * math.degrees(math.atan2(2.0 * jxy, jxx - jyy))
    coherence = math.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy) / total
    return angle, coherence


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
    wanted = {"QRCode": "QRCODE", "EAN13": "EAN13", "UPCA": "EAN13", "EAN8": "EAN8", "Code128": "CODE128", "Code39": "CODE39", "PDF417": "PDF417"}
    symbols = sorted({getattr(pyzbar.ZBarSymbol, wanted[f]) for f in formats if f in wanted}, key=int)
    return (pyzbar.decode, symbols) if symbols else None
