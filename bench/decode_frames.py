"""Decode time per frame and read rate of kiosk.camera's decoder against plain zxing-cpp and pyzbar.

Prints (never asserts):

1. milliseconds per live frame (median, p95) at 640×480 and 1280×720 for frames with no code,
   one ordinary code, and one hard code, next to one plain ``zxingcpp.read_barcodes`` call;
2. the read rate on the hard set (``--count`` varied degraded frames, fixed ``--seed``) for the
   still path (what ``kiosk-decode`` does), the live path (one frame, and the same picture held
   for three frames), plain zxing-cpp with its defaults, and plain pyzbar, by format and by
   degradation, with the number of wrong texts each reported.

    .venv/bin/python bench/decode_frames.py [--count 300] [--seed 2024] [--frames 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402
from pyzbar import pyzbar  # noqa: E402

from kiosk.camera import synthetic  # noqa: E402
from kiosk.camera.decoder import Decoder  # noqa: E402

SIZES = ((640, 480), (1280, 720))


def plain_zxing(image: np.ndarray) -> set[str]:
    """One call with zxing-cpp's defaults. Its default text mode shows control characters as
    <LF> etc.; the raw bytes are taken instead so the baseline is not penalised for that."""
    texts = set()
    for r in zxingcpp.read_barcodes(image):
        try:
            texts.add(r.bytes.decode("utf-8"))
        except UnicodeDecodeError:
            texts.add(r.text)
    return texts


def plain_pyzbar(image: np.ndarray) -> set[str]:
    """One call with pyzbar's defaults."""
    return {d.data.decode("utf-8", errors="replace") for d in pyzbar.decode(image)}


def percentiles(ms: list[float]) -> str:
    return f"median {statistics.median(ms):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms"


def timing(frames: int, seed: int) -> None:
    print("== Live decode time per frame (budget 35 ms; first calls are warm-up and not counted)")
    rng = np.random.default_rng(seed)
    for size in SIZES:
        scale = size[0] / 640
        sets: dict[str, list[np.ndarray]] = {
            "no code": [synthetic.empty_frame(seed=rng, size=size).image for _ in range(frames)],
            "one code": [
                synthetic.make_frame([synthetic.SAMPLE_PAYLOADS["card_url"]], seed=rng, size=size, code_px=160 * scale, degradations={"noise": 3, "jpeg": 80}).image
                for _ in range(frames)
            ],
            "hard code": [synthetic.hard_frame(rng, size).image for _ in range(frames)],
        }
        warm = Decoder()
        for image in sets["one code"][:3]:
            warm.decode(image)
            plain_zxing(image)
        for name, images in sets.items():
            decoder = Decoder()
            ours, plain = [], []
            for image in images:
                t = time.perf_counter()
                decoder.decode(image)
                ours.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                plain_zxing(image)
                plain.append((time.perf_counter() - t) * 1000)
            print(f"  {size[0]}x{size[1]} {name:10s} decoder {percentiles(ours)}    plain zxing-cpp {percentiles(plain)}")


def read_rate(count: int, seed: int) -> None:
    print(f"\n== Read rate on the hard set ({count} frames, 640x480, seed {seed})")
    items = list(synthetic.hard_set(count, seed=seed))
    still, live = Decoder(), Decoder()

    def held(image: np.ndarray) -> set[str]:
        # The same picture in view for three live frames (a customer holds a card ~0.4 s).
        texts: set[str] = set()
        for _ in range(3):
            texts |= {c.text for c in live.decode(image)}
        return texts

    readers: dict[str, Callable[[np.ndarray], set[str]]] = {
        "decoder still (kiosk-decode)": lambda im: {c.text for c in still.decode_still(im)},
        "decoder live, 1 frame": lambda im: {c.text for c in live.decode(im)},
        "decoder live, held 3 frames": held,
        "plain zxing-cpp": plain_zxing,
        "plain pyzbar": plain_pyzbar,
    }
    totals: dict[str, int] = defaultdict(int)
    wrong: dict[str, int] = defaultdict(int)
    ms: dict[str, list[float]] = defaultdict(list)
    by_format: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    by_kind: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    codes = 0
    for item in items:
        kinds = sorted(k for k in item.degradations if k not in ("jpeg", "noise")) or ["small/tilted/plain"]
        for name, read in readers.items():
            t = time.perf_counter()
            texts = read(item.image)
            ms[name].append((time.perf_counter() - t) * 1000)
            wrong[name] += len(texts - item.texts)
            for code in item.codes:
                hit = code.text in texts
                totals[name] += hit
                by_format[code.format][name][0] += hit
                by_format[code.format][name][1] += 1
                for kind in kinds:
                    by_kind[kind][name][0] += hit
                    by_kind[kind][name][1] += 1
        codes += len(item.codes)
    for name in readers:
        print(f"  {name:30s} {totals[name]:4d}/{codes} = {100 * totals[name] / codes:5.1f} %   wrong texts {wrong[name]:3d}   {percentiles(ms[name])}")
    short = dict(zip(readers, ("still", "live 1 frame", "live held 3", "zxing-cpp", "pyzbar"), strict=True))
    header = "".join(f"{short[n]:>16s}" for n in readers)
    for title, table in (("format", by_format), ("degradation", by_kind)):
        print(f"\n  by {title:18s}{header}")
        for key in sorted(table):
            row = "".join(f"{table[key][n][0]:>12d}/{table[key][n][1]:<3d}" for n in readers)
            print(f"  {key:21s}{row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="hard-set size (default 300)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--frames", type=int, default=40, help="frames per timing case (default 40)")
    args = parser.parse_args()
    from importlib.metadata import version

    print(f"zxing-cpp {version('zxing-cpp')}, opencv {version('opencv-python-headless')}, pyzbar fallback: {Decoder().has_pyzbar}")
    timing(args.frames, args.seed)
    read_rate(args.count, args.seed)


if __name__ == "__main__":
    main()
