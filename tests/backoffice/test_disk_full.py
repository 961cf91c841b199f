"""A full disk gets a clear answer (503 storage_full, logged), nothing half-written, and work resumes with space.

The real thing: the server runs in a private mount namespace whose data
directory is a small tmpfs, which the test fills with a file and empties
again (root, or unshare's user namespaces, needed; skipped otherwise).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.exc import OperationalError

from backoffice.errors import is_storage_full
from tests.support.api import Api, error_code
from tests.support.database import backend
from tests.support.server import REPO, free_port, wait_until_up
from tests.support.staff import CSRF_META, sign_in_response

SECRET = "disk-full-test-secret-key-0123456789abcdef"
NOTES = "n" * 3000  # each customer takes a page or so: the disk fills in a few hundred


def _can_mount_privately() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return False
    if os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, timeout=30)
    return probe.returncode == 0


class SmallDiskServer:
    """``backoffice serve`` whose data directory is a 6 MB tmpfs only it (and nsenter) can see."""

    def __init__(self, outside: Path):
        self.data_dir = outside / "data"  # a mount point; empty from the outside
        self.data_dir.mkdir()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = outside / "server.log"
        self.env = {**os.environ, "BACKOFFICE_DATA_DIR": str(self.data_dir), "BACKOFFICE_SECRET_KEY": SECRET,
                    "DATABASE_URL": f"sqlite:///{self.data_dir / 'backoffice.sqlite3'}",
                    "BACKOFFICE_LOG_LEVEL": "warning", "BACKOFFICE_IDENTIFY_RATE_PER_MINUTE": "0",
                    "BACKOFFICE_SHOP_LANGUAGE": "en"}
        script = 'mount -t tmpfs -o size=6m,mode=0700 tmpfs "$1" && shift && exec "$@"'
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", str(self.data_dir),
             sys.executable, "-m", "backoffice", "serve", "--port", str(self.port), "--workers", "1"],
            env=self.env, cwd=REPO, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
        )
        wait_until_up(self.base_url)

    def inside(self, *command: str, stdin: str = "") -> str:
        """Run a command in the server's mount namespace (where the tmpfs is)."""
        done = subprocess.run(["nsenter", "--target", str(self.process.pid), "--mount", "--", *command], env=self.env,
                              cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def cli(self, *args: str, stdin: str = "") -> str:
        return self.inside(sys.executable, "-m", "backoffice", *args, stdin=stdin)

    def sql(self, query: str) -> int:
        code = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])"
        return int(self.inside(sys.executable, "-c", code, str(self.data_dir / "backoffice.sqlite3"), query))

    def fill_the_disk(self) -> None:
        self.inside("sh", "-c", f'cat /dev/zero > "{self.data_dir}/filler" 2>/dev/null; true')

    def free_the_disk(self) -> None:
        self.inside("rm", "-f", str(self.data_dir / "filler"))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def small_disk(tmp_path):
    if backend() != "sqlite":
        pytest.skip("the disk that fills is the SQLite file's")
    if not _can_mount_privately():
        pytest.skip("needs root to mount a tmpfs in a private mount namespace")
    server = SmallDiskServer(tmp_path)
    yield server
    server.stop()


def _new_customer(pos: Api, n: int) -> requests.Response:
    return pos.post("/api/v1/customers", {"first_name": f"Full{n}", "last_name": "Disk", "notes": NOTES})


def test_a_full_disk_is_answered_clearly_nothing_is_half_written_and_work_resumes(small_disk):
    pos = Api(small_disk.base_url, small_disk.cli("create-api-key", "pos").strip().splitlines()[-1])
    token = small_disk.cli("pair-kiosk", "--register", "Full", "--create-register").strip().splitlines()[-1]
    kiosk = Api(small_disk.base_url, token)
    small_disk.cli("create-staff", "boss", "--role", "manager", "--password-stdin", stdin="correct-horse-1\n")
    browser, signed_in = sign_in_response(small_disk.base_url, "boss", "correct-horse-1")
    assert signed_in.status_code == 303
    csrf = CSRF_META.search(browser.get(small_disk.base_url + "/admin/customers/new", timeout=30).text).group(1)
    assert _new_customer(pos, 0).status_code == 201

    small_disk.fill_the_disk()
    saved, refusals = 1, []
    for n in range(1, 600):
        response = _new_customer(pos, n)
        if response.status_code == 201:
            saved += 1
            continue
        refusals.append(response)
        if len(refusals) >= 3:
            break
    assert refusals, "the disk never filled"
    for refused in refusals:
        assert refused.status_code == 503 and error_code(refused) == "storage_full"
        assert "disk is full" in refused.json()["error"]["message"]
        assert refused.headers["Retry-After"] == "30"
    key = str(uuid.uuid4())
    identify = {"method": "enter", "kind": "customer_number", "customer_number": "100001"}
    at_the_kiosk = kiosk.post("/api/v1/identify", identify, headers={"Idempotency-Key": key})
    assert at_the_kiosk.status_code == 503 and error_code(at_the_kiosk) == "storage_full"
    page = browser.post(small_disk.base_url + "/admin/customers/new", timeout=30,
                        data={"csrf": csrf, "first_name": "Page", "last_name": "Full"})
    assert page.status_code == 503 and "The server&#39;s disk is full" in page.text
    assert requests.get(small_disk.base_url + "/healthz", timeout=10).status_code == 200
    assert "Storage full: POST /api/v1/customers was not saved" in small_disk.log()
    assert "Traceback" not in small_disk.log()

    small_disk.free_the_disk()
    assert _new_customer(pos, 1000).status_code == 201
    saved += 1
    again = kiosk.post("/api/v1/identify", identify, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["result"] == "matched"
    assert kiosk.post("/api/v1/identify", identify, headers={"Idempotency-Key": key}).json() == again.json()
    # Every answer told the truth: a 201 was saved whole (customer, audit entry, counter), a 503 left nothing.
    assert small_disk.sql("SELECT count(*) FROM customers") == saved
    assert small_disk.sql("SELECT count(*) FROM audit_events WHERE action = 'customer_created'") == saved
    assert small_disk.sql("SELECT count(*) FROM idempotency_records") == 1
    assert small_disk.sql("SELECT count(*) FROM sales WHERE customer_id IS NOT NULL") == 0
    integrity = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
    assert small_disk.inside(sys.executable, "-c", integrity,
                             str(small_disk.data_dir / "backoffice.sqlite3")).strip() == "ok"


def test_a_full_disk_is_recognised_from_sqlite_postgresql_and_the_file_system():
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    postgres_full = psycopg.errors.DiskFull("could not extend file: No space left on device")
    for error in (sqlite_full, postgres_full):
        assert is_storage_full(OperationalError("INSERT ...", {}, error))
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("mail outbox") from inner
    except RuntimeError as outer:
        assert is_storage_full(outer)
    for other in (sqlite3.OperationalError("database is locked"), OSError(errno.EACCES, "denied"), ValueError("x")):
        assert not is_storage_full(other)
