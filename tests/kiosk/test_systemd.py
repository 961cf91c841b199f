"""kiosk.systemd against a real AF_UNIX datagram socket, read the way systemd reads it."""

from __future__ import annotations

import array
import os
import socket
import struct
import time
import uuid

import pytest

from kiosk import systemd


class NotifySocket:
    """A listening notify socket that also reports the sender's PID (systemd checks it for NotifyAccess=main)."""

    def __init__(self, address: str | bytes) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(address)
        self.sock.settimeout(2)

    def receive(self) -> tuple[list[str], int]:
        data, ancdata, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        pid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = array.array("i", payload[: struct.calcsize("3i")])[0]
        return data.decode().split("\n"), pid

    def pending(self) -> bool:
        self.sock.setblocking(False)
        try:
            self.sock.recv(4096, socket.MSG_PEEK)
            return True
        except BlockingIOError:
            return False
        finally:
            self.sock.settimeout(2)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def path_socket(tmp_path):
    path = str(tmp_path / "notify")
    listener = NotifySocket(path)
    yield listener, {"NOTIFY_SOCKET": path}
    listener.close()


@pytest.fixture
def abstract_socket():
    name = f"/kiosk/test/{uuid.uuid4().hex}"
    listener = NotifySocket(b"\0" + name.encode())
    yield listener, {"NOTIFY_SOCKET": "@" + name}
    listener.close()


def test_ready_and_status_arrive_in_one_datagram_from_our_own_pid(path_socket):
    listener, env = path_socket
    assert systemd.notify("READY=1", "STATUS=Home screen up", environ=env) is True
    states, pid = listener.receive()
    assert states == ["READY=1", "STATUS=Home screen up"]
    assert pid == os.getpid()


def test_abstract_namespace_socket_is_reached(abstract_socket):
    listener, env = abstract_socket
    assert systemd.notify("STOPPING=1", environ=env) is True
    assert listener.receive()[0] == ["STOPPING=1"]


def test_notify_uses_the_process_environment_by_default(path_socket, monkeypatch):
    listener, env = path_socket
    monkeypatch.setenv("NOTIFY_SOCKET", env["NOTIFY_SOCKET"])
    assert systemd.notify("STATUS=Camera reopening") is True
    assert listener.receive()[0] == ["STATUS=Camera reopening"]


def test_outside_systemd_notify_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False
    assert systemd.notify("READY=1", environ={"NOTIFY_SOCKET": ""}) is False


def test_a_vanished_manager_makes_notify_return_false(tmp_path):
    assert systemd.notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


def test_an_unsupported_socket_kind_is_not_an_error():
    assert systemd.notify("READY=1", environ={"NOTIFY_SOCKET": "vsock:2:1234"}) is False


def test_a_full_manager_queue_never_blocks_the_ui_thread(path_socket):
    listener, env = path_socket
    started = time.monotonic()
    results = [systemd.notify("WATCHDOG=1", environ=env) for _ in range(5000)]
    assert time.monotonic() - started < 5
    assert results[0] is True
    assert results[-1] is False  # the unread queue filled up and the send gave up at once


@pytest.mark.parametrize("bad", ["READY", "=1", "STATUS=two\nlines", ""])
def test_a_malformed_state_is_refused_even_outside_systemd(bad):
    with pytest.raises(ValueError):
        systemd.notify(bad, environ={})


def test_notify_needs_a_state():
    with pytest.raises(ValueError):
        systemd.notify(environ={})


def test_reloading_carries_the_monotonic_timestamp_notify_reload_needs(path_socket):
    listener, env = path_socket
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert systemd.notify("RELOADING=1", "STATUS=Reloading config", environ=env)
    states, _ = listener.receive()
    assert states[:2] == ["RELOADING=1", "STATUS=Reloading config"]
    stamp = int(states[2].removeprefix("MONOTONIC_USEC="))
    assert before <= stamp <= time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


@pytest.mark.parametrize(
    "env, period",
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}, 1.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "me"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_period_is_half_the_timeout_and_only_for_our_pid(env, period):
    assert systemd.watchdog_period(env) == period


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_watchdog_pings_at_most_every_half_period(path_socket):
    listener, env = path_socket
    clock = FakeClock()
    dog = systemd.Watchdog({**env, "WATCHDOG_USEC": "8000000"}, clock=clock)  # WatchdogSec=8s
    assert dog.enabled and dog.period == 4.0
    sent = []
    for _ in range(10):  # the app's Clock interval: once a second for ten seconds
        sent.append(dog.ping())
        clock.now += 1.0
    assert sent == [True, False] * 5
    for _ in range(5):
        assert listener.receive()[0] == ["WATCHDOG=1"]
    assert not listener.pending()


def test_watchdog_retries_at_the_next_tick_after_a_failed_send(tmp_path):
    path = str(tmp_path / "notify")
    clock = FakeClock()
    dog = systemd.Watchdog({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"}, clock=clock)
    assert dog.ping() is False  # nobody listening yet
    listener = NotifySocket(path)
    try:
        clock.now += 0.1
        assert dog.ping() is True
        assert listener.receive()[0] == ["WATCHDOG=1"]
    finally:
        listener.close()


def test_watchdog_outside_systemd_never_sends(path_socket):
    listener, env = path_socket
    dog = systemd.Watchdog(env)  # a notify socket but no WATCHDOG_USEC: WatchdogSec= is not set
    assert not dog.enabled
    assert dog.ping() is False
    assert not listener.pending()


def test_systemd_module_imports_neither_kivy_nor_third_party_code():
    import subprocess
    import sys

    code = "import sys, kiosk.systemd; print(sorted(m for m in sys.modules if m.split('.')[0] in {'kivy', 'requests', 'numpy', 'cv2'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=os.getcwd())
    assert out.stdout.strip() == "[]"
