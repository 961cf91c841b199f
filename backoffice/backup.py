"""Backing up and restoring the SQLite file: online, consistent, private; restore checks before it touches anything.

A backup is SQLite's online backup API copying the whole database in one
step: one read transaction, so the copy is a single moment of the database
even while server workers write (in WAL mode they are not held up).  It is
written beside its final name, checked with ``PRAGMA integrity_check``,
made a self-contained file (rollback journal, no -wal beside it) and only
then renamed into place, mode 0600.

A restore refuses a file that fails the integrity check, is not a backoffice
database or comes from a newer version; it refuses while a server has the data
directory open (each server process holds a shared lock on ``<db>.serving``)
unless forced; it keeps the current database as ``<db>.before-restore`` and
copies the backup in through the same backup API, so that SQLite's own
locking applies, then brings the schema up to date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

from .db import WriteGate, alembic_config, migrate

BACKUP_PREFIX = "backoffice-"
BACKUP_SUFFIX = ".sqlite3"


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: list[Path]


def default_directory(data_dir: Path) -> Path:
    return Path(data_dir) / "backups"


def _timestamped(directory: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return directory / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"


def _private_file(path: Path) -> None:
    """Create an empty file only its owner can read, before SQLite writes anything into it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def integrity_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong with a database file (empty: nothing)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def backup(database: Path, target: Path | None = None, *, directory: Path | None = None, keep: int = 14) -> BackupResult:
    """Copy the live database to ``target`` (or a timestamped file in ``directory``); keep the newest ``keep``."""
    if not database.exists():
        raise BackupError(f"There is no database at {database} to back up.")
    if target is None:
        directory = directory or default_directory(database.parent)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = _timestamped(directory)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    _private_file(partial)
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as source, \
                contextlib.closing(sqlite3.connect(partial)) as copy:
            source.backup(copy, pages=-1)  # one step: one consistent moment of the database
            copy.execute("PRAGMA journal_mode=DELETE")  # a single file that can travel on its own
        problems = integrity_problems(partial)
        if problems:
            raise BackupError(f"The copy failed its integrity check ({problems[0]}); the database was not changed.")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    removed = prune(target.parent, keep) if directory is not None else []
    return BackupResult(target, target.stat().st_size, removed)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` timestamped backups in ``directory``."""
    if keep <= 0:
        return []
    backups = sorted(directory.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))
    old = backups[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def serving_lock_path(database: Path) -> Path:
    return Path(f"{database}.serving")


@contextlib.contextmanager
def serving(database: Path) -> Iterator[None]:
    """Held by every server process for as long as it runs: restore looks for it."""
    fd = os.open(serving_lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def server_running(database: Path) -> bool:
    path = serving_lock_path(database)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _revision(path: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "customers", "sales"} <= tables:
            raise BackupError(f"{path} is an SQLite file, but not a backoffice database.")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None


def check_restorable(source: Path, database_url: str) -> None:
    """Refuse a backup that is damaged, not ours, or from a newer version of the backoffice."""
    if not source.is_file():
        raise BackupError(f"There is no file at {source}.")
    problems = integrity_problems(source)
    if problems:
        raise BackupError(f"{source} failed its integrity check ({problems[0]}); nothing was restored.")
    revision = _revision(source)
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config(database_url)).walk_revisions()}
    if revision is not None and revision not in known:
        raise BackupError(f"{source} comes from a newer version of the backoffice (schema {revision}); "
                          "update the backoffice first.")


def restore(source: Path, database: Path, database_url: str, *, force: bool = False) -> Path:
    """Replace the live database with a backup's contents; return where the previous one was kept."""
    source, database = Path(source).resolve(), Path(database).resolve()
    if source == database:
        raise BackupError("That is the live database itself; give a backup file.")
    check_restorable(source, database_url)
    if server_running(database) and not force:
        raise BackupError("A backoffice server is running on this data directory; stop it first "
                          "(or pass --force to restore under it).")
    kept = Path(f"{database}.before-restore")
    existed = database.exists()
    if existed:
        kept.unlink(missing_ok=True)
        backup(database, kept)
    else:
        database.parent.mkdir(parents=True, exist_ok=True)
        _private_file(database)
    gate = WriteGate(database)  # server writers (when forced) wait until the copy is complete
    gate.enter()
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(database, timeout=30)) as live:
            src.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode=WAL")
    finally:
        gate.leave()
    migrate(database_url)
    return kept
