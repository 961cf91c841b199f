"""Three server workers on one database, hammered from many threads: no 5xx, no lost or doubled writes.

Each thread works a register of its own (open a sale, ring up lines, a
customer at the kiosk, become-a-member requests, close) while every
idempotent request is sent three times at once, as a kiosk retrying over a
bad network would.  On SQLite this is the write gate's test: several
processes, one file, never "database is locked".
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from backoffice.db import make_engine, make_sessionmaker, migrate
from backoffice.models import Customer, IdempotencyRecord, PendingRegistration, Sale, SaleLine
from backoffice.security import Vault
from backoffice.services import customers, devices
from tests.support.database import fresh_database
from tests.support.server import ServerProcess

SECRET = "many-workers-test-secret-key-0123456789abcdef"
THREADS = 9
ROUNDS = 8
RETRIES = 3  # copies of each idempotent request, sent at once


@pytest.fixture
def farm(tmp_path):
    with fresh_database(tmp_path) as url:
        migrate(url)
        engine = make_engine(url, pooled=False)
        with make_sessionmaker(engine)() as db:
            tills = []
            for n in range(THREADS):
                register = devices.create_register(db, f"Till {n}")
                _, token = devices.pair_kiosk(db, register, f"Kiosk {n}", actor="test")
                tills.append((register.name, token))
            _, key = devices.create_api_key(db, "pos", actor="test")
            regular = customers.create_customer(db, Vault(SECRET), {"first_name": "Regular"}, created_by="admin",
                                                actor="test")
            number = regular.customer_number
            db.commit()
        server = ServerProcess(tmp_path, url, workers=3, extra_env={
            "BACKOFFICE_SECRET_KEY": SECRET,
            # the limits stay on (their hits are written like in the shop), just above this test's pace
            "BACKOFFICE_IDENTIFY_RATE_PER_MINUTE": "100000", "BACKOFFICE_IDENTIFY_LOCKOUT_FAILURES": "100000",
        }).start()
        try:
            yield server, engine, tills, key, number
        finally:
            server.stop()
            engine.dispose()


class Till:
    def __init__(self, base: str, register: str, token: str, key: str):
        self.base, self.register = base, register
        self.kiosk, self.pos = requests.Session(), requests.Session()
        self.kiosk.headers["Authorization"] = f"Bearer {token}"
        self.pos.headers["Authorization"] = f"Bearer {key}"
        self.statuses: Counter = Counter()
        self.failures: list[str] = []

    def send(self, session: requests.Session, method: str, path: str, body=None, *, key: str | None = None,
             expect: tuple[int, ...] = (200, 201)) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        response = session.request(method, self.base + path, json=body, headers=headers, timeout=60)
        self.statuses[response.status_code] += 1
        if response.status_code not in expect:
            self.failures.append(f"{method} {path} -> {response.status_code} {response.text[:200]}")
            return {}
        return response.json()

    def at_once(self, session, method: str, path: str, body: dict) -> list[dict]:
        """The same idempotent request, RETRIES copies in flight together."""
        key = str(uuid.uuid4())
        with ThreadPoolExecutor(RETRIES) as pool:
            return list(pool.map(lambda _: self.send(session, method, path, body, key=key), range(RETRIES)))

    def work(self, number: int, round_: int) -> None:
        sale = self.send(self.pos, "POST", "/api/v1/sales", {"register": self.register})["reference"]
        self.send(self.pos, "POST", f"/api/v1/sales/{sale}/lines",
                  [{"product": "Bun", "quantity": "2", "unit_price": "25.00"}])
        self.send(self.pos, "POST", "/api/v1/customers", {"first_name": f"New{round_}", "last_name": self.register})
        matched = self.at_once(self.kiosk, "POST", "/api/v1/identify",
                               {"method": "enter", "kind": "customer_number", "customer_number": str(number)})
        if {m.get("result") for m in matched} != {"matched"}:
            self.failures.append(f"identify answered {matched}")
        pending = self.at_once(self.kiosk, "POST", "/api/v1/identify",
                               {"method": "scan", "kind": "vcard", "first_name": f"Vera{round_}",
                                "last_name": self.register.replace(" ", ""), "email": f"v{uuid.uuid4().hex}@ex.org"})
        registered = self.at_once(self.kiosk, "POST", "/api/v1/kiosk/registrations",
                                  {"source": "enter", "first_name": f"Reg{round_}", "phone": "+46701234567"})
        for copies in (pending, registered):
            references = {(c.get("registration") or c).get("reference") for c in copies}
            if len(references) != 1:
                self.failures.append(f"retries made {references}")
        self.send(self.pos, "POST", f"/api/v1/sales/{sale}/close")


def test_three_workers_take_concurrent_writes_without_errors_or_duplicates(farm):
    server, engine, tills, key, number = farm
    workers = [Till(server.base_url, register, token, key) for register, token in tills]
    threads = [threading.Thread(target=lambda t=t: [t.work(number, r) for r in range(ROUNDS)]) for t in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    statuses = sum((t.statuses for t in workers), Counter())
    failures = [f for t in workers for f in t.failures]
    assert not failures, failures[:5]
    assert not [s for s in statuses if s >= 500], statuses
    log = "".join(p.read_text(errors="replace") for p in server.data_dir.glob("server-*.log"))
    assert "database is locked" not in log and "Traceback" not in log, log[-2000:]

    runs = THREADS * ROUNDS
    with make_sessionmaker(engine)() as db:
        def count(stmt) -> int:
            return db.execute(stmt).scalar_one()

        assert count(select(func.count()).select_from(Sale)) == runs
        assert count(select(func.count()).select_from(Sale).where(Sale.status == "closed")) == runs
        assert count(select(func.count(func.distinct(Sale.receipt_number)))) == runs
        assert count(select(func.count()).select_from(SaleLine)) == runs
        assert count(select(func.count()).select_from(Sale).where(Sale.customer_id.is_not(None))) == runs
        assert count(select(func.count()).select_from(Customer)) == runs + 1
        assert count(select(func.count(func.distinct(Customer.customer_number)))) == runs + 1
        assert count(select(func.count()).select_from(PendingRegistration)) == 2 * runs
        assert count(select(func.count()).select_from(IdempotencyRecord)) == 3 * runs
