"""The ``kiosk`` command.

    kiosk                 run against the configured backoffice (KIOSK_CONFIG / KIOSK_* settings)
    kiosk demo            backoffice + demo data in-process, demo camera video, the kiosk window
    kiosk gallery OUTDIR  every screen and state, in each language, as PNG files
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .config import ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="The customer self-service kiosk.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run against the configured backoffice (the default)")
    demo = sub.add_parser("demo", help="run the backoffice with demo data and the kiosk in one process")
    demo.add_argument("--data-dir", default="var/demo", help="where the demo database and kiosk state live")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1", help="use 0.0.0.0 to let phones on the LAN reach the form")
    demo.add_argument("--public-url", default="", help="the URL phones use for the QR form (default: http://HOST:PORT)")
    demo.add_argument("--camera", default="", help="camera source (default: /dev/video0 if present, else the demo video)")
    demo.add_argument("--no-window", action="store_true", help="serve the backoffice only (no kiosk window)")
    demo.add_argument("--door", action="store_true", help="run the window as the venue scanner at the door "
                      "(verify mode, checking Friends) instead of the till's kiosk")
    gallery = sub.add_parser("gallery", help="render every screen and state to PNG files")
    gallery.add_argument("outdir")
    gallery.add_argument("--sizes", default="1280x800,800x480")
    gallery.add_argument("--languages", default="")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("urllib3", "alembic", "kiosk.camera.decoder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ["KIVY_NO_ARGS"] = "1"
    try:
        if args.command == "demo":
            from .demo import run_demo

            return run_demo(args)
        if args.command == "gallery":
            from .gallery import run_gallery

            return run_gallery(args)
        return run()
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


def run() -> int:
    config = load_config()
    if not config.token():
        raise ConfigError("No device token: set device_token (or device_token_file) in the config. "
                          "Pair the kiosk with 'backoffice pair-kiosk --register NAME'.")
    from .kivy_setup import kiosk_environment

    kiosk_environment(config)
    from .app import KioskApp

    KioskApp(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
