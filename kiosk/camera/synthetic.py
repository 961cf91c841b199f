"""Synthetic camera frames with codes in them, for the tests, the benchmarks and the demo video.

Codes are drawn exactly (segno for QR, zxing-cpp's writer for the rest), printed on a card or
shown on a phone, held in a hand in front of a room, seen in perspective, and then put through
what a cheap webcam does to them: blur, noise, glare, low light, screen moiré, downscaling and
JPEG. Everything takes a seed so a set of frames is the same on every run.

Run ``python -m kiosk.camera.synthetic demo-video OUT --payload TEXT ...`` to write the demo
video, or ``hard-set DIR`` to write the benchmark's hard images with their expected texts.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import segno
import zxingcpp

log = logging.getLogger(__name__)

# What the demo camera shows: the card of backoffice/demo.py's customer 100001 (Scan ID → Welcome),
# then the vCard of somebody new (Scan ID → a registration for the cashier).
DEMO_CARD_URL = "http://127.0.0.1:8000/c/DEMO-00000001"
DEMO_VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nyström;Nina;;;\r\nFN:Nina Nyström\r\nTEL;TYPE=cell:+46 70 999 88 77\r\n"
    "EMAIL:nina.nystrom@example.se\r\nEND:VCARD\r\n"
)
DEMO_PAYLOADS = (DEMO_CARD_URL, DEMO_VCARD)


def ean13(first12: str) -> str:
    """Append the EAN-13 check digit to twelve digits."""
    digits = [int(c) for c in first12]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return first12 + str((10 - total % 10) % 10)


SAMPLE_PAYLOADS: dict[str, tuple[str, str]] = {
    # name: (text, format) -- one of each kind of code a customer may hold up.
    "card_url": (DEMO_CARD_URL, "QRCode"),
    "vcard": (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Andersson;Anna;;;\r\nFN:Anna Andersson\r\n"
        "TEL;TYPE=CELL:+46701234567\r\nEMAIL:anna.andersson@example.se\r\nEND:VCARD\r\n",
        "QRCode",
    ),
    "mecard": ("MECARD:N:Berg,Erik;TEL:+46709876543;EMAIL:erik@example.se;;", "QRCode"),
    "aamva": (
        "@\n\x1e\rANSI 636014090002DL00410266ZC03070024DL"
        "DAQD1234562\nDCSSAMPLE\nDACJOHN\nDADQ\nDBB19700115\nDBA20300115\nDBC1\n"
        "DAG2570 24TH STREET\nDAIANYTOWN\nDAJCA\nDAK958240000  \nDCGUSA\r"
        "ZCZCAGRN\nZCBBRN\r",
        "PDF417",
    ),
    "se_licence": ("SE;19701063-2391;ANDERSSON;ANNA;20300115;B", "DataMatrix"),
    "card_code": ("MEMBER-7KQ2M9XD", "Code128"),
    "ean_card": (ean13("735001234567"), "EAN13"),
    "aztec_ticket": ("TICKET-2024-000123", "Aztec"),
    "code39_card": ("C39-100234", "Code39"),
    "ean8_card": ("96385074", "EAN8"),
    "micro_qr": ("100234", "MicroQRCode"),
}

LINEAR_FORMATS = frozenset({"EAN13", "EAN8", "UPCA", "Code128", "Code39"})
SKIN_TONES = ((120, 150, 200), (95, 125, 180), (70, 100, 150), (60, 80, 120), (150, 175, 220))


# --------------------------------------------------------------------------- symbols

def render_symbol(text: str | bytes, fmt: str = "QRCode", module_px: int = 4, inverted: bool = False) -> np.ndarray:
    """Draw a code (dark on light, with its quiet zone) as a grayscale image, ``module_px`` per module."""
    module_px = max(1, int(module_px))
    if fmt in ("QRCode", "MicroQRCode"):
        maker = segno.make_qr if fmt == "QRCode" else segno.make_micro
        qr = maker(text, error="m") if fmt == "QRCode" else maker(text)
        border = 4 if fmt == "QRCode" else 2
        dark = np.array(list(qr.matrix_iter(scale=1, border=border)), dtype=bool)
        img = np.where(dark, 0, 255).astype(np.uint8)
        img = np.kron(img, np.ones((module_px, module_px), np.uint8))
    else:
        barcode = zxingcpp.create_barcode(text, zxingcpp.barcode_format_from_str(fmt))
        img = np.asarray(barcode.to_image(scale=module_px, add_quiet_zones=True)).copy()
        if fmt in LINEAR_FORMATS:
            # zxing draws linear codes 50 px tall per scale; a printed barcode is flatter.
            img = img[: max(24, img.shape[0] * 3 // 5)]
    return 255 - img if inverted else img


# --------------------------------------------------------------------------- scenes

def background(size: tuple[int, int], rng: np.random.Generator, kind: str = "room") -> np.ndarray:
    """A plausible thing behind the code: a dim room, a desk, or a hand close to the lens."""
    w, h = size
    small = (max(4, w // 40), max(4, h // 40))
    base = np.array(
        {
            "room": rng.uniform(40, 120, 3),
            "desk": rng.uniform(110, 190, 3),
            "hand": np.array(SKIN_TONES[rng.integers(len(SKIN_TONES))], float) * rng.uniform(0.6, 1.0),
        }[kind]
    )
    # Low-frequency light falloff and colour blotches, as an out-of-focus scene looks.
    luma = rng.normal(0, 22, (small[1], small[0], 1))
    blotches = luma + rng.normal(0, 6, (small[1], small[0], 3))
    img = base + cv2.resize(blotches, size, interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    vignette = 1.0 - 0.45 * ((xx - cx) ** 2 + (yy - cy) ** 2) / float(w * w + h * h)
    img = img * vignette[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    if kind in ("room", "desk"):
        # Some straight edges (shelves, a door, a laptop) so the frame is not featureless.
        for _ in range(int(rng.integers(2, 7))):
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            colour = tuple(int(c) for c in rng.uniform(20, 230, 3))
            cv2.line(img, p1, p2, colour, int(rng.integers(2, 12)), cv2.LINE_AA)
        for _ in range(int(rng.integers(0, 3))):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            colour = tuple(int(c) for c in rng.uniform(20, 230, 3))
            cv2.rectangle(img, (x, y), (x + int(rng.integers(30, 200)), y + int(rng.integers(30, 160))), colour, -1)
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(1.5, 4.0)))
    else:
        img = cv2.GaussianBlur(img, (0, 0), 6.0)
    return img


def _card(symbol: np.ndarray, fmt: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Print a symbol on a membership card; returns the card (BGR) and the symbol's corners on it."""
    sh, sw = symbol.shape
    if fmt in LINEAR_FORMATS or fmt == "PDF417":
        cw = int(sw / rng.uniform(0.70, 0.85))
        ch = max(int(cw * 0.63), sh + cw // 5)
        x0, y0 = (cw - sw) // 2, ch - sh - int(ch * 0.06)
    else:
        ch = int(sh / rng.uniform(0.55, 0.75))
        cw = max(int(ch * 1.58), sw + ch // 6)
        x0, y0 = cw - sw - int(cw * 0.05), (ch - sh) // 2
    paper = int(rng.integers(225, 252))
    card = np.full((ch, cw, 3), paper, np.uint8)
    band = tuple(int(c) for c in rng.uniform(30, 200, 3))
    cv2.rectangle(card, (0, 0), (cw, max(2, ch // 7)), band, -1)
    # Printed lines of text on the free side, so the card has edges that are not a code.
    if fmt in LINEAR_FORMATS or fmt == "PDF417":
        area = (cw // 12, ch // 7 + ch // 12, cw - cw // 12, y0 - ch // 20)
    else:
        area = (cw // 12, ch // 7 + ch // 12, x0 - cw // 20, ch - ch // 10)
    line_h = max(1, ch // 28)
    y = area[1]
    while y + line_h < area[3] and area[2] - area[0] > 8:
        x_end = area[0] + int((area[2] - area[0]) * rng.uniform(0.4, 1.0))
        cv2.rectangle(card, (area[0], y), (x_end, y + line_h), (70, 70, 70), -1)
        y += line_h * 3
    sym_bgr = cv2.cvtColor(symbol, cv2.COLOR_GRAY2BGR)
    # Printing is never pure black on pure white.
    ink, white = int(rng.integers(10, 50)), paper
    sym_bgr = (ink + sym_bgr.astype(np.float32) / 255.0 * (white - ink)).astype(np.uint8)
    card[y0 : y0 + sh, x0 : x0 + sw] = sym_bgr
    corners = np.array([[x0, y0], [x0 + sw, y0], [x0 + sw, y0 + sh], [x0, y0 + sh]], np.float32)
    return card, corners


def _phone(symbol: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Show a symbol full width on a phone screen in a dark body."""
    sh, sw = symbol.shape
    margin = max(4, sw // 10)
    scr_w, scr_h = sw + 2 * margin, int((sw + 2 * margin) * rng.uniform(1.6, 2.0))
    bezel = max(3, sw // 14)
    body = np.full((scr_h + 2 * bezel, scr_w + 2 * bezel, 3), int(rng.integers(10, 45)), np.uint8)
    tint = np.array([rng.uniform(230, 255), rng.uniform(225, 250), rng.uniform(215, 245)])
    screen = np.ones((scr_h, scr_w, 3)) * tint
    y0 = (scr_h - sh) // 2
    screen[y0 : y0 + sh, margin : margin + sw] = symbol[..., None].astype(np.float32) / 255.0 * tint
    body[bezel : bezel + scr_h, bezel : bezel + scr_w] = screen.astype(np.uint8)
    x, y = bezel + margin, bezel + y0
    corners = np.array([[x, y], [x + sw, y], [x + sw, y + sh], [x, y + sh]], np.float32)
    return body, corners


def _project(rect_w: float, rect_h: float, center: tuple[float, float], tilt: tuple[float, float, float], focal: float) -> np.ndarray:
    """Where the corners of a flat rectangle land when it is turned by ``tilt`` (radians about x, y, z)."""
    ax, ay, az = tilt
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    pts = np.array([[-rect_w / 2, -rect_h / 2, 0], [rect_w / 2, -rect_h / 2, 0], [rect_w / 2, rect_h / 2, 0], [-rect_w / 2, rect_h / 2, 0]])
    pts = pts @ (rz @ ry @ rx).T
    z = pts[:, 2] + focal
    return np.stack([center[0] + focal * pts[:, 0] / z, center[1] + focal * pts[:, 1] / z], axis=1).astype(np.float32)


def _paste(frame: np.ndarray, carrier: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp ``carrier`` onto ``quad`` of ``frame`` with anti-aliased edges; returns the homography."""
    ch, cw = carrier.shape[:2]
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad)
    h, w = frame.shape[:2]
    warped = cv2.warpPerspective(carrier, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = mask.astype(np.float32)[..., None] / 255.0
    frame[:] = (warped * alpha + frame * (1.0 - alpha)).astype(np.uint8)
    return m


def _thumb(frame: np.ndarray, quad: np.ndarray, code_quad: np.ndarray, rng: np.random.Generator) -> None:
    """Draw a thumb over a corner of the card that is away from the code."""
    code_c = code_quad.mean(axis=0)
    corner = max(range(4), key=lambda i: float(np.linalg.norm(quad[i] - code_c)))
    c = quad[corner]
    inward = quad.mean(axis=0) - c
    size = float(np.linalg.norm(quad[1] - quad[0])) * rng.uniform(0.12, 0.2)
    centre = c + inward * 0.12
    angle = math.degrees(math.atan2(inward[1], inward[0]))
    tone = tuple(int(v) for v in SKIN_TONES[rng.integers(len(SKIN_TONES))])
    cv2.ellipse(frame, (int(centre[0]), int(centre[1])), (int(size * 1.6), int(size)), angle, 0, 360, tone, -1, cv2.LINE_AA)


# --------------------------------------------------------------------------- degradations

def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Out of focus: Gaussian blur."""
    return cv2.GaussianBlur(img, (0, 0), sigma)


def motion_blur(img: np.ndarray, length: int, angle_deg: float) -> np.ndarray:
    """A hand that moves during the exposure."""
    length = max(2, int(length))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))


def noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise."""
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


def glare(img: np.ndarray, center: tuple[float, float], radius: float, strength: float) -> np.ndarray:
    """A specular highlight from a lamp on a glossy card or screen; saturates at its core."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-(((xx - center[0]) ** 2) / (2 * radius**2) + ((yy - center[1]) ** 2) / (2 * (radius * 0.6) ** 2)))
    return np.clip(img + (strength * 255.0) * spot[..., None], 0, 255).astype(np.uint8)


def low_light(img: np.ndarray, gain: float, rng: np.random.Generator, read_noise: float = 2.5) -> np.ndarray:
    """A dim room: few photons, so a dark picture with visible noise and coarse levels."""
    dark = img.astype(np.float32) * gain
    return np.clip(dark + rng.normal(0, read_noise, img.shape), 0, 255).astype(np.uint8)


def moire(img: np.ndarray, period: float, amplitude: float, angle_deg: float) -> np.ndarray:
    """Beating between a screen's pixel grid and the sensor's: soft diagonal bands."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = math.radians(angle_deg)
    wave = 0.5 + 0.5 * np.sin(2 * math.pi * (xx * math.cos(a) + yy * math.sin(a)) / period)
    return np.clip(img * (1.0 - amplitude * wave)[..., None], 0, 255).astype(np.uint8)


def downscale(img: np.ndarray, factor: float) -> np.ndarray:
    """A lower-resolution sensor upscaled by the driver: detail is lost, size stays."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """MJPG compression, as a USB webcam sends it."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


# --------------------------------------------------------------------------- frames

@dataclass
class PlacedCode:
    """A code drawn into a synthetic frame and where it ended up."""

    text: str
    format: str
    corners: np.ndarray  # 4×2 float32, frame coordinates


@dataclass
class SyntheticFrame:
    """A generated frame with the codes it contains and the degradations applied."""

    image: np.ndarray
    codes: list[PlacedCode] = field(default_factory=list)
    degradations: dict[str, float] = field(default_factory=dict)

    @property
    def texts(self) -> set[str]:
        """The texts a perfect decoder would read."""
        return {c.text for c in self.codes}


def place_code(
    frame: np.ndarray,
    text: str,
    fmt: str,
    rng: np.random.Generator,
    *,
    code_px: float,
    center: tuple[float, float] | None = None,
    carrier: str = "card",
    tilt_deg: float = 20.0,
    inverted: bool = False,
    thumb: bool = True,
) -> PlacedCode:
    """Draw a code about ``code_px`` pixels wide, on a card or phone, into ``frame`` (in place)."""
    h, w = frame.shape[:2]
    # Draw at roughly twice the final size, then shrink smoothly: a camera integrates light over
    # each pixel, so shrinking must average (INTER_AREA) rather than pick samples.
    probe = render_symbol(text, fmt, 1)
    module_px = max(1, math.ceil(2.0 * code_px / probe.shape[1]))
    symbol = render_symbol(text, fmt, module_px)
    if carrier == "phone":
        # Inverted on a phone is an app in dark mode: light modules on a dark screen.
        board, sym_corners = _phone(255 - symbol if inverted else symbol, rng)
    elif carrier == "paper":
        board = cv2.cvtColor(255 - symbol if inverted else symbol, cv2.COLOR_GRAY2BGR)
        sh, sw = symbol.shape
        sym_corners = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    else:
        board, sym_corners = _card(symbol, fmt, rng)
        if inverted:
            board = 255 - board  # a dark card printed with a light code
    scale = code_px / float(symbol.shape[1])
    bw, bh = board.shape[1] * scale, board.shape[0] * scale
    shrink = min(1.0, 1.5 * scale)
    old_h, old_w = board.shape[:2]
    board = cv2.resize(board, (max(2, int(old_w * shrink)), max(2, int(old_h * shrink))), interpolation=cv2.INTER_AREA)
    sym_corners = sym_corners * np.float32([board.shape[1] / old_w, board.shape[0] / old_h])
    t = math.radians(tilt_deg)
    tilt = (rng.uniform(-t, t), rng.uniform(-t, t), rng.uniform(-math.pi / 8, math.pi / 8))
    if center is None:
        # Anywhere the whole card stays in the picture (centred when it cannot).
        q0 = _project(bw, bh, (0.0, 0.0), tilt, focal=2.0 * w)
        lo, hi = -q0.min(axis=0), np.array([w, h], np.float32) - q0.max(axis=0)
        center = tuple(float(rng.uniform(a, b)) if a < b else float(n / 2) for a, b, n in zip(lo, hi, (w, h), strict=True))
    quad = _project(bw, bh, center, tilt, focal=2.0 * w)
    m = _paste(frame, board, quad)
    code_quad = cv2.perspectiveTransform(sym_corners[None], m)[0]
    if thumb and carrier != "paper":
        _thumb(frame, quad, code_quad, rng)
    return PlacedCode(text=text, format=fmt, corners=code_quad)


def degrade(img: np.ndarray, degradations: dict[str, float], rng: np.random.Generator, focus: tuple[float, float] | None = None, focus_size: float = 100.0) -> np.ndarray:
    """Apply named degradations in the order a camera would: optics, light, sensor, encoder."""
    d = degradations
    if "glare" in d and focus is not None:
        offset = rng.uniform(-0.35, 0.35, 2) * focus_size
        img = glare(img, (focus[0] + offset[0], focus[1] + offset[1]), focus_size * rng.uniform(0.25, 0.45), d["glare"])
    if "moire" in d:
        img = moire(img, period=rng.uniform(5, 14), amplitude=d["moire"], angle_deg=rng.uniform(0, 180))
    if "blur" in d:
        img = blur(img, d["blur"])
    if "motion" in d:
        img = motion_blur(img, int(d["motion"]), rng.uniform(0, 180))
    if "low_light" in d:
        img = low_light(img, d["low_light"], rng)
    if "downscale" in d:
        img = downscale(img, d["downscale"])
    if "noise" in d:
        img = noise(img, d["noise"], rng)
    if "jpeg" in d:
        img = jpeg(img, int(d["jpeg"]))
    return img


def make_frame(
    codes: Sequence[tuple[str, str]],
    *,
    seed: int | np.random.Generator = 0,
    size: tuple[int, int] = (640, 480),
    code_px: float | Sequence[float] = 180.0,
    carrier: str = "card",
    scene: str | None = None,
    inverted: bool = False,
    tilt_deg: float = 20.0,
    degradations: dict[str, float] | None = None,
) -> SyntheticFrame:
    """A frame holding ``codes`` ((text, format) pairs) side by side, then degraded."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    w, h = size
    img = background(size, rng, scene or str(rng.choice(["room", "desk", "hand"])))
    sizes = [code_px] * len(codes) if isinstance(code_px, int | float) else list(code_px)
    placed = []
    for i, ((text, fmt), px) in enumerate(zip(codes, sizes, strict=True)):
        if len(codes) == 1:
            center = None
        else:  # spread several codes over the width so they do not overlap
            center = ((i + 0.5) / len(codes) * w, rng.uniform(0.4, 0.6) * h)
        placed.append(
            place_code(img, text, fmt, rng, code_px=px, center=center, carrier=carrier, tilt_deg=tilt_deg, inverted=inverted)
        )
    degradations = dict(degradations or {})
    focus = tuple(placed[0].corners.mean(axis=0)) if placed else (w / 2, h / 2)
    focus_size = float(np.ptp(placed[0].corners[:, 0])) if placed else w / 4
    img = degrade(img, degradations, rng, focus=focus, focus_size=focus_size)
    return SyntheticFrame(image=img, codes=placed, degradations=degradations)


def empty_frame(*, seed: int | np.random.Generator = 0, size: tuple[int, int] = (640, 480), scene: str | None = None, degradations: dict[str, float] | None = None) -> SyntheticFrame:
    """A frame with no code in it (the common case at a counter)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    img = background(size, rng, scene or str(rng.choice(["room", "desk", "hand"])))
    degradations = dict(degradations or {"noise": 3.0, "jpeg": 85})
    return SyntheticFrame(image=degrade(img, degradations, rng), degradations=degradations)


# --------------------------------------------------------------------------- sets

_HARD_KINDS = ("small", "blur", "glare", "low_light", "moire", "inverted", "noise_jpeg", "tilt", "two_codes", "motion")


def hard_frame(rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> SyntheticFrame:
    """One frame a plain single decode often misses: small, blurred, glared, dim, moiré, inverted..."""
    names = list(SAMPLE_PAYLOADS)
    weights = np.array([5, 3, 1, 3, 1, 2, 2, 1, 1, 1, 1], float)
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    text, fmt = SAMPLE_PAYLOADS[name]
    kinds = list(rng.choice(_HARD_KINDS, size=int(rng.integers(1, 3)), replace=False))
    scale = size[0] / 640.0
    # Module counts differ a lot between formats, so size the code by how big its modules come out.
    modules = render_symbol(text, fmt, 1).shape[1]
    module_px = rng.uniform(2.0, 3.2) if fmt not in LINEAR_FORMATS else rng.uniform(1.6, 2.6)
    if "small" in kinds:
        module_px = rng.uniform(1.1, 1.7) if fmt not in LINEAR_FORMATS else rng.uniform(1.0, 1.4)
    code_px = min(modules * module_px * scale, size[0] * 0.8)
    d: dict[str, float] = {"jpeg": float(rng.integers(70, 92)), "noise": float(rng.uniform(1.5, 4.0))}
    if "blur" in kinds:
        d["blur"] = float(rng.uniform(0.9, 1.8)) * scale
    if "motion" in kinds:
        d["motion"] = float(rng.integers(3, 7)) * scale
    if "glare" in kinds:
        d["glare"] = float(rng.uniform(0.5, 1.1))
    if "low_light" in kinds:
        d["low_light"] = float(rng.uniform(0.08, 0.2))
    if "moire" in kinds:
        d["moire"] = float(rng.uniform(0.25, 0.5))
    if "noise_jpeg" in kinds:
        d["noise"] = float(rng.uniform(6, 12))
        d["jpeg"] = float(rng.integers(30, 55))
    codes = [(text, fmt)]
    px: list[float] = [code_px]
    if "two_codes" in kinds:
        other = SAMPLE_PAYLOADS[names[rng.integers(len(names))]]
        if other[0] != text:
            codes.append(other)
            other_modules = render_symbol(other[0], other[1], 1).shape[1]
            px.append(min(other_modules * rng.uniform(1.8, 3.0) * scale, size[0] * 0.4))
            px[0] = min(px[0], size[0] * 0.4)
    # Two codes are two stickers side by side; two cards would cover each other.
    carrier = "paper" if len(codes) > 1 else "phone" if "moire" in kinds else str(rng.choice(["card", "card", "phone", "paper"]))
    return make_frame(
        codes,
        seed=rng,
        size=size,
        code_px=px,
        carrier=carrier,
        inverted="inverted" in kinds,
        tilt_deg=40.0 if "tilt" in kinds else 15.0,
        degradations=d,
    )


def hard_set(count: int = 300, seed: int = 2024, size: tuple[int, int] = (640, 480)) -> Iterator[SyntheticFrame]:
    """A fixed, varied set of hard frames (the same on every run for a given seed)."""
    for index in range(count):
        yield hard_set_frame(index, seed, size)


def hard_set_frame(index: int, seed: int = 2024, size: tuple[int, int] = (640, 480)) -> SyntheticFrame:
    """Frame ``index`` of :func:`hard_set`, without making the ones before it."""
    return hard_frame(np.random.default_rng((seed, index)), size)


# --------------------------------------------------------------------------- video

def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float = 15.0) -> Path:
    """Write BGR frames to ``path``: MJPG in .avi (what USB webcams send), mp4v in .mp4.

    FFmpeg's MJPG encoder runs at its own fixed quality: about 22 kB per 640×480 frame.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = "mp4v" if path.suffix.lower() in (".mp4", ".m4v", ".mov") else "MJPG"
    writer: cv2.VideoWriter | None = None
    count = 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), float(fps), (w, h))
                if not writer.isOpened():
                    raise OSError(f"cannot write video {path} with codec {fourcc}")
            writer.write(frame)
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError("no frames to write")
    log.info("wrote %d frames to %s (%d bytes)", count, path, path.stat().st_size)
    return path


# ((text, format) or None for no code, seconds[, code width in px])
Segment = tuple[tuple[str, str] | None, float] | tuple[tuple[str, str] | None, float, float]


def clip_frames(
    segments: Sequence[Segment],
    *,
    size: tuple[int, int] = (640, 480),
    fps: float = 15.0,
    code_px: float | None = None,
    degradations: dict[str, float] | None = None,
    seed: int = 7,
) -> Iterator[np.ndarray]:
    """Frames of a counter: for each segment, either nobody (None) or a card held up, swaying.

    ``degradations`` are applied to every frame with fresh noise, as a camera would.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    scene = background(size, rng, "room")
    d = dict(degradations or {"noise": 2.0})
    for code, seconds, *width in segments:
        count = round(seconds * fps)
        if code is None:
            for _ in range(count):
                yield degrade(scene, d, rng, focus=(w / 2, h / 2), focus_size=min(w, h) / 3)
            continue
        text, fmt = code
        held = scene.copy()
        px = width[0] if width else code_px or min(w, h) * 0.42
        placed = place_code(held, text, fmt, rng, code_px=px, center=(w * 0.5, h * 0.5), tilt_deg=12.0)
        focus = tuple(float(v) for v in placed.corners.mean(axis=0))
        focus_size = float(np.ptp(placed.corners[:, 0]))
        for i in range(count):
            # A hand is never still: a slow sway of a few pixels.
            dx, dy = 4.0 * math.sin(i / fps * 2.1), 3.0 * math.cos(i / fps * 1.7)
            moved = cv2.warpAffine(held, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h), borderMode=cv2.BORDER_REPLICATE)
            yield degrade(moved, d, rng, focus=focus, focus_size=focus_size)


def demo_frames(
    payloads: Sequence[str],
    *,
    size: tuple[int, int] = (640, 480),
    fps: float = 10.0,
    empty_seconds: float = 2.0,
    code_seconds: float = 3.0,
    fmt: str = "QRCode",
    seed: int = 7,
) -> Iterator[np.ndarray]:
    """Frames that alternate an empty counter with a card held up for each payload, in turn."""
    segments: list[Segment] = []
    for text in payloads:
        segments += [(None, empty_seconds), ((text, fmt), code_seconds)]
    return clip_frames(segments, size=size, fps=fps, seed=seed)


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kiosk.camera.synthetic`` — write the demo video or the hard image set."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.camera.synthetic", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-video", help="a short looping video alternating empty frames and each payload")
    demo.add_argument("out", type=Path)
    demo.add_argument("--payload", action="append", default=[], help="text of a code to show (repeatable)")
    demo.add_argument("--format", default="QRCode", help="zxing-cpp format name of the codes (default QRCode)")
    demo.add_argument("--fps", type=float, default=10.0)
    demo.add_argument("--size", type=_size, default=(640, 480), help="WIDTHxHEIGHT (default 640x480)")
    hard = sub.add_parser("hard-set", help="write the hard benchmark images and labels.jsonl into a folder")
    hard.add_argument("out", type=Path)
    hard.add_argument("--count", type=int, default=300)
    hard.add_argument("--seed", type=int, default=2024)
    hard.add_argument("--size", type=_size, default=(640, 480))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "demo-video":
        payloads = args.payload or list(DEMO_PAYLOADS)
        write_video(demo_frames(payloads, size=args.size, fps=args.fps, fmt=args.format), args.out, fps=args.fps)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        with open(args.out / "labels.jsonl", "w", encoding="utf-8") as labels:
            for i, item in enumerate(hard_set(args.count, args.seed, args.size)):
                name = f"hard-{i:04d}.png"
                cv2.imwrite(str(args.out / name), item.image)
                labels.write(json.dumps({"path": name, "texts": sorted(item.texts), "degradations": item.degradations}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
