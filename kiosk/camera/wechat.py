"""WeChat's learned QR detector (opencv-contrib's ``wechat_qrcode``), run gated and on crops.

The four Caffe model files ship in ``kiosk/camera/models/`` (Apache-2.0, see NOTICE.md there)
and are checked against their SHA-256 before OpenCV reads them.

Calling ``WeChatQRCode.detectAndDecode`` on a whole frame runs the detector, then tries to
decode every box it found, however unlikely, with a super-resolution net and several
binarisers: on a frame with no code that can take seconds. So the cascade's third stage runs
the detector network alone (:meth:`WeChatQR.detect`, ~10 ms at 640x480 here), keeps the boxes
whose score is at least ``min_score``, and only then decodes those crops (:meth:`decode_crop`),
where WeChat's own decoder works on a small picture.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

MODEL_SHA256 = {
    "detect.prototxt": "e8acfc395caf443a47f15686a9b9207b36cb8f7e6ceb8fbaf6466665e68a9466",
    "detect.caffemodel": "cc49b8c9babaf45f3037610fe499df38c8819ebda29e90ca9f2e33270f6ef809",
    "sr.prototxt": "8ae41acba97e8b4a8e741ee350481e49b8e01d787193f470a4c95ee1c02d5b61",
    "sr.caffemodel": "e5d36889d8e6ef2f1c1f515f807cec03979320ac81792cd8fb927c31fd658ae3",
}

# The detector's input is the frame scaled to about this many pixels (WeChat's own choice).
DETECT_AREA = 400 * 400


class ModelError(RuntimeError):
    """The WeChat models are missing, altered, or this OpenCV cannot run them."""


@dataclass(frozen=True)
class Box:
    """A detected QR code: pixel rectangle in the frame and the network's score (0..1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def models_dir() -> Path:
    """The folder holding the shipped model files."""
    return Path(str(resources.files("kiosk.camera") / "models"))


def verify_models(folder: Path | None = None) -> dict[str, Path]:
    """The four model paths, each checked against its SHA-256; raises ModelError otherwise."""
    folder = folder or models_dir()
    paths: dict[str, Path] = {}
    for name, want in MODEL_SHA256.items():
        path = folder / name
        try:
            got = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelError(f"WeChat QR model {path} cannot be read: {exc}") from exc
        if got != want:
            raise ModelError(f"WeChat QR model {path} has SHA-256 {got}, expected {want}: not the shipped file")
        paths[name] = path
    return paths


def available() -> bool:
    """Whether this OpenCV has the contrib ``wechat_qrcode`` module (and Caffe import)."""
    return hasattr(cv2, "wechat_qrcode_WeChatQRCode") and hasattr(cv2, "dnn")


class WeChatQR:
    """The WeChat detector network alone, plus WeChat's decoder for crops. Thread-safe (one lock)."""

    def __init__(self, folder: Path | None = None, *, min_score: float = 0.5) -> None:
        if not available():
            raise ModelError("this OpenCV has no wechat_qrcode module: install opencv-contrib-python-headless==4.14.*")
        paths = verify_models(folder)
        self.min_score = float(min_score)
        try:
            self._net = cv2.dnn.readNetFromCaffe(str(paths["detect.prototxt"]), str(paths["detect.caffemodel"]))
            # Given a crop, WeChat detects again on that small picture (cheap) and decodes what it
            # finds; measured here, that is faster than making it take the whole crop as the code.
            self._decoder = cv2.wechat_qrcode_WeChatQRCode(
                str(paths["detect.prototxt"]), str(paths["detect.caffemodel"]), str(paths["sr.prototxt"]), str(paths["sr.caffemodel"])
            )
        except cv2.error as exc:  # OpenCV 5 reads only ONNX models for wechat_qrcode
            raise ModelError(f"OpenCV {cv2.__version__} cannot load the WeChat Caffe models: {exc}") from exc
        self._lock = threading.Lock()

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Boxes scoring at least ``min_score`` in a grayscale picture, best first, in its pixels."""
        h, w = gray.shape[:2]
        ratio = math.sqrt(w * h / DETECT_AREA)
        dw, dh = max(1, round(w / ratio)), max(1, round(h / ratio))
        small = cv2.resize(gray, (dw, dh), interpolation=cv2.INTER_AREA if ratio > 1 else cv2.INTER_CUBIC)
        blob = cv2.dnn.blobFromImage(small, 1.0 / 255.0, (dw, dh), 0, swapRB=False, crop=False)
        with self._lock:
            self._net.setInput(blob, "data")
            out = self._net.forward("detection_output")
        boxes = []
        for row in out.reshape(-1, 7):
            label, score = int(row[1]), float(row[2])
            if label != 1 or score < self.min_score:
                continue
            x0, y0, x1, y1 = (float(np.clip(v, 0.0, 1.0)) for v in row[3:7])
            if x1 - x0 <= 0 or y1 - y0 <= 0:
                continue
            boxes.append(Box(x0 * w, y0 * h, x1 * w, y1 * h, score))
        boxes.sort(key=lambda b: -b.score)
        return boxes

    def decode_crop(self, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """WeChat's decoder on a small crop: (text, 4x2 corners in the crop's pixels) per code.

        A payload that is not UTF-8 makes the Python binding raise UnicodeDecodeError; that crop
        then gives nothing here (zxing-cpp, which runs first, reads such codes as bytes).
        """
        with self._lock:
            try:
                texts, points = self._decoder.detectAndDecode(image)
            except UnicodeDecodeError:
                log.debug("WeChat decoded a payload that is not UTF-8; left to zxing-cpp")
                return []
            except cv2.error as exc:
                log.debug("WeChat decoder failed on a crop: %s", exc)
                return []
        return [(t, np.asarray(p, np.float32).reshape(4, 2)) for t, p in zip(texts, points, strict=False) if t]
