"""`backoffice backup` and `backoffice restore` on the SQLite file, against a real multi-worker server."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from backoffice import cli
from tests.support.api import Api
from tests.support.database import backend
from tests.support.server import ServerProcess

sqlite_only = pytest.mark.skipif(backend() != "sqlite", reason="backup and restore are for the SQLite file")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def backoffice_cli(data_dir: Path, *args: str, url: str | None = None) -> Ran:
    """Run the ``backoffice`` command in this process (a separate process from the server's, like a shell's)."""
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "BACKOFFICE_SECRET_KEY")}
    os.environ["DATABASE_URL"] = url or f"sqlite:///{data_dir / 'backoffice.sqlite3'}"
    os.environ.pop("BACKOFFICE_SECRET_KEY", None)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["--data-dir", str(data_dir), *args])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Ran(code, out.getvalue(), err.getvalue())


def _dump(path: Path) -> dict[str, list]:
    """Every row of every table, in order: what "exactly the same state" means."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def _count(path: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture
def served(tmp_path):
    """A two-worker server on a fresh SQLite data dir, and an API key for it."""
    url = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    server = ServerProcess(tmp_path, url, workers=2).start()
    created = backoffice_cli(tmp_path, "create-api-key", "backup-test")
    assert created.returncode == 0, created.stderr
    server.pos = Api(server.base_url, created.stdout.strip().splitlines()[-1])
    yield server
    server.stop()


def _customer(pos: Api, name: str) -> dict:
    response = pos.post("/api/v1/customers", {"first_name": name, "last_name": "Backup"})
    assert response.status_code == 201, response.text
    return response.json()


@sqlite_only
def test_a_backup_taken_while_workers_write_is_one_consistent_private_moment(served, tmp_path):
    stop = threading.Event()
    errors: list[str] = []

    def write():
        n = 0
        while not stop.is_set():
            response = served.pos.post("/api/v1/customers", {"first_name": f"Writer{n}", "last_name": "Busy"})
            if response.status_code != 201:
                errors.append(response.text)
            n += 1

    writers = [threading.Thread(target=write) for _ in range(4)]
    for thread in writers:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while _count(tmp_path / "backoffice.sqlite3", "SELECT count(*) FROM customers") < 20:
            assert time.monotonic() < deadline and not errors, errors[:3]
            time.sleep(0.05)
        done = backoffice_cli(tmp_path, "backup")
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert done.returncode == 0, done.stderr
    assert not errors, errors[:3]
    assert "secret key" in done.stdout  # the reminder that the key is needed to read it
    folder = tmp_path / "backups"
    [backup] = list(folder.glob("backoffice-*.sqlite3"))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not list(folder.glob("*.part")) and not Path(f"{backup}-wal").exists()
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Each customer and its audit entry and counter step are written in one transaction: a consistent
    # copy has exactly as many of each, however many writers were busy.
    customers = _count(backup, "SELECT count(*) FROM customers")
    assert customers >= 20
    assert _count(backup, "SELECT count(*) FROM audit_events WHERE action = 'customer_created'") == customers
    assert _count(backup, "SELECT value FROM counters WHERE name = 'customer_number'") == \
        _count(backup, "SELECT max(customer_number) FROM customers")


@sqlite_only
def test_restore_brings_back_exactly_the_backed_up_state_and_keeps_the_one_it_replaced(served, tmp_path):
    anna, bo = _customer(served.pos, "Anna"), _customer(served.pos, "Bo")
    target = tmp_path / "before-changes.sqlite3"
    assert backoffice_cli(tmp_path, "backup", str(target)).returncode == 0
    expected = _dump(target)
    cecilia = _customer(served.pos, "Cecilia")
    assert served.pos.post(f"/api/v1/customers/{anna['reference']}/erase").status_code == 200
    served.stop()

    restored = backoffice_cli(tmp_path, "restore", str(target))
    assert restored.returncode == 0, restored.stderr
    assert _dump(tmp_path / "backoffice.sqlite3") == expected
    kept = tmp_path / "backoffice.sqlite3.before-restore"
    assert f"kept at {kept}" in restored.stdout
    assert _count(kept, f"SELECT count(*) FROM customers WHERE reference = '{cecilia['reference']}'") == 1

    served.start()
    for customer, status in ((anna, 200), (bo, 200), (cecilia, 404)):
        assert served.pos.get(f"/api/v1/customers/{customer['reference']}").status_code == status


@sqlite_only
def test_restore_refuses_while_a_server_runs_unless_forced(served, tmp_path):
    _customer(served.pos, "Dora")
    target = tmp_path / "one.sqlite3"
    assert backoffice_cli(tmp_path, "backup", str(target)).returncode == 0
    later = _customer(served.pos, "Later")
    refused = backoffice_cli(tmp_path, "restore", str(target))
    assert refused.returncode == 2 and "server is running" in refused.stderr
    assert served.pos.get(f"/api/v1/customers/{later['reference']}").status_code == 200
    forced = backoffice_cli(tmp_path, "restore", "--force", str(target))
    assert forced.returncode == 0, forced.stderr
    assert served.pos.get(f"/api/v1/customers/{later['reference']}").status_code == 404  # the workers see it at once
    assert _customer(served.pos, "After").get("reference")  # and keep writing


@sqlite_only
def test_restore_refuses_a_damaged_file_or_a_foreign_one_and_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    assert backoffice_cli(tmp_path, "migrate", url=url).returncode == 0
    good = tmp_path / "good.sqlite3"
    assert backoffice_cli(tmp_path, "backup", str(good)).returncode == 0
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(good.read_bytes())
    page = 4096
    data[page: page * 3] = os.urandom(page * 2)
    damaged.write_bytes(bytes(data))
    foreign = tmp_path / "foreign.sqlite3"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE notes (text)")
    live_before = _dump(tmp_path / "backoffice.sqlite3")
    for path, says in ((damaged, "integrity"), (foreign, "not a backoffice database"), (tmp_path / "none", "no file")):
        refused = backoffice_cli(tmp_path, "restore", str(path))
        assert refused.returncode == 2 and says in refused.stderr, (path, refused.stderr)
    assert _dump(tmp_path / "backoffice.sqlite3") == live_before
    assert not (tmp_path / "backoffice.sqlite3.before-restore").exists()


@sqlite_only
def test_backups_in_the_folder_keep_the_newest_n(tmp_path):
    assert backoffice_cli(tmp_path, "migrate").returncode == 0
    for _ in range(4):
        assert backoffice_cli(tmp_path, "backup", "--keep", "2").returncode == 0
    kept = sorted((tmp_path / "backups").glob("backoffice-*.sqlite3"))
    assert len(kept) == 2


def test_on_postgresql_backup_and_restore_point_to_pg_dump(tmp_path):
    url = "postgresql://kiosk@127.0.0.1:1/nowhere"
    for command in (("backup",), ("restore", "x.dump")):
        answer = backoffice_cli(tmp_path, *command, url=url)
        assert answer.returncode == 2 and "pg_dump" in answer.stderr and "pg_restore" in answer.stderr
