"""The kiosk app's own figures, measured on the real app in an off-screen window with a local backoffice.

- cold start: from process start to the home screen drawn (READY), over a few runs;
- resident memory after every 100 of 1,000 visits (Enter ID → Welcome → home, drawn);
- scan-to-welcome: a card held up in the camera video (the frame the code was decoded
  from) until the welcome screen is drawn, over repeated Scan ID visits.

    python bench/kiosk_app.py [--visits 1000] [--scans 20] [--starts 3]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(args: argparse.Namespace) -> None:
    """Runs inside the measured process: the real KioskApp, driven through its flow."""
    started = float(os.environ["BENCH_T0"])
    from kiosk.config import load_config
    from kiosk.kivy_setup import kiosk_environment

    config = load_config(environ={}, backoffice_url=args.base_url, device_token=args.token, camera=args.camera,
                         state_dir=args.state, fullscreen=False, sound=False, welcome_seconds=600)
    kiosk_environment(config, offscreen=True)
    import psutil
    from kivy.clock import Clock

    from kiosk.app import KioskApp
    from kiosk.flow import Screen

    app = KioskApp(config)
    result: dict = {"rss_mb": []}
    process = psutil.Process()
    state = {"phase": "start", "n": 0, "scan_started": 0.0, "scan_times": []}

    def welcome_drawn(_dt=None):
        return app.manager.current == "welcome" and app.flow.state.screen == Screen.WELCOME

    def step(_dt):
        flow = app.flow
        if state["phase"] == "start":
            result["cold_start_s"] = time.time() - started
            if args.mode == "start":
                app.stop()
                return False
            state["phase"] = "visits" if args.mode == "visits" else "scan"
            return
        if flow.state.screen == Screen.WAITING:
            return
        if state["phase"] == "visits":
            if flow.state.screen == Screen.HOME:
                flow.choose("enter")
                for key in args.number:
                    flow.press_key(key)
                flow.submit_typed()
            elif welcome_drawn():
                state["n"] += 1
                flow.home()
                if state["n"] % 100 == 0:
                    result["rss_mb"].append(round(process.memory_info().rss / 2**20, 1))
                if state["n"] >= args.visits:
                    app.stop()
                    return False
        elif state["phase"] == "scan":
            if flow.state.screen == Screen.HOME:
                app.services.camera.scanner and app.services.camera.scanner.forget()
                flow.choose("scan")
            elif welcome_drawn() and app.last_scan_time:
                state["scan_times"].append((time.time() - app.last_scan_time) * 1000)
                app.last_scan_time = 0.0
                flow.home()
                if len(state["scan_times"]) >= args.scans:
                    result["scan_to_welcome_ms"] = state["scan_times"]
                    app.stop()
                    return False

    original = app.services._scanned

    def timed_scan(event):
        app.last_scan_time = event.time  # wall-clock time of the frame the code was decoded from
        original(event)

    app.last_scan_time = 0.0
    app.services.camera.on_scan = timed_scan
    phases = result.setdefault("phases", [])
    arrived, identified = app.services.on_scan, app.flow._identified

    def timed_arrival(identity):
        phases.append({"ui": time.time() - app.last_scan_time})
        arrived(identity)

    def timed_identified(answer):
        if phases:
            phases[-1]["answer"] = time.time() - app.last_scan_time
        identified(answer)

    app.services.on_scan = timed_arrival
    app.flow._identified = timed_identified
    app.on_ready_callbacks.append(lambda: Clock.schedule_interval(step, 0))
    app.run()
    print("RESULT " + json.dumps(result), flush=True)


def run_child(mode: str, base_url: str, token: str, camera: str, number: str, extra: list[str]) -> dict:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy", "BENCH_T0": str(time.time())}
    with tempfile.TemporaryDirectory() as state:
        env["KIVY_HOME"] = str(Path(state) / "kivy")
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--base-url", base_url, "--token", token,
                              "--camera", camera, "--number", number, "--state", state, *extra],
                             env=env, capture_output=True, text=True, timeout=900)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(out.stdout[-2000:] + out.stderr[-2000:])
    return json.loads(line[7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--base-url")
    parser.add_argument("--token")
    parser.add_argument("--camera", default="0")
    parser.add_argument("--number", default="")
    parser.add_argument("--state")
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return

    from backoffice.services import cards, customers, devices, sales
    from kiosk.camera.synthetic import clip_frames, write_video
    from tests.support.server import start_in_thread

    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    server = start_in_thread(work / "backoffice", f"sqlite:///{work / 'backoffice.sqlite3'}",
                             identify_rate_per_minute=10**9, identify_lockout_failures=10**9)
    rt = server.runtime
    with rt.sessions() as db:
        register = devices.create_register(db, "Bench")
        _, token = devices.pair_kiosk(db, register, "bench", actor="bench")
        customer = customers.create_customer(db, rt.vault, {"first_name": "Bench"}, created_by="import", actor="bench")
        card = cards.digital_card_for(db, customer)
        sales.open_sale(db, register)
        db.commit()
        number, code = str(customer.customer_number), card.code
    video = write_video(clip_frames([(None, 1.0), ((f"{server.base_url}/c/{code}", "QRCode"), 3.0)], fps=30),
                        work / "card.avi", fps=30)
    try:
        starts = [run_child("start", server.base_url, token, "0", number, [])["cold_start_s"] for _ in range(args.starts)]
        visits = run_child("visits", server.base_url, token, "0", number, ["--visits", str(args.visits)])
        scans = run_child("scan", server.base_url, token, f"file:{video}", number, ["--scans", str(args.scans)])
    finally:
        server.stop()
    rss = visits["rss_mb"]
    lat = sorted(scans["scan_to_welcome_ms"])
    print(f"kiosk app, off-screen 1280x800 (Mesa llvmpipe), local backoffice, {os.cpu_count()} cores")
    print(f"  cold start to home screen: median {statistics.median(starts):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in starts)})")
    print(f"  resident memory every 100 of {args.visits} visits (MB): {rss}")
    print(f"    growth from visit 200 to {args.visits}: {rss[-1] - rss[1]:+.1f} MB")
    phases = scans.get("phases", [])
    to_ui = sorted(p["ui"] * 1000 for p in phases)
    to_answer = sorted(p["answer"] * 1000 for p in phases if "answer" in p)
    print(f"  scan-to-welcome over {len(lat)} scans: median {statistics.median(lat):.0f} ms, "
          f"p90 {lat[int(len(lat) * 0.9) - 1]:.0f} ms, max {lat[-1]:.0f} ms")
    if to_ui and to_answer:
        print(f"    of which decode -> UI thread: median {statistics.median(to_ui):.0f} ms, max {to_ui[-1]:.0f} ms; "
              f"decode -> backoffice answer: median {statistics.median(to_answer):.0f} ms")


if __name__ == "__main__":
    main()
