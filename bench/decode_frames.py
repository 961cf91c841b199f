"""Read rate and time per frame of kiosk.camera's decoder cascade, against plain zxing-cpp, stage by stage.

Prints (never asserts), at 640x480 and at 1280x720 in one run:

1. on the hard set (``--count`` varied degraded frames of synthetic.hard_set, fixed ``--seed``): for
   plain ``zxingcpp.read_barcodes`` with its defaults, stage 1 alone, stages 1-2, the still cascade
   (stages 1-3, what ``kiosk-decode`` runs) and the live cascade (the same picture held for three
   frames, stage 3 in its worker): codes read, wrong texts, mean and p95 ms per frame (live: the time
   on the scanner's thread), and which stage read what;
2. on frames with no code (``--empty`` of them): median and p95 ms for the same readers.

    .venv/bin/python bench/decode_frames.py [--count 300] [--empty 60] [--seed 2024]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402

from kiosk.camera import synthetic  # noqa: E402
from kiosk.camera.decoder import Decoder, stage_of  # noqa: E402

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


def ms_summary(ms: list[float]) -> str:
    return f"mean {statistics.fmean(ms):6.1f}  median {statistics.median(ms):6.1f}  p95 {np.percentile(ms, 95):6.1f} ms"


class Live:
    """The live cascade as the scanner runs it: the same picture held for ``frames`` frames; only the
    time on the scanner's thread counts (stage 3 runs in the decoder's worker between frames)."""

    def __init__(self, frames: int = 3) -> None:
        self.decoder = Decoder()
        self.frames = frames
        self.frame_ms: list[float] = []
        self.stages: Counter[str] = Counter()

    def __call__(self, image: np.ndarray) -> set[str]:
        texts: set[str] = set()
        for _ in range(self.frames):
            t = time.perf_counter()
            codes = self.decoder.decode(image)
            self.frame_ms.append((time.perf_counter() - t) * 1000)
            for c in codes:
                if c.text not in texts:
                    self.stages[c.strategy] += 1
                texts.add(c.text)
            self.decoder.wait_idle()  # a camera's next frame comes ~100 ms later
            if texts:
                break
        return texts


def read_rate(size: tuple[int, int], count: int, seed: int) -> None:
    items = list(synthetic.hard_set(count, seed=seed, size=size))
    codes = sum(len(item.codes) for item in items)
    still = Decoder()
    live = Live()
    readers: dict[str, Callable[[np.ndarray], set[str]]] = {
        "plain zxing-cpp": plain_zxing,
        "stage 1": lambda im: {c.text for c in still.decode_still(im, stages=(1,))},
        "stages 1-2": lambda im: {c.text for c in still.decode_still(im, stages=(1, 2))},
        "still cascade 1-3": lambda im: {c.text for c in still.decode_still(im)},
        "live cascade, held 3": live,
    }
    print(f"\n== {size[0]}x{size[1]}: hard set, {len(items)} frames, {codes} codes (seed {seed})")
    for image in (items[0].image, items[1].image):  # warm-up: first calls load and allocate
        for read in readers.values():
            read(image)
    live.frame_ms.clear()
    live.stages.clear()
    strategies: Counter[str] = Counter()
    stage_ms: dict[int, list[float]] = defaultdict(list)
    for name, read in readers.items():
        hits = wrong = 0
        ms: list[float] = []
        for item in items:
            t = time.perf_counter()
            texts = read(item.image)
            ms.append((time.perf_counter() - t) * 1000)
            hits += len(texts & item.texts)
            wrong += len(texts - item.texts)
            if name == "still cascade 1-3":
                report = still.last_report
                strategies.update(c.strategy for c in report.codes if c.text in item.texts)
                for stage, spent in report.timings_ms.items():
                    stage_ms[stage].append(spent)
        if name.startswith("live"):
            ms = live.frame_ms  # per frame on the scanner's thread, not per held picture
        print(f"  {name:22s} {hits:4d}/{codes} = {100 * hits / codes:5.1f} %   wrong {wrong:3d}   {ms_summary(ms)}")
    print("  still cascade, reads by strategy: " + ", ".join(f"{s} (stage {stage_of(s)}) {n}" for s, n in strategies.most_common()))
    for stage in sorted(stage_ms):
        spent = stage_ms[stage]
        print(f"  stage {stage}: ran on {len(spent):3d} frames, {ms_summary(spent)}")
    print("  live cascade, reads by strategy: " + ", ".join(f"{s} {n}" for s, n in live.stages.most_common()))


def no_code(size: tuple[int, int], count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = [synthetic.empty_frame(seed=rng, size=size, scene=("room", "hand", "desk")[i % 3]).image for i in range(count)]
    still, live = Decoder(), Decoder()
    readers: dict[str, Callable[[np.ndarray], object]] = {
        "plain zxing-cpp": plain_zxing,
        "stage 1": lambda im: still.decode_still(im, stages=(1,)),
        "live cascade (per frame)": live.decode,
        "still cascade 1-3": still.decode_still,
    }
    print(f"\n== {size[0]}x{size[1]}: {count} frames with no code")
    for read in readers.values():
        read(frames[0])
    for name, read in readers.items():
        ms = []
        for image in frames:
            t = time.perf_counter()
            read(image)
            ms.append((time.perf_counter() - t) * 1000)
            if read is live.decode:
                live.wait_idle()  # the worker's detector runs between frames, as with a camera
        print(f"  {name:26s} {ms_summary(ms)}")
    live.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="hard-set frames per size (default 300)")
    parser.add_argument("--empty", type=int, default=60, help="frames with no code per size (default 60)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    from importlib.metadata import version

    import cv2

    print(f"zxing-cpp {version('zxing-cpp')}, OpenCV {cv2.__version__}, WeChat stage 3: {Decoder().has_wechat}, {cv2.getNumThreads()} OpenCV threads")
    for size in SIZES:
        read_rate(size, args.count, args.seed)
        no_code(size, args.empty, args.seed)


if __name__ == "__main__":
    main()
