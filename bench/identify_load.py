"""Identify latency and throughput against a backoffice holding a million customers.

Starts ``backoffice serve`` (real uvicorn, separate process) on a database
seeded with bench/seed_customers.py, pairs a kiosk, opens a sale, and drives
``POST /api/v1/identify`` over loopback from a separate process: ``wrk``
(Debian package) when installed, else a Python thread pool.  The requests mix
customer numbers, phones (national form) and personal IDs of random seeded
customers, plus 10 % unknown numbers; each request carries its own
Idempotency-Key, as the kiosk's client does.  Prints p50/p99 latency and requests/s.

    python bench/identify_load.py                         # SQLite, 1,000,000 customers
    python bench/identify_load.py --database-url postgresql://kiosk:kiosk@127.0.0.1/kiosk_bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from seed_customers import FIRST_NUMBER, bench_personal_id, bench_phone, seed_customers  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from backoffice.models import Customer  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

SECRET = "bench-secret-key-bench-secret-key-0123456789"


def request_bodies(count: int, customers: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        i = rng.randrange(customers)
        roll = rng.random()
        if roll < 0.3:
            body = {"method": "enter", "kind": "customer_number", "customer_number": str(FIRST_NUMBER + i)}
        elif roll < 0.6:
            body = {"method": "enter", "kind": "phone", "phone": "0" + bench_phone(i)[3:]}
        elif roll < 0.9:
            body = {"method": "enter", "kind": "personal_id", "personal_id": bench_personal_id(i)}
        else:
            body = {"method": "enter", "kind": "customer_number", "customer_number": str(90_000_000 + i)}
        bodies.append(json.dumps(body))
    return bodies


WRK_SCRIPT = """
local bodies = {}
local n = 0
for line in io.lines("%s") do n = n + 1; bodies[n] = line end
local i = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
-- one token per kiosk of the chain; wrk.format uses only the headers it is given
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local headers = {["Content-Type"] = "application/json"}
wrk.method = "POST"
request = function()
  i = i + 1
  -- every request carries its own idempotency key, as the kiosk's client sends
  headers["Idempotency-Key"] = prefix .. "-" .. i
  headers["Authorization"] = "Bearer " .. tokens[(i %% #tokens) + 1]
  return wrk.format(nil, "/api/v1/identify", headers, bodies[(i %% n) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run_wrk(base_url: str, tokens: list[str], bodies: list[str], seconds: int, connections: int, work: Path) -> dict:
    (work / "bodies.txt").write_text("\n".join(bodies) + "\n")
    (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
    script = work / "identify.lua"
    script.write_text(WRK_SCRIPT % (work / "bodies.txt", work / "tokens.txt"))
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s", str(script), base_url],
        capture_output=True, text=True, check=True,
    ).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    total, micros, p50, p90, p99, errors = int(fields[0]), int(fields[1]), *map(float, fields[2:5]), int(float(fields[5]))
    return {"requests": total, "rps": total / (micros / 1e6), "p50": p50, "p90": p90, "p99": p99, "errors": errors}


def run_python(base_url: str, tokens: list[str], bodies: list[str], seconds: int, connections: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        http = requests.Session()
        http.headers.update({"Authorization": f"Bearer {tokens[offset % len(tokens)]}",
                             "Content-Type": "application/json"})
        i = offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = http.post(f"{base_url}/api/v1/identify", data=bodies[i % len(bodies)], timeout=10,
                                 headers={"Idempotency-Key": f"{offset}-{i}-{started}"})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += response.status_code != 200
            i += connections

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "rps": len(latencies) / (time.monotonic() - started),
            "p50": q[49], "p90": q[89], "p99": q[98], "errors": errors}


def server_cpu_seconds(server: ServerProcess) -> float:
    """User + system CPU of the server and its worker processes so far."""
    import psutil

    root = psutil.Process(server.process.pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description="Identify p50/p99 and requests/s at a million customers")
    parser.add_argument("--database-url", help="default: an SQLite file under var/bench/")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kiosks", type=int, default=50, help="kiosks (each at its own register) sending requests")
    args = parser.parse_args()

    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{data_dir / 'identify.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            have = conn.execute(select(func.count(Customer.id))).scalar_one()
    except Exception:
        have = 0
    if have < args.customers:
        print(f"Seeding {args.customers - have:,} customers (once) ...", file=sys.stderr)
        seed_customers(url, SECRET, args.customers - have)
    with engine.begin() as conn:  # fresh registers per run keep event streams and rate-limit buckets short
        conn.execute(text("DELETE FROM register_events"))
        conn.execute(text("DELETE FROM rate_limit_hits"))
    engine.dispose()

    server = ServerProcess(data_dir=data_dir, database_url=url, workers=args.workers,
                           extra_env={"BACKOFFICE_SECRET_KEY": SECRET,
                                      # one bench kiosk sends far more than a customer could type
                                      "BACKOFFICE_IDENTIFY_RATE_PER_MINUTE": "1000000000",
                                      "BACKOFFICE_IDENTIFY_LOCKOUT_FAILURES": "1000000000"}).start()
    try:
        from backoffice.db import make_engine, make_sessionmaker
        from backoffice.services import devices, sales

        tokens = []
        with make_sessionmaker(make_engine(url, pooled=False))() as db:
            for n in range(args.kiosks):
                register = devices.create_register(db, f"Bench {int(time.time())}-{n}")
                tokens.append(devices.pair_kiosk(db, register, f"bench kiosk {n}", actor="bench")[1])
                sales.open_sale(db, register)
            db.commit()
        token = tokens[0]
        bodies = request_bodies(20_000, args.customers)
        # warm-up: page cache, connection pools, imports
        for body in bodies[:200]:
            requests.post(f"{server.base_url}/api/v1/identify", data=body, timeout=10,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        cpu_before = server_cpu_seconds(server)
        with tempfile.TemporaryDirectory() as work:
            if shutil.which("wrk"):
                tool = "wrk"
                result = run_wrk(server.base_url, tokens, bodies, args.seconds, args.connections, Path(work))
            else:
                tool = "python threads"
                result = run_python(server.base_url, tokens, bodies, args.seconds, args.connections)
        result["cpu_ms"] = (server_cpu_seconds(server) - cpu_before) * 1000 / max(result["requests"], 1)
    finally:
        server.stop()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"identify on {backend}, {args.customers:,} customers, {args.workers} server workers, "
          f"{args.connections} connections from {args.kiosks} kiosks ({tool}, {args.seconds}s, {os.cpu_count()} cores)")
    print(f"  requests: {result['requests']:,}  errors: {result['errors']}")
    print(f"  throughput: {result['rps']:.0f} requests/s")
    print(f"  latency: p50 {result['p50']:.1f} ms  p90 {result['p90']:.1f} ms  p99 {result['p99']:.1f} ms")
    print(f"  server CPU per request: {result['cpu_ms']:.2f} ms "
          f"(capacity of {os.cpu_count()} idle cores: about {os.cpu_count() * 1000 / result['cpu_ms']:.0f} requests/s)")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
