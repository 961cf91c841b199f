"""The venue scanner's offline list: signed for this kiosk, refused when altered, answers in microseconds."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat

import pytest

from counter_core.identity import parse_payload
from counter_core.offline_list import encode_list, signature_key
from kiosk.verify_cache import CacheRefused, VerifyCache

TOKEN = "kd_door-token"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
HEADER = {
    "generated_at": NOW.isoformat(),
    "expires_at": (NOW + dt.timedelta(hours=24)).isoformat(),
    "selected_group_ids": [1],
    "groups": {"1": {"name": "Friends", "colour": "#15803d", "blink": False},
               "2": {"name": "VIP", "colour": "#b45309", "blink": True}},
}
ENTRIES = [("c:DEMO-00000001", "Anna", [1, 2], "cus_a"), ("n:100001", "Anna", [1, 2], "cus_a"),
           ("n:100002", "Bo", [2], "cus_b"), ("n:100003", "Cia", [], "cus_c")]


def signed(token: str = TOKEN, entries=ENTRIES, **changes) -> bytes:
    return encode_list({**HEADER, **changes}, entries, signature_key(token))


def cache(tmp_path, now=NOW) -> VerifyCache:
    return VerifyCache(tmp_path / "verify-cache.json", TOKEN, clock=lambda: now)


def test_members_non_members_and_unknown_codes_get_their_answer(tmp_path):
    door = cache(tmp_path)
    door.store(signed())
    anna = door.answer(parse_payload("https://shop.example/c/demo-00000001"), None)
    assert anna.result == "success" and anna.first_name == "Anna" and [g["name"] for g in anna.groups] == ["Friends", "VIP"]
    assert door.answer(parse_payload("100002", symbology="QRCode"), None).result == "warning"
    assert door.answer(parse_payload("100003", symbology="QRCode"), None).result == "warning"
    assert door.answer(parse_payload("100009", symbology="QRCode"), None).result == "unknown"
    assert door.answer(parse_payload("100002", symbology="QRCode"), [2]).result == "success"


def test_the_list_is_stored_privately_and_survives_a_restart(tmp_path):
    cache(tmp_path).store(signed())
    path = tmp_path / "verify-cache.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = cache(tmp_path)
    assert again.load() and again.size == 4


def test_an_altered_list_or_one_for_another_kiosk_is_refused(tmp_path):
    door = cache(tmp_path)
    altered = signed().replace(b'["n:100002","Bo",[2]', b'["n:100002","Bo",[1]')  # altered in transit
    assert altered != signed()
    for refused in (altered, signed(token="kd_another-kiosk"), signed().replace(b'"version":2', b'"version":1')):
        with pytest.raises(CacheRefused):
            door.store(refused)
    assert not door.loaded and not (tmp_path / "verify-cache.json").exists()
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


@pytest.mark.parametrize("damage", [
    lambda raw: raw[: raw.rindex(b'{"signature"')],  # the download broke off before the signature
    lambda raw: raw[: len(raw) // 2],  # ... in the middle of an entry
    lambda raw: raw + b'["n:1","Eve",[1,2],"cus_e"]\n',  # an entry slipped in after the signature
    lambda raw: raw.replace(b'["n:100003","Cia",[],"cus_c"]', b'{"n:100003":"Cia"}'),  # not an entry
    lambda raw: b"",
    lambda raw: b"x" * 100_000,  # no line at all, however long
])
def test_a_list_cut_short_or_malformed_is_refused_and_the_one_in_use_stays(tmp_path, damage):
    door = cache(tmp_path)
    door.store(signed(entries=ENTRIES[:2]))
    with pytest.raises(CacheRefused):
        door.store(damage(signed()))
    assert door.size == 2 and door.answer(parse_payload("100001", symbology="QRCode"), None).result == "success"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verify-cache.json"]


def test_a_list_arriving_in_chunks_cut_anywhere_is_read_as_one(tmp_path):
    raw = signed(entries=[(f"n:{100000 + i}", f"Näme {i}", [1] if i % 2 else [], f"cus_{i}") for i in range(2000)])
    for size in (1, 7, 4096):
        door = cache(tmp_path / str(size))
        chunks = (raw[i:i + size] for i in range(0, len(raw), size))
        assert door.store(chunks, etag='"e"') == 2000 and door.etag == '"e"'
        assert door.answer(parse_payload("101999", symbology="QRCode"), None).first_name == "Näme 1999"


def test_a_row_altered_on_disk_is_not_believed(tmp_path):
    door = cache(tmp_path)
    door.store(signed())
    database = sqlite3.connect(tmp_path / "verify-cache.json")
    database.execute("UPDATE entries SET groups = '[1]' WHERE code = 'n:100002'")
    database.commit()
    database.close()
    assert door.answer(parse_payload("100002", symbology="QRCode"), None).result == "unavailable"
    assert door.answer(parse_payload("100001", symbology="QRCode"), None).result == "success"


def test_an_expired_list_answers_unavailable_rather_than_guessing(tmp_path):
    door = cache(tmp_path, now=NOW + dt.timedelta(days=2))
    door.store(signed())
    assert door.answer(parse_payload("100001", symbology="QRCode"), None).result == "unavailable"


def test_wipe_removes_every_trace(tmp_path):
    door = cache(tmp_path)
    door.store(signed())
    door.wipe()
    assert list(tmp_path.iterdir()) == [] and not door.loaded
    assert door.answer(parse_payload("100001", symbology="QRCode"), None).result == "unavailable"
