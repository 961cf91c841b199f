"""Staff in tests: sign in over real HTTP like a browser, and post forms with the page's CSRF token."""

from __future__ import annotations

import contextlib
import re
import uuid

import requests

from tests.support.database import fresh_database
from tests.support.server import start_in_thread

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def form_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no csrf field on the page"
    return found.group(1)


class StaffClient:
    """A signed-in browser stand-in: a cookie jar plus the session's CSRF token."""

    def __init__(self, base_url: str, http: requests.Session, csrf: str):
        self.base_url = base_url
        self.http = http
        self.csrf = csrf

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.get(self.base_url + path, **kwargs)

    def post_form(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf", self.csrf)
        return self.http.post(self.base_url + path, data=body, **kwargs)

    def api(self, method: str, path: str, json=None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.request(method, self.base_url + path, json=json, headers=headers, **kwargs)


def sign_in_response(base_url: str, username: str, password: str, *, address: str | None = None,
                     http: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    """Fill in the sign-in form; ``address`` pretends to be another client (X-Forwarded-For from localhost)."""
    http = http or requests.Session()
    headers = {"X-Forwarded-For": address} if address else {}
    page = http.get(f"{base_url}/login", headers=headers, timeout=30)
    # Sent explicitly: with secure cookies on, a client over plain http would not send it back.
    login_cookie = page.cookies.get("bo_login") or http.cookies.get("bo_login")
    response = http.post(
        f"{base_url}/login",
        data={"username": username, "password": password, "csrf": form_token(page.text), "next": "/console?choose=1"},
        headers=headers,
        cookies={"bo_login": login_cookie} if login_cookie else None,
        allow_redirects=False,
        timeout=30,
    )
    return http, response


def sign_in(base_url: str, username: str, password: str) -> StaffClient:
    http, response = sign_in_response(base_url, username, password)
    assert response.status_code == 303, response.text
    page = http.get(base_url + "/console?choose=1", timeout=30)
    found = CSRF_META.search(page.text)
    assert found, page.text[:500]
    return StaffClient(base_url, http, found.group(1))


def new_staff(backoffice, role: str = "cashier") -> StaffClient:
    username, password = backoffice.staff(role)
    return sign_in(backoffice.base_url, username, password)


def register_id(backoffice, name: str) -> int:
    from backoffice.services.sales import get_register

    with backoffice.runtime.read_sessions() as db:
        return get_register(db, name).id


@contextlib.contextmanager
def another_backoffice(tmp_path_factory, **overrides):
    """A second server with its own settings and database (e.g. strict limits, a broken mail server)."""
    data_dir = tmp_path_factory.mktemp(f"backoffice-{uuid.uuid4().hex[:6]}")
    with fresh_database(data_dir) as url:
        server = start_in_thread(data_dir, url, **overrides)
        try:
            yield server
        finally:
            server.stop()
