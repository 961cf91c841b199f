"""``counter-demo`` (what ./demo.sh runs): the backoffice with demo data, the console's address, a sale open."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.staff import sign_in


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_serves_the_console_with_demo_data_and_an_open_sale(tmp_path):
    port = free_port()
    script = Path(sys.executable).with_name("counter-demo")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "counter_demo"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen([*command, "--no-window", "--port", str(port), "--data-dir", str(tmp_path / "demo")],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        printed = ""
        while "Cashier console" not in printed and time.monotonic() < deadline and demo.poll() is None:
            time.sleep(0.5)
            printed = Path(log.name).read_text()
        assert f"Cashier console:  {base}/console" in printed, printed
        assert "cashier / cashier-demo" in printed and "manager / manager-demo" in printed
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        manager = sign_in(base, "manager", "manager-demo")
        sales = manager.get("/api/v1/sales", params={"register": "Kassa 1", "status": "open"})
        assert sales.ok, sales.text
        assert len(sales.json()["sales"]) == 1  # the kiosk shows its three choices
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(tmp_path / "demo", ignore_errors=True)
