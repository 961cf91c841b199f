"""The venue scanner's offline list: download-and-store time and memory, load time, per-scan latency at 1,000,000 customers.

    python bench/kiosk_verify_cache.py [--customers 1000000]

The list is written as the server sends it (newline-delimited, signed) and
fed to the kiosk's store in 64 KiB chunks, as ``requests`` hands them over
from the network.  Prints figures; asserts nothing.  Targets: an answer in
≤ 50 ms from the cache; memory while storing flat, whatever the list's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import hmac
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from counter_core.identity import parse_payload  # noqa: E402
from counter_core.offline_list import entry_line, header_line, signature_key, signature_line  # noqa: E402
from kiosk.verify_cache import VerifyCache  # noqa: E402

CHUNK = 64 * 1024


def write_list(path: Path, customers: int, token: str) -> int:
    """The signed list for ``customers`` (a quarter with a card too), written line by line; returns its codes."""
    now = dt.datetime.now(dt.UTC)
    header = {"generated_at": now.isoformat(), "expires_at": (now + dt.timedelta(days=1)).isoformat(),
              "selected_group_ids": [1], "groups": {"1": {"name": "Friends", "colour": "#15803d", "blink": False},
                                                    "2": {"name": "VIP", "colour": "#b45309", "blink": True}}}
    signer = hmac.new(signature_key(token), digestmod=hashlib.sha256)
    codes = 0
    with path.open("wb") as out:
        def put(line: bytes) -> None:
            signer.update(line)
            out.write(line)

        put(header_line(header))
        for i in range(customers):
            groups = [1] if i % 3 == 0 else ([2] if i % 3 == 1 else [])
            reference = f"cus_{i:020x}"
            put(entry_line(f"n:{100001 + i}", "Kund", groups, reference))
            codes += 1
            if i % 4 == 0:
                put(entry_line(f"c:MEMBER-{i:08X}", "Kund", groups, reference))
                codes += 1
        out.write(signature_line(signer))
    return codes


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    token = "kd_bench"
    process = psutil.Process()
    with tempfile.TemporaryDirectory() as work:
        download = Path(work) / "download.ndjson"
        written = write_list(download, args.customers, token)
        gc.collect()
        rss_before, peak_before = process.memory_info().rss, peak_rss()
        cache = VerifyCache(Path(work) / "verify-cache.json", token)
        started = time.perf_counter()
        stored_codes = cache.store(chunks(download))
        stored = time.perf_counter() - started
        peak_while_storing = max(0, peak_rss() - max(peak_before, rss_before))
        size = (Path(work) / "verify-cache.json").stat().st_size
        del cache
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
        wire = download.stat().st_size
    times.sort()
    assert stored_codes == written
    print(f"offline list of {stored_codes:,} codes ({args.customers:,} customers, a quarter with cards): "
          f"{wire / 2**20:.1f} MB as sent, {size / 2**20:.1f} MB stored")
    print(f"  check signature + store, streamed in {CHUNK // 1024} KiB chunks: {stored:.2f} s "
          f"({stored_codes / stored:,.0f} codes/s); peak memory above the start: +{peak_while_storing / 2**20:.1f} MB")
    print(f"  open at start: {loaded * 1000:.1f} ms; memory of the open list after 5,000 scans: {rss:+.1f} MB")
    print(f"  answer per scan (parse + look-up), {len(times)} scans: median {statistics.median(times):.3f} ms, "
          f"p99 {times[int(len(times) * 0.99)]:.3f} ms, max {times[-1]:.3f} ms; answers {results}")


if __name__ == "__main__":
    main()
