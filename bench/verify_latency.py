"""The venue scanner at a million customers: verify latency over HTTP, and the offline list's build time and size.

Starts ``backoffice serve`` (real uvicorn, separate process) on the database
of bench/groups_membership.py (a copy of var/bench/identify.sqlite3 with
bench groups; seeded if missing), links 50,000 cards (once), pairs a kiosk
in verify mode checking the "Bench tag" group, and then:

* drives ``POST /api/v1/kiosk/verify`` from one client (latency, nothing
  queued) and from several (throughput): random customer numbers, 10 % card
  codes, 10 % unknown numbers, each with its own Idempotency-Key, as the kiosk
  sends them; prints p50/p99 and the result mix;
* fetches ``GET /api/v1/kiosk/verify-cache`` cold (entries built), warm
  (entries reused, document signed), gzipped, and revalidated with
  If-None-Match (304); prints times and sizes, and bytes per 100,000 customers.

    python bench/verify_latency.py
    python bench/verify_latency.py --database-url postgresql://kiosk:kiosk@127.0.0.1/kiosk_bench
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from groups_membership import default_sqlite  # noqa: E402
from seed_customers import FIRST_NUMBER, seed_customers  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from backoffice.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from backoffice.models import CardBatch, Customer, CustomerGroup, IdCard, utcnow  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

SECRET = "bench-secret-key-bench-secret-key-0123456789"
CARDS = 50_000


def seed_cards(engine) -> list[str]:
    """50,000 cards linked to every 20th customer (once); returns their codes."""
    with engine.connect() as conn:
        batch = conn.execute(select(CardBatch.id).where(CardBatch.prefix == "BENCH")).scalar()
        if batch is not None:
            return list(conn.execute(select(IdCard.code).where(IdCard.batch_id == batch)).scalars())
        ids = list(conn.execute(select(Customer.id).order_by(Customer.id).limit(CARDS * 20)).scalars())[::20]
    now = utcnow()
    with engine.begin() as conn:
        batch = conn.execute(insert(CardBatch).values(prefix="BENCH", name="Bench cards", size=len(ids),
                                                      created_at=now).returning(CardBatch.id)).scalar_one()
        rows = [{"code": f"BENCH-{n:08d}", "batch_id": batch, "customer_id": cid, "linked_at": now, "created_at": now}
                for n, cid in enumerate(ids)]
        conn.execute(insert(IdCard), rows)
    return [r["code"] for r in rows]


def bodies(count: int, customers: int, codes: list[str], seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.1:
            body = {"kind": "customer_number", "customer_number": str(90_000_000 + rng.randrange(10**6))}
        elif roll < 0.2:
            body = {"kind": "card_code", "card_code": rng.choice(codes)}
        else:
            body = {"kind": "customer_number", "customer_number": str(FIRST_NUMBER + rng.randrange(customers))}
        out.append(json.dumps(body))
    return out


def drive(base_url: str, token: str, payloads: list[str], seconds: float, connections: int) -> dict:
    latencies: list[float] = []
    results: collections.Counter = collections.Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        http = requests.Session()
        http.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        i = offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = http.post(f"{base_url}/api/v1/kiosk/verify", data=payloads[i % len(payloads)], timeout=10,
                                 headers={"Idempotency-Key": uuid.uuid4().hex})
            elapsed = (time.perf_counter() - started) * 1000
            result = response.json().get("result", f"http {response.status_code}")
            with lock:
                latencies.append(elapsed)
                results[result] += 1
            i += connections

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "rps": len(latencies) / (time.monotonic() - started), "p50": q[49],
            "p90": q[89], "p99": q[98], "results": dict(results)}


def fetch_cache(base_url: str, token: str, **headers) -> tuple[requests.Response, float, bytes]:
    """(response, seconds, the bytes on the wire)."""
    started = time.perf_counter()
    response = requests.get(f"{base_url}/api/v1/kiosk/verify-cache", timeout=600, stream=True,
                            headers={"Authorization": f"Bearer {token}", **headers})
    wire = response.raw.read(decode_content=False)
    return response, time.perf_counter() - started, wire


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: var/bench/groups.sqlite3")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = (args.database_url or default_sqlite(data_dir)).replace("postgresql://", "postgresql+psycopg://", 1)
    migrate(url)
    engine = make_engine(url, pooled=False)
    with engine.connect() as conn:
        have = conn.execute(select(func.count(Customer.id))).scalar_one()
    if have < args.customers:
        print(f"Seeding {args.customers - have:,} customers (once) ...", file=sys.stderr)
        seed_customers(url, SECRET, args.customers - have)
        have = args.customers
    codes = seed_cards(engine)

    from backoffice.services import devices, verify

    with make_sessionmaker(engine)() as db:
        register = devices.create_register(db, f"Bench door {int(time.time())}")
        kiosk, token = devices.pair_kiosk(db, register, "bench door", actor="bench")
        selected = db.execute(select(CustomerGroup.id).where(CustomerGroup.name == "Bench tag")).scalar()
        verify.configure_kiosk(db, kiosk, mode="verify", group_ids=[selected] if selected else None, actor="bench")
        db.commit()
    engine.dispose()

    server = ServerProcess(data_dir=data_dir, database_url=url, workers=args.workers,
                           extra_env={"BACKOFFICE_SECRET_KEY": SECRET}).start()
    try:
        payloads = bodies(20_000, args.customers, codes)
        for body in payloads[:200]:  # warm-up: page cache, pools, imports
            requests.post(f"{server.base_url}/api/v1/kiosk/verify", data=body, timeout=10,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        single = drive(server.base_url, token, payloads, args.seconds, 1)
        loaded = drive(server.base_url, token, payloads, args.seconds, args.connections)
        # each server process builds its own entries on its first fetch: fetch until every worker has
        plain = [fetch_cache(server.base_url, token, **{"Accept-Encoding": "identity"}) for _ in range(args.workers + 2)]
        zipped = [fetch_cache(server.base_url, token, **{"Accept-Encoding": "gzip"}) for _ in range(2)]
        etag = plain[-1][0].headers["ETag"]
        same = [fetch_cache(server.base_url, token, **{"If-None-Match": etag}) for _ in range(4)]
    finally:
        server.stop()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"verify on {backend}, {have:,} customers, {len(codes):,} linked cards, {args.workers} server workers "
          f"({os.cpu_count()} cores)")
    for label, result in (("1 connection", single), (f"{args.connections} connections", loaded)):
        print(f"  {label:<14} {result['requests']:>6,} requests  {result['rps']:>5.0f}/s  p50 {result['p50']:.1f} ms  "
              f"p90 {result['p90']:.1f} ms  p99 {result['p99']:.1f} ms  {result['results']}")
    size, gz = len(plain[-1][2]), len(zipped[-1][2])
    entries = plain[-1][2].count(b"\n") - 2  # every line but the header and the signature
    print(f"  offline list: {entries:,} entries ({have:,} customer numbers + {len(codes):,} cards); "
          f"{size / 1e6:.1f} MB plain, {gz / 1e6:.1f} MB gzip")
    print(f"    per 100,000 customers: {size * 100_000 / have / 1e6:.2f} MB plain, "
          f"{gz * 100_000 / have / 1e6:.2f} MB gzip")
    print("    plain fetches (a worker's first builds the entries): "
          + ", ".join(f"{seconds:.2f} s" for _, seconds, _ in plain))
    print("    gzip fetches: " + ", ".join(f"{seconds:.2f} s" for _, seconds, _ in zipped))
    print("    unchanged, If-None-Match: " + ", ".join(f"{r.status_code} in {seconds * 1000:.0f} ms"
                                                      for r, seconds, _ in same))


if __name__ == "__main__":
    main()
