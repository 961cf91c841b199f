"""Staff sign-in and what protects the console and back office: roles, CSRF, throttling, expiry, sign-out."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import requests
from sqlalchemy import update

from backoffice.models import StaffSession
from tests.support.api import Api, error_code
from tests.support.staff import another_backoffice, new_staff, register_id, sign_in, sign_in_response

MANAGER_PAGES = (
    "/admin/customers", "/admin/customers/new", "/admin/customers/table", "/admin/customers/export.csv",
    "/admin/sales", "/admin/cards", "/admin/devices", "/admin/staff", "/admin/mail",
)
_addresses = itertools.count(10)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A server with a low sign-in limit and secure cookies, so lockout tests do not touch the shared one."""
    with another_backoffice(tmp_path_factory, login_free_failures=2, session_cookie_secure=True) as server:
        yield server


def test_signing_in_sets_an_httponly_samesite_session_cookie(backoffice):
    username, password = backoffice.staff("cashier")
    _, response = sign_in_response(backoffice.base_url, username, password)
    assert response.status_code == 303 and response.headers["location"] == "/console?choose=1"
    cookie = response.headers["set-cookie"]
    assert "bo_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_the_setting_says_so(strict):
    username, password = strict.staff("cashier")
    assert "Secure" in requests.get(f"{strict.base_url}/login", timeout=30).headers["set-cookie"]
    _, response = sign_in_response(strict.base_url, username, password)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "bo_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_a_wrong_password_is_refused_with_a_clear_message(backoffice):
    username, _ = backoffice.staff("cashier")
    _, response = sign_in_response(backoffice.base_url, username, "not-the-password", address="10.9.0.1")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text and "bo_session" not in response.headers.get("set-cookie", "")


def test_the_sign_in_form_without_its_token_is_refused(backoffice):
    username, password = backoffice.staff("cashier")
    response = requests.post(f"{backoffice.base_url}/login", data={"username": username, "password": password},
                             allow_redirects=False, timeout=30)
    assert response.status_code == 403 and "The sign-in form had expired" in response.text


def test_sign_in_is_rate_limited_per_username_with_a_clear_message(strict):
    username, password = strict.staff("cashier")
    for _ in range(2):
        _, response = sign_in_response(strict.base_url, username, "wrong-password", address=f"10.1.0.{next(_addresses)}")
        assert response.status_code == 401
    # Even the right password is refused now, from any address.
    _, response = sign_in_response(strict.base_url, username, password, address=f"10.1.0.{next(_addresses)}")
    assert response.status_code == 429 and 25 <= int(response.headers["retry-after"]) <= 30
    assert "Too many failed sign-ins for this user" in response.text


def test_sign_in_is_rate_limited_per_client_address(strict):
    address = f"10.2.0.{next(_addresses)}"
    for attempt in range(10):  # 5 x the per-user limit, spread over usernames
        _, response = sign_in_response(strict.base_url, f"nobody{attempt}", "wrong-password", address=address)
        assert response.status_code == 401, attempt
    username, password = strict.staff("cashier")
    _, response = sign_in_response(strict.base_url, username, password, address=address)
    assert response.status_code == 429 and "Too many failed sign-ins from this device" in response.text
    _, elsewhere = sign_in_response(strict.base_url, username, password, address=f"10.2.1.{next(_addresses)}")
    assert elsewhere.status_code == 303


def test_a_cashier_gets_a_403_page_on_every_manager_page(backoffice):
    cashier = new_staff(backoffice, "cashier")
    for path in MANAGER_PAGES:
        response = cashier.get(path, allow_redirects=False)
        assert response.status_code == 403, path
        assert "Managers only" in response.text and "Traceback" not in response.text, path
    refused = cashier.post_form("/admin/devices/registers", {"name": "Sneaky till"})
    assert refused.status_code == 403


def test_a_cashier_sees_no_back_office_links_in_the_console(backoffice):
    cashier = new_staff(backoffice, "cashier")
    page = cashier.get("/console?choose=1").text
    assert "/admin/customers" not in page and "Sign out" in page


def test_a_kiosk_token_cannot_reach_the_console(backoffice, till):
    rid = register_id(backoffice, till.name)
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {till.kiosk_token}"
    for path in (f"/console/{rid}", f"/console/{rid}/panel", f"/console/{rid}/search?q=a", "/admin/customers"):
        response = kiosk.get(backoffice.base_url + path, allow_redirects=False, timeout=30)
        assert response.status_code == 403 and "Not for kiosks" in response.text, path
    stream = kiosk.get(f"{backoffice.base_url}/console/{rid}/events", headers={"Accept": "text/event-stream"},
                       timeout=30)
    assert stream.status_code == 403
    api = till.kiosk.post(f"/api/v1/console/{rid}/scan", {"text": "100001"})
    assert api.status_code == 403 and error_code(api) == "kiosk_not_allowed"


def test_an_api_key_is_not_a_staff_sign_in(backoffice, pos, till):
    rid = register_id(backoffice, till.name)
    response = pos.get(f"/console/{rid}", allow_redirects=False)
    assert response.status_code == 403 and "Staff sign-in needed" in response.text
    assert error_code(pos.post(f"/api/v1/console/{rid}/scan", {"text": "1"})) == "forbidden"


def test_posts_without_the_csrf_token_are_refused(backoffice, till):
    manager = new_staff(backoffice, "manager")
    form = manager.post_form("/admin/devices/registers", {"name": backoffice.unique("Till")}, csrf=False)
    assert form.status_code == 403 and "The form is out of date" in form.text
    forged = manager.post_form("/admin/devices/registers", {"name": backoffice.unique("Till"), "csrf": "forged"})
    assert forged.status_code == 403
    rid = register_id(backoffice, till.name)
    api = manager.http.post(f"{backoffice.base_url}/api/v1/console/{rid}/scan", json={"text": "1"}, timeout=30)
    assert api.status_code == 403 and error_code(api) == "csrf_failed"
    signed_out = manager.post_form("/logout", csrf=False, allow_redirects=False)
    assert signed_out.status_code == 403
    assert manager.get("/console?choose=1", allow_redirects=False).status_code == 200  # still signed in


def test_pages_without_a_session_send_the_browser_to_sign_in_and_back(backoffice):
    response = requests.get(f"{backoffice.base_url}/admin/sales?untracked=1", allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fsales%3Funtracked%3D1"
    username, password = backoffice.staff("manager")
    http = requests.Session()
    page = http.get(backoffice.base_url + response.headers["location"], timeout=30)
    assert 'name="next" value="/admin/sales?untracked=1"' in page.text


def test_the_next_address_after_sign_in_stays_on_this_site(backoffice):
    username, password = backoffice.staff("cashier")
    http = requests.Session()
    page = http.get(f"{backoffice.base_url}/login", timeout=30)
    from tests.support.staff import form_token

    response = http.post(f"{backoffice.base_url}/login", allow_redirects=False, timeout=30, data={
        "username": username, "password": password, "csrf": form_token(page.text), "next": "//evil.example/x"})
    assert response.headers["location"] == "/console"


def test_an_expired_session_sends_the_browser_to_sign_in_with_a_message(backoffice):
    cashier = new_staff(backoffice, "cashier")
    with backoffice.runtime.sessions() as db:
        db.execute(update(StaffSession).where(StaffSession.user_id == _user_id(backoffice, cashier))
                   .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.commit()
    response = cashier.get("/console?choose=1", allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("&expired=1")
    page = cashier.get(response.headers["location"])
    assert "Your session has ended. Sign in again." in page.text
    api = cashier.api("GET", "/api/v1/customers?q=a")
    assert api.status_code == 401 and error_code(api) == "session_expired"


def _user_id(backoffice, client) -> int:
    from backoffice.auth import staff_from_cookie

    return staff_from_cookie(backoffice.runtime, client.http.cookies["bo_session"]).id


def test_signing_out_ends_the_session_on_the_server(backoffice):
    cashier = new_staff(backoffice, "cashier")
    cookie = cashier.http.cookies["bo_session"]
    response = cashier.post_form("/logout", allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?bye=1"
    replay = requests.get(f"{backoffice.base_url}/console?choose=1", cookies={"bo_session": cookie},
                          allow_redirects=False, timeout=30)
    assert replay.status_code == 303 and "/login" in replay.headers["location"]
    api = Api(backoffice.base_url, session=requests.Session())
    api.http.cookies.set("bo_session", cookie)
    assert error_code(api.get("/api/v1/customers")) == "session_expired"


def test_changing_the_password_keeps_this_session_and_ends_the_others(backoffice):
    username, password = backoffice.staff("cashier")
    here = sign_in(backoffice.base_url, username, password)
    elsewhere = sign_in(backoffice.base_url, username, password)
    wrong = here.post_form("/account/password", {"current": "nope-nope", "new": "brand-new-pass", "repeat": "brand-new-pass"})
    assert wrong.status_code == 422 and "The current password is not right." in wrong.text
    done = here.post_form("/account/password", {"current": password, "new": "brand-new-pass", "repeat": "brand-new-pass"})
    assert done.status_code == 200 and "Your password has been changed" in done.text
    assert elsewhere.get("/console?choose=1", allow_redirects=False).status_code == 303
    assert here.get("/console?choose=1", allow_redirects=False).status_code == 200
    assert sign_in(backoffice.base_url, username, "brand-new-pass")


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(backoffice):
    manager = new_staff(backoffice, "manager")
    username, password = backoffice.staff("cashier")
    cashier = sign_in(backoffice.base_url, username, password)
    user_id = _user_id(backoffice, cashier)
    assert manager.post_form(f"/admin/staff/{user_id}/disable").status_code == 200
    assert cashier.get("/console?choose=1", allow_redirects=False).status_code == 303
    _, response = sign_in_response(backoffice.base_url, username, password, address="10.3.0.1")
    # The same answer as a wrong password: it confirms neither the password nor the account.
    assert response.status_code == 401 and "Wrong username or password." in response.text
    own = manager.post_form(f"/admin/staff/{_user_id(backoffice, manager)}/disable")
    assert own.status_code == 409 and "You cannot disable your own account." in own.text


def test_refusals_on_pages_are_friendly_pages_and_the_api_stays_json(backoffice):
    manager = new_staff(backoffice, "manager")
    missing = manager.get("/admin/customers/cus_doesnotexist")
    assert missing.status_code == 404 and "Unknown customer" in missing.text and "<html" in missing.text
    nowhere = manager.get("/no/such/page")
    assert nowhere.status_code == 404 and "Page not found" in nowhere.text
    bad = manager.get("/admin/sales?register=abc")
    assert bad.status_code == 422 and "Some fields are missing or wrong" in bad.text
    for response in (missing, nowhere, bad):
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    api = manager.api("GET", "/api/v1/customers/cus_doesnotexist")
    assert api.status_code == 404 and error_code(api) == "customer_not_found"


def test_an_unexpected_error_on_a_page_is_a_friendly_500_page_without_a_stack_trace(backoffice, till, monkeypatch):
    from backoffice.services import console

    def broken(*args, **kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(console, "snapshot", broken)
    cashier = new_staff(backoffice, "cashier")
    response = cashier.get(f"/console/{register_id(backoffice, till.name)}")
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert "Traceback" not in response.text and "fell over" not in response.text


def test_names_are_escaped_on_every_page(backoffice, till, make_customer):
    customer = make_customer(first_name="<script>alert(1)</script>", last_name="Xss")
    manager = new_staff(backoffice, "manager")
    rid = register_id(backoffice, till.name)
    for path in (f"/admin/customers/{customer['reference']}", "/admin/customers?q=xss",
                 f"/console/{rid}/search?q=xss"):
        page = manager.get(path).text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page_after_sign_in(backoffice):
    response = requests.post(f"{backoffice.base_url}/admin/devices/registers", data={"name": "X"},
                             headers={"Referer": f"{backoffice.base_url}/admin/devices?x=1"},
                             cookies={"bo_session": "stale"}, allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fdevices%3Fx%3D1&expired=1"
    elsewhere = requests.post(f"{backoffice.base_url}/admin/devices/registers", data={"name": "X"},
                              headers={"Referer": "https://evil.example/phish"}, allow_redirects=False, timeout=30)
    assert elsewhere.headers["location"] == "/login?next=%2Fconsole"
