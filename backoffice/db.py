"""Database engine, sessions and migrations (SQLite WAL by default, PostgreSQL by URL)."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from .domain_errors import Invalid

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_SECONDS = 30


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(conn, cursor, statement, parameters, context, executemany) -> None:
    """Text with a NUL character is refused before it reaches either database.

    PostgreSQL cannot store it (a DataError, then a 500) and SQLite would store
    it silently; no name, code or number a person types contains one.
    """
    if _has_nul(parameters):
        raise Invalid("invalid_characters", "Text cannot contain the NUL character (\\0).")


def make_engine(url: str, *, pool_size: int = 10, pooled: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys; text with NUL is refused."""
    pool_args = {"pool_size": pool_size, "max_overflow": 20} if pooled else {"poolclass": NullPool}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_sqlite_file(Path(path))
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        if path and path != ":memory:":
            connect_args["factory"] = _gated_connection_class(Path(path))
        # hide_parameters: an error's message (and so a logged traceback) never shows the values of a statement
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True, **pool_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        if path and path != ":memory:":  # the -wal/-shm files exist once WAL mode is on
            event.listen(engine, "connect", lambda *_: _tighten(Path(path)))
        # pysqlite's own transaction handling defers BEGIN until the first write,
        # which lets two writers deadlock; BEGIN IMMEDIATE on write paths avoids it.
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **pool_args)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


SQLITE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_sqlite_file(path: Path) -> None:
    """Make the database file (and its -wal/-shm files) readable by the server's user only, whatever the umask.

    The file is created 0600 before SQLite opens it; SQLite creates the -wal
    and -shm files with the database file's mode.  Files left by an older
    version or another tool with a looser mode are tightened.  (systemd's
    UMask does the same for the service; this holds for ``backoffice serve``
    and the demo started by hand.)
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    except FileExistsError:
        pass
    _tighten(path)


def _tighten(path: Path) -> None:
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        try:
            info = candidate.stat()
        except FileNotFoundError:
            continue
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.chmod(candidate, SQLITE_FILE_MODE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    raw = connection.connection.dbapi_connection
    if mode == "IMMEDIATE" and isinstance(raw, _GatedConnection):
        raw.enter_gate()
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    except Exception:
        if isinstance(raw, _GatedConnection):
            raw.leave_gate()
        raise


class WriteGate:
    """Queues writers to one SQLite file: a lock inside the process, flock across processes.

    SQLite's own busy handler polls with sleeps of up to 100 ms, which turns
    contention between server workers into long tail latency; a writer waiting
    on the gate instead wakes the moment the previous one commits.

    The gate belongs to a transaction, not to a thread: a request's unit of
    work begins in the thread that runs the route and may commit in another,
    so the lock is a plain one that any thread may release.  A writer waits at
    most as long as SQLite's busy timeout, then fails like SQLite would.
    """

    def __init__(self, path: Path, timeout: float = BUSY_TIMEOUT_SECONDS):
        self._lock = threading.Lock()
        self._timeout = timeout
        self._fd = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT, 0o600)

    def enter(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (waited for another writer in this process)")
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def leave(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


class _GatedConnection(sqlite3.Connection):
    gate: WriteGate

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._in_gate = False

    def enter_gate(self) -> None:
        self.gate.enter()
        self._in_gate = True

    def leave_gate(self) -> None:
        if self._in_gate:
            self._in_gate = False
            self.gate.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_gate()


def _gated_connection_class(path: Path) -> type[_GatedConnection]:
    key = str(path.resolve())
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None or os.getpid() != getattr(gate, "pid", os.getpid()):
            gate = _gates[key] = WriteGate(path)
            gate.pid = os.getpid()
    return type("GatedConnection", (_GatedConnection,), {"gate": gate})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reader(engine: Engine) -> Engine:
    """The same pool, but SQLite transactions start DEFERRED: readers never queue behind writers."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Apply every Alembic migration up to head (creates the database file on first start)."""
    log.info("Applying database migrations")
    command.upgrade(alembic_config(url), "head")
