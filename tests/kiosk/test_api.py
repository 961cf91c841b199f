"""The backoffice client hands the flow typed answers, and calls an answer it cannot read a protocol error."""

from __future__ import annotations

import json

import pytest
import requests
from requests.adapters import BaseAdapter

from counter_core.kiosk_api import IdentifyAnswer, RegisterState, RegistrationView
from kiosk.api import BackofficeClient
from kiosk.errors import NotPaired, ProtocolError


class CannedAnswer(BaseAdapter):
    """A transport that answers every request with the same status and body (a proxy, an old server)."""

    def __init__(self, status: int, content: bytes):
        super().__init__()
        self.status, self.content = status, content

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = self.status
        response._content = self.content
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def canned(status: int, body: object) -> BackofficeClient:
    """A client whose every request gets ``body`` (JSON, or bytes as they are)."""
    session = requests.Session()
    session.mount("http://", CannedAnswer(status, body if isinstance(body, bytes) else json.dumps(body).encode()))
    return BackofficeClient("http://backoffice.test", "kd_test", session=session, retries=0)


def test_the_register_state_arrives_as_a_typed_answer(till):
    sale = till.open_sale()
    state = BackofficeClient(till.kiosk.base_url, till.kiosk_token).state()
    assert isinstance(state, RegisterState)
    assert state.till.name == till.name and state.sale.reference == sale["reference"]
    assert state.kiosk.mode == "connect" and not state.sale.customer_connected and state.version > 0


def test_identify_and_become_member_answers_are_typed(till, new_phone):
    till.open_sale()
    client = BackofficeClient(till.kiosk.base_url, till.kiosk_token)
    phone = new_phone()
    answer = client.identify({"method": "enter", "kind": "phone", "phone": phone}, "key-identify-" + phone)
    assert isinstance(answer, IdentifyAnswer) and answer.result == "not_found" and answer.can_register
    view = client.register({"phone": phone, "source": "enter", "language": "sv"}, "key-register-" + phone)
    assert isinstance(view, RegistrationView) and view.status == "pending"
    assert client.registration(view.reference).reference == view.reference


def test_an_answer_missing_a_field_is_a_protocol_error():
    client = canned(200, {"kiosk": {"name": "K"}, "shop_name": "Café", "version": 3})  # no register, no server_time
    with pytest.raises(ProtocolError, match="RegisterState"):
        client.state()


def test_an_answer_with_a_result_the_kiosk_does_not_know_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="IdentifyAnswer"):
        canned(200, {"result": "maybe"}).identify({"kind": "customer_number", "customer_number": "1"}, "k")


def test_a_page_that_is_not_json_is_still_a_protocol_error():
    with pytest.raises(ProtocolError, match="without JSON"):
        canned(200, b"<html>captive portal</html>").state()


def test_refusals_stay_typed_errors_not_protocol_errors():
    with pytest.raises(NotPaired):
        canned(401, {"error": {"code": "token_revoked", "message": "pair again"}}).state()
