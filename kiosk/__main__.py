"""The ``kiosk`` command.

    kiosk                 run against the configured backoffice (KIOSK_CONFIG / KIOSK_* settings)
    kiosk gallery OUTDIR  every screen and state, in each language, as PNG files

The demo (a backoffice with demo data and this window in one process) is ``counter-demo``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from counter_core.extras import require

from .config import ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="The customer self-service kiosk.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run against the configured backoffice (the default)")
    gallery = sub.add_parser("gallery", help="render every screen and state to PNG files")
    gallery.add_argument("outdir")
    gallery.add_argument("--sizes", default="1280x800,800x480")
    gallery.add_argument("--languages", default="")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    require("kiosk", "kiosk")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("urllib3", "alembic", "kiosk.camera.decoder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ["KIVY_NO_ARGS"] = "1"
    try:
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


def decode(argv: list[str] | None = None) -> int:
    """``kiosk-decode``: the camera's decoder and parsers on still images (needs only the camera libraries)."""
    require("kiosk-decode", "camera")
    from .camera.cli import main as decode_main

    return decode_main(argv)


if __name__ == "__main__":
    sys.exit(main())
