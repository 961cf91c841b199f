"""The kiosk's contract with a REAL systemd: ready when it says so, kept alive by its pings, killed and restarted when its main loop hangs.

No emulation here. The service manager is real systemd (see
tests/deploy/service_manager.py): the developer's own ``systemd --user``
when the machine was booted with systemd, otherwise (containers, CI) a private
``systemd --user`` started as root in its own cgroup and mount namespace. The
tests are skipped, with the reason, where neither is possible.

The service is tests/deploy/fake_kiosk.py, which calls kiosk.systemd exactly
as kiosk/app.py does. Its settings are kiosk.service's own [Service] section,
sandbox included when the manager runs as root (an unprivileged user's
manager cannot apply it). tests/deploy/units.py lists the few settings that
never apply: the kiosk user and groups, tty1, the state directories; and
PrivateTmp is left out because the test shares files with the service. The
times are scaled down so the suite stays
fast: WatchdogSec 30 s -> 1.5 s, RestartSec 3 s -> 0.2 s, and no start limit
(the real unit's StartLimitAction=reboot is not for a test machine).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.deploy.units import REPO, service_settings_for_a_test

WATCHDOG_SECONDS = 1.5
RESTART_SECONDS = 0.2
FAKE_KIOSK = Path(__file__).with_name("fake_kiosk.py")

pytestmark = pytest.mark.timeout(60)


def kiosk_unit_properties(log: Path, work: Path, sandbox: bool = True) -> dict[str, str | list[str]]:
    """kiosk.service's own service settings and sandbox, with the times scaled for a test."""
    settings = service_settings_for_a_test("kiosk.service", sandbox=sandbox)
    one = {key: values[-1] for key, values in settings.items()}
    assert one["Type"] == "notify" and one["NotifyAccess"] == "main" and one["Restart"] == "always"
    assert "PYTHONFAULTHANDLER=1" in settings["Environment"]
    # The test and the service share a directory under /tmp (hang flag, start log).
    settings.pop("PrivateTmp", None)
    return {
        **settings,
        "WatchdogSec": f"{int(WATCHDOG_SECONDS * 1000)}ms",
        "RestartSec": f"{int(RESTART_SECONDS * 1000)}ms",
        "StartLimitIntervalSec": "0",
        "Environment": settings["Environment"] + [f"PYTHONPATH={REPO}"],
        "ReadWritePaths": str(work),
        "StandardOutput": f"append:{log}",
        "StandardError": f"append:{log}",
    }


@pytest.fixture
def kiosk(manager, tmp_path):
    """Start the fake kiosk as a transient service; yields (unit name, hang flag, log)."""
    unit = f"kiosk-test-{uuid.uuid4().hex[:8]}.service"
    flag, log = tmp_path / "hang", tmp_path / "kiosk.log"
    started = time.monotonic()
    result = manager.run(unit, [sys.executable, str(FAKE_KIOSK), str(flag)], kiosk_unit_properties(log, tmp_path, manager.can_sandbox))
    assert result.returncode == 0, result.stderr + (log.read_text() if log.exists() else "")
    yield unit, flag, log, time.monotonic() - started
    manager.units.remove(unit)
    manager.stop_unit(unit)


def starts(flag: Path) -> list[int]:
    path = Path(f"{flag}.starts")
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_systemd_counts_the_kiosk_started_only_once_it_sends_ready(manager, kiosk):
    unit, flag, _, start_seconds = kiosk
    props = manager.show(unit, "ActiveState", "SubState", "StatusText", "NRestarts", "MainPID", "WatchdogUSec")
    assert (props["ActiveState"], props["SubState"]) == ("active", "running")
    assert props["StatusText"] == "Home screen up"
    assert props["NRestarts"] == "0"
    assert int(props["MainPID"]) == starts(flag)[0]
    assert start_seconds >= 0.3  # systemd-run waited for READY=1, sent after the fake start-up time
    if manager.can_sandbox:
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{props['MainPID']}/status").read_text().splitlines())
        assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"  # the unit's sandbox is on


def test_a_kiosk_that_keeps_pinging_outlives_many_watchdog_timeouts(manager, kiosk):
    unit, flag, _, _ = kiosk
    first = manager.show(unit, "MainPID")["MainPID"]
    time.sleep(WATCHDOG_SECONDS * 3)
    props = manager.show(unit, "ActiveState", "MainPID", "NRestarts")
    assert props == {"ActiveState": "active", "MainPID": first, "NRestarts": "0"}
    assert len(starts(flag)) == 1


def test_a_hung_main_loop_is_killed_by_the_watchdog_and_restarted_every_time(manager, kiosk):
    unit, flag, log, _ = kiosk
    for hang in (1, 2):
        before = starts(flag)
        flag.touch()
        props = manager.wait_for(
            unit,
            lambda p, n=hang: p["NRestarts"] == str(n) and p["ActiveState"] == "active" and p["SubState"] == "running",
            timeout=WATCHDOG_SECONDS + RESTART_SECONDS + 10,
        )
        assert props["NRestarts"] == str(hang), props
        assert props["StatusText"] == "Home screen up"  # the new process said READY again
        assert len(starts(flag)) == len(before) + 1
        assert int(props["MainPID"]) == starts(flag)[-1] != before[-1]
    pids = starts(flag)
    assert len(set(pids)) == 3
    for pid in pids[:2]:
        assert not os.path.exists(f"/proc/{pid}"), "the hung process was left behind"
    output = log.read_text()
    # SIGABRT from the watchdog made faulthandler print where the main loop was stuck.
    assert output.count("main loop stuck") == 2
    assert output.count("Fatal Python error: Aborted") == 2, output
    assert 'in hang_forever' in output
