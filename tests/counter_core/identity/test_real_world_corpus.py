"""The real-world payload corpus: phone and mail-client vCard exports, MECARD/BIZCARD variants and
AAMVA licences of versions 01-10 (tests/counter_core/identity/corpus, written by make_corpus.py)."""

from __future__ import annotations

import pytest

from counter_core.identity import parse_payload

from .corpus import field_results, load

CORPUS = load()


def test_the_corpus_covers_every_kind_version_and_exporter():
    names = {c["name"] for c in CORPUS}
    assert len(CORPUS) >= 80
    for version in range(1, 11):
        assert any(n.startswith(f"aamva-v{version:02d}") for n in names), version
    for source in ("iphone", "android", "outlook", "gmail", "blackberry", "evolution", "vcard-4.0", "mecard", "bizcard"):
        assert any(n.startswith(source) for n in names), source
    payloads = "".join(c["payload"] for c in CORPUS)
    for feature in ("ENCODING=QUOTED-PRINTABLE", "CHARSET=ISO-8859-1", "PHOTO;ENCODING=BASE64", "item1.TEL", "TEL;VALUE=uri:tel:", "\r\n ", "DAA"):
        assert feature in payloads, feature


@pytest.mark.parametrize("entry", CORPUS, ids=[c["name"] for c in CORPUS])
def test_every_expected_field_is_read(entry):
    identity = parse_payload(entry["payload"], symbology=entry["symbology"])
    results = field_results(entry["expected"], identity.to_dict())
    assert [k for k, ok in results.items() if not ok] == [], identity.to_dict()


def test_field_scoring_counts_a_wrong_address_part_and_a_field_that_must_be_absent():
    expected = {"kind": "vcard", "birth_date": None, "address": {"city": "Lund", "postal_code": "222 21"}}
    got = {"kind": "vcard", "birth_date": "2000-01-01", "address": {"city": "Lund"}}
    assert field_results(expected, got) == {"kind": True, "birth_date": False, "address.city": True, "address.postal_code": False}
