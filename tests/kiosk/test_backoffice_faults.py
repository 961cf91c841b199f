"""The kiosk against a backoffice that is slow, killed and restarted: it says so, keeps what was submitted,
and every submission is applied exactly once."""

from __future__ import annotations

import queue
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from kiosk.api import BackofficeClient
from kiosk.errors import BackofficeUnavailable
from kiosk.flow import Screen, Timing, VisitFlow
from kiosk.outbox import Outbox, OutboxSender
from tests.support.api import Api
from tests.support.server import free_port

pytestmark = pytest.mark.timeout(240)


class SlowProxy:
    """A TCP proxy that holds every answer back for ``delay`` seconds (a congested Wi-Fi link)."""

    def __init__(self, target_port: int, delay: float):
        self.delay = delay
        self.target = target_port
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by close()
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.delay), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, delay: float) -> None:
        try:
            while data := source.recv(65536):
                if delay:
                    time.sleep(delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._server.close()


def _connections(url: str, sale: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM register_events WHERE type = 'customer_connected'")).all()
    engine.dispose()
    return sum(1 for (data,) in rows if sale in str(data))


def test_a_slow_backoffice_times_out_the_kiosk_which_saves_and_later_sends_exactly_once(server, tmp_path):
    process, info = server
    proxy = SlowProxy(process.port, delay=3.0)
    try:
        slow = BackofficeClient(f"http://127.0.0.1:{proxy.port}", info["token"], timeout=1.0, retries=1, backoff=0.1)
        outbox = Outbox(tmp_path / "outbox.sqlite3")
        key = uuid.uuid4().hex
        payload = {"method": "enter", "kind": "customer_number", "customer_number": info["number"], "sale": info["sale"]}
        started = time.monotonic()
        with pytest.raises(BackofficeUnavailable):
            slow.identify(payload, key)
        assert time.monotonic() - started < 6  # the customer is not kept waiting for the slow link
        outbox.add("identify", payload, key)
        time.sleep(4)  # the slow requests did reach the server meanwhile
        fast = BackofficeClient(process.base_url, info["token"])
        assert OutboxSender(outbox, fast.send).flush() == 1
    finally:
        proxy.close()
    assert _connections(info["url"], info["sale"]) == 1, "a retried submission was applied more than once"


class ThreadedRunner:
    """Like the app's: work in threads, answers handed back to 'the UI thread' (the test) through a queue."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(4)
        self.answers: queue.Queue = queue.Queue()

    def __call__(self, work, done, failed):
        def run():
            try:
                self.answers.put((done, work()))
            except Exception as exc:  # noqa: BLE001 - handed to the flow
                self.answers.put((failed, exc))

        self.pool.submit(run)

    def pump_until(self, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out")
            try:
                callback, value = self.answers.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            callback(value)


def test_backoffice_killed_while_the_customer_waits_for_the_cashier_then_back(server, tmp_path):
    process, info = server
    runner = ThreadedRunner()
    client = BackofficeClient(process.base_url, info["token"], timeout=3, retries=2, backoff=0.5)
    flow = VisitFlow(client, runner, outbox=Outbox(tmp_path / "outbox.sqlite3"), timing=Timing())
    flow.server_state(client.state())
    assert flow.state.sale == info["sale"]
    flow.choose("enter")
    for key in "0707070707":
        flow.press_key(key)
    flow.submit_typed()
    runner.pump_until(lambda: flow.state.screen == Screen.NOT_FOUND, 20)
    flow.become_member()
    runner.pump_until(lambda: flow.state.screen == Screen.PENDING, 20)
    reference = flow.state.visit.registration
    process.kill()
    runner.pump_until(lambda: not flow.state.online, 60)
    assert flow.state.screen == Screen.PENDING  # still waiting for the cashier, not an error
    process.start()
    pos = Api(process.base_url, info["key"])
    confirmed = pos.post(f"/api/v1/registrations/{reference}/complete", {"first_name": "Vera"})
    assert confirmed.status_code == 200, confirmed.text
    runner.pump_until(lambda: flow.state.screen == Screen.WELCOME, 90)
    assert flow.state.visit.first_name == "Vera"
    listed = pos.get("/api/v1/registrations", params={"register": info["register"]}).json()["registrations"]
    assert listed == []
