"""The demo's camera video, played through the real capture thread and scanner, shows the two demo codes."""

from __future__ import annotations

import time

from kiosk.assets import asset_path

from counter_core.identity import parse_payload
from kiosk.camera import CaptureThread, Decoder, FileSource, Scanner
from kiosk.camera.synthetic import DEMO_PAYLOADS


def test_demo_video_shows_annas_card_and_a_new_customers_vcard():
    seen = []
    capture = CaptureThread(FileSource(asset_path("demo", "camera-demo.avi"), realtime=False, loop=False)).start()
    scanner = Scanner(capture, Decoder(), on_scan=seen.append, rate=100).start()
    deadline = time.monotonic() + 60
    while len({e.text for e in seen}) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    scanner.stop()
    capture.stop()
    texts = {e.text for e in seen}
    assert texts == set(DEMO_PAYLOADS)
    kinds = {parse_payload(t).kind for t in texts}
    assert kinds == {"card_code", "vcard"}
    assert parse_payload(DEMO_PAYLOADS[0]).card_code == "DEMO-00000001"
