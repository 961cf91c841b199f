"""The outbox survives SIGKILL at random moments: nothing saved is lost, nothing is applied twice."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.models import PendingRegistration, Register
from kiosk.errors import BackofficeUnavailable
from kiosk.outbox import Outbox, OutboxSender

WORKER = Path(__file__).with_name("outbox_worker.py")
pytestmark = pytest.mark.timeout(300)


def _kill_after(command: list[str], seconds: float) -> int:
    process = subprocess.Popen([sys.executable, str(WORKER), *command])
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    return process.returncode


def test_sigkill_while_writing_and_sending_loses_nothing_and_doubles_nothing(backoffice, tmp_path):
    rng = random.Random(7)
    state, saved_log = tmp_path / "kiosk", tmp_path / "saved.txt"
    kills = 0
    for _ in range(6):
        kills += _kill_after(["add", str(state), str(saved_log), "100000"], rng.uniform(0.4, 1.2)) == -signal.SIGKILL
    saved = saved_log.read_text().split()
    database = sqlite3.connect(state / "outbox.sqlite3")
    assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    keys = [row[0] for row in database.execute("SELECT idempotency_key FROM outbox")]
    database.close()
    assert kills == 6 and len(saved) > 50
    assert set(saved) <= set(keys), "an entry the screen called saved is missing"
    assert len(keys) == len(set(keys))

    register, token = backoffice.register_with_kiosk()
    rounds = 8
    for _ in range(rounds):  # senders killed at random moments, some mid-request
        _kill_after(["send", str(state), backoffice.base_url, token], rng.uniform(0.5, 2.5))
    finished = _kill_after(["send", str(state), backoffice.base_url, token], 180)  # then one that may finish
    assert finished == 0 and Outbox(state / "outbox.sqlite3").count() == 0, "the outbox never emptied"
    with backoffice.runtime.read_sessions() as db:
        register_id = db.execute(select(Register.id).where(Register.name == register)).scalar_one()
        applied = db.execute(
            select(func.count(PendingRegistration.id)).where(PendingRegistration.register_id == register_id)
        ).scalar_one()
    assert applied == len(keys), f"{len(keys)} submissions, {applied} registrations (after {rounds} killed senders)"
    (tmp_path / "figures.json").write_text(json.dumps({"entries": len(keys), "sender_rounds": rounds}))


def test_sender_keeps_entries_while_the_backoffice_is_down_and_sends_them_in_order_later(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    for n in range(3):
        outbox.add("registration", {"n": n}, f"key-{n}")
    sent: list = []
    down = {"value": True}

    def send(kind, payload, key):
        if down["value"]:
            raise BackofficeUnavailable("down")
        sent.append(key)
        return {"reference": key}

    sender = OutboxSender(outbox, send)
    assert sender.flush() == 0 and outbox.count() == 3
    assert [e.attempts for e in outbox.entries()] == [1, 0, 0]  # it stops at the first outage
    down["value"] = False
    assert sender.flush() == 3 and sent == ["key-0", "key-1", "key-2"] and outbox.count() == 0


def test_outbox_holds_no_personal_data_once_delivered(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add("identify", {"kind": "personal_id", "personal_id": "198504126379"}, "k1")
    OutboxSender(outbox, lambda *args: {"result": "matched"}).flush()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.sqlite3*"))  # the files as they are on disk
    assert b"198504126379" not in raw and b"personal_id" not in raw
    outbox.close()


def test_a_rate_limited_entry_is_kept_and_tried_again_after_the_wait(tmp_path):
    from kiosk.errors import RateLimited

    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add("identify", {"n": 1}, "k1")
    answers = [RateLimited(429, "rate_limited", "slow down", retry_after=30), {"result": "matched"}]

    def send(kind, payload, key):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    sender = OutboxSender(outbox, send)
    assert sender.flush() == 0 and outbox.count() == 1
    assert sender.pause_until > 0
    assert sender.flush() == 1 and outbox.count() == 0
