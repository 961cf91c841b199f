"""A real backoffice over real HTTP: uvicorn on a free localhost port, in a thread or a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import uvicorn

from backoffice.app import create_app
from backoffice.runtime import Runtime
from backoffice.services import devices
from backoffice.settings import Settings, ensure_secret, load_settings

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"backoffice at {base_url} did not start within {timeout}s")


@dataclass
class Backoffice:
    """A running server and shortcuts that set up what a test needs through the real services."""

    base_url: str
    settings: Settings
    runtime: Runtime | None = None
    _stop: object = None
    _names: set = field(default_factory=set)

    def unique(self, stem: str) -> str:
        return f"{stem} {uuid.uuid4().hex[:6]}"

    def register_with_kiosk(self, name: str | None = None) -> tuple[str, str]:
        """Create a register and pair a kiosk with it; return (register name, device token)."""
        name = name or self.unique("Register")
        with self.runtime.sessions() as db:
            register = devices.create_register(db, name)
            _, token = devices.pair_kiosk(db, register, f"Kiosk {name}", actor="test")
            db.commit()
        return name, token

    def api_key(self) -> str:
        with self.runtime.sessions() as db:
            _, token = devices.create_api_key(db, self.unique("pos"), actor="test")
            db.commit()
        return token

    def staff(self, role: str = "cashier", password: str = "correct-horse-1") -> tuple[str, str]:
        username = f"{role}{uuid.uuid4().hex[:6]}"
        with self.runtime.sessions() as db:
            devices.create_staff(db, username, password, role)
            db.commit()
        return username, password

    def stop(self) -> None:
        if self._stop:
            self._stop()


def make_settings(data_dir: Path, database_url: str, port: int, **overrides) -> Settings:
    overrides.setdefault("shop_language", "en")  # the tests read English pages; tests/backoffice/test_swedish_pages.py reads sv
    settings = load_settings(
        environ={},
        data_dir=data_dir,
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        purge_interval_seconds=1,
        **overrides,
    )
    return ensure_secret(settings)


def start_in_thread(data_dir: Path, database_url: str, **overrides) -> Backoffice:
    """Serve the app with uvicorn in a background thread of the test process."""
    port = free_port()
    settings = make_settings(data_dir, database_url, port, **overrides)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="backoffice", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    wait_until_up(base_url)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return Backoffice(base_url=base_url, settings=settings, runtime=app.state.runtime, _stop=stop)


@dataclass
class ServerProcess:
    """``backoffice serve`` in its own process, so tests can kill and restart it."""

    data_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 1
    extra_env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "BACKOFFICE_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "BACKOFFICE_PURGE_INTERVAL_SECONDS": "1",
            "BACKOFFICE_LOG_LEVEL": "warning",
            "BACKOFFICE_SHOP_LANGUAGE": "en",
            **self.extra_env,
        }
        log = open(self.data_dir / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backoffice", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        wait_until_up(self.base_url)
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
