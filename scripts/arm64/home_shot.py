"""Start the installed kiosk app, wait until it shows its home screen, and screenshot that screen.

Run by scripts/arm64-check.sh inside the arm64 root, with the interpreter of /opt/kiosk/venv and
the environment of kiosk.service (KIOSK_CONFIG=/etc/kiosk/kiosk.ini, ...), drawing off screen:

    /opt/kiosk/venv/bin/python home_shot.py --out /root/arm64-check/home.png [--timeout 900]

The app is started the way ``kiosk run`` starts it (``kiosk.__main__.run``: load_config,
kiosk_environment, ``KioskApp(config).run()``) with its background services talking to the real
backoffice. "Home screen up" means what systemd is told: the app's READY=1 arrives on a
NOTIFY_SOCKET this script listens on, the visit flow is on its home screen and online (its first
long poll answered). The picture is taken from a ``Window.on_flip`` handler, i.e. right after a
frame was drawn: from a Clock callback llvmpipe under emulation gives a black picture. Exit
status 0 when the screenshot was written; a JSON line on stdout says what was seen.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time

FRAMES_AFTER_HOME = 3  # frames drawn on the home screen before the picture: layouts and fonts have settled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the PNG")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the home screen")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()

    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    address = f"arm64-check-{os.getpid()}"
    notify.bind(b"\0" + address.encode())
    notify.setblocking(False)
    os.environ["NOTIFY_SOCKET"] = "@" + address

    from kiosk.config import load_config
    from kiosk.kivy_setup import kiosk_environment

    config = load_config()
    kiosk_environment(config)
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.app import KioskApp
    from kiosk.flow import Screen

    app = KioskApp(config)
    seen: dict = {"ready": None, "status": None, "home_frames": 0, "shot": None, "screen": None, "online": None}

    def messages() -> None:
        while True:
            try:
                data = notify.recv(4096).decode()
            except BlockingIOError:
                return
            for line in data.splitlines():
                if line == "READY=1" and seen["ready"] is None:
                    seen["ready"] = round(time.monotonic() - started, 1)
                elif line.startswith("STATUS="):
                    seen["status"] = line.removeprefix("STATUS=")

    def on_flip(window) -> None:
        messages()
        state = app.flow.state
        seen["screen"], seen["online"] = state.screen.value, state.online
        if seen["shot"] or seen["ready"] is None or state.screen != Screen.HOME or not state.online:
            return
        seen["home_frames"] += 1
        if seen["home_frames"] < FRAMES_AFTER_HOME:
            return
        base = os.path.splitext(os.path.abspath(args.out))[0]
        produced = window.screenshot(name=base + ".png")
        if produced:
            os.replace(produced, args.out)
            seen["shot"] = args.out
            seen["shot_after"] = round(time.monotonic() - started, 1)
            seen["size"] = list(window.size)
            from kivy.graphics.opengl import GL_RENDERER, GL_VERSION, glGetString

            seen["gl"] = f"{glGetString(GL_RENDERER).decode()}; {glGetString(GL_VERSION).decode()}"
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    def give_up(_dt) -> None:
        print(f"home_shot: no home screen within {args.timeout:.0f} s: {json.dumps(seen)}", file=sys.stderr)
        app.stop()

    Window.bind(on_flip=on_flip)
    # An idle window draws no frames; ask for one now and then so on_flip keeps coming.
    Clock.schedule_interval(lambda _dt: Window.canvas.ask_update(), 0.25)
    Clock.schedule_once(give_up, args.timeout)
    app.run()
    print(json.dumps(seen))
    return 0 if seen["shot"] else 1


if __name__ == "__main__":
    sys.exit(main())
