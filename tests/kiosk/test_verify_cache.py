"""The venue scanner's offline list: signed for this kiosk, refused when altered, answers in microseconds."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import sqlite3
import stat

import pytest

from kiosk.identity import parse_payload
from kiosk.verify_cache import CacheRefused, VerifyCache, canonical

TOKEN = "kd_door-token"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def signed(token: str = TOKEN, **changes) -> dict:
    body = {
        "version": 1,
        "generated_at": NOW.isoformat(),
        "expires_at": (NOW + dt.timedelta(hours=24)).isoformat(),
        "selected_group_ids": [1],
        "groups": {"1": {"name": "Friends", "colour": "#15803d", "blink": False},
                   "2": {"name": "VIP", "colour": "#b45309", "blink": True}},
        "entries": {"n:100001": {"r": "cus_a", "f": "Anna", "g": [1, 2]},
                    "c:DEMO-00000001": {"r": "cus_a", "f": "Anna", "g": [1, 2]},
                    "n:100002": {"r": "cus_b", "f": "Bo", "g": [2]},
                    "n:100003": {"r": "cus_c", "f": "Cia", "g": []}},
        **changes,
    }
    key = hashlib.sha256(token.encode()).digest()
    return {**body, "signature": hmac.new(key, canonical(body), hashlib.sha256).hexdigest()}


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
    document = signed()
    document["entries"]["n:100002"]["g"] = [1]  # altered in transit
    with pytest.raises(CacheRefused):
        door.store(document)
    with pytest.raises(CacheRefused):
        door.store(signed(token="kd_another-kiosk"))
    assert not door.loaded and not (tmp_path / "verify-cache.json").exists()


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
