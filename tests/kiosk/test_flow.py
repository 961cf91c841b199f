"""The visit state machine, without a window: every transition, timeouts, clearing of personal data."""

from __future__ import annotations

import dataclasses

import pytest

from counter_core.identity import parse_payload
from counter_core.kiosk_api import (
    IdentifyAnswer,
    MobileSessionView,
    PublicCustomer,
    RegisterState,
    RegistrationView,
    VerifyAnswer,
)
from kiosk.errors import BackofficeUnavailable, NotPaired, RateLimited, Rejected
from kiosk.flow import FlowState, Screen, Timing, Visit, VisitFlow
from kiosk.outbox import Outbox

ANNA = PublicCustomer(reference="cus_1", first_name="Anna",
                      groups=[{"id": 1, "name": "Friends", "colour": "#15803d", "blink": False}])
LATER = "2030-01-01T12:00:00+00:00"


def register_state(sale: str | None = "sale_1", *, mode: str = "connect", verify_groups=(),
                   connected: bool = False) -> RegisterState:
    """``GET /kiosk/state`` as the client hands it to the flow."""
    return RegisterState.model_validate({
        "kiosk": {"name": "Kiosk", "mode": mode, "verify_groups": verify_groups}, "register": {"name": "Till"},
        "shop_name": "Café Test", "version": 1, "server_time": LATER,
        "sale": {"reference": sale, "status": "open", "customer_connected": connected} if sale else None,
    })


SALE = register_state()


def identified(result: str, **fields) -> IdentifyAnswer:
    return IdentifyAnswer(result=result, **fields)


def registration(status: str, reference: str = "reg_1", **fields) -> RegistrationView:
    return RegistrationView(reference=reference, status=status, expires_at=LATER, **fields)


def mobile(status: str = "waiting", reference: str = "mob_1", expires_in_seconds: int = 0, **fields):
    return MobileSessionView(reference=reference, status=status, expires_at=LATER,
                             expires_in_seconds=expires_in_seconds, **fields)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Runner:
    """Runs background work only when the test says so, like the app's worker threads would later."""

    def __init__(self):
        self.queue = []

    def __call__(self, work, done, failed):
        self.queue.append((work, done, failed))

    def step(self):
        work, done, failed = self.queue.pop(0)
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - delivered to the flow like the app does
            failed(exc)
        else:
            done(result)

    def drain(self, limit=10):
        for _ in range(limit):
            if not self.queue:
                return
            self.step()


class FakeClient:
    """Answers scripted per call; records what the flow asked."""

    def __init__(self):
        self.calls = []
        self.answers = {}

    def script(self, name, *answers):
        self.answers.setdefault(name, []).extend(answers)

    def _answer(self, name, *args):
        self.calls.append((name, args))
        queue = self.answers.get(name) or []
        if not queue:
            raise AssertionError(f"no scripted answer for {name}")
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def identify(self, payload, key):
        return self._answer("identify", payload, key)

    def register(self, payload, key):
        return self._answer("register", payload, key)

    def registration(self, reference, wait=0):
        return self._answer("registration", reference)

    def start_mobile_session(self, language, key):
        return self._answer("start_mobile_session", language, key)

    def mobile_session(self, reference, wait=0, after=""):
        return self._answer("mobile_session", reference, after)


@pytest.fixture
def parts(tmp_path):
    clock, runner, client = Clock(), Runner(), FakeClient()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    flow = VisitFlow(client, runner, outbox=outbox, language="sv",
                     timing=Timing(idle_timeout=60, idle_warning=20, welcome=8, result=12), clock=clock)
    flow.server_state(SALE)
    return flow, client, runner, clock, outbox


def personal_values(state: FlowState) -> dict:
    visit = dataclasses.asdict(state.visit)
    visit.pop("number"), visit.pop("last_activity")
    return {k: v for k, v in visit.items() if v not in ("", None, 0, 0.0, (), False)}


def test_waiting_until_a_sale_opens_then_home_then_waiting_when_it_closes(tmp_path):
    flow = VisitFlow(FakeClient(), Runner(), language="sv", clock=Clock())
    assert flow.state.screen == Screen.WAITING
    flow.server_state(register_state(None))
    assert flow.state.screen == Screen.WAITING and flow.state.online
    flow.server_state(SALE)
    assert flow.state.screen == Screen.HOME and flow.state.shop_name == "Café Test"
    flow.choose("enter")
    flow.server_state(register_state(None))
    assert flow.state.screen == Screen.WAITING


def test_enter_customer_number_matches_and_welcomes_by_first_name(parts):
    flow, client, runner, clock, _ = parts
    flow.choose("enter")
    for key in "100001":
        flow.press_key(key)
    assert flow.state.visit.typed.kind == "customer_number"
    client.script("identify", identified("matched", customer=ANNA, connected=True))
    flow.submit_typed()
    assert flow.state.screen == Screen.WORKING
    runner.step()
    assert flow.state.screen == Screen.WELCOME
    assert flow.state.visit.first_name == "Anna" and flow.state.visit.groups[0].name == "Friends"
    payload = client.calls[0][1][0]
    assert payload == {"method": "enter", "kind": "customer_number", "customer_number": "100001", "sale": "sale_1"}
    clock.advance(8)
    flow.tick()
    assert flow.state.screen == Screen.HOME and personal_values(flow.state) == {}


def test_keypad_backspace_clear_and_plus_only_first(parts):
    flow, *_ = parts
    flow.choose("enter")
    for key in "07012":
        flow.press_key(key)
    flow.press_key("+")
    assert flow.state.visit.typed_text == "07012"
    flow.press_key("backspace")
    assert flow.state.visit.typed_text == "0701"
    flow.press_key("clear")
    assert flow.state.visit.typed_text == "" and flow.state.visit.typed is None
    flow.press_key("+")
    assert flow.state.visit.typed_text == "+"
    for _ in range(40):
        flow.press_key("9")
    assert len(flow.state.visit.typed_text) == 20


def test_personal_id_is_masked_in_the_field_as_it_is_typed(parts):
    flow, *_ = parts
    flow.choose("enter")
    for key in "198504121239":
        flow.press_key(key)
    assert "1239" not in flow.state.visit.typed.display


def test_invalid_number_stays_on_the_keypad_with_a_reason(parts):
    flow, client, *_ = parts
    flow.choose("enter")
    for key in "1212121213":
        flow.press_key(key)
    flow.submit_typed()
    assert flow.state.screen == Screen.ENTER
    assert flow.state.visit.typed_message == "invalid_personal_id"
    assert client.calls == []


def test_ambiguous_number_asks_phone_or_personal_id(parts):
    flow, client, runner, *_ = parts
    flow.choose("enter")
    for key in "0701011231":
        flow.press_key(key)
    flow.submit_typed()
    assert flow.state.screen == Screen.CHOOSE
    kinds = {c.kind for c in flow.state.visit.typed.candidates}
    assert kinds == {"phone", "personal_id"}
    client.script("identify", identified("not_found", can_register=True))
    flow.choose_kind("personal_id")
    runner.step()
    assert client.calls[0][1][0]["kind"] == "personal_id"
    assert flow.state.screen == Screen.NOT_FOUND


def test_not_found_then_become_member_then_cashier_confirms(parts):
    flow, client, runner, *_ = parts
    flow.choose("enter")
    for key in "0701234567":
        flow.press_key(key)
    client.script("identify", identified("not_found", can_register=True))
    flow.submit_typed()
    runner.step()
    assert flow.state.screen == Screen.NOT_FOUND and flow.state.visit.can_register
    client.script("register", registration("pending"))
    flow.become_member()
    runner.step()
    assert flow.state.screen == Screen.PENDING
    payload = client.calls[-1][1][0]
    assert payload["phone"] == "+46701234567" and payload["source"] == "enter" and payload["sale"] == "sale_1"
    client.script("registration", registration("pending"), registration("confirmed", customer=ANNA))
    runner.step()
    assert flow.state.screen == Screen.PENDING
    runner.step()
    assert flow.state.screen == Screen.WELCOME and flow.state.visit.first_name == "Anna"


def test_aborted_registration_ends_with_a_kind_message_then_home(parts):
    flow, client, runner, clock, _ = parts
    flow.choose("scan")
    client.script("identify", identified("pending", registration=registration("pending", "reg_2")))
    flow.scanned(parse_payload("MECARD:N:Nyström,Nina;TEL:+46709998877;;"))
    runner.step()
    assert flow.state.screen == Screen.PENDING
    client.script("registration", registration("aborted", "reg_2"))
    runner.step()
    assert flow.state.screen == Screen.DECLINED and flow.state.visit.reason == "aborted"
    clock.advance(12)
    flow.tick()
    assert flow.state.screen == Screen.HOME and personal_values(flow.state) == {}


def test_scanned_card_payload_is_sent_with_its_fields(parts):
    flow, client, runner, *_ = parts
    flow.choose("scan")
    client.script("identify", identified("matched", customer=ANNA))
    flow.scanned(parse_payload("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Andersson;Anna\r\nTEL:070-123 45 67\r\nEND:VCARD"))
    runner.step()
    payload = client.calls[0][1][0]
    assert payload["method"] == "scan" and payload["kind"] == "vcard" and payload["phone"] == "+46701234567"
    assert flow.state.screen == Screen.WELCOME


def test_unrecognised_code_keeps_scanning_with_a_hint(parts):
    flow, client, *_ = parts
    flow.choose("scan")
    flow.scanned(parse_payload("https://example.com/some/page"))
    assert flow.state.screen == Screen.SCAN and flow.state.visit.scan_hint == "url_not_a_card"
    assert client.calls == []


def test_unlinked_card_is_not_found_without_becoming_a_member(parts):
    flow, client, runner, *_ = parts
    flow.choose("scan")
    client.script("identify", identified("not_found", can_register=False, reason="card_not_linked"))
    flow.scanned(parse_payload("DEMO-00000002", symbology="QRCode"))
    runner.step()
    assert flow.state.screen == Screen.NOT_FOUND and flow.state.visit.reason == "card_not_linked"
    flow.become_member()
    assert flow.state.screen == Screen.NOT_FOUND


def test_backoffice_down_at_submit_saves_to_the_outbox_and_says_so(parts):
    flow, client, runner, clock, outbox = parts
    flow.choose("enter")
    for key in "100001":
        flow.press_key(key)
    client.script("identify", BackofficeUnavailable("down"))
    flow.submit_typed()
    runner.step()
    assert flow.state.screen == Screen.QUEUED and not flow.state.online
    (entry,) = outbox.entries()
    assert entry.kind == "identify" and entry.payload["customer_number"] == "100001"
    assert entry.payload["sale"] == "sale_1" and flow.state.outbox == 1
    clock.advance(12)
    flow.tick()
    assert flow.state.screen == Screen.HOME


def test_server_refusal_of_a_typed_value_returns_to_the_keypad(parts):
    flow, client, runner, *_ = parts
    flow.choose("enter")
    for key in "100001":
        flow.press_key(key)
    client.script("identify", Rejected(422, "invalid_customer_number", "nope"))
    flow.submit_typed()
    runner.step()
    assert flow.state.screen == Screen.ENTER and flow.state.visit.typed_message == "invalid_customer_number"


@pytest.mark.parametrize(("error", "reason"), [(RateLimited(429, "rate_limited", "slow down"), "rate_limited"),
                                               (Rejected(409, "conflict", "x"), "error")])
def test_rate_limit_and_other_refusals_show_a_plain_problem(parts, error, reason):
    flow, client, runner, *_ = parts
    flow.choose("enter")
    flow.press_key("5")
    client.script("identify", error)
    flow.submit_typed()
    runner.step()
    assert flow.state.screen == Screen.PROBLEM and flow.state.visit.reason == reason


def test_revoked_token_shows_not_paired(parts):
    flow, client, runner, *_ = parts
    flow.choose("enter")
    flow.press_key("5")
    client.script("identify", NotPaired(401, "token_revoked", "gone"))
    flow.submit_typed()
    runner.step()
    assert not flow.state.paired


def test_idle_asks_for_more_time_then_returns_home_and_clears_everything(parts):
    flow, client, runner, clock, _ = parts
    flow.set_language("fr")
    flow.choose("enter")
    for key in "19850412":
        flow.press_key(key)
    clock.advance(59)
    flow.tick()
    assert not flow.state.idle_prompt
    clock.advance(1)
    flow.tick()
    assert flow.state.idle_prompt and flow.seconds_left() == 20
    flow.more_time()
    assert not flow.state.idle_prompt and flow.state.visit.typed_text == "19850412"
    clock.advance(60)
    flow.tick()
    clock.advance(20)
    flow.tick()
    assert flow.state.screen == Screen.HOME
    assert flow.state.language == "sv"
    assert flow.state.visit == Visit(number=flow.state.visit.number, last_activity=clock.now)


def test_a_late_answer_for_a_finished_visit_is_ignored(parts):
    flow, client, runner, clock, _ = parts
    flow.choose("enter")
    flow.press_key("7")
    client.script("identify", identified("matched", customer=ANNA))
    flow.submit_typed()
    flow.server_state(register_state(None))  # the cashier closed the sale meanwhile
    runner.step()
    assert flow.state.screen == Screen.WAITING and flow.state.visit.first_name == ""


def test_via_mobile_shows_the_code_follows_the_phone_and_welcomes(parts):
    flow, client, runner, clock, _ = parts
    client.script("start_mobile_session", mobile("waiting", url="http://x/m/m_abc", expires_in_seconds=120))
    flow.choose("mobile")
    assert flow.state.screen == Screen.MOBILE and flow.state.visit.mobile_status == "starting"
    runner.step()
    assert flow.state.visit.mobile_url == "http://x/m/m_abc" and flow.seconds_left() == 120
    client.script("mobile_session", mobile("opened", expires_in_seconds=600), mobile("matched", customer=ANNA))
    runner.step()
    assert flow.state.visit.mobile_status == "opened"
    clock.advance(200)
    flow.tick()
    assert not flow.state.idle_prompt  # the customer is typing on their phone
    runner.step()
    assert flow.state.screen == Screen.WELCOME


def test_via_mobile_code_expires_and_a_new_one_can_be_shown(parts):
    flow, client, runner, clock, _ = parts
    client.script("start_mobile_session", mobile("waiting", "mob_1", url="http://x/m/1", expires_in_seconds=120),
                  mobile("waiting", "mob_2", url="http://x/m/2", expires_in_seconds=120))
    flow.choose("mobile")
    runner.step()
    clock.advance(121)
    flow.tick()
    assert flow.state.visit.mobile_status == "expired" and flow.state.visit.mobile_url == ""
    runner.queue.clear()  # the long-poll of the old code
    flow.new_mobile_code()
    runner.step()
    assert flow.state.visit.mobile_reference == "mob_2" and flow.state.visit.mobile_status == "waiting"


def test_via_mobile_is_not_offered_while_offline(parts):
    flow, client, *_ = parts
    flow.server_unreachable()
    flow.choose("mobile")
    assert flow.state.screen == Screen.PROBLEM and flow.state.visit.reason == "offline_mobile"
    assert client.calls == []


def test_phone_submission_of_unknown_person_follows_the_registration(parts):
    flow, client, runner, *_ = parts
    client.script("start_mobile_session", mobile("waiting", url="http://x/m/1", expires_in_seconds=120))
    flow.choose("mobile")
    runner.step()
    client.script("mobile_session", mobile("pending", registration=registration("pending", "reg_9")))
    runner.step()
    assert flow.state.screen == Screen.PENDING and flow.state.visit.registration == "reg_9"


def test_new_sale_starts_a_new_visit(parts):
    flow, *_ = parts
    flow.choose("enter")
    flow.press_key("1")
    flow.server_state(register_state("sale_2"))
    assert flow.state.screen == Screen.HOME and flow.state.visit.typed_text == ""


def test_verify_mode_replaces_the_three_choices(parts):
    flow, *_ = parts
    flow.server_state(register_state(mode="verify"))
    assert flow.state.screen == Screen.VERIFY
    flow.server_state(SALE)
    assert flow.state.screen == Screen.HOME


# ---------------------------------------------------------------------- venue scanner

class _Cache:
    def __init__(self, answer):
        self.result = answer

    def answer(self, identity, selected):
        return self.result


@pytest.fixture
def door(parts):
    flow, client, runner, clock, outbox = parts
    flow.server_state(register_state(mode="verify",
                                     verify_groups=[{"id": 1, "name": "Friends", "colour": "#15803d"}]))
    client.verify = lambda payload, key: client._answer("verify", payload)
    return flow, client, runner, clock, outbox


def test_door_answers_success_with_first_name_and_groups_then_scans_again(door):
    flow, client, runner, clock, _ = door
    client.script("verify", VerifyAnswer(result="success", customer=ANNA, matched_groups=[1]))
    flow.verify_scanned(parse_payload("http://127.0.0.1:8000/c/DEMO-00000001"))
    runner.step()
    assert client.calls[-1][1][0] == {"kind": "card_code", "card_code": "DEMO-00000001"}
    visit = flow.state.visit
    assert flow.state.screen == Screen.VERIFY and visit.verify_result == "success" and visit.first_name == "Anna"
    clock.advance(4)
    flow.tick()
    assert flow.state.screen == Screen.VERIFY and flow.state.visit.verify_result == ""
    assert flow.state.visit.first_name == ""


def test_door_says_code_not_recognised_for_anything_but_a_customer_code(door):
    flow, client, runner, *_ = door
    client.script("verify", VerifyAnswer(result="unknown"))
    flow.verify_scanned(parse_payload("BEGIN:VCARD\r\nVERSION:3.0\r\nN:X;Y\r\nEND:VCARD"))
    assert flow.state.visit.verify_result == "unknown" and client.calls == []  # answered before any call
    runner.step()  # then logged: what kind of code it was, never its content
    assert client.calls[-1][1][0] == {"kind": "other", "presented": "vcard"}


def test_door_answers_from_the_offline_list_when_the_backoffice_is_down_and_logs_it(door):
    from kiosk.verify_cache import VerifyAnswer as OfflineAnswer

    flow, client, runner, clock, outbox = door
    flow.verify_cache = _Cache(OfflineAnswer("warning", "Anna", ({"id": 2, "name": "VIP", "colour": "#b45309"},),
                                             "cus_1", offline=True))
    client.script("verify", BackofficeUnavailable("down"))
    flow.verify_scanned(parse_payload("100001", symbology="QRCode"))
    runner.step()
    assert flow.state.visit.verify_result == "warning" and flow.state.visit.verify_offline
    assert not flow.state.online
    (entry,) = outbox.entries()
    assert entry.kind == "verify_log" and entry.payload["scans"][0]["customer_reference"] == "cus_1"
    flow.verify_scanned(parse_payload("100002", symbology="QRCode"))  # offline now: answered at once
    assert len(client.calls) == 1 and len(outbox.entries()) == 2
