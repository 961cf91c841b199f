"""Microseconds per call of counter_core.identity's parsers, for each kind of payload and typed input.

Prints the median and the 99th percentile over ``--runs`` calls (default
3000) per sample, after a warm-up.  Figures are printed, never asserted:
the fuzz tests only check a generous per-call bound.

Then the real-world corpus (tests/counter_core/identity/corpus/payloads.json: phone and mail-client
vCard exports, MECARD/BIZCARD variants, AAMVA 01-10): fields correct in %, crashes, and the slowest
payload's milliseconds (``--corpus-runs`` calls each).

    .venv/bin/python bench/identity_parse.py [--runs 3000] [--corpus-runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from counter_core.identity import MAX_PAYLOAD, classify_typed_input, parse_payload  # noqa: E402
from tests.counter_core.identity.corpus import field_results, load  # noqa: E402

RFC6350_AUTHOR = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\nN:Perreault;Simon;;;ing. jr,M.Sc.\r\nBDAY:--0203\r\n"
    "ANNIVERSARY:20090808T1430-0500\r\nGENDER:M\r\nLANG;PREF=1:fr\r\nLANG;PREF=2:en\r\nORG;TYPE=work:Viagenie\r\n"
    "ADR;TYPE=work:;Suite D2-630;2875 Laurier;\r\n Quebec;QC;G1V 2M2;Canada\r\n"
    'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\r\n'
    'TEL;VALUE=uri;TYPE="work,cell,voice,video,text":tel:+1-418-262-6501\r\n'
    "EMAIL;TYPE=work:simon.perreault@viagenie.ca\r\nGEO;TYPE=work:geo:46.772673,-71.282945\r\n"
    "KEY;TYPE=work;VALUE=uri:\r\n http://www.viagenie.ca/simon.perreault/simon.asc\r\nTZ:-0500\r\n"
    "URL;TYPE=home:http://nomis80.org\r\nEND:VCARD\r\n"
)
VCARD_21_QP = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85str=C3=B6m;Bj=C3=B6rn;;;\r\n"
    "TEL;CELL:070-123 45 67\r\nEMAIL;PREF;INTERNET:bjorn@example.se\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:personnummer 19121212-=\r\n1212\r\nEND:VCARD\r\n"
)
VCARD_BROKEN = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\njunk line\nTEL;TYPE=cell:+46701234567\nEMAIL:anna@example.se\n"
)
AAMVA_2020 = (
    "@\n\x1e\rANSI 636000100102DL00410278ZV03190008DLDAQT64235789\nDCSSAMPLE\nDDEN\nDACMICHAEL\nDDFN\nDADJOHN\n"
    "DDGN\nDCUJR\nDCAD\nDCBK\nDCDPH\nDBD06062019\nDBB06061986\nDBA12102024\nDBC1\nDAU068 in\nDAYBRO\n"
    "DAG2300 WEST BROAD STREET\nDAIRICHMOND\nDAJVA\nDAK232690000  \nDCF2424244747474786102204\nDCGUSA\n"
    "DCK123456789\nDDAF\nDDB06062018\nDDC06062020\nDDD1\rZVZVA01\r"
)

PAYLOADS = [
    ("vcard 4.0 (RFC 6350 author)", RFC6350_AUTHOR, "QRCode"),
    ("vcard 2.1 quoted-printable", VCARD_21_QP, "QRCode"),
    ("vcard broken (line parser)", VCARD_BROKEN, "QRCode"),
    (
        "mecard (ZXing wiki)",
        "MECARD:N:Owen,Sean;ADR:76 9th Avenue, 4th Floor, New York, NY 10011;"
        "TEL:12125551212;EMAIL:srowen@example.com;;",
        "QRCode",
    ),
    (
        "bizcard (ZXing wiki)",
        "BIZCARD:N:Sean;X:Owen;T:Software Engineer;C:Google;"
        "A:76 9th Avenue, New York, NY 10011;B:+12125551212;E:srowen@google.com;;",
        "QRCode",
    ),
    ("aamva (2020 Annex D)", AAMVA_2020, "PDF417"),
    ("se_licence", "Efternamn: SVENSSON|Förnamn: ANNA|Personnummer: 701063-2391", "DataMatrix"),
    ("customer_number", "100234", "Code128"),
    ("card_code", "MEMBER-7KQ2M9XD", "QRCode"),
    ("card url", "https://shop.example/c/MEMBER-7KQ2M9XD", "QRCode"),
    ("ean13", "7350012345679", "EAN13"),
    ("unrecognised binary bytes", bytes(range(256)) * 4, "QRCode"),
    ("unrecognised too_long", "x" * (MAX_PAYLOAD + 1), "QRCode"),
    ("unrecognised unknown_format", "WIFI:T:WPA;S:guest;P:secret;;", "QRCode"),
]
TYPED = [
    ("typed customer_number", "100234"),
    ("typed personal_id (12)", "191212121212"),
    ("typed personal_id (10)", "7010632391"),
    ("typed phone national", "0701234567"),
    ("typed phone +", "+46701234567"),
    ("typed ambiguous", "0701011231"),
    ("typed incomplete (as you type)", "19850412-12"),
]


def measure(call, runs: int) -> tuple[float, float]:
    """Median and 99th percentile in microseconds."""
    for _ in range(min(200, runs)):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--corpus-runs", type=int, default=50, help="calls per corpus payload (default 50)")
    args = parser.parse_args()
    print(f"{'payload':36s} {'kind':16s} {'median µs':>10s} {'p99 µs':>10s}")
    for name, payload, symbology in PAYLOADS:
        kind = parse_payload(payload, symbology).kind
        median, p99 = measure(lambda p=payload, s=symbology: parse_payload(p, s), args.runs)
        print(f"{name:36s} {kind:16s} {median:10.1f} {p99:10.1f}")
    for name, text in TYPED:
        complete = "incomplete" not in name
        kind = classify_typed_input(text, complete=complete).kind
        median, p99 = measure(lambda t=text, c=complete: classify_typed_input(t, complete=c), args.runs)
        print(f"{name:36s} {kind:16s} {median:10.1f} {p99:10.1f}")
    corpus(args.corpus_runs)


def corpus(runs: int) -> None:
    """Fields right on the real-world corpus, by kind, and the time of the slowest payload."""
    entries = load()
    right: dict[str, list[int]] = {}
    crashes, slowest, slowest_median = 0, (0.0, ""), (0.0, "")
    for entry in entries:
        kind = entry["expected"].get("kind", "?")
        try:
            got = parse_payload(entry["payload"], symbology=entry["symbology"]).to_dict()
        except Exception as exc:  # a crash is a result here, not the end of the run
            crashes += 1
            print(f"  CRASH {entry['name']}: {type(exc).__name__}: {exc}")
            got = {}
        results = field_results(entry["expected"], got)
        totals = right.setdefault(kind, [0, 0])
        totals[0] += sum(results.values())
        totals[1] += len(results)
        for field, ok in results.items():
            if not ok:
                print(f"  wrong {entry['name']}: {field}")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            try:
                parse_payload(entry["payload"], symbology=entry["symbology"])
            except Exception:
                pass
            times.append((time.perf_counter() - start) * 1000)
        slowest = max(slowest, (max(times), entry["name"]))
        slowest_median = max(slowest_median, (statistics.median(times), entry["name"]))
    ok, total = sum(r[0] for r in right.values()), sum(r[1] for r in right.values())
    print(f"\nreal-world corpus: {len(entries)} payloads, {total} fields, {100 * ok / total:.1f} % right, {crashes} crashes")
    for kind, (k_ok, k_total) in sorted(right.items()):
        print(f"  {kind:10s} {k_ok:4d}/{k_total:<4d} = {100 * k_ok / k_total:5.1f} %")
    print(f"  slowest payload: median {slowest_median[0]:.2f} ms ({slowest_median[1]}); slowest single call {slowest[0]:.2f} ms ({slowest[1]})")


if __name__ == "__main__":
    main()
