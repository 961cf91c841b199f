"""``counter-demo``: the backoffice (SQLite, demo data) in a thread, a demo camera, and the kiosk window.

The only code that wires both apps: the kiosk and the backoffice never import each other.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from pathlib import Path

import requests
from kiosk.assets import asset_path

from kiosk.config import load_config

log = logging.getLogger(__name__)
DEMO_VIDEO = "demo/camera-demo.avi"


def demo_camera(requested: str, data_dir: Path) -> str:
    """The demo's camera: the one asked for, a real /dev/video0, or the looping demo video."""
    if requested:
        return requested
    if Path("/dev/video0").exists():
        return "0"
    video = asset_path(DEMO_VIDEO)
    if not video.exists():
        video = data_dir / "camera-demo.avi"
        if not video.exists():
            from kiosk.camera.synthetic import DEMO_PAYLOADS, demo_frames, write_video

            write_video(demo_frames(DEMO_PAYLOADS, fps=10), video, fps=10, quality=75)
    return f"file:{video}"


def start_backoffice(args: argparse.Namespace, data_dir: Path):
    """Serve the backoffice in a background thread; return (base URL, settings)."""
    import uvicorn

    from backoffice.app import create_app
    from backoffice.settings import ensure_secret, load_settings

    public_url = args.public_url or f"http://{'127.0.0.1' if args.host == '0.0.0.0' else args.host}:{args.port}"
    settings = ensure_secret(load_settings(data_dir=data_dir / "backoffice", host=args.host, port=args.port,
                                           public_url=public_url))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
    threading.Thread(target=server.run, name="backoffice", daemon=True).start()
    base_url = f"http://127.0.0.1:{args.port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).ok:
                return base_url, settings, app, server
        except requests.RequestException:
            pass
        if not threading.main_thread().is_alive():
            break
        time.sleep(0.1)
    raise RuntimeError(f"The demo backoffice did not start on port {args.port} (is the port in use?)")


def seed_and_open_sale(app, settings, *, door: bool = False) -> str:
    """Demo data once, and an open sale on the demo register so the kiosk shows its three choices."""
    from backoffice.demo import DEMO_REGISTER, seed_demo
    from backoffice.services import sales

    runtime = app.state.runtime
    with runtime.sessions() as db:
        result = seed_demo(db, runtime.vault, settings=settings)
        register = sales.get_register(db, DEMO_REGISTER)
        if sales.open_sale_of(db, register.id) is None:
            sales.open_sale(db, register, lines=[{"product": "Cappuccino", "brand": "Linnea Rosteri",
                                                  "variant": "Large", "unit_price": "42.00"}])
        db.commit()
    runtime.notifier.notify()
    return result.door_token if door else result.kiosk_token


def run_demo(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base_url, settings, app, server = start_backoffice(args, data_dir)
    token = seed_and_open_sale(app, settings, door=args.door)
    print(
        f"\nBackoffice:       {base_url}  (API docs {base_url}/api/docs)\n"
        f"Cashier console:  {base_url}/console   log in as cashier / cashier-demo\n"
        f"Back office:      {base_url}/admin     log in as manager / manager-demo\n"
        f"Phone form QR:    shown on the kiosk under Via mobile (phones reach {settings.base_url})\n"
        "A sale is open on Kassa 1, so the kiosk shows its three choices; close it in the console to see the\n"
        "waiting screen. Demo customer: 100001 Anna Andersson, phone 070-123 45 67, card DEMO-00000001.\n"
        + ("The window is the door's venue scanner (Entré at Dörren), checking Friends: Anna's card is a Success.\n"
           if args.door else "Run './demo.sh --door' for the venue scanner at the door instead.\n"),
        flush=True,
    )
    if args.no_window:
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
    config = load_config(
        backoffice_url=base_url,
        device_token=token,
        camera=demo_camera(args.camera, data_dir),
        state_dir=str(data_dir / "kiosk"),
        fullscreen=False,
        shop_name=settings.shop_name,
    )
    from kiosk.kivy_setup import kiosk_environment

    kiosk_environment(config)
    from kiosk.app import KioskApp

    window = KioskApp(config)
    try:
        window.run()
    except KeyboardInterrupt:  # Ctrl-C in the terminal ends the demo, without a traceback
        window.stop()
        print("\nDemo stopped.", flush=True)
    finally:
        server.should_exit = True
    return 0
