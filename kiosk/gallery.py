"""``kiosk gallery OUTDIR``: every screen and state, in each language, at each screen size, as PNG files.

The real app renders each state off screen (no backoffice needed); the camera
screens show a synthetic camera picture through the real capture pipeline.
Files: ``OUTDIR/<width>x<height>/<language>/<nn>-<state>.png``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from counter_core.identity import classify_typed_input
from counter_core.kiosk_api import GroupBadge

from .config import load_config
from .flow import FlowState, Screen, Visit

ANNA_GROUPS = (
    GroupBadge(id=1, name="Friends", colour="#15803d", blink=False),
    GroupBadge(id=2, name="VIP", colour="#b45309", blink=True),
)


def scenes(shop: str) -> list[tuple[str, FlowState]]:
    """(name, state) for every screen and the states within it worth reviewing."""
    base = FlowState(screen=Screen.HOME, online=True, sale="sale_demo", shop_name=shop)
    typed = classify_typed_input("198504126379", complete=False)
    ambiguous = classify_typed_input("0701011231", complete=True)
    return [
        ("waiting", replace(base, screen=Screen.WAITING, sale=None)),
        ("waiting-offline", replace(base, screen=Screen.WAITING, sale=None, online=False)),
        ("waiting-not-paired", replace(base, screen=Screen.WAITING, sale=None, paired=False)),
        ("home", base),
        ("home-connected", replace(base, sale_has_customer=True)),
        ("home-offline-no-camera", replace(base, online=False, camera_ok=False, outbox=2)),
        ("mobile-code", replace(base, screen=Screen.MOBILE, visit=Visit(
            mobile_status="waiting", mobile_url="http://127.0.0.1:8000/m/m_gallery-example-token", mobile_reference="m"))),
        ("mobile-opened", replace(base, screen=Screen.MOBILE, visit=Visit(mobile_status="opened", mobile_reference="m"))),
        ("mobile-expired", replace(base, screen=Screen.MOBILE, visit=Visit(mobile_status="expired", mobile_reference="m"))),
        ("scan", replace(base, screen=Screen.SCAN)),
        ("scan-not-a-card", replace(base, screen=Screen.SCAN, visit=Visit(scan_hint="url_not_a_card"))),
        ("scan-no-camera", replace(base, screen=Screen.SCAN, camera_ok=False)),
        ("enter-empty", replace(base, screen=Screen.ENTER)),
        ("enter-personal-id", replace(base, screen=Screen.ENTER, visit=Visit(typed_text="198504126379", typed=typed))),
        ("enter-invalid", replace(base, screen=Screen.ENTER, visit=Visit(
            typed_text="1212121213", typed=classify_typed_input("1212121213"), typed_message="invalid_personal_id"))),
        ("choose", replace(base, screen=Screen.CHOOSE, visit=Visit(typed_text="0701011231", typed=ambiguous))),
        ("working", replace(base, screen=Screen.WORKING)),
        ("welcome", replace(base, screen=Screen.WELCOME, visit=Visit(first_name="Anna", groups=ANNA_GROUPS))),
        ("not-found", replace(base, screen=Screen.NOT_FOUND, visit=Visit(can_register=True))),
        ("not-found-card", replace(base, screen=Screen.NOT_FOUND, visit=Visit(reason="card_not_linked"))),
        ("pending", replace(base, screen=Screen.PENDING, visit=Visit(registration="reg"))),
        ("declined", replace(base, screen=Screen.DECLINED, visit=Visit(reason="aborted"))),
        ("queued", replace(base, screen=Screen.QUEUED, online=False, outbox=1, visit=Visit(reason="registration"))),
        ("problem-offline", replace(base, screen=Screen.PROBLEM, online=False, visit=Visit(reason="offline_mobile"))),
        ("problem-rate-limited", replace(base, screen=Screen.PROBLEM, visit=Visit(reason="rate_limited"))),
        ("verify-scanning", replace(base, screen=Screen.VERIFY, mode="verify", verify_groups=ANNA_GROUPS[:1])),
        ("verify-success", replace(base, screen=Screen.VERIFY, mode="verify", verify_groups=ANNA_GROUPS[:1],
                                   visit=Visit(verify_result="success", first_name="Anna", groups=ANNA_GROUPS))),
        ("verify-repeat", replace(base, screen=Screen.VERIFY, mode="verify", verify_groups=ANNA_GROUPS[:1],
                                  visit=Visit(verify_result="success", verify_repeat_time="14:02", first_name="Anna",
                                              groups=ANNA_GROUPS))),
        ("verify-warning", replace(base, screen=Screen.VERIFY, mode="verify", verify_groups=ANNA_GROUPS[:1],
                                   visit=Visit(verify_result="warning", first_name="Bo", groups=ANNA_GROUPS[1:]))),
        ("verify-unknown", replace(base, screen=Screen.VERIFY, mode="verify", verify_groups=ANNA_GROUPS[:1],
                                   visit=Visit(verify_result="unknown"))),
        ("verify-offline-success", replace(base, screen=Screen.VERIFY, mode="verify", online=False,
                                           visit=Visit(verify_result="success", verify_offline=True,
                                                       first_name="Anna", groups=ANNA_GROUPS[:1]))),
        ("idle-prompt", replace(base, screen=Screen.ENTER, visit=Visit(typed_text="0701", idle_deadline=1e12,
                                                                       typed=classify_typed_input("0701", complete=False)))),
    ]


def _camera_picture(folder: Path) -> str:
    import cv2

    from .camera.synthetic import make_frame

    frame = make_frame([("http://127.0.0.1:8000/c/DEMO-00000001", "QRCode")], seed=3, size=(1280, 720), code_px=300)
    path = folder / "camera.png"
    cv2.imwrite(str(path), frame.image)
    return f"image:{path}"


def run_gallery(args: argparse.Namespace) -> int:
    """One process per screen size: an off-screen SDL window cannot be resized reliably."""
    sizes = [size for size in args.sizes.split(",") if size]
    if len(sizes) > 1:
        import subprocess
        import sys

        failures = 0
        for size in sizes:
            command = [sys.executable, "-m", "kiosk", "gallery", args.outdir, "--sizes", size]
            if args.languages:
                command += ["--languages", args.languages]
            failures += subprocess.run(command, check=False).returncode != 0
        return 1 if failures else 0
    return _render_size(args, tuple(int(v) for v in sizes[0].split("x")))


def _render_size(args: argparse.Namespace, size: tuple[int, int]) -> int:
    outdir = Path(args.outdir).resolve()
    width, height = size
    work = Path(tempfile.mkdtemp(prefix="kiosk-gallery-"))
    os.environ["KIVY_HOME"] = str(work / "kivy")
    config = load_config(environ={}, backoffice_url="http://127.0.0.1:9", device_token="kd_gallery",
                         camera=_camera_picture(work), state_dir=str(work / "state"), fullscreen=False,
                         width=width, height=height, sound=False)
    languages = [code for code in (args.languages or config.languages).split(",") if code]
    from .kivy_setup import kiosk_environment

    kiosk_environment(config, offscreen=True)
    from kivy.clock import Clock
    from kivy.core.window import Window

    from .app import KioskApp

    app = KioskApp(config, background=False)
    app.services.on_scan = lambda _identity: None  # show the camera picture, but do not act on what it reads
    app.flow.tick = lambda: None  # each state stays as composed: no idle prompt, no screen timeouts
    app.flow.seconds_left = lambda: 97.0
    jobs: list[Callable[[], None]] = []
    written: list[Path] = []

    def show(state: FlowState) -> None:
        app.flow.state = state
        app.render(state)

    def shoot(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        produced = Window.screenshot(name=str(path.with_suffix("")) + ".png")
        if produced:
            os.replace(produced, path)
            written.append(path)

    for language in languages:
        for index, (name, state) in enumerate(scenes(config.shop_name)):
            target = outdir / f"{width}x{height}" / language / f"{index:02d}-{name}.png"
            jobs.append(lambda s=replace(state, language=language): show(s))
            jobs.append(lambda: None)  # let layouts and the camera preview settle
            jobs.append(lambda: None)
            jobs.append(lambda t=target: shoot(t))

    def step(_dt) -> None:
        if jobs:
            jobs.pop(0)()
            return
        app.stop()

    app.on_ready_callbacks.append(lambda: Clock.schedule_interval(step, 0.12))
    app.run()
    print(f"{len(written)} screenshots in {outdir}")
    return 0 if written else 1
