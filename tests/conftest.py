"""Fixtures shared by every test package."""

from __future__ import annotations

import itertools

import pytest

from tests.support.api import Api
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


_phone_serial = itertools.count(1000000)


@pytest.fixture
def pos(backoffice) -> Api:
    return Api(backoffice.base_url, backoffice.api_key())


@pytest.fixture
def till(backoffice):
    """A fresh register, the kiosk paired with it, and clients for both sides of the counter."""
    register, token = backoffice.register_with_kiosk()

    class Till:
        name = register
        kiosk = Api(backoffice.base_url, token)
        kiosk_token = token
        pos = Api(backoffice.base_url, backoffice.api_key())

        def open_sale(self) -> dict:
            response = self.pos.post("/api/v1/sales", {"register": register})
            assert response.status_code == 201, response.text
            return response.json()

    return Till()


@pytest.fixture
def new_phone():
    """A phone number no other test uses (valid Swedish mobile, E.164)."""
    return lambda: f"+4673{next(_phone_serial):07d}"


@pytest.fixture
def make_customer(pos, new_phone):
    def make(**fields) -> dict:
        body = {"first_name": "Test", "last_name": "Customer", "phone": new_phone(), **fields}
        response = pos.post("/api/v1/customers", body)
        assert response.status_code == 201, response.text
        return response.json()

    return make
