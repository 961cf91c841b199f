"""Customer-list search and paging at a million customers: the service alone, then whole pages over HTTP.

    python bench/console_search.py                       # SQLite in var/bench, 1,000,000 customers
    python bench/console_search.py --database-url postgresql://kiosk:kiosk@127.0.0.1:5432/kiosk_bench

Rows come from bench/seed_customers.py (real search keys, HMAC lookups and
Fernet-encrypted identifiers); a database that already holds enough customers
is reused.  Prints figures; the target is 100 ms for a search or a page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from backoffice.app import create_app  # noqa: E402
from backoffice.db import make_engine, make_sessionmaker, migrate, reader  # noqa: E402
from backoffice.models import Customer, StaffUser  # noqa: E402
from backoffice.security import Vault  # noqa: E402
from backoffice.services import customer_list, customers, devices  # noqa: E402
from backoffice.settings import load_settings  # noqa: E402
from bench.seed_customers import bench_personal_id, bench_phone, seed_customers  # noqa: E402

SECRET = "bench-secret-key-bench-secret-key-0123456789"
REPEAT = 15


def _timed(fn, repeat: int = REPEAT) -> list[float]:
    fn()  # warm the caches once; the figures are for a till that has been running
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(f"  {label:<52} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   max {samples[-1]:7.1f} ms")


def ensure_customers(url: str, count: int) -> int:
    migrate(url)
    engine = make_engine(url, pooled=False)
    with engine.connect() as conn:
        have = conn.execute(select(func.count(Customer.id))).scalar_one()
    engine.dispose()
    if have < count:
        print(f"Seeding {count - have:,} customers (have {have:,})...", flush=True)
        started = time.perf_counter()
        have = seed_customers(url, SECRET, count - have)
        print(f"  seeded in {time.perf_counter() - started:.0f} s")
    return have


def bench_service(url: str) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(reader(engine))
    vault = Vault(SECRET)
    middle = bench_phone(500_000)

    def page(**kwargs):
        def run():
            with sessions() as db:
                customer_list.list_page(db, vault, **kwargs)
        return run

    with sessions() as db:
        deep_name = customer_list.list_page(db, vault, sort="last_name")
        for _ in range(200):  # 200 pages in: a cursor in the middle of the B-tree
            deep_name = customer_list.list_page(db, vault, sort="last_name", after=deep_name.next_cursor)
        anna = customer_list.list_page(db, vault, q="anna")
        for _ in range(50):
            anna = customer_list.list_page(db, vault, q="anna", after=anna.next_cursor)
    print("Service (customer_list.list_page, 50 rows per page):")
    _report("newest first, first page", _timed(page()))
    _report("last name A-Z, page 201 (keyset cursor)", _timed(page(sort="last_name", after=deep_name.next_cursor)))
    _report("last name Z-A, first page", _timed(page(sort="last_name_desc")))
    _report("search 'anna' (~25,000 matches), first page", _timed(page(q="anna")))
    _report("search 'anna', page 52", _timed(page(q="anna", after=anna.next_cursor)))
    _report("search 'lindqvist ma'", _timed(page(q="lindqvist ma")))
    _report("search by phone (HMAC lookup)", _timed(page(q=middle)))
    _report("search by personal ID (HMAC lookup)", _timed(page(q=bench_personal_id(500_000))))
    _report("search by customer number", _timed(page(q="600001")))
    _report("search with no match 'qqq'", _timed(page(q="qqq")))

    def console_search():
        with sessions() as db:
            found = customers.search(db, vault, "anna", limit=12)
            [customers.staff_view(c, vault) for c in found]

    _report("console search 'anna' (12 results, masked views)", _timed(console_search))

    def count():
        customer_list.count_cache.forget()
        with sessions() as db:
            customer_list.approximate_total(db)

    _report("COUNT(*) of all customers (once a minute per process)", _timed(count, repeat=3))
    engine.dispose()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_export(http: requests.Session, base: str) -> None:
    """Stream the whole CSV export; the process's memory must stay flat while a million rows go by."""
    started, rows, size, peak = time.perf_counter(), 0, 0, 0.0
    before = _rss_mb()
    with http.get(f"{base}/admin/customers/export.csv", stream=True) as response:
        for chunk in response.iter_content(chunk_size=1 << 16):
            rows += chunk.count(b"\n")
            size += len(chunk)
            peak = max(peak, _rss_mb())
    seconds = time.perf_counter() - started
    print("CSV export over HTTP (every customer, phones decrypted):")
    print(f"  {rows - 1:,} rows, {size / 1e6:.0f} MB in {seconds:.1f} s ({(rows - 1) / seconds:,.0f} rows/s); "
          f"process memory {before:.0f} MB before, {peak:.0f} MB at most while streaming")


def bench_http(url: str, export: bool) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="console-search-"))
    port = _free_port()
    settings = load_settings(environ={}, data_dir=data_dir, database_url=url, secret_key=SECRET, port=port)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    _wait_up(base)
    username, password = "bench-manager", "bench-manager-password"
    with app.state.runtime.sessions() as db:
        if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first() is None:
            devices.create_staff(db, username, password, "manager")
            db.commit()
    http = requests.Session()
    form = http.get(f"{base}/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    http.post(f"{base}/login", data={"username": username, "password": password, "csrf": csrf, "next": "/admin"})
    first = http.get(f"{base}/admin/customers?sort=last_name").text
    following = re.search(r'rel="next" href="\?([^"]+)"', first).group(1).replace("&amp;", "&")

    def get(path):
        def run():
            response = http.get(base + path)
            assert response.status_code == 200, response.status_code
        return run

    print("Whole pages over HTTP (uvicorn, signed-in manager, 50 rows rendered):")
    _report("GET /admin/customers (newest first)", _timed(get("/admin/customers")))
    _report("GET /admin/customers next page by last name", _timed(get("/admin/customers?" + following)))
    _report("GET /admin/customers?q=anna", _timed(get("/admin/customers?q=anna")))
    _report("GET /admin/customers?q=<phone>", _timed(get(f"/admin/customers?q={bench_phone(123_456)}")))
    _report("GET /console/<register>/search?q=anna (console fragment)", _timed(_console_search(app, http, base)))
    if export:
        bench_export(http, base)
    server.should_exit = True
    thread.join(10)


def _console_search(app, http, base):
    with app.state.runtime.sessions() as db:
        from backoffice.models import Register

        register = db.execute(select(Register).limit(1)).scalar_one_or_none() or devices.create_register(db, "Bench")
        db.commit()
        register_id = register.id

    def run():
        assert http.get(f"{base}/console/{register_id}/search?q=anna", headers={"X-Fragment": "1"}).status_code == 200
    return run


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(base: str) -> None:
    for _ in range(600):
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=f"sqlite:///{Path('var/bench/console-search.sqlite3').resolve()}")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--no-export", action="store_true", help="skip streaming the whole CSV export")
    args = parser.parse_args()
    url = load_settings(environ={}, database_url=args.database_url).database_url  # postgresql:// -> psycopg
    total = ensure_customers(url, args.count)
    print(f"Database: {url.split('@')[-1]}  customers: {total:,}")
    bench_service(url)
    bench_http(url, export=not args.no_export)


if __name__ == "__main__":
    main()
