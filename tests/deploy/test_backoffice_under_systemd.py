"""backoffice.service's sandbox lets the real backoffice run, under a REAL systemd.

The server is started with backoffice.service's own [Service] settings:
MemoryDenyWriteExecute, the system call filter without @privileged and
@resources, PrivateUsers, PrivateDevices, ProtectSystem=strict, ProcSubset,
RestrictAddressFamilies, UMask and its StateDirectory (mode 0700), under the
same service manager as test_watchdog_under_systemd.py. What cannot apply to a
test unit is listed in tests/deploy/units.py (the backoffice user, the
environment file); the state directory gets a unique name.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.deploy.units import REPO, service_settings_for_a_test

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_backoffice_serves_and_keeps_its_secret_inside_its_sandbox(manager, tmp_path):
    if not manager.can_sandbox:
        pytest.skip("an unprivileged user's systemd --user cannot apply the unit's sandbox")
    name = f"backoffice-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    log = tmp_path / "backoffice.log"
    settings = service_settings_for_a_test("backoffice.service")
    one = {key: values[-1] for key, values in settings.items()}
    assert one["MemoryDenyWriteExecute"] == "yes" and one["PrivateUsers"] == "yes" and one["ProtectSystem"] == "strict"
    properties = {
        **settings,
        "StateDirectory": name,
        "StateDirectoryMode": "0700",
        "Environment": settings["Environment"] + [f"BACKOFFICE_PORT={port}", f"PYTHONPATH={REPO}"],
        "Restart": "no",
        "StandardOutput": f"append:{log}",
        "StandardError": f"append:{log}",
    }
    unit = f"{name}.service"
    # %S is not expanded for a transient unit: the unit's WorkingDirectory=%S/... and
    # BACKOFFICE_DATA_DIR=%S/... become $STATE_DIRECTORY, which systemd sets; exec keeps the PID.
    serve = 'cd "$STATE_DIRECTORY" && BACKOFFICE_DATA_DIR="$STATE_DIRECTORY" exec "$0" -m backoffice serve'
    result = manager.run(unit, ["/bin/sh", "-c", serve, sys.executable], properties)
    try:
        assert result.returncode == 0, result.stderr + (log.read_text() if log.exists() else "")
        body = get(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 30)
        assert b"ok" in body.lower(), body
        props = manager.show(unit, "ActiveState", "MainPID")
        assert props["ActiveState"] == "active"
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{props['MainPID']}/status").read_text().splitlines())
        assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
        state = manager.state_directory(name)
        assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(state / "secret.key").st_mode) == 0o600
        assert (state / "backoffice.sqlite3").exists()
    finally:
        manager.units.remove(unit)
        manager.stop_unit(unit)
        manager.remove_state_directory(name)
