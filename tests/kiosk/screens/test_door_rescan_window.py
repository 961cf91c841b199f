"""The venue scanner in a real off-screen window against a real backoffice: a second pass and a vCard at the door.

Screenshots land in test-artifacts/kiosk/<test>/ (the re-scan warning is 02-repeat.png).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backoffice import shop_time
from backoffice.models import VerifyScan
from kiosk.camera.synthetic import clip_frames, write_video
from tests.kiosk.screens import test_kiosk_screens
from tests.kiosk.screens.test_kiosk_screens import _door

kiosk = test_kiosk_screens.kiosk  # the window tests' fixture

pytestmark = [pytest.mark.window, pytest.mark.timeout(240)]

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dörr;Vera\r\nFN:Vera Dörr\r\nEND:VCARD"


def test_a_second_pass_at_the_door_says_already_scanned_at_and_a_vcard_is_logged_by_kind(backoffice, till, kiosk,
                                                                                        tmp_path):
    _group, member, _other = _door(backoffice, till)
    number = (str(member["customer_number"]), "QRCode")
    video = write_video(clip_frames([
        (None, 1.0), (number, 2.5), (None, 4.5), (number, 2.5), (None, 1.5), ((VCARD, "QRCode"), 2.5), (None, 1.0),
    ], fps=10), tmp_path / "door.avi", fps=10)
    run = kiosk("door_rescan", backoffice.base_url, till.kiosk_token, camera=f"file:{video}", size="1280x800")
    status = run.finish(timeout=150)
    answers, looks = status["answers"], status["looks"]
    first = answers.index(["success", "", "Maja"])
    again = next(i for i, a in enumerate(answers) if a[0] == "success" and a[1])
    vcard = answers.index(["unknown", "", ""])
    assert first < again and answers[again][2] == "Maja"
    repeat_time = answers[again][1]
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", repeat_time)  # 24-hour, never "11:41 PM"
    assert (looks[first]["tone"], looks[first]["icon"]) == ("success", "check")  # a tick, like the welcome screen
    assert (looks[again]["tone"], looks[again]["icon"]) == ("repeat", "clock")  # its own colour and mark
    assert looks[again]["title"] == f"Already scanned at {repeat_time}" and looks[again]["detail"]
    assert (looks[vcard]["tone"], looks[vcard]["icon"]) == ("danger", "cross")
    kiosk_id = next(k["id"] for k in till.pos.get("/api/v1/kiosks").json()["kiosks"] if k["register"] == till.name)
    with backoffice.runtime.read_sessions() as db:
        scans = list(db.execute(select(VerifyScan).where(VerifyScan.kiosk_id == kiosk_id)
                                .order_by(VerifyScan.id)).scalars())
    passes = [s for s in scans if s.result == "success"]
    assert not passes[0].repeat and all(s.repeat for s in passes[1:]) and len(passes) >= 2
    assert all(s.presented == "customer_number" for s in passes)
    assert {(s.presented, s.customer_reference) for s in scans if s.result == "unknown"} == {("vcard", None)}
    shown_at = {shop_time.clock(p.at) for p in passes[:-1]}
    assert repeat_time in shown_at  # the time of an earlier pass at this door, on the shop's clock
