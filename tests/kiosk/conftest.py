"""Fixtures of the kiosk tests that need a backoffice of their own."""

from __future__ import annotations

import pytest

from backoffice.db import make_engine, make_sessionmaker
from backoffice.security import Vault
from backoffice.services import customers, devices, sales
from backoffice.settings import ensure_secret, load_settings
from tests.support.server import ServerProcess


@pytest.fixture
def server(tmp_path):
    """``backoffice serve`` in a process the test may kill and restart: a register with a paired kiosk,
    a customer and an open sale; yields (process, info)."""
    data = tmp_path / "backoffice"
    data.mkdir()
    url = f"sqlite:///{data / 'backoffice.sqlite3'}"
    process = ServerProcess(data_dir=data, database_url=url).start()
    settings = ensure_secret(load_settings(environ={}, data_dir=data, database_url=url))
    with make_sessionmaker(make_engine(url, pooled=False))() as db:
        register = devices.create_register(db, "Till")
        _, token = devices.pair_kiosk(db, register, "kiosk", actor="test")
        _, key = devices.create_api_key(db, "pos", actor="test")
        customer = customers.create_customer(db, Vault(settings.secret_key), {"first_name": "Saga"},
                                             created_by="cashier", actor="test")
        sale = sales.open_sale(db, register)
        db.commit()
        info = {"token": token, "key": key, "number": str(customer.customer_number), "sale": sale.reference,
                "url": url, "register": register.name}
    yield process, info
    process.stop()
