"""The real kiosk app (``python -m kiosk``), plus one test-only trigger: SIGUSR1 hangs its UI thread.

Python runs signal handlers on the main thread, which is Kivy's UI thread: the
handler below never returns, so the Clock stops, the watchdog pings stop, and
systemd must kill and restart the service. Every start appends its PID to
the file named by HANG_TEST_STARTS.
"""

from __future__ import annotations

import os
import signal
import sys
import time


def hang_forever(_signum, _frame) -> None:
    print("UI thread stuck", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    with open(os.environ["HANG_TEST_STARTS"], "a") as starts:
        starts.write(f"{os.getpid()}\n")
    signal.signal(signal.SIGUSR1, hang_forever)
    from kiosk.__main__ import main

    sys.exit(main(["run"]))
