"""Bulk-load realistic customers for benchmarks (1,000,000 in a few minutes).

Rows carry the same search keys, HMAC lookup keys and Fernet-encrypted
identifiers as customers created through the API, so searches and identify
behave exactly as in production.  Customer ``100001 + i`` has phone
``bench_phone(i)`` and personal ID ``bench_personal_id(i)``.

    python bench/seed_customers.py --database-url sqlite:///var/bench/backoffice.sqlite3 --count 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update  # noqa: E402

from backoffice.db import make_engine, migrate  # noqa: E402
from backoffice.demo import FIRST_NAMES, LAST_NAMES  # noqa: E402
from backoffice.models import Counter, Customer  # noqa: E402
from backoffice.security import Vault  # noqa: E402

BATCH = 10_000
FIRST_NUMBER = 100001


def bench_phone(i: int) -> str:
    """A unique, valid Swedish mobile number for row i (up to 40 million rows)."""
    prefix = ("70", "72", "73", "76")[i // 10_000_000]
    return f"+46{prefix}{i % 10_000_000:07d}"


def bench_personal_id(i: int) -> str:
    """A unique, valid personnummer for row i: one birth date per 999 rows (serial 000 is never issued)."""
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=i // 999)
    return birth.strftime("%Y%m%d") + _luhn_serial(birth, i % 999 + 1)


def _luhn_serial(birth: dt.date, serial: int) -> str:
    body = birth.strftime("%y%m%d") + f"{serial:03d}"
    total = 0
    for index, char in enumerate(body):
        n = int(char) * (2 if index % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return f"{serial:03d}{(10 - total % 10) % 10}"


def seed_customers(database_url: str, secret_key: str, count: int, *, progress: bool = True) -> int:
    """Append ``count`` customers; return how many rows the table holds afterwards."""
    migrate(database_url)
    vault = Vault(secret_key)
    engine = make_engine(database_url, pooled=False)
    rng = random.Random(1)
    with engine.connect() as conn:
        start = conn.execute(select(func.count(Customer.id))).scalar_one()
        conn.commit()
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    for offset in range(0, count, BATCH):
        rows = []
        for i in range(start + offset, start + min(offset + BATCH, count)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            phone, pid = bench_phone(i), bench_personal_id(i)
            rows.append(
                {
                    "reference": f"cus_{uuid.uuid4().hex[:20]}",
                    "customer_number": FIRST_NUMBER + i,
                    "first_name": first,
                    "last_name": last,
                    "search_name": f"{first} {last}".casefold(),
                    "search_last": f"{last} {first}".casefold(),
                    "email": f"c{i}@example.net",
                    "phone_lookup": vault.lookup("phone", phone),
                    "phone_enc": vault.encrypt(phone),
                    "personal_id_lookup": vault.lookup("personal_id", pid),
                    "personal_id_enc": vault.encrypt(pid),
                    "birth_date": dt.date(int(pid[:4]), int(pid[4:6]), int(pid[6:8])),
                    "street": "", "postal_code": f"{rng.randrange(10000, 99999)}", "city": "", "country": "SE",
                    "notes": "", "created_by": "import", "language": "", "created_at": now, "updated_at": now,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Customer), rows)
        if progress:
            done = offset + len(rows)
            rate = done / (time.perf_counter() - started)
            print(f"\r{done:>9,} / {count:,} customers ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    with engine.begin() as conn:
        total = conn.execute(select(func.count(Customer.id))).scalar_one()
        highest = conn.execute(select(func.max(Customer.customer_number))).scalar_one()
        updated = conn.execute(update(Counter).where(Counter.name == "customer_number").values(value=highest)).rowcount
        if not updated:
            conn.execute(insert(Counter).values(name="customer_number", value=highest))
    if progress:
        print(file=sys.stderr)
    engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--secret-key", default="bench-secret-key-bench-secret-key-0123456789")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    total = seed_customers(args.database_url, args.secret_key, args.count)
    print(f"customers in database: {total:,}")


if __name__ == "__main__":
    main()
