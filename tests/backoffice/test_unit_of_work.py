"""The request's unit of work: committed once the route succeeded, rolled back when it raised, and the live
views woken only after the commit (on SQLite and PostgreSQL, with the SQLite write gate across threads)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from backoffice.db import WriteGate, make_engine, make_sessionmaker, reader
from backoffice.dependencies import WriteSession, transaction
from backoffice.domain_errors import NotFound
from backoffice.errors import install_error_handlers
from backoffice.runtime import Notifier, Runtime
from backoffice.security import Vault
from backoffice.settings import load_settings
from tests.support.database import fresh_database


class RecordingNotifier(Notifier):
    """Records, at each wake-up, which rows another connection can already see."""

    def __init__(self, read) -> None:
        super().__init__()
        self.read = read
        self.seen: list[list[str]] = []

    def notify(self) -> None:
        self.seen.append(self.read())
        super().notify()


@pytest.fixture
def app(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE uow_notes (name VARCHAR(40) PRIMARY KEY)"))
        read_sessions = make_sessionmaker(reader(engine))

        def names() -> list[str]:
            with read_sessions() as db:
                return sorted(db.execute(text("SELECT name FROM uow_notes")).scalars())

        rt = Runtime(settings=load_settings(environ={}, data_dir=str(tmp_path)), engine=engine,
                     sessions=make_sessionmaker(engine), read_sessions=read_sessions, vault=Vault("k" * 32),
                     notifier=RecordingNotifier(names))
        app = FastAPI()
        app.state.runtime = rt
        install_error_handlers(app)

        @app.post("/notes/{name}")
        def add(name: str, db: WriteSession) -> dict:
            db.execute(text("INSERT INTO uow_notes (name) VALUES (:n)"), {"n": name})
            return {"added": name}

        @app.post("/refused/{name}")
        def refused(name: str, db: WriteSession) -> dict:
            db.execute(text("INSERT INTO uow_notes (name) VALUES (:n)"), {"n": name})
            raise NotFound("thing_not_found", "No such thing.")

        @app.post("/twice/{name}")
        def twice(name: str, db: WriteSession) -> dict:
            db.execute(text("INSERT INTO uow_notes (name) VALUES (:n), (:n)"), {"n": name})
            return {"added": name}

        app.state.names = names
        yield app
        engine.dispose()


def test_a_successful_route_is_committed_and_the_views_are_woken_after_the_commit(app):
    client = TestClient(app)
    for name in ("a", "b", "c"):  # each request's writer gate is released, though committed in another thread
        assert client.post(f"/notes/{name}").json() == {"added": name}
    assert app.state.names() == ["a", "b", "c"]
    assert app.state.runtime.notifier.seen == [["a"], ["a", "b"], ["a", "b", "c"]]


def test_a_refused_route_is_rolled_back_and_wakes_nobody(app):
    client = TestClient(app)
    response = client.post("/refused/x")
    assert response.status_code == 404 and response.json()["error"]["code"] == "thing_not_found"
    assert app.state.names() == [] and app.state.runtime.notifier.seen == []
    assert client.post("/notes/y").status_code == 200  # the failed transaction left no lock behind
    assert app.state.names() == ["y"]


def test_a_statement_that_fails_rolls_everything_back(app):
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/twice/z").status_code == 500
    assert app.state.names() == [] and app.state.runtime.notifier.seen == []


def test_background_work_uses_the_same_unit_of_work(app):
    rt = app.state.runtime
    with transaction(rt, notify=False) as db:
        db.execute(text("INSERT INTO uow_notes (name) VALUES ('quiet')"))
    with pytest.raises(RuntimeError), transaction(rt) as db:
        db.execute(text("INSERT INTO uow_notes (name) VALUES ('lost')"))
        raise RuntimeError("stop")
    assert app.state.names() == ["quiet"] and rt.notifier.seen == []


def test_the_sqlite_write_gate_is_released_by_whichever_thread_commits(tmp_path):
    gate = WriteGate(tmp_path / "gate.sqlite3", timeout=0.2)
    began = threading.Thread(target=gate.enter)
    began.start()
    began.join()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        gate.enter()  # a second writer waits no longer than SQLite's busy timeout would
    gate.leave()  # the commit, in another thread than the one that began
    gate.enter()
    gate.leave()
