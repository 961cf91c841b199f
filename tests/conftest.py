"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from tests.support.database import fresh_database
from tests.support.server import start_in_thread


@pytest.fixture(scope="session")
def backoffice(tmp_path_factory):
    """One real backoffice (uvicorn on a free port, fresh database) for the session's API tests."""
    data_dir = tmp_path_factory.mktemp("backoffice")
    with fresh_database(data_dir) as url:
        server = start_in_thread(data_dir, url)
        yield server
        server.stop()
