"""Soak: 10,000 scripted visits through the kiosk flow and the real API, with no memory or descriptor growth."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import psutil
import pytest

from backoffice.services import customers, devices, sales
from kiosk.api import BackofficeClient
from kiosk.flow import Screen, Timing, VisitFlow
from kiosk.outbox import Outbox
from tests.support.server import start_in_thread

VISITS = 10_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _immediately(work, done, failed):
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - handed to the flow as the app's runner would
        failed(exc)
    else:
        done(result)


def test_ten_thousand_visits_leave_memory_and_file_descriptors_flat(tmp_path):
    # a server of its own: these visits would rightly trip the identify rate limit of a shared one
    server = start_in_thread(tmp_path / "backoffice", f"sqlite:///{tmp_path / 'backoffice.sqlite3'}",
                             identify_rate_per_minute=10**9, identify_lockout_failures=10**9)
    try:
        rt = server.runtime
        with rt.sessions() as db:
            register = devices.create_register(db, "Soak")
            _, token = devices.pair_kiosk(db, register, "soak kiosk", actor="test")
            numbers = [str(customers.create_customer(db, rt.vault, {"first_name": f"Soak{i}"}, created_by="import",
                                                     actor="test").customer_number) for i in range(50)]
            sale = sales.open_sale(db, register)
            db.commit()
            sale_reference = sale.reference
        client = BackofficeClient(server.base_url, token)
        flow = VisitFlow(client, _immediately, outbox=Outbox(tmp_path / "kiosk" / "outbox.sqlite3"), timing=Timing())
        flow.server_state(client.state())
        assert flow.state.sale == sale_reference
        process = psutil.Process()
        samples = []

        def visit(n: int) -> None:
            flow.choose("enter")
            for key in numbers[n % len(numbers)]:
                flow.press_key(key)
            flow.submit_typed()
            assert flow.state.screen == Screen.WELCOME, flow.state
            assert flow.state.visit.first_name == f"Soak{n % len(numbers)}"
            flow.home()
            assert flow.state.visit.first_name == "" and flow.state.screen == Screen.HOME

        for n in range(VISITS):
            visit(n)
            if n % 1000 == 999:
                gc.collect()
                samples.append({"visits": n + 1, "rss_mb": round(process.memory_info().rss / 2**20, 1),
                                "fds": process.num_fds()})
    finally:
        server.stop()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "soak.json").write_text(json.dumps(samples, indent=1))
    print(samples)
    warm = samples[1]  # after 2,000 visits caches and pools are warm
    assert samples[-1]["rss_mb"] - warm["rss_mb"] < 20, samples
    assert samples[-1]["fds"] - warm["fds"] <= 2, samples
    assert os.getpid() == process.pid
