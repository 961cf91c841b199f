"""Domain errors are mapped to HTTP in one place: each kind's status, the same JSON body, Retry-After."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backoffice import domain_errors as de
from backoffice.errors import HTTP_STATUS, ApiError, http_status, install_error_handlers
from tests.support.api import error_code

KINDS = [(de.MalformedRequest, 400), (de.NotSignedIn, 401), (de.Forbidden, 403), (de.NotFound, 404),
         (de.Conflict, 409), (de.Gone, 410), (de.Invalid, 422), (de.RateLimited, 429), (de.Locked, 429),
         (de.Failed, 500)]


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{index}")
    def raise_kind(index: int):
        kind, _ = KINDS[index]
        raise kind(f"{kind.__name__.lower()}_code", f"A {kind.__name__} refusal.", detail="kept")

    @app.get("/limited")
    def limited():
        raise de.RateLimited("rate_limited", "Wait.", retry_after=7)

    @app.get("/field")
    def field():
        raise de.Invalid.of_field("country", "invalid_country", "Use a two-letter country code such as SE.")

    @app.get("/legacy")
    def legacy():
        raise ApiError(418, "teapot", "An HTTP-layer refusal keeps its own status.")

    return TestClient(app)


def test_every_kind_has_its_status_and_the_same_body(client):
    for index, (kind, status) in enumerate(KINDS):
        assert http_status(kind("x", "y")) == status
        response = client.get(f"/raise/{index}")
        assert response.status_code == status, kind
        assert response.json() == {"error": {"code": f"{kind.__name__.lower()}_code",
                                             "message": f"A {kind.__name__} refusal.", "detail": "kept"}}
    assert set(HTTP_STATUS) == {kind for kind, _ in KINDS}


def test_a_rate_limit_says_when_to_try_again(client):
    response = client.get("/limited")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["error"]["retry_after"] == 7


def test_an_invalid_field_is_named_in_the_message_and_the_list(client):
    response = client.get("/field")
    assert response.status_code == 422 and error_code(response) == "invalid_country"
    body = response.json()["error"]
    assert body["message"] == "Please correct: country: Use a two-letter country code such as SE."
    assert body["fields"] == [{"field": "country", "code": "invalid_country",
                               "message": "Use a two-letter country code such as SE."}]
    assert de.Invalid.of_field("country", "c", "m").field_messages == {"country": "m"}


def test_an_http_layer_refusal_keeps_its_status(client):
    assert client.get("/legacy").status_code == 418


def test_the_domain_errors_import_no_web_framework():
    code = ("import sys, backoffice.domain_errors; "
            "assert not {'fastapi', 'starlette'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_services_load_no_web_framework():
    code = ("import pkgutil, importlib, sys, backoffice.services as s; "
            "[importlib.import_module(f'backoffice.services.{m.name}') for m in pkgutil.iter_modules(s.__path__)]; "
            "loaded = {'fastapi', 'starlette', 'jinja2', 'backoffice.api', 'backoffice.web', 'backoffice.errors'}"
            " & set(sys.modules); assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True)
