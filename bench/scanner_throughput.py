"""Preview frames per second the camera pipeline sustains while the scanner decodes.

Plays a synthetic counter video (empty counter, cards held up, a small card in dim light)
through the real FileSource → CaptureThread → Scanner, with a stand-in for the Kivy preview on
another thread that takes the newest frame 30 times a second and does what uploading it to a
texture costs (BGR→RGB, vertical flip). Prints (never asserts) preview frames/s, capture
frames/s, decodes/s, decode time, scan events and CPU use, at 640×480 and 1280×720, with the
video paced at 30 fps like a camera and, for headroom, unpaced.

    .venv/bin/python bench/scanner_throughput.py [--seconds 10] [--rate 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from kiosk.camera import CaptureThread, Decoder, FileSource, Scanner, synthetic  # noqa: E402

P = synthetic.SAMPLE_PAYLOADS


def counter_video(folder: Path, size: tuple[int, int], fps: float) -> Path:
    """About 12 s of a counter at ``fps``: nobody, a card, nobody, a licence, a vCard on a phone..."""
    path = folder / f"counter-v2-{size[0]}x{size[1]}.avi"
    if path.exists():
        return path
    k = size[0] / 640
    segments = [
        (None, 2.0),
        (P["card_url"], 2.0, 150 * k),
        (None, 1.5),
        (P["aamva"], 2.0, 480 * k),
        (None, 1.5),
        (P["vcard"], 2.0, 200 * k),
        (None, 1.0),
    ]
    frames = list(synthetic.clip_frames(segments, size=size, fps=fps, degradations={"noise": 3.0, "jpeg": 80}, seed=3))
    # A small card in a dim room at the end: the recoveries have to work for it.
    frames += synthetic.clip_frames([(P["card_url"], 2.0)], size=size, fps=fps, code_px=37 * 1.6 * k, degradations={"low_light": 0.3, "noise": 2.5, "jpeg": 80}, seed=4)
    return synthetic.write_video(frames, path, fps=fps)


def run(path: Path, seconds: float, rate: float, realtime: bool) -> dict[str, float]:
    decode_ms: list[float] = []
    events: list[str] = []
    capture = CaptureThread(FileSource(path, realtime=realtime))
    decoder = Decoder()
    scanner = Scanner(capture, decoder, lambda e: events.append(e.text), rate=rate, dedup_seconds=1.0, on_frame=lambda f, c: decode_ms.append(decoder.last_report.ms))
    shown = 0
    stop = threading.Event()

    def preview() -> None:
        # What the Kivy preview does 30 times a second on the UI thread.
        nonlocal shown
        last = 0
        while not stop.wait(1 / 30):
            frame = capture.latest()
            if frame is None or frame.seq == last:
                continue
            last = frame.seq
            texture = cv2.flip(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), 0)
            texture.tobytes()
            shown += 1

    ui = threading.Thread(target=preview, name="preview")
    cpu0, wall0 = os.times(), time.monotonic()
    capture.start()
    first = capture.wait_frame(timeout=5)
    scanner.start()
    ui.start()
    time.sleep(seconds)
    stop.set()
    ui.join()
    last = capture.latest()
    scanner.stop()
    capture.stop()
    cpu1, wall = os.times(), time.monotonic() - wall0
    return {
        "preview_fps": shown / seconds,
        "capture_fps": (last.seq - first.seq) / (last.timestamp - first.timestamp),
        "decodes_per_s": scanner.decodes / seconds,
        "decode_median": statistics.median(decode_ms) if decode_ms else 0.0,
        "decode_p95": float(np.percentile(decode_ms, 95)) if decode_ms else 0.0,
        "events": len(events),
        "cores": ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    parser.add_argument("--rate", type=float, default=10.0, help="scanner decodes per second (default 10)")
    parser.add_argument("--videos", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-bench-videos")
    args = parser.parse_args()
    args.videos.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; scanner rate {args.rate:g}/s; preview polls 30/s; {args.seconds:g} s per run")
    print(f"{'video':10s} {'source':17s} {'preview fps':>11s} {'capture fps':>11s} {'decodes/s':>9s} {'decode ms median/p95':>21s} {'events':>6s} {'cores used':>10s}")
    for size in ((640, 480), (1280, 720)):
        path = counter_video(args.videos, size, 30.0)
        for realtime in (True, False):
            r = run(path, args.seconds, args.rate, realtime)
            source = "paced 30 fps" if realtime else "unpaced (max)"
            print(
                f"{size[0]}x{size[1]:<5d} {source:17s} {r['preview_fps']:11.1f} {r['capture_fps']:11.1f} {r['decodes_per_s']:9.1f} "
                f"{r['decode_median']:10.1f} /{r['decode_p95']:6.1f}   {r['events']:6d} {r['cores']:10.2f}"
            )


if __name__ == "__main__":
    main()
