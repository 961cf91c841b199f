"""The venue scanner's answer from its offline list: load time, memory and per-scan latency at 1,000,000 codes.

    python bench/kiosk_verify_cache.py [--customers 1000000]

Prints figures; asserts nothing. Target: an answer in ≤ 50 ms from the cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.identity import parse_payload  # noqa: E402
from kiosk.verify_cache import VerifyCache, canonical  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    token = "kd_bench"
    now = dt.datetime.now(dt.UTC)
    process = psutil.Process()
    before_download = process.memory_info().rss
    entries = {}
    for i in range(args.customers):
        entry = {"r": f"cus_{i:020x}", "f": "Kund", "g": [1] if i % 3 == 0 else ([2] if i % 3 == 1 else [])}
        entries[f"n:{100001 + i}"] = entry
        if i % 4 == 0:
            entries[f"c:MEMBER-{i:08X}"] = entry
    body = {"version": 1, "generated_at": now.isoformat(), "expires_at": (now + dt.timedelta(days=1)).isoformat(),
            "selected_group_ids": [1], "groups": {"1": {"name": "Friends", "colour": "#15803d", "blink": False},
                                                  "2": {"name": "VIP", "colour": "#b45309", "blink": True}},
            "entries": entries}
    document = {**body, "signature": hmac.new(hashlib.sha256(token.encode()).digest(), canonical(body),
                                              hashlib.sha256).hexdigest()}
    del entries, body
    parsed_mb = (process.memory_info().rss - before_download) / 2**20
    with tempfile.TemporaryDirectory() as work:
        peak_before = process.memory_info().rss
        cache = VerifyCache(Path(work) / "verify-cache.json", token)
        started = time.perf_counter()
        cache.store(document)
        stored = time.perf_counter() - started
        size = (Path(work) / "verify-cache.json").stat().st_size
        stored_rss = (process.memory_info().rss - peak_before) / 2**20
        del document, cache
        import gc

        gc.collect()
        rss_before = process.memory_info().rss
        fresh = VerifyCache(Path(work) / "verify-cache.json", token)
        started = time.perf_counter()
        fresh.load()
        loaded = time.perf_counter() - started
        rng = random.Random(1)
        codes = [str(100001 + rng.randrange(args.customers * 2)) for _ in range(5000)]
        times = []
        results: dict[str, int] = {}
        for code in codes:
            t0 = time.perf_counter()
            answer = fresh.answer(parse_payload(code, symbology="QRCode"), None)
            times.append((time.perf_counter() - t0) * 1000)
            results[answer.result] = results.get(answer.result, 0) + 1
        rss = (process.memory_info().rss - rss_before) / 2**20
    times.sort()
    print(f"offline list of {fresh.size:,} codes ({args.customers:,} customers, a quarter with cards): "
          f"{size / 2**20:.1f} MB on disk")
    print(f"  the downloaded list as parsed JSON while it is checked: ≈ {parsed_mb:.0f} MB (transient)")
    print(f"  check signature + store after a download: {stored:.2f} s (memory while storing: +{stored_rss:.0f} MB)")
    print(f"  open at start: {loaded * 1000:.1f} ms; memory of the open list after 5,000 scans: {rss:+.1f} MB")
    print(f"  answer per scan (parse + look-up), {len(times)} scans: median {statistics.median(times):.3f} ms, "
          f"p99 {times[int(len(times) * 0.99)]:.3f} ms, max {times[-1]:.3f} ms; answers {results}")


if __name__ == "__main__":
    main()
