"""Where in a frame a code may be: the cheap evidence that decides whether recoveries run.

A code is a compact patch packed with strong edges and frequent light/dark changes. Lines,
shelf edges and card borders have strong edges too, but only one or two cells thick and with
few changes, so they are filtered out; the common empty frame then costs about a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .events import Quad

CELL = 8  # px of the small picture per density cell


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

    @property
    def area(self) -> int:
        """Pixels covered."""
        return self.w * self.h

    def overlaps(self, quad: Quad) -> bool:
        """Whether a decoded code's corners fall on this region."""
        xs, ys = zip(*quad, strict=True)
        return not (max(xs) < self.x or min(xs) > self.x + self.w or max(ys) < self.y or min(ys) > self.y + self.h)


@dataclass
class Evidence:
    """The regions of one frame and the gradients they were found with (reused for deskewing)."""

    regions: list[Region]
    gradients: tuple[np.ndarray, np.ndarray] | None = None

    def orient(self, r: Region) -> None:
        """Fill in a region's orientation; only the deskew recovery needs it, so only then."""
        if r.coherence is not None:
            return
        if r.cells is None or self.gradients is None:
            r.angle, r.coherence = 0.0, 0.0
            return
        gx, gy = (g[r.cells][::2, ::2].astype(np.float32) for g in self.gradients)
        r.angle, r.coherence = orientation(gx, gy)


def find_regions(
    small: np.ndarray,
    small_scale: float,
    frame_shape: tuple[int, int],
    errors: Sequence[Quad] = (),
    *,
    max_regions: int = 3,
    min_transitions: float = 0.75,
) -> Evidence:
    """Candidate regions in frame pixels, strongest first; ``errors`` are symbols zxing saw but could not read."""
    fh, fw = frame_shape
    regions: list[Region] = []
    gradients = None
    # Stretch contrast first so a dim frame shows its edges too (percentiles of a subsample).
    sample = small[::4, ::4]
    lo, hi = np.percentile(sample, (2, 98)) if sample.size else (0.0, 255.0)
    hc, wc = small.shape[0] // CELL, small.shape[1] // CELL
    if hi - lo >= 12 and hc >= 2 and wc >= 2:
        alpha = 255.0 / float(hi - lo)
        # All in OpenCV on uint8/int16: this runs on every frame, so no float temporaries.
        gx = cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3)
        gy = cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3)
        gradients = (gx, gy)
        _, strong_x = cv2.threshold(cv2.convertScaleAbs(gx, alpha=alpha), 160, 255, cv2.THRESH_BINARY)
        _, strong_y = cv2.threshold(cv2.convertScaleAbs(gy, alpha=alpha), 160, 255, cv2.THRESH_BINARY)
        dx = cv2.resize(strong_x[: hc * CELL, : wc * CELL], (wc, hc), interpolation=cv2.INTER_AREA)
        dy = cv2.resize(strong_y[: hc * CELL, : wc * CELL], (wc, hc), interpolation=cv2.INTER_AREA)
        density = (dx.astype(np.float32) + dy.astype(np.float32)) * (1.0 / 255.0)
        mask = (density > 0.22).astype(np.uint8)
        # Opening removes what is only one or two cells thick: lines, shelf edges, card borders.
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        s = small_scale * CELL
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < 5 or w < 2 or h < 2:
                continue
            score = float(density[y : y + h, x : x + w].sum())
            cells = (slice(y * CELL, (y + h) * CELL), slice(x * CELL, (x + w) * CELL))
            if score < 3.0:
                continue
            # Only the component's own cells count: a tilted barcode's box is mostly background.
            own = cv2.resize((labels[y : y + h, x : x + w] == i).astype(np.uint8), (w * CELL, h * CELL), interpolation=cv2.INTER_NEAREST)
            if transitions(small[cells], own) < min_transitions:
                continue
            # Bars and finder patterns sit inside a quiet zone; leave room for it and for the
            # parts of the code whose edges were too weak to count.
            mx, my = max(1.5, 0.3 * w), max(1.5, 0.3 * h)
            x0, y0 = max(0, int((x - mx) * s)), max(0, int((y - my) * s))
            x1, y1 = min(fw, int((x + w + mx) * s)), min(fh, int((y + h + my) * s))
            regions.append(Region(x0, y0, x1 - x0, y1 - y0, score, cells=cells))
    for quad in errors:
        # zxing saw a symbol there but could not decode it: the strongest evidence there is.
        xs, ys = zip(*quad, strict=True)
        x0, x1, y0, y1 = max(0.0, min(xs)), min(float(fw), max(xs)), max(0.0, min(ys)), min(float(fh), max(ys))
        if x1 - x0 > 4 and y1 - y0 > 4:
            mx, my = 0.2 * (x1 - x0) + 8, 0.2 * (y1 - y0) + 8
            rx, ry = max(0, int(x0 - mx)), max(0, int(y0 - my))
            r = Region(rx, ry, min(fw, int(x1 + mx)) - rx, min(fh, int(y1 + my)) - ry, 1e6)
            k = small_scale
            r.cells = (slice(int(y0 / k), int(y1 / k) + 1), slice(int(x0 / k), int(x1 / k) + 1))
            regions.append(r)
    regions.sort(key=lambda r: -r.score)
    return Evidence(regions[:max_regions], gradients)


class StaleRegions:
    """Forgets regions that stayed put through a whole rotation of recoveries without a read.

    A poster or a keyboard behind the customer can pass the edge test; once every recovery has
    failed on it, it only costs time, until it moves or changes.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self._tries: dict[tuple[int, int, int, int], int] = {}

    def filter(self, regions: list[Region], found: bool) -> list[Region]:
        """The regions still worth trying in this frame."""
        seen: dict[tuple[int, int, int, int], int] = {}
        keep: list[Region] = []
        for r in regions:
            key = (r.x // 24, r.y // 24, r.w // 24, r.h // 24)
            tries = 0 if found else self._tries.get(key, 0) + 1
            seen[key] = tries
            if tries <= self.patience:
                keep.append(r)
        self._tries = seen  # regions that vanished are forgotten
        return keep


def transitions(patch: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Light/dark changes per 8 px along the busier axis (within ``mask``): a code has many,
    a crossing of lines few."""
    h, w = patch.shape[:2]
    if h < 2 or w < 2:
        return 0.0
    _, binary = cv2.threshold(patch, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    rows = binary[:, 1:] != binary[:, :-1]
    cols = binary[1:, :] != binary[:-1, :]
    if mask is None:
        area = h * w
    else:
        rows, cols = rows & (mask[:, 1:] > 0), cols & (mask[1:, :] > 0)
        area = max(int(np.count_nonzero(mask)), 1)
    return max(np.count_nonzero(rows), np.count_nonzero(cols)) * 8.0 / area


def orientation(gx: np.ndarray, gy: np.ndarray) -> tuple[float, float]:
    """Dominant gradient angle (degrees, image coordinates) and how coherent it is (0..1): the structure tensor."""
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    total = jxx + jyy
    if total <= 0:
        return 0.0, 0.0
    angle = 0.5 * math.degrees(math.atan2(2.0 * jxy, jxx - jyy))
    coherence = math.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy) / total
    return angle, coherence
