"""Who may call what: one table for every route of the app, pages and JSON API alike.

A caller has exactly one role: ``anonymous`` (no credentials), ``kiosk`` (a
device token), ``pos`` (an API key of a POS integration), ``cashier`` or
``manager`` (a staff session).  Each route of the app is listed once with the
roles it admits; the authentication dependencies (``backoffice.auth.require``
for the API, ``web.staff_auth.current_staff`` for pages) look the request up
here and refuse any other role with a 403, and a protected route missing from
the table is refused for everybody.  Routes open to ``anonymous`` (the sign-in
form, the phone form, the card page, health, static files, the API docs) have
no dependency: they check what they need themselves (a one-time token, a
form's CSRF cookie).

``tests/backoffice/test_permissions.py`` walks every route of the app with each
role and compares the answers with this table; ``docs/permissions.md`` is this
table rendered (``python -m backoffice.permissions > docs/permissions.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ANONYMOUS, KIOSK, POS, CASHIER, MANAGER = "anonymous", "kiosk", "pos", "cashier", "manager"
ROLES = (ANONYMOUS, KIOSK, POS, CASHIER, MANAGER)
ROLE_TITLES = {ANONYMOUS: "anonymous", KIOSK: "kiosk token", POS: "POS key", CASHIER: "cashier", MANAGER: "manager"}

EVERYONE = frozenset(ROLES)
KIOSK_ONLY = frozenset({KIOSK})
STAFF_POS = frozenset({CASHIER, MANAGER, POS})
MANAGER_POS = frozenset({MANAGER, POS})
STAFF = frozenset({CASHIER, MANAGER})
STAFF_SESSION = STAFF  # the console's own JSON actions: a signed-in person at the till, never a machine
MANAGER_ONLY = frozenset({MANAGER})

# (method, path template) -> the roles admitted.  Keep it in the order the app mounts its routers.
TABLE: dict[tuple[str, str], frozenset[str]] = {
    # API documentation and health
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/api/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/static"): EVERYONE,
    # The kiosk
    ("GET", "/api/v1/kiosk/state"): KIOSK_ONLY,
    ("POST", "/api/v1/kiosk/status"): KIOSK_ONLY,
    ("POST", "/api/v1/identify"): KIOSK_ONLY,
    ("POST", "/api/v1/kiosk/registrations"): KIOSK_ONLY,
    ("GET", "/api/v1/kiosk/registrations/{reference}"): KIOSK_ONLY,
    ("POST", "/api/v1/mobile-sessions"): KIOSK_ONLY,
    ("GET", "/api/v1/mobile-sessions/{reference}"): KIOSK_ONLY,
    ("POST", "/api/v1/kiosk/verify"): KIOSK_ONLY,
    ("GET", "/api/v1/kiosk/verify-cache"): KIOSK_ONLY,
    ("POST", "/api/v1/kiosk/verify-log"): KIOSK_ONLY,
    # Pairing: the one-time code the back office shows is the credential (rate-limited)
    ("POST", "/api/v1/kiosk/pair"): EVERYONE,
    # Sales: the POS rings them up, the console connects and closes them
    ("POST", "/api/v1/sales"): STAFF_POS,
    ("GET", "/api/v1/sales"): STAFF_POS,
    ("GET", "/api/v1/sales/{reference}"): STAFF_POS,
    ("POST", "/api/v1/sales/{reference}/lines"): STAFF_POS,
    ("PUT", "/api/v1/sales/{reference}/customer"): STAFF_POS,
    ("DELETE", "/api/v1/sales/{reference}/customer"): STAFF_POS,
    ("POST", "/api/v1/sales/{reference}/close"): STAFF_POS,
    ("GET", "/api/v1/sales/{reference}/connections"): STAFF_POS,
    # Customers: a cashier finds and creates them; changing one is a manager's (as on the pages)
    ("GET", "/api/v1/customers"): STAFF_POS,
    ("POST", "/api/v1/customers"): STAFF_POS,
    ("GET", "/api/v1/customers/{reference}"): STAFF_POS,
    ("PATCH", "/api/v1/customers/{reference}"): MANAGER_POS,
    ("DELETE", "/api/v1/customers/{reference}"): MANAGER_POS,
    ("POST", "/api/v1/customers/{reference}/erase"): MANAGER_POS,
    ("GET", "/api/v1/customers/{reference}/export"): MANAGER_POS,
    ("GET", "/api/v1/customers/{reference}/sales"): STAFF_POS,
    ("POST", "/api/v1/customers/{reference}/consents"): MANAGER_POS,
    ("DELETE", "/api/v1/customers/{reference}/consents/{purpose}"): STAFF_POS,  # withdrawing, at the customer's word
    ("GET", "/api/v1/customers/{reference}/memberships"): STAFF_POS,
    ("POST", "/api/v1/customers/{reference}/memberships"): MANAGER_POS,
    ("DELETE", "/api/v1/customers/{reference}/memberships/{membership_id}"): MANAGER_POS,
    # Groups
    ("GET", "/api/v1/groups"): MANAGER_POS,
    ("GET", "/api/v1/groups/criteria-fields"): MANAGER_POS,
    ("POST", "/api/v1/groups"): MANAGER_POS,
    ("POST", "/api/v1/groups/preview"): MANAGER_POS,
    ("POST", "/api/v1/groups/reorder"): MANAGER_POS,
    ("GET", "/api/v1/groups/{group_id}"): MANAGER_POS,
    ("PATCH", "/api/v1/groups/{group_id}"): MANAGER_POS,
    ("DELETE", "/api/v1/groups/{group_id}"): MANAGER_POS,
    ("POST", "/api/v1/groups/{group_id}/move"): MANAGER_POS,
    ("GET", "/api/v1/groups/{group_id}/members"): MANAGER_POS,
    ("POST", "/api/v1/groups/{group_id}/members"): MANAGER_POS,
    ("DELETE", "/api/v1/groups/{group_id}/members/{reference}"): MANAGER_POS,
    # Registrations waiting at a register
    ("GET", "/api/v1/registrations"): STAFF_POS,
    ("GET", "/api/v1/registrations/{reference}"): STAFF_POS,
    ("POST", "/api/v1/registrations/{reference}/confirm"): STAFF_POS,
    ("POST", "/api/v1/registrations/{reference}/complete"): STAFF_POS,
    ("POST", "/api/v1/registrations/{reference}/abort"): STAFF_POS,
    # Devices and the audit log
    ("GET", "/api/v1/registers"): MANAGER_POS,
    ("POST", "/api/v1/registers"): MANAGER_POS,
    ("GET", "/api/v1/kiosks"): MANAGER_POS,
    ("POST", "/api/v1/kiosks"): MANAGER_POS,
    ("POST", "/api/v1/kiosks/{kiosk_id}/revoke"): MANAGER_POS,
    ("DELETE", "/api/v1/kiosks/{kiosk_id}/lockout"): MANAGER_POS,
    ("GET", "/api/v1/audit-events"): MANAGER_POS,
    ("PATCH", "/api/v1/kiosks/{kiosk_id}"): MANAGER_POS,
    # The console's JSON actions
    ("POST", "/api/v1/console/{register_id}/scan"): STAFF_SESSION,
    ("POST", "/api/v1/console/{register_id}/customers"): STAFF_SESSION,
    ("POST", "/api/v1/console/{register_id}/cards/{code}/link"): STAFF_SESSION,
    ("GET", "/api/v1/console/{register_id}/prompts/{reference}"): STAFF_SESSION,
    ("POST", "/api/v1/console/{register_id}/prompts/{reference}/accept"): STAFF_SESSION,
    ("POST", "/api/v1/console/{register_id}/prompts/{reference}/refuse"): STAFF_SESSION,
    ("POST", "/api/v1/console/{register_id}/kiosks/{kiosk_id}/lockout/lift"): STAFF_SESSION,
    # The phone form and the card page: a one-time token or the card's code is the credential
    ("GET", "/m/{token}"): EVERYONE,
    ("POST", "/m/{token}"): EVERYONE,
    ("GET", "/c/{code}"): EVERYONE,
    # Signing in and out
    ("GET", "/"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): STAFF,
    ("GET", "/account/password"): STAFF,
    ("POST", "/account/password"): STAFF,
    ("POST", "/account/language"): STAFF,
    # The cashier console
    ("GET", "/console"): STAFF,
    ("GET", "/console/{register_id}"): STAFF,
    ("GET", "/console/{register_id}/panel"): STAFF,
    ("GET", "/console/{register_id}/search"): STAFF,
    ("GET", "/console/{register_id}/replace/{customer}"): STAFF,
    ("GET", "/console/{register_id}/prompts/registrations/{reference}"): STAFF,
    ("GET", "/console/{register_id}/prompts/{reference}"): STAFF,
    ("GET", "/console/{register_id}/events"): STAFF,
    # The back office
    ("GET", "/admin"): MANAGER_ONLY,
    ("GET", "/admin/customers"): MANAGER_ONLY,
    ("GET", "/admin/customers/export.csv"): MANAGER_ONLY,
    ("GET", "/admin/customers/new"): MANAGER_ONLY,
    ("POST", "/admin/customers/new"): MANAGER_ONLY,
    ("GET", "/admin/customers/table"): MANAGER_ONLY,
    ("POST", "/admin/customers/table"): MANAGER_ONLY,
    ("GET", "/admin/customers/{reference}"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/reveal"): MANAGER_ONLY,
    ("GET", "/admin/customers/{reference}/export.json"): MANAGER_ONLY,
    ("GET", "/admin/customers/{reference}/edit"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/edit"): MANAGER_ONLY,
    ("GET", "/admin/customers/{reference}/delete"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/delete"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/consent"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/memberships"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/memberships/{membership_id}/remove"): MANAGER_ONLY,
    ("GET", "/admin/groups"): MANAGER_ONLY,
    ("GET", "/admin/groups/new"): MANAGER_ONLY,
    ("POST", "/admin/groups/new"): MANAGER_ONLY,
    ("GET", "/admin/groups/{group_id}"): MANAGER_ONLY,
    ("GET", "/admin/groups/{group_id}/edit"): MANAGER_ONLY,
    ("POST", "/admin/groups/{group_id}/edit"): MANAGER_ONLY,
    ("GET", "/admin/groups/{group_id}/delete"): MANAGER_ONLY,
    ("POST", "/admin/groups/{group_id}/delete"): MANAGER_ONLY,
    ("POST", "/admin/groups/{group_id}/move"): MANAGER_ONLY,
    ("POST", "/admin/groups/{group_id}/members"): MANAGER_ONLY,
    ("POST", "/admin/groups/{group_id}/members/{reference}/remove"): MANAGER_ONLY,
    ("POST", "/admin/customers/{reference}/groups"): MANAGER_ONLY,
    ("GET", "/admin/sales"): MANAGER_ONLY,
    ("GET", "/admin/sales/{reference}"): MANAGER_ONLY,
    ("POST", "/admin/sales/{reference}/track"): MANAGER_ONLY,
    ("GET", "/admin/cards"): MANAGER_ONLY,
    ("POST", "/admin/cards/batches"): MANAGER_ONLY,
    ("GET", "/admin/cards/batches/{batch_id}"): MANAGER_ONLY,
    ("GET", "/admin/cards/batches/{batch_id}/print"): MANAGER_ONLY,
    ("GET", "/admin/cards/code/{code}"): MANAGER_ONLY,
    ("POST", "/admin/cards/code/{code}/link"): MANAGER_ONLY,
    ("POST", "/admin/cards/code/{code}/unlink"): MANAGER_ONLY,
    ("POST", "/admin/cards/code/{code}/email"): MANAGER_ONLY,
    ("GET", "/admin/devices"): MANAGER_ONLY,
    ("POST", "/admin/devices/registers"): MANAGER_ONLY,
    ("POST", "/admin/devices/kiosks"): MANAGER_ONLY,
    ("GET", "/admin/devices/pairing/{pairing_id}"): MANAGER_ONLY,
    ("POST", "/admin/devices/kiosks/{kiosk_id}/revoke"): MANAGER_ONLY,
    ("POST", "/admin/devices/kiosks/{kiosk_id}/unlock"): MANAGER_ONLY,
    ("GET", "/admin/devices/kiosks/{kiosk_id}/mode"): MANAGER_ONLY,
    ("POST", "/admin/devices/kiosks/{kiosk_id}/mode"): MANAGER_ONLY,
    ("GET", "/admin/scans"): MANAGER_ONLY,
    ("GET", "/admin/staff"): MANAGER_ONLY,
    ("POST", "/admin/staff"): MANAGER_ONLY,
    ("GET", "/admin/staff/{user_id}"): MANAGER_ONLY,
    ("POST", "/admin/staff/{user_id}"): MANAGER_ONLY,
    ("POST", "/admin/staff/{user_id}/password"): MANAGER_ONLY,
    ("POST", "/admin/staff/{user_id}/{action}"): MANAGER_ONLY,
    ("GET", "/admin/mail"): MANAGER_ONLY,
    ("POST", "/admin/mail/{message_id}/retry"): MANAGER_ONLY,
    ("GET", "/admin/audit"): MANAGER_ONLY,
}

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?\}")


@dataclass(frozen=True)
class _Entry:
    method: str
    template: str
    pattern: re.Pattern
    specificity: tuple[int, int]  # more literal segments, then more literal characters, win
    roles: frozenset[str]


def _compile(template: str) -> re.Pattern:
    parts, last = [], 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        parts.append(".+" if match.group(2) == "path" else "[^/]+")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("^" + "".join(parts) + "$")


def _entries(table: dict[tuple[str, str], frozenset[str]]) -> dict[str, list[_Entry]]:
    by_method: dict[str, list[_Entry]] = {}
    for (method, template), roles in table.items():
        literal = _PARAM.sub("", template)
        segments = [s for s in template.split("/") if s and not _PARAM.search(s)]
        entry = _Entry(method, template, _compile(template), (len(segments), len(literal)), roles)
        by_method.setdefault(method, []).append(entry)
    for entries in by_method.values():
        entries.sort(key=lambda e: e.specificity, reverse=True)
    return by_method


_BY_METHOD = _entries(TABLE)


def template_for(method: str, path: str) -> str | None:
    """The table's path template for a request path (the most specific one that matches), or None."""
    for entry in _BY_METHOD.get("GET" if method == "HEAD" else method, ()):
        if entry.pattern.match(path):
            return entry.template
    return None


def allowed_roles(method: str, path: str) -> frozenset[str] | None:
    """The roles the table admits for a request, or None when no route of the table matches it."""
    template = template_for(method, path)
    return None if template is None else TABLE[("GET" if method == "HEAD" else method, template)]


def role_of(kind: str, staff_role: str = "") -> str:
    """A caller's role from its principal kind (kiosk | api_key | staff) and, for staff, cashier | manager."""
    if kind == "kiosk":
        return KIOSK
    if kind == "api_key":
        return POS
    if kind == "staff":
        return MANAGER if staff_role == MANAGER else CASHIER
    return ANONYMOUS


def refusal(method: str, path: str, role: str) -> tuple[str, str] | None:
    """Why the table refuses this role here as (code, message), or None when it admits it.

    A route missing from the table is refused for everybody: forgetting to list
    a new route must not open it.
    """
    roles = allowed_roles(method, path)
    if roles is None:
        return "not_in_permission_table", "This address is not in the permission table (backoffice/permissions.py)."
    if role in roles:
        return None
    if role == KIOSK:
        return "kiosk_not_allowed", "A kiosk token may only use the kiosk endpoints."
    if role == CASHIER and MANAGER in roles:
        return "manager_only", "Only a manager may do this."
    return "forbidden", "Your credentials do not allow this."


def app_routes(app) -> Iterator[tuple[str, str]]:
    """Every (method, path template) the app serves, HEAD folded into GET, mounts as GET of their prefix."""
    try:  # FastAPI >= 0.13x includes routers lazily: walk the effective routes
        from fastapi.routing import iter_route_contexts

        routes: Iterable = iter_route_contexts(app.routes)
    except ImportError:  # pragma: no cover - older FastAPI copies included routes into app.routes
        routes = app.routes
    for route in routes:
        path = getattr(route, "path", None)
        if path is None:
            continue
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(set(methods) - {"HEAD"}):
            yield method, path


def render_markdown() -> str:
    """docs/permissions.md: the table, one row a route, a column a role."""
    lines = [
        "# Who may call what",
        "",
        "Generated from `backoffice/permissions.py` (`python -m backoffice.permissions > docs/permissions.md`);",
        "`tests/backoffice/test_permissions.py` checks that this file matches the table and that the running app",
        "answers every route as the table says, for each role.",
        "",
        "Roles: **anonymous** (no credentials), **kiosk token** (a paired kiosk), **POS key** (an API key of a POS",
        "integration), **cashier** and **manager** (a staff session; unsafe requests also carry the session's",
        "CSRF token). A refused role gets 401 (no or expired credentials; pages send the browser to the sign-in",
        "form) or 403 (credentials of the wrong role). Routes open to anonymous callers protect themselves:",
        "the phone form and the card page by their one-time token or card code, the sign-in form by its CSRF",
        "cookie.",
        "",
        "| Method | Path | " + " | ".join(ROLE_TITLES[r] for r in ROLES) + " |",
        "| --- | --- | " + " | ".join(":---:" for _ in ROLES) + " |",
    ]
    for (method, template), roles in TABLE.items():
        marks = " | ".join("yes" if role in roles else "–" for role in ROLES)
        lines.append(f"| {method} | `{template}` | {marks} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
