"""The real Kivy kiosk app under a REAL systemd, with kiosk.service's settings and sandbox.

The same service manager and unit settings as test_watchdog_under_systemd.py,
but the service is the actual app (drawing off screen, as there is no display
here) against a real backoffice: systemd counts it started only when the app
says READY with its first screen drawn, and when its UI thread hangs the
watchdog kills it and systemd starts it again, which says READY again.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.deploy.test_watchdog_under_systemd import kiosk_unit_properties
from tests.deploy.units import REPO

WATCHDOG = "4s"
pytestmark = pytest.mark.timeout(180)


def _pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_the_real_kiosk_says_ready_with_its_screen_up_and_is_restarted_when_its_ui_hangs(manager, backoffice, tmp_path):
    _register, token = backoffice.register_with_kiosk()
    config = tmp_path / "kiosk.ini"
    config.write_text(f"[kiosk]\nbackoffice_url = {backoffice.base_url}\ndevice_token = {token}\ncamera = 0\n"
                      "shop_name = Systemd test\n")
    config.chmod(0o600)
    starts, log = tmp_path / "starts", tmp_path / "kiosk.log"
    properties = kiosk_unit_properties(log, tmp_path, manager.can_sandbox)
    properties["Environment"] = properties["Environment"] + [
        f"KIOSK_CONFIG={config}", f"KIOSK_STATE_DIR={tmp_path / 'state'}", f"KIVY_HOME={tmp_path / 'kivy'}",
        f"XDG_CACHE_HOME={tmp_path / 'cache'}", "SDL_VIDEODRIVER=offscreen", "SDL_AUDIODRIVER=dummy",
        "KIOSK_FULLSCREEN=0", f"HANG_TEST_STARTS={starts}", f"PYTHONPATH={REPO}",
    ]
    properties["WatchdogSec"] = WATCHDOG
    properties["TimeoutStartSec"] = "90s"
    unit = f"real-kiosk-{uuid.uuid4().hex[:8]}.service"
    started = time.monotonic()
    result = manager.run(unit, [sys.executable, str(Path(__file__).with_name("hanging_kiosk.py"))], properties,
                         timeout=120)
    try:
        assert result.returncode == 0, result.stderr + (log.read_text() if log.exists() else "")
        ready_after = time.monotonic() - started
        props = manager.show(unit, "ActiveState", "SubState", "StatusText", "NRestarts", "MainPID")
        assert (props["ActiveState"], props["SubState"]) == ("active", "running"), props
        assert props["StatusText"].startswith("Showing the "), props  # READY came from the drawn screen
        assert int(props["MainPID"]) == _pids(starts)[0]
        time.sleep(6)  # longer than WatchdogSec: the UI thread's pings keep it alive
        assert manager.show(unit, "NRestarts")["NRestarts"] == "0"
        os.kill(int(props["MainPID"]), signal.SIGUSR1)  # the UI thread hangs
        after = manager.wait_for(unit, lambda p: p["NRestarts"] == "1" and p["SubState"] == "running"
                                 and p["StatusText"].startswith("Showing the "), timeout=120)
        assert int(after["MainPID"]) == _pids(starts)[-1] != _pids(starts)[0]
        assert not os.path.exists(f"/proc/{_pids(starts)[0]}"), "the hung kiosk was left behind"
        output = log.read_text()
        assert "UI thread stuck" in output and "Fatal Python error: Aborted" in output
        print(f"READY after {ready_after:.1f} s; restarted after the UI hung")
    finally:
        manager.units.remove(unit)
        manager.stop_unit(unit)
