"""The synthetic frames the tests, benchmarks and the demo video are made of."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from kiosk.camera import synthetic
from kiosk.camera.decoder import Decoder


def test_demo_video_shows_each_payload_in_turn_and_stays_small(tmp_path):
    out = tmp_path / "camera-demo.avi"
    payloads = ["http://127.0.0.1:8000/c/DEMO-00000001", "http://127.0.0.1:8000/c/DEMO-00000002"]
    args = [sys.executable, "-m", "kiosk.camera.synthetic", "demo-video", str(out)]
    for p in payloads:
        args += ["--payload", p]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    assert out.stat().st_size < 3_000_000
    capture = cv2.VideoCapture(str(out))
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 480)
    decoder, seen = Decoder(), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        texts = [c.text for c in decoder.decode(frame)]
        if not seen or (seen[-1] != (texts[0] if texts else None)):
            seen.append(texts[0] if texts else None)
    capture.release()
    assert seen == [None, payloads[0], None, payloads[1]]


def test_hard_set_is_the_same_on_every_run():
    a = [f.image for f in synthetic.hard_set(3, seed=9)]
    b = [f.image for f in synthetic.hard_set(3, seed=9)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], next(iter(synthetic.hard_set(1, seed=10))).image)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_frames_have_camera_sizes_and_know_where_their_codes_are(size):
    frame = synthetic.make_frame([synthetic.SAMPLE_PAYLOADS["card_url"]], seed=2, size=size, code_px=size[0] / 4)
    assert frame.image.shape == (size[1], size[0], 3) and frame.image.dtype == np.uint8
    corners = frame.codes[0].corners
    assert corners.shape == (4, 2)
    assert 0 <= corners[:, 0].min() and corners[:, 0].max() <= size[0]
    assert np.ptp(corners[:, 0]) == pytest.approx(size[0] / 4, rel=0.35)


def test_write_video_refuses_an_empty_clip(tmp_path):
    with pytest.raises(ValueError):
        synthetic.write_video([], tmp_path / "empty.avi")
