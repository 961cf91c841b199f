"""Customer-group membership refresh over a million customers: full refresh, no-change refresh, one customer.

Seeds (once) bench tags and memberships on the customers of
bench/seed_customers.py: tag ``bench-vip`` on every 10th customer,
``bench-access`` on every 25th, a ``Friend`` membership on every 3rd (start
dates spread over two years, one year long: about half active today) and a
``Patron`` one on every 50th.  Then, for three groups (a tag, a membership
date, an AND/OR tree), times ``refresh_group`` from empty (every member
inserted), again with nothing changed, and after a criteria change; and
``refresh_customer`` (one customer against every group) and ``preview``.

    python bench/groups_membership.py                      # SQLite: a copy of var/bench/identify.sqlite3
    python bench/groups_membership.py --database-url postgresql://kiosk:kiosk@127.0.0.1/kiosk_bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed_customers import seed_customers  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from backoffice.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from backoffice.models import Customer, CustomerGroup, CustomerTag, GroupMember, Membership  # noqa: E402
from backoffice.services import group_members  # noqa: E402
from backoffice.services.criteria import parse_criteria  # noqa: E402

SECRET = "bench-secret-key-bench-secret-key-0123456789"
BATCH = 50_000
GROUPS = {
    "Bench tag": {"match": "all", "rules": [{"field": "tag", "op": "has", "value": "bench-vip"}]},
    "Bench membership": {"match": "all", "rules": [{"field": "membership", "op": "active", "plan": "Friend"}]},
    "Bench tree": {"match": "any", "rules": [
        {"field": "tag", "op": "has", "value": "bench-access"},
        {"match": "all", "rules": [
            {"field": "membership", "op": "active", "plan": "Friend"},
            {"field": "age", "op": "gte", "value": 65},
        ]},
        {"match": "all", "rules": [
            {"field": "membership", "op": "ever", "plan": "Patron"},
            {"field": "postcode", "op": "starts_with", "value": "1"},
        ]},
    ]},
}
CHANGED = {  # the same groups after a manager edits them
    "Bench tag": {"match": "any", "rules": [{"field": "tag", "op": "has_any", "value": ["bench-vip", "bench-access"]}]},
    "Bench membership": {"match": "all", "rules": [{"field": "membership", "op": "expires_within", "plan": "Friend",
                                                    "value": 90}]},
    "Bench tree": {"match": "all", "rules": [
        {"field": "tag", "op": "has_not", "value": "bench-vip"},
        {"match": "any", "rules": [{"field": "membership", "op": "active"}, {"field": "age", "op": "lt", "value": 26}]},
    ]},
}


def default_sqlite(data_dir: Path) -> str:
    target = data_dir / "groups.sqlite3"
    source = data_dir / "identify.sqlite3"
    if not target.exists() and source.exists():
        print(f"Copying {source.name} to {target.name} ...", file=sys.stderr)
        shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def seed_tags_and_memberships(engine, customers: int) -> None:
    with engine.connect() as conn:
        if conn.execute(select(CustomerTag.customer_id).where(CustomerTag.tag == "bench-vip").limit(1)).first():
            return
        ids = list(conn.execute(select(Customer.id).order_by(Customer.id).limit(customers)).scalars())
    print(f"Seeding bench tags and memberships on {len(ids):,} customers (once) ...", file=sys.stderr)
    today = dt.date.today()
    tags, memberships = [], []
    for n, customer_id in enumerate(ids):
        if n % 10 == 0:
            tags.append({"customer_id": customer_id, "tag": "bench-vip"})
        if n % 25 == 3:
            tags.append({"customer_id": customer_id, "tag": "bench-access"})
        if n % 3 == 0:
            starts = today - dt.timedelta(days=n % 730)
            memberships.append({"customer_id": customer_id, "plan": "Friend", "starts_on": starts,
                                "ends_on": starts + dt.timedelta(days=365)})
        if n % 50 == 1:
            memberships.append({"customer_id": customer_id, "plan": "Patron", "starts_on": today, "ends_on": None})
    with engine.begin() as conn:
        for rows, model in ((tags, CustomerTag), (memberships, Membership)):
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(model), rows[start:start + BATCH])


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: var/bench/groups.sqlite3 (a copy of identify.sqlite3)")
    parser.add_argument("--customers", type=int, default=1_000_000)
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
    seed_tags_and_memberships(engine, args.customers)
    sessions = make_sessionmaker(engine)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"group membership refresh on {backend}, {have:,} customers")
    print(f"  {'group':<18} {'run':<16} {'seconds':>8} {'added':>9} {'removed':>9} {'members':>9}")
    groups = {}
    with sessions() as db:
        db.execute(delete(CustomerGroup).where(CustomerGroup.name.in_(list(GROUPS))))
        db.commit()
        for name, criteria in GROUPS.items():
            group = CustomerGroup(name=name, criteria=parse_criteria(criteria).to_json(), priority=900)
            db.add(group)
            db.flush()
            groups[name] = group.id
        db.commit()
    for name in GROUPS:
        for label, criteria in (("from empty", None), ("nothing changed", None), ("criteria edited", CHANGED[name])):
            with sessions() as db:
                group = db.get(CustomerGroup, groups[name])
                if criteria is not None:
                    group.criteria = parse_criteria(criteria).to_json()
                result, seconds = timed(lambda db=db, group=group: group_members.refresh_group(db, group))
                db.commit()
            print(f"  {name:<18} {label:<16} {seconds:>8.2f} {result.added:>9,} {result.removed:>9,} "
                  f"{result.member_count:>9,}")
    rng = random.Random(3)
    with sessions() as db:
        top = db.execute(select(func.max(Customer.id))).scalar_one()
        samples = []
        for _ in range(200):
            customer_id = rng.randrange(1, top + 1)
            _, seconds = timed(lambda db=db, cid=customer_id: group_members.refresh_customer(db, cid))
            samples.append(seconds * 1000)
        db.rollback()
        q = statistics.quantiles(samples, n=100)
        groups_count = db.execute(select(func.count()).select_from(CustomerGroup)
                                  .where(CustomerGroup.criteria.is_not(None))).scalar_one()
        print(f"  refresh_customer (one customer, {groups_count} groups with criteria): p50 {q[49]:.2f} ms  "
              f"p99 {q[98]:.2f} ms")
        (count, _), seconds = timed(lambda: group_members.preview(db, parse_criteria(GROUPS["Bench tree"])))
        print(f"  preview of the AND/OR tree: {count:,} customers and 10 names in {seconds:.2f} s")
        rows = db.execute(select(func.count()).select_from(GroupMember)).scalar_one()
        print(f"  group_members rows: {rows:,}")
    engine.dispose()


if __name__ == "__main__":
    main()
