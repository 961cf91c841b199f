"""``kiosk-decode``: read codes in still images (or a payload given as text) and say what they mean.

    kiosk-decode [--json] [--stages 1,2,3] IMAGE...
    kiosk-decode [--json] --text PAYLOAD        (``--text -`` reads one payload from stdin)

Images go through the decoder cascade of :mod:`kiosk.camera.decoder`, the same the live scanner
runs. With ``--json`` every image gives one line ``{"path", "codes": [{"format", "text", "identity",
"position", "strategy", "stage"}], "stage", "stage_ms", "ms"}``: ``strategy`` and ``stage`` say which
step of the cascade read each code (1 zxing-cpp, 2 QR retries, 3 WeChat's detector), ``stage`` of the
image the first stage that read anything (null: nothing read), ``stage_ms`` the milliseconds each stage
that ran took. An unreadable image gives ``{"path", "error"}`` and the exit status is 1 once all
images have been tried.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import cv2
import numpy as np

from .decoder import KIOSK_FORMATS, Decoder, stage_of
from .events import DecodedCode

log = logging.getLogger(__name__)


def _identity_parser() -> Callable[[str, str | None], dict[str, Any]] | None:
    """``parse_payload(...).to_dict()`` from counter_core.identity, or None while that package lacks it."""
    try:
        from counter_core.identity import parse_payload
    except ImportError as exc:
        log.warning("counter_core.identity.parse_payload is not available (%s); identities are left out", exc)
        return None
    return lambda text, symbology: parse_payload(text, symbology=symbology).to_dict()


def _code_json(code: DecodedCode, identify: Callable[[str, str | None], dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "format": code.format,
        "text": code.text,
        "identity": identify(code.text, code.format) if identify else None,
        "position": [list(p) for p in code.position],
        "strategy": code.strategy,
        "stage": stage_of(code.strategy),
    }


def _describe(text: str, limit: int = 80) -> str:
    """A payload on one line: control characters shown, long texts cut."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _emit(record: dict[str, Any], as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    path = record["path"] if record["path"] is not None else "text"
    if "error" in record:
        out.write(f"{path}: error: {record['error']}\n")
        return
    if not record["codes"]:
        out.write(f"{path}: no code found ({record['ms']:.0f} ms)\n")
    for code in record["codes"]:
        kind = (code["identity"] or {}).get("kind", "?")
        out.write(f"{path}: {code['format']} [{kind}] {_describe(code['text'])}\n")
    out.flush()


def load_image(path: str) -> np.ndarray:
    """An image as 8-bit BGR, EXIF orientation applied; transparency flattened onto white.

    Raises OSError with a message a person can act on.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"no permission to read {path}")
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"not an image OpenCV can read: {path}")
    if os.path.splitext(path)[1].lower() in (".png", ".webp", ".tif", ".tiff"):
        # A generated code saved with a transparent background would otherwise turn black on black.
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is not None and raw.ndim == 3 and raw.shape[2] == 4:
            if raw.dtype != np.uint8:
                raw = (raw / 257).astype(np.uint8)
            alpha = raw[:, :, 3:4].astype(np.float32) / 255.0
            image = (raw[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return image


def _decode_image(path: str, decoder: Decoder, stages: Sequence[int], identify: Any) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        image = load_image(path)
    except OSError as exc:
        return {"path": path, "error": str(exc), "codes": []}
    codes = decoder.decode_still(image, stages=stages)
    ms = (time.perf_counter() - start) * 1000.0
    report = decoder.last_report
    return {
        "path": path,
        "codes": [_code_json(c, identify) for c in codes],
        "stage": report.stage,
        "stage_ms": {str(k): v for k, v in report.timings_ms.items()},
        "ms": round(ms, 1),
    }


def _text_record(payload: str, from_stdin: bool, symbology: str | None, identify: Any) -> dict[str, Any]:
    start = time.perf_counter()
    code = {"format": "text", "text": payload, "identity": identify(payload, symbology) if identify else None}
    return {"path": "-" if from_stdin else None, "codes": [code], "ms": round((time.perf_counter() - start) * 1000.0, 1)}


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``kiosk-decode``."""
    p = argparse.ArgumentParser(prog="kiosk-decode", description="Decode codes in still images the way the kiosk camera does.")
    p.add_argument("images", nargs="*", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--text", metavar="PAYLOAD", help="parse this payload instead of reading images ('-' reads stdin)")
    p.add_argument("--symbology", default=None, help="with --text: the format the payload came from (e.g. PDF417)")
    p.add_argument("--json", action="store_true", help="one JSON object per image per line")
    p.add_argument("--stages", default="1,2,3", help="cascade stages that may run, e.g. 1 or 1,2 (default 1,2,3)")
    p.add_argument("--formats", default=",".join(KIOSK_FORMATS), help="comma-separated zxing-cpp format names (default: the kiosk's)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what the decoder does")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kiosk-decode``; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.text is None and not args.images:
        build_parser().error("give IMAGE files or --text PAYLOAD")
    # OpenCV's own warnings ("can't open/read file") would repeat our error lines on stderr.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    identify = _identity_parser()
    out = sys.stdout
    if args.text is not None:
        if args.text == "-":
            payload = sys.stdin.buffer.read().decode("utf-8", errors="replace")
            # The shell's echo adds one newline; payloads never end in a bare LF that matters.
            payload = payload.removesuffix("\n")
        else:
            payload = args.text
        _emit(_text_record(payload, args.text == "-", args.symbology, identify), args.json, out)
        return 0
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    try:
        stages = sorted({int(s) for s in args.stages.split(",") if s.strip()})
    except ValueError:
        stages = []
    if not stages or not set(stages) <= {1, 2, 3}:
        build_parser().error(f"--stages: give stage numbers 1, 2 and/or 3 separated by commas, not {args.stages!r}")
    try:
        decoder = Decoder(formats, wechat=3 in stages)
    except (ValueError, RuntimeError) as exc:
        build_parser().error(f"--formats: {exc}")
    status = 0
    for path in args.images:
        try:
            record = _decode_image(path, decoder, stages, identify)
        except Exception as exc:  # one bad file must not stop a batch
            log.debug("decoding %s failed", path, exc_info=True)
            record = {"path": path, "error": f"{type(exc).__name__}: {exc}", "codes": []}
        if "error" in record:
            status = 1
        _emit(record, args.json, out)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
