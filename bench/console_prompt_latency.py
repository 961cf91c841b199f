"""Kiosk submit → prompt visible in the cashier console, measured in a real browser.

    python bench/console_prompt_latency.py                 # one server process (prompts wake the stream at once)
    python bench/console_prompt_latency.py --workers 2     # the kiosk and the console may hit different processes
    python bench/console_prompt_latency.py --database-url postgresql://kiosk:kiosk@127.0.0.1:5432/kiosk_bench

Starts ``backoffice serve`` in its own process on a fresh database, opens the
console in Debian's chromium (Playwright, headless), then ~20 times: the kiosk
posts a vCard of an unknown person to /api/v1/identify and the clock stops
when the prompt is on the screen.  Prints figures; the target is 1 second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from backoffice.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from backoffice.services import devices  # noqa: E402
from backoffice.settings import load_settings  # noqa: E402
from tests.support.browser import launch_chromium  # noqa: E402

SECRET = "bench-secret-key-bench-secret-key-0123456789"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_database(requested: str, data_dir: Path) -> tuple[str, callable]:
    """A new empty database (a file, or a new PostgreSQL database dropped afterwards)."""
    if not requested.startswith("postgres"):
        return f"sqlite:///{data_dir / 'backoffice.sqlite3'}", lambda: None
    base = load_settings(environ={}, database_url=requested).database_url
    name = f"kiosk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def _prepare(url: str) -> tuple[int, str, str, str]:
    migrate(url)
    engine = make_engine(url, pooled=False)
    with make_sessionmaker(engine)() as db:
        register = devices.create_register(db, "Bench till")
        _, token = devices.pair_kiosk(db, register, "Bench kiosk", actor="bench")
        devices.create_staff(db, "bench-cashier", "bench-cashier-pw", "cashier")
        db.commit()
        register_id = register.id
    engine.dispose()
    return register_id, token, "bench-cashier", "bench-cashier-pw"


def _start_server(url: str, data_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "BACKOFFICE_DATA_DIR": str(data_dir), "DATABASE_URL": url, "BACKOFFICE_SECRET_KEY": SECRET,
           "BACKOFFICE_LOG_LEVEL": "warning", "BACKOFFICE_IDENTIFY_RATE_PER_MINUTE": "0"}
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "backoffice", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start; see server.log")


def measure(base: str, register_id: int, token: str, username: str, password: str, rounds: int) -> list[float]:
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {token}"
    samples = []
    with launch_chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base}/login?next=/console/{register_id}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("#live[data-state=on]")
        for index in range(rounds + 1):
            body = {"method": "scan", "kind": "vcard", "first_name": f"Bench{index}", "last_name": "Latency",
                    "phone": f"+4676{index:07d}"}
            started = time.perf_counter()
            answer = kiosk.post(f"{base}/api/v1/identify", json=body, timeout=30).json()
            reference = answer["registration"]["reference"]
            page.wait_for_selector(f'[data-registration="{reference}"]', state="visible", timeout=10_000)
            elapsed = (time.perf_counter() - started) * 1000
            if index:  # the first round warms the server and the page
                samples.append(elapsed)
            time.sleep(0.3)  # prompts arrive at a counter's pace, not back to back
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default: a fresh SQLite file")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="prompt-latency-"))
    url, drop = _fresh_database(args.database_url, data_dir)
    process = None
    try:
        register_id, token, username, password = _prepare(url)
        process, base = _start_server(url, data_dir, args.workers)
        samples = sorted(measure(base, register_id, token, username, password, args.rounds))
    finally:
        if process is not None:
            process.terminate()
            process.wait(15)
        drop()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"Kiosk submit -> prompt visible in the console ({backend}, {args.workers} server process(es), "
          f"{len(samples)} prompts):")
    print(f"  p50 {statistics.median(samples):6.0f} ms   p95 {p95:6.0f} ms   min {samples[0]:6.0f} ms   "
          f"max {samples[-1]:6.0f} ms   (target: 1000 ms)")


if __name__ == "__main__":
    main()
