"""The venue scanner's second pass in the visit flow: "already scanned at 14:02" online and offline."""

from __future__ import annotations

import time

import pytest

from counter_core.identity import parse_payload
from counter_core.kiosk_api import VerifyAnswer
from kiosk.errors import BackofficeUnavailable
from kiosk.flow import Screen
from kiosk.verify_cache import VerifyAnswer as OfflineAnswer
from tests.kiosk import test_flow
from tests.kiosk.test_flow import ANNA, _Cache

parts, door = test_flow.parts, test_flow.door  # the flow tests' fixtures

CARD = "http://127.0.0.1:8000/c/DEMO-00000001"


def test_the_backoffices_already_scanned_answer_is_shown_apart_from_a_plain_success(door):
    flow, client, runner, clock, _ = door
    client.script("verify", VerifyAnswer(result="success", customer=ANNA, matched_groups=[1]),
                  VerifyAnswer(result="success", customer=ANNA, matched_groups=[1],
                               already_scanned_at="2026-12-07T13:02:00+00:00", already_scanned_time="14:02"))
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    assert (flow.state.visit.verify_result, flow.state.visit.verify_repeat_time) == ("success", "")
    clock.advance(5)
    flow.tick()
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    visit = flow.state.visit
    assert (visit.verify_result, visit.verify_repeat_time, visit.first_name) == ("success", "14:02", "Anna")
    clock.advance(5)
    flow.tick()
    assert flow.state.visit.verify_repeat_time == "" and flow.state.visit.verify_result == ""


def test_offline_a_second_pass_within_the_window_is_told_apart_and_logged_as_a_repeat(door):
    flow, client, runner, clock, outbox = door
    client.script("verify", VerifyAnswer(result="success", customer=ANNA, matched_groups=[1]),
                  BackofficeUnavailable("down"))
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    passed_at = time.strftime("%H:%M")
    flow.verify_cache = _Cache(OfflineAnswer("success", "Anna", (), "cus_1", offline=True))
    clock.advance(120)
    flow.tick()
    flow.verify_scanned(parse_payload(CARD))
    runner.step()  # the backoffice is down: answered from the list
    visit = flow.state.visit
    assert visit.verify_offline and visit.verify_result == "success"
    assert visit.verify_repeat_time in (passed_at, time.strftime("%H:%M"))
    (entry,) = outbox.entries()
    assert entry.payload["scans"][0] | {"at": ""} == {"at": "", "result": "success", "customer_reference": "cus_1",
                                                      "presented": "card_code", "repeat": True}


def test_offline_a_pass_after_the_window_is_a_first_pass_again(door):
    flow, client, runner, clock, outbox = door
    flow.verify_cache = _Cache(OfflineAnswer("success", "Anna", (), "cus_1", offline=True))
    client.script("verify", BackofficeUnavailable("down"))
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    assert flow.state.visit.verify_repeat_time == ""
    clock.advance(flow.timing.verify_rescan + 1)
    flow.tick()
    flow.verify_scanned(parse_payload(CARD))  # offline now: answered at once
    assert flow.state.visit.verify_result == "success" and flow.state.visit.verify_repeat_time == ""
    assert [e.payload["scans"][0]["repeat"] for e in outbox.entries()] == [False, False]


def test_a_warning_is_never_a_repeat(door):
    flow, client, runner, clock, _ = door
    flow.verify_cache = _Cache(OfflineAnswer("warning", "Anna", (), "cus_1", offline=True))
    client.script("verify", BackofficeUnavailable("down"))
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    for _ in range(2):
        clock.advance(5)
        flow.tick()
        assert flow.state.screen == Screen.VERIFY
        flow.verify_scanned(parse_payload(CARD))  # offline: answered at once
        assert flow.state.visit.verify_result == "warning" and flow.state.visit.verify_repeat_time == ""


def test_an_unrecognised_code_offline_is_logged_through_the_outbox_with_its_kind_only(door):
    flow, client, runner, _, outbox = door
    flow._set(online=False)
    flow.verify_scanned(parse_payload("ANY OLD TEXT 123 !"))
    assert flow.state.visit.verify_result == "unknown" and client.calls == []
    (entry,) = outbox.entries()
    assert entry.payload["scans"][0] | {"at": ""} == {"at": "", "result": "unknown", "presented": "unrecognised"}


def _window(flow, seconds: int) -> None:
    """The backoffice's state naming its re-scan window, as the register watcher hands it over."""
    from counter_core.kiosk_api import RegisterState

    flow.server_state(RegisterState.model_validate({
        "kiosk": {"name": "Door", "mode": "verify", "verify_groups": [], "verify_rescan_seconds": seconds},
        "register": {"name": "Till"}, "shop_name": "Café Test", "version": 2,
        "server_time": "2026-12-07T12:00:00+00:00", "sale": None,
    }))


@pytest.mark.parametrize(("window", "after", "repeat"), [(60, 59, True), (60, 61, False), (0, 1, False)])
def test_offline_the_backoffices_window_decides(door, window, after, repeat):
    flow, client, runner, clock, _ = door
    _window(flow, window)
    flow.verify_cache = _Cache(OfflineAnswer("success", "Anna", (), "cus_1", offline=True))
    client.script("verify", BackofficeUnavailable("down"))
    flow.verify_scanned(parse_payload(CARD))
    runner.step()
    clock.advance(after)
    flow.tick()
    flow.verify_scanned(parse_payload(CARD))  # offline now: answered at once
    assert flow.state.visit.verify_result == "success" and bool(flow.state.visit.verify_repeat_time) is repeat
