"""Read codes from a frame: a three-stage cascade, the same for stills and for the live scanner.

A frame at a counter usually holds no code, and a frame that holds one is usually read by the
first stage, so the cost is spent where plain zxing-cpp fails:

=======  ==================  =============================================================================
stage 1  ``zxing``           every frame: zxing-cpp limited to the kiosk's formats (each family costs
                             separately), rotation and downscaling on, inversion only in the QR call
stage 2  ``qr_clahe``        only when stage 1 read nothing; QR only, cheap: contrast-limited equalisation
         ``qr_upscale``      (glare, dim rooms), a 2x enlargement of a small picture or of the place where
         ``qr_region``       zxing-cpp found a symbol it could not decode (codes far from the lens);
         ``bar_deskew``      then a barcode or PDF417 held at an angle, turned upright (zxing-cpp's 1D
                             readers scan rows, and a card is rarely held level);
         ``matrix_invert``   stills: a light-on-dark DataMatrix or Aztec
stage 3  ``wechat_zxing``    only when stage 2 failed too: WeChat's learned QR detector (the network
         ``wechat``          alone, :mod:`kiosk.camera.wechat`); only crops scoring >= 0.5 are decoded,
                             first by zxing-cpp on the enlarged crop, then by WeChat's own decoder
=======  ==================  =============================================================================

Stills (:meth:`Decoder.decode_still`, ``kiosk-decode``) run the stages one after the other on
the image. Live (:meth:`Decoder.decode`), stages 1 and 2 run on the scanner's thread, stage 2's
QR retries only on evidence (a symbol zxing-cpp saw but could not decode) and its deskew on every
second failed frame, only on an edge-dense patch with parallel edges, so an empty frame costs stage 1
and, every other frame, an edge test at half width; stage 3 runs in a worker thread for at most every ``wechat_every``-th frame
that read nothing, and what it reads is returned with the next frame's codes (its position is
that of the frame it ran on, a frame or two earlier).

Every zxing-cpp result is kept only when ``valid`` (zxing-cpp 3 also returns invalid placeholders),
and ``is_pure`` is never used on frames (with PDF417 it can crash the process). Text is read in
zxing-cpp's Plain mode, so the control characters of an AAMVA licence reach the parser.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from .events import DecodedCode, Quad
from .regions import find_regions

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
QR_FORMATS = frozenset({"QRCode", "MicroQRCode"})
# Matrix codes that stage 2 also looks for light on dark (stage 1 inverts only for QR: at 12 MP, inverting
# DataMatrix and Aztec too costs as much again as the whole QR call).
INVERTED_RETRY = frozenset({"DataMatrix", "Aztec"})

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

# Which stage each strategy belongs to (kiosk-decode --json shows both).
STAGES: dict[str, int] = {
    "zxing": 1,
    "qr_clahe": 2,
    "qr_upscale": 2,
    "qr_region": 2,
    "bar_deskew": 2,
    "matrix_invert": 2,
    "wechat_zxing": 3,
    "wechat": 3,
}

# Stage 2 enlarges the whole picture only when it is this small (a still from a webcam).
_SMALL_PIXELS = 700_000
# Stage 2/3 work on at most this long a side (a phone photo is 4000 px: its codes are large).
_WORK_SIDE = 1600
# WeChat's boxes sit tight on the code: the crop keeps this much margin around each side.
_CROP_MARGIN = 0.2
# zxing-cpp wants about 2-3 px per module; a crop is brought to this long side before reading.
_CROP_SIDE = 480
_WECHAT_SIDE = 400
# zxing-cpp's tries on a crop around a WeChat box: (long side, filter, binariser), most reads first.
_CROP_VARIANTS = (
    (480, "", zxingcpp.Binarizer.LocalAverage),
    (300, "sharpen", zxingcpp.Binarizer.LocalAverage),
    (300, "clahe", zxingcpp.Binarizer.GlobalHistogram),
    (200, "sharpen", zxingcpp.Binarizer.LocalAverage),
    (120, "", zxingcpp.Binarizer.GlobalHistogram),
    (480, "clahe", zxingcpp.Binarizer.LocalAverage),
)
# Tilted barcodes are looked for at this width, and turned crops brought toward this long side.
_BAR_SIDE = 640
_BAR_CROP_SIDE = 560


def format_name(fmt: object) -> str:
    """The stable, readable name of a zxing-cpp format ("QRCode", "EAN13", ...)."""
    name = getattr(fmt, "name", None) or str(fmt).replace(" ", "").replace("-", "")
    return _FAMILY.get(name, name)


def zbar_format_name(zbar_type: str) -> str:
    """ZBar's type name ("QRCODE", "CODE128") as zxing-cpp names it ("QRCode", "Code128")."""
    return ZBAR_NAMES.get(zbar_type, zbar_type)


def stage_of(strategy: str) -> int | None:
    """The cascade stage (1, 2, 3) a strategy name belongs to."""
    return STAGES.get(strategy)


@dataclass
class DecodeReport:
    """What one call to :meth:`Decoder.decode` or :meth:`Decoder.decode_still` did."""

    codes: list[DecodedCode] = field(default_factory=list)
    stages: list[int] = field(default_factory=list)  # stages that ran on this frame, in order
    timings_ms: dict[int, float] = field(default_factory=dict)  # stage -> ms spent on it
    evidence: bool = False  # zxing-cpp saw a symbol it could not decode
    wechat_queued: bool = False  # live: this frame was handed to the stage 3 worker
    late: int = 0  # live: codes from an earlier frame's stage 3 returned with this one
    ms: float = 0.0

    @property
    def stage(self) -> int | None:
        """The stage that read this frame's first code (None: nothing read)."""
        return min((stage_of(c.strategy) or 0 for c in self.codes), default=None)


@dataclass
class _Frame:
    """One picture being decoded and what the stages found so far."""

    image: np.ndarray  # as given (BGR or gray)
    gray: np.ndarray
    found: dict[tuple[str, str], DecodedCode] = field(default_factory=dict)
    errors: list[np.ndarray] = field(default_factory=list)  # 4x2 corners of symbols zxing saw but could not read


class Decoder:
    """Decodes frames into :class:`DecodedCode` lists; one instance per scanner (thread-safe).

    ``wechat`` False (or models that cannot load) leaves out stage 3; ``wechat_every`` is how
    many failed live frames pass between two stage 3 runs; ``min_score`` gates WeChat's boxes;
    a live stage 3 read is dropped when its frame is more than ``late_seconds`` old by then.
    """

    def __init__(
        self,
        formats: Sequence[str] = KIOSK_FORMATS,
        *,
        wechat: bool = True,
        wechat_every: int = 2,
        min_score: float = 0.5,
        late_seconds: float = 0.3,
    ) -> None:
        self.formats = tuple(formats)
        unknown = [f for f in self.formats if not _known_format(f)]
        if unknown:
            raise ValueError(f"unknown code formats: {unknown}")
        qr = [f for f in self.formats if f in QR_FORMATS]
        # Stage 1 inverts for QR only: that call is cheap (its finder patterns are searched once),
        # while inverting doubles the cost of every other family's reader.
        inverted = qr
        upright = [f for f in self.formats if f not in QR_FORMATS]
        self._inverted_retry_text = ",".join(f for f in self.formats if f in INVERTED_RETRY)
        # what a turned crop is read for: the codes whose readers scan rows (matrix codes turn by themselves)
        self._bars_text = ",".join(f for f in self.formats if f in LINEAR or f == "PDF417")
        # Kept as text: a zxing-cpp formats object alive at interpreter exit makes nanobind
        # report a leak, so one is made for each call instead (a microsecond).
        self._qr_text = ",".join(qr)
        self._inverted_text = ",".join(inverted)
        self._upright_text = ",".join(upright)
        self.wechat_every = max(1, int(wechat_every))
        self.late_seconds = float(late_seconds)
        self._clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        self._wechat = _load_wechat(min_score) if wechat and qr else None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._late: list[tuple[float, DecodedCode]] = []  # (when its frame was queued, code)
        self._late_lock = threading.Lock()
        self._failed = 0  # live frames in a row that read nothing
        self.last_report = DecodeReport()

    # ------------------------------------------------------------------ public

    @property
    def has_wechat(self) -> bool:
        """Whether stage 3 (WeChat's detector) is available."""
        return self._wechat is not None

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        """Codes in a live frame (BGR or grayscale): stage 1, stage 2 on evidence, stage 3 in the worker."""
        work = self._prepare(frame)
        with self._lock:
            start = time.perf_counter()
            report = DecodeReport()
            self._timed(report, 1, lambda: self._stage1(work))
            report.evidence = bool(work.errors)
            if not work.found:
                # the tilted-barcode search takes turns with the stage 3 worker: odd failed frames
                bars = self._failed % 2 == 0
                self._timed(report, 2, lambda: self._stage2(work, whole=False, bars=bars))
            if work.found:
                self._failed = 0
            else:
                self._failed += 1
                if self._wechat is not None and self._failed % self.wechat_every == 0:
                    report.wechat_queued = self._queue_stage3(work)
            codes = list(work.found.values())
            with self._late_lock:
                late, self._late = self._late, []
            known = {c.key for c in codes}
            # A read of a frame from long ago would be reported as seen now: the customer may have
            # taken the code away meanwhile (and the scanner would count a second showing).
            fresh_after = time.monotonic() - self.late_seconds
            extra = [c for queued, c in late if c.key not in known and queued >= fresh_after]
            report.late = len(extra)
            report.codes = codes + extra
            report.ms = (time.perf_counter() - start) * 1000.0
            self.last_report = report
        return report.codes

    def decode_still(self, image: np.ndarray, *, stages: Sequence[int] = (1, 2, 3)) -> list[DecodedCode]:
        """Codes in a still image: each stage in turn until one reads something (``stages``: which may run)."""
        work = self._prepare(image)
        with self._lock:
            start = time.perf_counter()
            report = DecodeReport()
            if 1 in stages:
                self._timed(report, 1, lambda: self._stage1(work))
                report.evidence = bool(work.errors)
            if not work.found and 2 in stages:
                self._timed(report, 2, lambda: self._stage2(work, whole=True))
            if not work.found and 3 in stages and self._wechat is not None:
                self._timed(report, 3, lambda: self._stage3(work))
            report.codes = list(work.found.values())
            report.ms = (time.perf_counter() - start) * 1000.0
            self.last_report = report
        return report.codes

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Live: wait until the stage 3 worker has finished its frame (tests, benchmarks)."""
        pending = self._pending
        if pending is None:
            return True
        try:
            pending.result(timeout)
        except TimeoutError:
            return False
        except Exception:  # logged by the worker
            pass
        return True

    def close(self) -> None:
        """Stop the stage 3 worker (it ends by itself with the process too)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ stages

    def _prepare(self, image: np.ndarray) -> _Frame:
        if image is None or image.size == 0:
            raise ValueError("empty image")
        if image.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit image, got {image.dtype}")
        if image.ndim == 3 and image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return _Frame(image, gray)

    @staticmethod
    def _timed(report: DecodeReport, stage: int, run) -> None:
        t0 = time.perf_counter()
        run()
        report.stages.append(stage)
        report.timings_ms[stage] = round(report.timings_ms.get(stage, 0.0) + (time.perf_counter() - t0) * 1000.0, 2)

    def _stage1(self, work: _Frame) -> None:
        # zxing-cpp takes BGR or gray; gray is what it would make of BGR itself.
        if self._upright_text:
            self._zxing(work, work.gray, self._upright_text, "zxing", try_invert=False, return_errors=True)
        if self._inverted_text:
            self._zxing(work, work.gray, self._inverted_text, "zxing", try_invert=True, return_errors=True)

    def _stage2(self, work: _Frame, *, whole: bool, bars: bool = True) -> None:
        """Cheap retries: QR ones, then tilted barcodes (``bars``). ``whole``: a still, worth retrying whole."""
        if self._qr_text:
            self._stage2_qr(work, whole=whole)
        if not work.found and bars and self._bars_text:
            self._deskew_bars(work, retry=whole)
        if not work.found and whole and self._inverted_retry_text:
            # a light-on-dark DataMatrix or Aztec (a phone in dark mode), on the bounded picture
            gray, scale = _bounded(work.gray, _WORK_SIDE)
            self._zxing(work, cv2.bitwise_not(gray), self._inverted_retry_text, "matrix_invert", to_frame=scale, try_invert=False)

    def _deskew_bars(self, work: _Frame, *, retry: bool) -> None:
        """Linear codes and PDF417 held at an angle: zxing-cpp's 1D readers scan along rows, so a
        barcode tilted by more than a few degrees is turned upright (edge-density regions whose
        edges are parallel, :mod:`kiosk.camera.regions`) and read again."""
        # live, the edge test runs on every frame that read nothing: at half the width it costs a quarter
        small, scale = _bounded(work.gray, _BAR_SIDE if retry else _BAR_SIDE // 2)
        evidence = find_regions(small, scale, work.gray.shape, max_regions=2)
        for r in evidence.regions:
            evidence.orient(r)
            if r.coherence is None or r.coherence < 0.35 or abs(r.angle) < 3.0 or abs(abs(r.angle) - 90.0) < 3.0:
                continue
            factor = min(3.0, _BAR_CROP_SIDE / max(r.w, r.h, 1))
            # zxing-cpp's downscaling helps a blurred bar at the crop's size; a thin one needs more
            # pixels (a still tries that too; live, the next frame is another chance).
            for f in (factor, factor * 1.5) if retry and factor < 2.0 else (factor,):
                view, to_frame = _rotated(work.gray[r.y : r.y + r.h, r.x : r.x + r.w], r.angle, f)
                self._zxing(work, view, self._bars_text, "bar_deskew", matrix=_shift(r.x, r.y) @ to_frame, try_invert=False, try_rotate=False)
                if work.found:
                    return

    def _stage2_qr(self, work: _Frame, *, whole: bool) -> None:
        gray, scale = _bounded(work.gray, _WORK_SIDE)
        if whole:
            self._zxing(work, self._clahe.apply(gray), self._qr_text, "qr_clahe", to_frame=scale, try_invert=True)
            if work.found:
                return
            h, w = gray.shape
            if w * h <= _SMALL_PIXELS:
                big = cv2.resize(gray, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
                self._zxing(work, big, self._qr_text, "qr_upscale", to_frame=scale / 2.0, try_invert=True, try_downscale=False)
                if work.found:
                    return
        for corners in work.errors[:3]:
            self._read_region(work, corners, "qr_region")
            if work.found:
                return

    def _read_region(self, work: _Frame, corners: np.ndarray, strategy: str) -> None:
        """zxing-cpp (QR) on the place a symbol was seen, enlarged 2x, as is then equalised."""
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        crop, ox, oy = _padded_crop(work.gray, x0, y0, x1, y1, 0.25)
        if crop is None:
            return
        h, w = crop.shape
        f = 2.0 if max(w, h) <= _CROP_SIDE else _CROP_SIDE / max(w, h)
        big = cv2.resize(crop, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_CUBIC)
        for picture in (big, self._clahe.apply(big)):
            self._zxing(work, picture, self._qr_text, strategy, to_frame=1.0 / f, offset=(ox, oy), try_invert=True, try_downscale=False)
            if work.found:
                return

    def _stage3(self, work: _Frame) -> None:
        """WeChat's detector alone; crops scoring >= min_score are decoded by zxing-cpp, then WeChat."""
        assert self._wechat is not None
        gray, scale = _bounded(work.gray, _WORK_SIDE)
        wechat_tries = 1  # WeChat's decoder is slow on a crop it cannot read: only the best box gets it
        for box in self._wechat.detect(gray)[:3]:
            crop, ox, oy = _padded_crop(gray, box.x0, box.y0, box.x1, box.y1, _CROP_MARGIN)
            if crop is None:
                continue
            if self._read_crop(work, crop, ox, oy, scale):
                continue
            h, w = crop.shape
            if not 0.6 <= w / h <= 1.67 or wechat_tries == 0:
                continue  # a QR code is square: a long box is a PDF417 or a barcode
            wechat_tries -= 1
            # WeChat's decoder detects again and tries several scales: on a large crop of a false
            # box that took seconds, so it gets the crop at most _WECHAT_SIDE px long.
            g = min(1.0, _WECHAT_SIDE / max(w, h))
            small = crop if g == 1.0 else cv2.resize(crop, (max(1, round(w * g)), max(1, round(h * g))), interpolation=cv2.INTER_AREA)
            for text, pts in self._wechat.decode_crop(small):
                quad = _quad((pts / g + (ox, oy)) * scale)
                self._add(work, DecodedCode(text, "QRCode", quad, "wechat"))

    def _read_crop(self, work: _Frame, crop: np.ndarray, ox: int, oy: int, scale: float) -> bool:
        """zxing-cpp (QR) on a crop around a WeChat box, in the few versions that read most of the
        hard set's crops (each ~1 ms): sizes, sharpening or equalisation, and two binarisers."""
        h, w = crop.shape
        before = len(work.found)
        sized: dict[int, np.ndarray] = {}
        for side, kind, binarizer in _CROP_VARIANTS:
            if side not in sized:
                f = side / max(w, h)
                sized[side] = cv2.resize(crop, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
            picture = sized[side]
            if kind == "sharpen":
                picture = cv2.addWeighted(picture, 1.8, cv2.GaussianBlur(picture, (0, 0), 2.0), -0.8, 0)
            elif kind == "clahe":
                picture = self._clahe.apply(picture)
            f = picture.shape[1] / w
            self._zxing(work, picture, self._qr_text, "wechat_zxing", to_frame=scale / f, offset=(ox * scale, oy * scale), try_invert=True,
                        binarizer=binarizer)
            if len(work.found) > before:
                return True
        return False

    # ------------------------------------------------------------------ live stage 3 worker

    def _queue_stage3(self, work: _Frame) -> bool:
        if self._pending is not None and not self._pending.done():
            return False  # the worker is still on an earlier frame: this one is skipped
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wechat-qr")
        gray = work.gray.copy() if work.gray is work.image else work.gray  # the caller's frame stays untouched
        self._pending = self._pool.submit(self._stage3_job, _Frame(gray, gray), time.monotonic())
        return True

    def _stage3_job(self, work: _Frame, queued: float) -> None:
        try:
            self._stage3(work)
        except Exception:
            log.exception("stage 3 (WeChat) failed")
            return
        if work.found:
            with self._late_lock:
                self._late.extend((queued, c) for c in work.found.values())

    # ------------------------------------------------------------------ zxing-cpp

    def _zxing(
        self,
        work: _Frame,
        picture: np.ndarray,
        formats: str,
        strategy: str,
        *,
        to_frame: float = 1.0,
        offset: tuple[float, float] = (0.0, 0.0),
        matrix: np.ndarray | None = None,
        **options: object,
    ) -> None:
        opts: dict[str, object] = {"try_rotate": True, "try_downscale": True}
        opts.update(options)
        results = zxingcpp.read_barcodes(picture, formats=zxingcpp.barcode_formats_from_str(formats), text_mode=zxingcpp.TextMode.Plain, **opts)
        for r in results:
            p = r.position
            pts = np.array([(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y), (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)], np.float32)
            if matrix is not None:  # a turned picture: its 3x3 transform back to the frame
                pts = (np.hstack([pts, np.ones((4, 1), np.float32)]) @ matrix.T)[:, :2].astype(np.float32)
            else:
                pts = pts * to_frame + np.array(offset, np.float32)
            if not r.valid:
                if strategy == "zxing" and np.any(pts > 0):
                    work.errors.append(pts)
                continue
            self._add(work, DecodedCode(r.text, format_name(r.format), _quad(pts), strategy))

    def _add(self, work: _Frame, code: DecodedCode) -> None:
        if not code.text:
            return
        if code.format in LINEAR and len(code.text) < 4:
            # Kiosk card codes have at least 4 characters (CONTRIBUTING.md); shorter linear reads
            # are fragments of a partly hidden Code 39 (no check digit) or noise.
            return
        work.found.setdefault(code.key, code)


# ---------------------------------------------------------------------- helpers


def _known_format(name: str) -> bool:
    try:
        return bool(zxingcpp.barcode_formats_from_str(name))
    except (ValueError, RuntimeError):
        return False


def _load_wechat(min_score: float):
    from .wechat import ModelError, WeChatQR

    try:
        return WeChatQR(min_score=min_score)
    except ModelError as exc:
        log.warning("stage 3 (WeChat QR detector) is off: %s", exc)
        return None


def _bounded(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``gray`` shrunk so its long side is at most ``side``, and frame pixels per pixel of it."""
    h, w = gray.shape
    if max(h, w) <= side:
        return gray, 1.0
    f = side / max(h, w)
    return cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA), 1.0 / f


def _padded_crop(gray: np.ndarray, x0: float, y0: float, x1: float, y1: float, margin: float) -> tuple[np.ndarray | None, int, int]:
    h, w = gray.shape
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    a, b = max(0, int(x0 - mx)), max(0, int(y0 - my))
    c, d = min(w, int(np.ceil(x1 + mx))), min(h, int(np.ceil(y1 + my)))
    if c - a < 8 or d - b < 8:
        return None, 0, 0
    return gray[b:d, a:c], a, b


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _rotated(crop: np.ndarray, angle_deg: float, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """``crop`` turned by ``angle_deg`` and scaled, on a canvas that holds all of it, and the 3x3
    transform from the turned picture's pixels back to the crop's."""
    h, w = crop.shape
    if factor < 1.0:  # shrink first: warping straight down would alias the modules
        small = cv2.resize(crop, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        turned, back = _rotated(small, angle_deg, 1.0)
        return turned, np.diag([w / small.shape[1], h / small.shape[0], 1.0]) @ back
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, factor)
    a = math.radians(angle_deg)
    nw = int(factor * (abs(w * math.cos(a)) + abs(h * math.sin(a)))) + 2
    nh = int(factor * (abs(w * math.sin(a)) + abs(h * math.cos(a)))) + 2
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    out = cv2.warpAffine(crop, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]]))


def _quad(pts: np.ndarray) -> Quad:
    return tuple((round(float(x), 1), round(float(y), 1)) for x, y in np.asarray(pts).reshape(4, 2))  # type: ignore[return-value]
