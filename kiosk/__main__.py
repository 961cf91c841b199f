"""The ``kiosk`` command.

    kiosk                 run against the configured backoffice (KIOSK_CONFIG / KIOSK_* settings);
                          not paired yet: "Scan the pairing code from the back office" first
    kiosk pair CODE       pair with a code typed from the back office's pairing page (no camera needed)
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
    pair = sub.add_parser("pair", help="pair with the code shown on the back office's pairing page")
    pair.add_argument("code", help="the pairing code, e.g. 7K2M9-XD4QP")
    pair.add_argument("--url", default="", help="the backoffice's address (default: backoffice_url)")
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
        if args.command == "pair":
            return pair(args.code, args.url)
        return run()
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


def run() -> int:
    config = load_config()
    from .kivy_setup import kiosk_environment

    kiosk_environment(config)
    if not config.token() or _stored_pairing_revoked(config):
        from .pairing_app import PairingApp

        pairing = PairingApp(config)
        pairing.run()
        if not pairing.paired:
            return 0  # closed before it was paired
        _restart()  # Kivy runs one app per process: the kiosk starts afresh, with the stored token
    from .app import KioskApp

    KioskApp(config).run()
    return 0


def _stored_pairing_revoked(config) -> bool:
    """Paired by camera, and the backoffice says that kiosk is unpaired now: forget it and pair again.

    Only a definite "unpaired" (401) counts; an unreachable backoffice leaves the pairing alone.
    """
    from .pairing_store import forget_pairing, read_pairing

    if config.token_configured or read_pairing(config.state_path) is None:
        return False
    from .api import BackofficeClient
    from .errors import KioskError, NotPaired

    try:
        BackofficeClient(config.backoffice_url, config.token(), timeout=5, retries=0).state()
    except NotPaired:
        logging.getLogger(__name__).warning("This kiosk has been unpaired in the back office: pairing again")
        forget_pairing(config.state_path)
        return True
    except KioskError:
        pass
    return False


def _restart() -> None:
    """The same process starts afresh as the kiosk (same PID: systemd's service stays the same)."""
    from . import systemd

    systemd.notify("WATCHDOG=1", "STATUS=Paired: starting the kiosk")  # a full watchdog period for the new start
    os.execv(sys.executable, [sys.executable, "-m", "kiosk", *sys.argv[1:]])


def pair(code: str, url: str = "") -> int:
    """``kiosk pair CODE``: the exchange and the stored token, as the pairing screen does them."""
    from counter_core.pairing import InvalidPairingCode

    from .errors import KioskError, Rejected
    from .pairing import pair_with_code

    config = load_config()
    if config.token_configured:
        raise ConfigError("A device token is set in the configuration (device_token / device_token_file); "
                          "remove it to pair with a code.")
    try:
        paired = pair_with_code(config, code, url)
    except InvalidPairingCode as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except Rejected as exc:
        print(f"kiosk: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    print(f"Paired as {paired.kiosk_name!r} with register {paired.register_name!r}; restart the kiosk "
          "(systemctl restart kiosk).")
    return 0


def decode(argv: list[str] | None = None) -> int:
    """``kiosk-decode``: the camera's decoder and parsers on still images (needs only the camera libraries)."""
    require("kiosk-decode", "camera")
    from .camera.cli import main as decode_main

    return decode_main(argv)


if __name__ == "__main__":
    sys.exit(main())
