"""The code images the arm64 check gives ``kiosk-decode``, and the check of what it read.

    python codes.py make DIR                 writes DIR/qr.png, DIR/datamatrix.png, DIR/pdf417.png
    python codes.py check DIR DECODED.jsonl  compares kiosk-decode --json output with what was drawn

Run on the host with the project's .venv (scripts/arm64-check.sh): the images are drawn by
kiosk.camera.synthetic (segno and zxing-cpp's writer, a card or paper held in front of a room,
noise and JPEG), the same generator the decoder tests use; the decoding happens in the root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2

from kiosk.camera import synthetic

P = synthetic.SAMPLE_PAYLOADS
# name: (payload, frame options): one of each two-dimensional symbology a customer holds up.
IMAGES = {
    "qr": (P["card_url"], {"seed": 1, "code_px": 150, "degradations": {"noise": 3, "jpeg": 80}}),
    "datamatrix": (P["se_licence"], {"seed": 2, "code_px": 160, "carrier": "paper", "degradations": {"noise": 2, "jpeg": 90}}),
    "pdf417": (P["aamva"], {"seed": 5, "code_px": 175 * 2.6, "carrier": "paper", "degradations": {"noise": 2, "jpeg": 90}}),
}
FORMATS = {"qr": "QRCode", "datamatrix": "DataMatrix", "pdf417": "PDF417"}


def make(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (payload, options) in IMAGES.items():
        frame = synthetic.make_frame([payload], **options)
        cv2.imwrite(str(folder / f"{name}.png"), frame.image)
    print(f"{len(IMAGES)} code images in {folder}")
    return 0


def check(folder: Path, decoded: Path) -> int:
    lines = [json.loads(line) for line in decoded.read_text().splitlines() if line.strip()]
    by_name = {Path(line["path"]).stem: line for line in lines}
    failures = 0
    for name, ((text, _fmt), _options) in IMAGES.items():
        line = by_name.get(name)
        codes = [(c["format"], c["text"]) for c in (line or {}).get("codes", [])]
        wanted = (FORMATS[name], text)
        if line is None or "error" in line or codes != [wanted]:
            failures += 1
            print(f"  {name}: expected {wanted[0]} {wanted[1]!r}, got {line!r}")
            continue
        identity = (line["codes"][0].get("identity") or {}).get("kind", "?")
        print(f"  {name}: {wanted[0]} read in {line['ms']:.0f} ms (identity: {identity})")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "make":
        return make(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "check":
        return check(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
