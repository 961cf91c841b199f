"""A stand-in for the kiosk app that uses kiosk.systemd exactly as kiosk/app.py does.

Starts up (sleeps a little, like Kivy drawing the first screen), sends
READY=1 with a status, then runs a main loop that calls Watchdog().ping() on
every tick, the way the app's Kivy Clock interval does on the UI thread.
When the flag file given as argument appears, it removes it and hangs the
main loop for good (a stuck UI thread): the pings stop and systemd must kill
and restart it. Every start appends its PID to <flag>.starts.

    python fake_kiosk.py /path/to/hang-flag
"""

from __future__ import annotations

import os
import sys
import time

from kiosk import systemd

TICK_SECONDS = 0.05  # the app ticks once a second; scaled down with WatchdogSec in the tests


def hang_forever() -> None:
    """The UI thread is stuck (a blocking call that never returns)."""
    while True:
        time.sleep(3600)


def main(flag: str) -> int:
    with open(flag + ".starts", "a") as starts:
        starts.write(f"{os.getpid()}\n")
    time.sleep(0.3)  # building the first screen
    systemd.notify("READY=1", "STATUS=Home screen up")
    watchdog = systemd.Watchdog()
    print(f"ready, watchdog period {watchdog.period}", flush=True)
    try:
        while True:
            if os.path.exists(flag):
                os.unlink(flag)  # so the restarted kiosk runs normally
                print("main loop stuck", flush=True)
                hang_forever()
            watchdog.ping()
            time.sleep(TICK_SECONDS)
    finally:
        systemd.notify("STOPPING=1")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
