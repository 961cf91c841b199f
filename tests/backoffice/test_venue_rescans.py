"""The venue scanner's second pass and its log: "already scanned at 14:02", names and what was presented.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select, update

from backoffice import shop_time
from backoffice.models import VerifyScan
from tests.support.api import Api
from tests.support.staff import new_staff


@pytest.fixture
def door(backoffice, pos):
    """A kiosk in verify mode on its own register, checking one group that ``member`` is in."""
    _, token = backoffice.register_with_kiosk()
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if token.startswith(k["token_hint"]))
    tag = f"rescan-{uuid.uuid4().hex[:8]}"
    body = {"name": f"Door {uuid.uuid4().hex[:6]}", "colour": "#0369a1",
            "criteria": {"match": "all", "rules": [{"field": "tag", "op": "has", "value": tag}]}}
    group = pos.post("/api/v1/groups", body).json()
    assert pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": [group["id"]]}).ok

    class Door:
        api = Api(backoffice.base_url, token)
        id = kiosk_id
        tag_ = tag

        @staticmethod
        def verify(**body):
            return Door.api.post("/api/v1/kiosk/verify", body, headers={"Idempotency-Key": uuid.uuid4().hex})

        @staticmethod
        def scans() -> list[VerifyScan]:
            with backoffice.runtime.read_sessions() as db:
                return list(db.execute(select(VerifyScan).where(VerifyScan.kiosk_id == kiosk_id)
                                       .order_by(VerifyScan.id)).scalars())

    return Door


@pytest.fixture
def window(backoffice, monkeypatch):
    """Set the shared server's re-scan window for one test."""
    def set_to(seconds: int) -> None:
        monkeypatch.setattr(backoffice.runtime, "settings",
                            dataclasses.replace(backoffice.runtime.settings, verify_rescan_seconds=seconds))
    return set_to


def _number(customer: dict) -> dict:
    return {"kind": "customer_number", "customer_number": str(customer["customer_number"])}


def _age_last_scan(backoffice, door, seconds: int) -> dt.datetime:
    """Move the door's newest scan ``seconds`` into the past; return its new time."""
    newest = door.scans()[-1]
    moved = newest.at.replace(tzinfo=newest.at.tzinfo or dt.UTC) - dt.timedelta(seconds=seconds)
    with backoffice.runtime.sessions() as db:
        db.execute(update(VerifyScan).where(VerifyScan.id == newest.id).values(at=moved))
        db.commit()
    return moved


def test_a_second_pass_within_the_window_says_when_the_first_was(backoffice, door, make_customer, window):
    window(600)
    member = make_customer(first_name="Disa", tags=[door.tag_])
    first = door.verify(**_number(member)).json()
    assert first["result"] == "success" and "already_scanned_at" not in first
    first_at = _age_last_scan(backoffice, door, 120)
    again = door.verify(**_number(member)).json()
    assert again["result"] == "success" and again["customer"]["first_name"] == "Disa"
    assert dt.datetime.fromisoformat(again["already_scanned_at"]) == first_at.replace(microsecond=0)
    assert again["already_scanned_time"] == shop_time.clock(first_at)
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", again["already_scanned_time"])  # 24-hour, never "2:02 PM"
    assert [(s.result, s.repeat) for s in door.scans()] == [("success", False), ("success", True)]
    # A third pass names the latest one, not the first.
    third = door.verify(**_number(member)).json()
    assert dt.datetime.fromisoformat(third["already_scanned_at"]) > first_at


def test_outside_the_window_or_with_the_window_off_a_pass_is_a_first_pass(backoffice, door, make_customer, window):
    window(600)
    member = make_customer(tags=[door.tag_])
    door.verify(**_number(member))
    _age_last_scan(backoffice, door, 601)
    assert "already_scanned_at" not in door.verify(**_number(member)).json()
    window(0)
    assert "already_scanned_at" not in door.verify(**_number(member)).json()
    assert [s.repeat for s in door.scans()] == [False, False, False]


def test_only_a_success_at_the_same_door_counts(backoffice, pos, door, make_customer, window):
    window(600)
    member = make_customer(tags=[door.tag_])
    outsider = make_customer()
    assert door.verify(**_number(outsider)).json()["result"] == "warning"
    assert "already_scanned_at" not in door.verify(**_number(outsider)).json()  # a warning is no pass
    door.verify(**_number(member))
    _, token = backoffice.register_with_kiosk()
    other_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if token.startswith(k["token_hint"]))
    pos.patch(f"/api/v1/kiosks/{other_id}", {"mode": "verify", "verify_group_ids": None})
    other = Api(backoffice.base_url, token).post("/api/v1/kiosk/verify", _number(member),
                                                 headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    assert other["result"] == "success" and "already_scanned_at" not in other  # another door: a first pass


def test_a_pass_answered_offline_counts_for_the_next_online_scan(backoffice, door, make_customer, window):
    window(600)
    member = make_customer(tags=[door.tag_])
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=3)
    uploaded = door.api.post("/api/v1/kiosk/verify-log", {"scans": [
        {"at": at.isoformat(), "result": "success", "customer_reference": member["reference"],
         "presented": "card_code"},
    ]}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert uploaded.status_code == 201
    again = door.verify(**_number(member)).json()
    assert again["already_scanned_time"] == shop_time.clock(at)


def test_a_code_naming_nobody_is_logged_with_what_was_presented_never_its_content(door):
    answer = door.verify(kind="other", presented="vcard")
    assert answer.status_code == 200 and answer.json() == {"result": "unknown", "matched_groups": []}
    door.verify(kind="other", presented="se_licence")
    door.verify(kind="other")
    door.verify(kind="customer_number", customer_number="98765439")
    assert [(s.result, s.presented, s.customer_reference) for s in door.scans()] == [
        ("unknown", "vcard", None), ("unknown", "se_licence", None), ("unknown", "unrecognised", None),
        ("unknown", "customer_number", None)]
    assert door.verify(kind="other", presented="passport").status_code == 422


def test_offline_uploads_keep_what_was_presented_and_the_repeat(backoffice, door, make_customer):
    member = make_customer(tags=[door.tag_])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stored = door.api.post("/api/v1/kiosk/verify-log", {"scans": [
        {"at": now.isoformat(), "result": "success", "customer_reference": member["reference"],
         "presented": "customer_number", "repeat": True},
        {"at": now.isoformat(), "result": "unknown", "presented": "aamva"},
    ]}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert stored.status_code == 201
    assert [(s.result, s.presented, s.repeat, s.offline) for s in door.scans()] == [
        ("success", "customer_number", True, True), ("unknown", "aamva", False, True)]
    refused = door.api.post("/api/v1/kiosk/verify-log", {"scans": [{"at": now.isoformat(), "result": "unknown",
                                                                    "presented": "<script>"}]},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert refused.status_code == 422


def test_the_scan_log_names_the_customer_and_what_was_presented(backoffice, door, make_customer, window):
    window(600)
    member = make_customer(first_name="Signe", last_name="Skanning", tags=[door.tag_])
    door.verify(**_number(member))
    door.verify(**_number(member))
    door.verify(kind="other", presented="vcard")
    door.verify(kind="other", presented="aamva")
    door.verify(kind="card_code", card_code="ZZZZ-ZZZZ-ZZZZ")
    manager = new_staff(backoffice, "manager")
    table = manager.get(f"/admin/scans?kiosk={door.id}").text.split('id="scan-table"')[1].split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == 5
    newest_first = [re.sub(r"<[^>]+>", " ", row) for row in rows]
    assert "Card" in newest_first[0] and "Not recognised" in newest_first[0]
    assert "Driving licence" in newest_first[1] and "vCard" in newest_first[2]
    assert "Signe Skanning" in newest_first[3] and "Already scanned" in newest_first[3]
    assert "Signe Skanning" in newest_first[4] and "Already scanned" not in newest_first[4]
    assert f'href="/admin/customers/{member["reference"]}"' in rows[3]


def test_the_kiosk_state_names_the_window_for_the_doors_offline_answers(door, window):
    window(300)
    assert door.api.get("/api/v1/kiosk/state").json()["kiosk"]["verify_rescan_seconds"] == 300
    window(0)
    assert door.api.get("/api/v1/kiosk/state").json()["kiosk"]["verify_rescan_seconds"] == 0
