"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis): never a 5xx, every refusal in the error shape.

Schemathesis generates requests that fit the schema and requests that break
it, for every operation: the kiosk's with a device token, the POS and staff
API with an API key, the console's with a signed-in cashier's session.  The
server is a real uvicorn of its own, so that what the fuzzer creates, revokes
or erases never touches the shared one; its limits are off and its long-polls
short, so that the examples reach the code behind them quickly.  The number of
examples per operation is bounded (FUZZ_EXAMPLES, default 50) to keep the
run to a minute or two.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from backoffice.app import create_app
from backoffice.settings import load_settings
from tests.support.api import Api
from tests.support.staff import another_backoffice, new_staff

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    with another_backoffice(tmp_path_factory, identify_rate_per_minute=0, identify_lockout_failures=0,
                            long_poll_seconds=0.2, registration_ttl_seconds=600) as server:
        register, token = server.register_with_kiosk("Fuzz")
        server.kiosk_token = token
        server.pos_key = server.api_key()
        pos = Api(server.base_url, server.pos_key)
        pos.post("/api/v1/sales", {"register": register})
        for n in range(3):
            pos.post("/api/v1/customers", {"first_name": f"Fuzz{n}", "phone": f"+4670000010{n}"})
        yield server


@pytest.fixture(scope="module")
def cashier(fuzzed):
    return new_staff(fuzzed, "cashier")


# The schema the server publishes, taken from an app instance (nothing is served or stored by it), so
# that pytest sees one test per operation; the requests go to the fuzzed server.
schema = schemathesis.openapi.from_dict(
    create_app(load_settings(environ={}, secret_key="schema-only-" + "x" * 32)).openapi()
)


def assert_answer_is_sound(case, response) -> None:
    """No server error; a refusal says what and why in the shape every client reads."""
    where = f"{case.method.upper()} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, where
        error = body["error"]
        assert isinstance(error.get("code"), str) and error["code"], where
        assert isinstance(error.get("message"), str) and error["message"], where


@schema.include(tag="kiosk").parametrize()
@FUZZ
def test_kiosk_endpoints_never_fail_and_refuse_in_the_error_shape(case, fuzzed):
    response = case.call(base_url=fuzzed.base_url, headers={"Authorization": f"Bearer {fuzzed.kiosk_token}"},
                         timeout=30)
    assert_answer_is_sound(case, response)


@schema.include(tag_regex="^(customers|sales|registrations|admin|groups|health)$").parametrize()
@FUZZ
def test_pos_and_staff_endpoints_with_an_api_key_never_fail_and_refuse_in_the_error_shape(case, fuzzed):
    response = case.call(base_url=fuzzed.base_url, headers={"Authorization": f"Bearer {fuzzed.pos_key}"}, timeout=30)
    assert_answer_is_sound(case, response)


@schema.include(tag="console").parametrize()
@FUZZ
def test_console_endpoints_with_a_cashiers_session_never_fail_and_refuse_in_the_error_shape(case, fuzzed, cashier):
    response = case.call(base_url=fuzzed.base_url, session=cashier.http, headers={"X-CSRF-Token": cashier.csrf},
                         timeout=30)
    assert_answer_is_sound(case, response)


@schema.parametrize()
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_refuses_a_caller_without_credentials_in_the_error_shape(case, fuzzed):
    response = case.call(base_url=fuzzed.base_url, timeout=30)
    assert_answer_is_sound(case, response)
