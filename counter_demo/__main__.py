"""The ``counter-demo`` command (what ``./demo.sh`` runs)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from counter_core.config import ConfigError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="counter-demo", description="The backoffice with demo data and the kiosk window, in one process."
    )
    parser.add_argument("--data-dir", default="var/demo", help="where the demo database and kiosk state live")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="use 0.0.0.0 to let phones on the LAN reach the form")
    parser.add_argument("--public-url", default="", help="the URL phones use for the QR form (default: http://HOST:PORT)")
    parser.add_argument("--camera", default="", help="camera source (default: /dev/video0 if present, else the demo video)")
    parser.add_argument("--no-window", action="store_true", help="serve the backoffice only (no kiosk window)")
    parser.add_argument("--door", action="store_true", help="run the window as the venue scanner at the door "
                        "(verify mode, checking Friends) instead of the till's kiosk")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("urllib3", "alembic", "kiosk.camera.decoder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ["KIVY_NO_ARGS"] = "1"
    try:
        from .demo import run_demo
    except ImportError as exc:  # a plain `pip install .` has neither app's libraries
        print(f"counter-demo: {exc.name or exc} is not installed; install both apps with "
              "pip install 'counter-kiosk[kiosk,server]' (./demo.sh does).", file=sys.stderr)
        return 2
    try:
        return run_demo(args)
    except ConfigError as exc:
        print(f"counter-demo: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
