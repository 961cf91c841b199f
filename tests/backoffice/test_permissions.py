"""The permission table against the running app: every route, every role, the answer the table says.

Each route of the app (``app.routes``, routers included) is called over real
HTTP as an anonymous caller, a kiosk, a POS integration, a cashier and a
manager, with path parameters that name nothing (so that an admitted call
ends in a 404 or 422 and changes nothing).  An answer is a refusal when it is a
401, a 403 with one of the credential codes, or a page's redirect to the
sign-in form; anything else means the caller got past the checks.  A route
that is not in the table, or a table row with no route, fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from backoffice import permissions
from backoffice.auth import SESSION_COOKIE, start_session
from backoffice.models import StaffUser
from backoffice.permissions import ANONYMOUS, CASHIER, KIOSK, MANAGER, POS, ROLES, TABLE
from tests.support.api import error_code
from tests.support.staff import another_backoffice

REPO = Path(__file__).resolve().parents[2]
REFUSAL_CODES = {
    "unauthorized", "session_expired", "invalid_token", "token_revoked", "kiosk_not_allowed", "forbidden",
    "manager_only", "staff_only", "not_in_permission_table",
}
PLACEHOLDERS = {
    "reference": "nothing0000", "token": "m_nothing0000", "code": "NOTHING-0000", "purpose": "marketing",
    "action": "disable",
}
_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with another_backoffice(tmp_path_factory) as backoffice:
        yield backoffice


def _staff_session(server, role: str) -> tuple[str, str]:
    username, _ = server.staff(role)
    with server.runtime.sessions() as db:
        user = db.query(StaffUser).filter_by(username=username).one()
        cookie, csrf = start_session(db, user, 3600)
        db.commit()
    return cookie, csrf


class Caller:
    def __init__(self, server, role: str):
        self.server, self.role = server, role
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        if role == KIOSK:
            self.headers["Authorization"] = f"Bearer {server.register_with_kiosk()[1]}"
        elif role == POS:
            self.headers["Authorization"] = f"Bearer {server.api_key()}"
        elif role in (CASHIER, MANAGER):
            cookie, csrf = _staff_session(server, role)
            self.cookies[SESSION_COOKIE] = cookie
            self.headers["X-CSRF-Token"] = csrf

    def call(self, method: str, template: str) -> requests.Response:
        path = _PARAM.sub(lambda m: PLACEHOLDERS.get(m.group(1), "999999"), template)
        if template == "/static":
            path = "/static/staff.css"
        headers, cookies = dict(self.headers), dict(self.cookies)
        if (method, template) == ("POST", "/logout") and self.role in (CASHIER, MANAGER):
            cookie, csrf = _staff_session(self.server, self.role)  # a session of its own to end
            cookies[SESSION_COOKIE], headers["X-CSRF-Token"] = cookie, csrf
        body = {"json": {}} if path.startswith("/api/") else {"data": {}}
        return requests.request(method, self.server.base_url + path, headers=headers, cookies=cookies,
                                allow_redirects=False, timeout=30, **({} if method == "GET" else body))


def refused(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code in (302, 303, 307):
        return response.headers.get("location", "").startswith("/login?next=")  # not the sign-out's /login?bye=1
    if response.status_code != 403:
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        return error_code(response) in REFUSAL_CODES
    found = re.search(r'data-error-code="([a-z_]+)"', response.text)
    return bool(found) and found.group(1) in REFUSAL_CODES


def _app_of(server):
    from backoffice.app import create_app

    return create_app(server.settings)


def test_every_route_of_the_app_is_in_the_table_and_every_row_is_a_route(server):
    routes = set(permissions.app_routes(_app_of(server)))
    assert routes, "no routes found"
    assert sorted(routes - set(TABLE)) == [], "routes missing from backoffice/permissions.py"
    assert sorted(set(TABLE) - routes) == [], "rows of the permission table that name no route"


def test_every_route_answers_each_role_as_the_table_says(server):
    callers = {role: Caller(server, role) for role in ROLES}
    wrong = []
    for (method, template), admitted in TABLE.items():
        for role in ROLES:
            response = callers[role].call(method, template)
            assert response.status_code < 500, (method, template, role, response.status_code, response.text[:300])
            got_in = not refused(response)
            if got_in != (role in admitted):
                wrong.append(f"{method} {template} as {role}: {response.status_code} "
                             f"({'admitted' if got_in else 'refused'}, the table says "
                             f"{'admitted' if role in admitted else 'refused'})")
    assert wrong == [], "\n".join(wrong)


def test_a_cashier_can_neither_grant_a_membership_nor_edit_a_customer_over_the_api(server):
    from tests.support.staff import sign_in

    manager_api = Caller(server, MANAGER)
    username, password = server.staff(CASHIER)
    cashier = sign_in(server.base_url, username, password)
    pos = {"Authorization": f"Bearer {server.api_key()}"}
    created = requests.post(f"{server.base_url}/api/v1/customers", headers=pos, timeout=30,
                            json={"first_name": "Greta", "last_name": "Grant", "phone": "+46701112233"})
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    membership = {"plan": "Gold", "starts_on": "2026-01-01"}
    grant = cashier.api("POST", f"/api/v1/customers/{reference}/memberships", membership)
    assert grant.status_code == 403 and error_code(grant) == "manager_only"
    edit = cashier.api("PATCH", f"/api/v1/customers/{reference}", {"last_name": "Changed"})
    assert edit.status_code == 403 and error_code(edit) == "manager_only"
    consent = cashier.api("POST", f"/api/v1/customers/{reference}/consents", {"purpose": "marketing"})
    assert consent.status_code == 403 and error_code(consent) == "manager_only"
    # Variants of the address that might slip past a table and still reach the handler: none does.
    for variant in (f"/api/v1/customers/{reference}/memberships/", f"/api/v1/customers/{reference}/memberships?x=1",
                    f"/api/v1/customers/{reference}/memberships#x", f"/api/v1/customers/./{reference}/memberships",
                    f"/api/v1//customers/{reference}/memberships", f"/api/v1/customers/{reference}%2Fmemberships",
                    f"/api/v1/customers/{reference}/Memberships"):
        sneaky = cashier.api("POST", variant, membership, allow_redirects=True)
        assert sneaky.status_code in (403, 404, 405), (variant, sneaky.status_code)
    cashier.http.headers["X-HTTP-Method-Override"] = "GET"
    assert cashier.api("POST", f"/api/v1/customers/{reference}/memberships", membership).status_code == 403
    del cashier.http.headers["X-HTTP-Method-Override"]
    # What the cashier may do over the API is still there.
    assert cashier.api("GET", f"/api/v1/customers/{reference}").status_code == 200
    assert cashier.api("GET", f"/api/v1/customers/{reference}/memberships").status_code == 200
    memberships = cashier.api("GET", f"/api/v1/customers/{reference}/memberships").json()["memberships"]
    assert memberships == []  # nothing was granted by any of the attempts
    # A manager's session and a POS key may.
    granted = requests.post(f"{server.base_url}/api/v1/customers/{reference}/memberships", json=membership,
                            headers=manager_api.headers, cookies=manager_api.cookies, timeout=30)
    assert granted.status_code == 201, granted.text
    edited = requests.patch(f"{server.base_url}/api/v1/customers/{reference}", json={"last_name": "Changed"},
                            headers=pos, timeout=30)
    assert edited.status_code == 200 and edited.json()["last_name"] == "Changed"


def test_a_route_missing_from_the_table_is_refused_for_everybody():
    for role in ROLES:
        assert permissions.refusal("GET", "/api/v1/not-listed", role)[0] == "not_in_permission_table"
    assert permissions.refusal("POST", "/api/v1/customers/cus_1/memberships", CASHIER)[0] == "manager_only"
    assert permissions.refusal("POST", "/api/v1/customers/cus_1/memberships", POS) is None
    assert permissions.refusal("GET", "/api/v1/kiosk/state", POS)[0] == "forbidden"
    assert permissions.refusal("POST", "/api/v1/console/1/scan", POS)[0] == "forbidden"
    assert permissions.refusal("GET", "/console", KIOSK)[0] == "kiosk_not_allowed"
    assert permissions.refusal("GET", "/login", ANONYMOUS) is None
    # The literal route wins over the template that would also match it.
    assert permissions.template_for("GET", "/admin/customers/new") == "/admin/customers/new"
    assert permissions.template_for("GET", "/admin/customers/cus_1") == "/admin/customers/{reference}"


def test_each_route_is_judged_by_its_own_row_even_where_templates_overlap():
    for (method, template), roles in TABLE.items():
        path = _PARAM.sub(lambda m: PLACEHOLDERS.get(m.group(1), "999999"), template)
        chosen = permissions.template_for(method, path)
        assert TABLE[(method, chosen)] == roles, (method, template, chosen)
    # HEAD is GET's, a trailing slash or another case is no route of the table.
    assert permissions.allowed_roles("HEAD", "/admin/customers") == TABLE[("GET", "/admin/customers")]
    assert permissions.allowed_roles("POST", "/api/v1/customers/x/memberships/") is None
    assert permissions.allowed_roles("POST", "/API/v1/customers/x/memberships") is None
    assert permissions.allowed_roles("POST", "/api/v1/customers/x/y/memberships") is None


def test_the_permission_table_in_the_docs_is_the_table_in_the_code():
    documented = (REPO / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert documented == permissions.render_markdown(), (
        "docs/permissions.md is out of date: run `python -m backoffice.permissions > docs/permissions.md`"
    )
