"""Headers and files: a Content-Security-Policy on every page (and pages that need no inline code), Secure
cookies whenever the base URL is https, SQLite files readable by the server's user only."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from backoffice import app as app_module
from backoffice.db import make_engine
from backoffice.permissions import TABLE
from backoffice.services import cards
from tests.support.browser import chromium_available, launch_chromium
from tests.support.database import backend
from tests.support.staff import another_backoffice, new_staff, register_id, sign_in_response

BACKOFFICE = Path(__file__).resolve().parents[2] / "backoffice"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "security"
CSP = app_module.CONTENT_SECURITY_POLICY
_PARAM = re.compile(r"\{[a-z_]+\}")


def _group_with_customer(pos, make_customer) -> tuple[dict, dict]:
    customer = make_customer(first_name="Dotty", last_name="Colour")
    group = pos.post("/api/v1/groups", {"name": f"Gold {uuid.uuid4().hex[:6]}", "colour": "#b45309", "blink": True})
    assert group.status_code == 201, group.text
    added = pos.post(f"/api/v1/groups/{group.json()['id']}/members", {"customer": customer["reference"]})
    assert added.status_code == 201, added.text
    return group.json(), customer


def test_every_page_and_answer_carries_the_content_security_policy(backoffice, till):
    manager = new_staff(backoffice, "manager")
    rid = str(register_id(backoffice, till.name))
    for method, template in TABLE:
        if method != "GET":
            continue
        path = _PARAM.sub(lambda m: rid if m.group(0) == "{register_id}" else "999999", template)
        path = "/static/staff.css" if path == "/static" else path
        response = manager.get(path, allow_redirects=False, headers={"Accept": "text/html"}, stream=True)
        policy = response.headers.get("content-security-policy")
        response.close()
        expected = app_module.DOCS_CONTENT_SECURITY_POLICY if path in app_module.DOCS_PATHS else CSP
        assert policy == expected, (path, response.status_code, policy)
    assert "script-src 'self';" in CSP and "style-src 'self';" in CSP and "unsafe-inline" not in CSP
    assert "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP
    assert requests.get(f"{backoffice.base_url}/no/such/page", timeout=30).headers["content-security-policy"] == CSP


def test_no_template_or_script_needs_inline_code_or_styles():
    offenders = []
    for template in sorted((BACKOFFICE / "templates").rglob("*.html")):
        html = template.read_text(encoding="utf-8")
        for pattern in (r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:", r"<style[\s>]",
                        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"):
            for match in re.finditer(pattern, html, re.IGNORECASE):
                offenders.append(f"{template.relative_to(BACKOFFICE)}: {match.group(0)!r}")
    for script in sorted((BACKOFFICE / "static").glob("*.js")):
        source = script.read_text(encoding="utf-8")
        for pattern in (r"style=", r"setAttribute\(\s*[\"']style", r"\beval\(", r"new Function\(", r"\son[a-z]+="):
            for match in re.finditer(pattern, source):
                offenders.append(f"{script.relative_to(BACKOFFICE)}: {match.group(0)!r}")
    assert offenders == []


def test_rendered_pages_with_group_dots_have_no_style_attributes(backoffice, pos, make_customer):
    group, customer = _group_with_customer(pos, make_customer)
    manager = new_staff(backoffice, "manager")
    for path in ("/admin/groups", f"/admin/groups/{group['id']}", f"/admin/customers/{customer['reference']}",
                 "/admin/devices", "/login"):
        page = manager.get(path)
        assert page.status_code == 200, path
        assert not re.search(r"\sstyle=|\son[a-z]+=|<script>", page.text), path
    assert 'fill="#b45309"' in manager.get("/admin/groups").text


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    with another_backoffice(tmp_path_factory, public_url="https://kiosk.example.org") as server:
        yield server


def test_every_cookie_is_secure_and_hsts_is_sent_when_the_base_url_is_https(https_server, backoffice):
    login = requests.get(f"{https_server.base_url}/login", timeout=30)
    assert "Secure" in login.headers["set-cookie"]
    assert login.headers["strict-transport-security"] == "max-age=31536000"
    username, password = https_server.staff("cashier")
    _, response = sign_in_response(https_server.base_url, username, password)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "bo_session=" in cookie and "; Secure" in cookie and "HttpOnly" in cookie
    # The phone form's own cookies too (the form is opened from the QR code's https URL).
    register, token = https_server.register_with_kiosk()
    session = requests.post(f"{https_server.base_url}/api/v1/mobile-sessions", json={"language": "en"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert session.status_code == 201 and session.json()["url"].startswith("https://kiosk.example.org/m/")
    form = requests.get(https_server.base_url + "/m/" + session.json()["url"].rsplit("/m/", 1)[1], timeout=30)
    assert form.status_code == 200 and "m_browser=" in form.headers["set-cookie"]
    assert all("Secure" in c for c in form.raw.headers.getlist("set-cookie"))
    # Over plain http nothing changes.
    plain = requests.get(f"{backoffice.base_url}/login", timeout=30)
    assert "Secure" not in plain.headers["set-cookie"] and "strict-transport-security" not in plain.headers


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite files only")
def test_sqlite_files_are_created_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "fresh" / "backoffice.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        for name in ("backoffice.sqlite3", "backoffice.sqlite3-wal", "backoffice.sqlite3-shm"):
            assert (path.parent / name).exists(), name
            assert _mode(path.parent / name) == 0o600, (name, oct(_mode(path.parent / name)))
        assert _mode(path.parent) == 0o700
        engine.dispose()
        # A file left readable by others (an older version, a copy) is tightened when it is opened.
        os.chmod(path, 0o644)
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert _mode(path) == 0o600
        engine.dispose()
    finally:
        os.umask(old)


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite files only")
def test_a_real_server_started_by_hand_keeps_its_database_0600(tmp_path_factory):
    old = os.umask(0o022)
    try:
        with another_backoffice(tmp_path_factory) as server:
            pos = {"Authorization": f"Bearer {server.api_key()}"}
            created = requests.post(f"{server.base_url}/api/v1/customers", headers=pos, timeout=30,
                                    json={"first_name": "File", "last_name": "Mode", "phone": "+46701110000"})
            assert created.status_code == 201
            database = server.settings.sqlite_path
            for suffix in ("", "-wal", "-shm"):
                assert _mode(Path(f"{database}{suffix}")) == 0o600, suffix
    finally:
        os.umask(old)


def test_a_mail_written_to_the_file_outbox_is_0600_whatever_the_umask(tmp_path):
    from backoffice.models import MailMessage
    from backoffice.services import mail
    from backoffice.settings import load_settings

    settings = load_settings(environ={}, data_dir=tmp_path, mail_outbox_dir=tmp_path / "outbox")
    message = MailMessage(id=7, to_address="anna@example.org", subject="Your card", body="https://x/c/ABCD-2345",
                          created_at=dt.datetime.now(dt.UTC))
    old = os.umask(0o022)
    try:
        mail.transmit(settings, message)
    finally:
        os.umask(old)
    written = list((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 1 and _mode(written[0]) == 0o600
    assert _mode(tmp_path / "outbox") == 0o700


# --- In a real browser: the pages work under the policy, and nothing is refused --------------------

browser = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")


@pytest.mark.browser
@browser
def test_the_console_and_back_office_work_under_the_csp_with_no_violation(backoffice, till, pos, make_customer):
    from playwright.sync_api import expect

    group, customer = _group_with_customer(pos, make_customer)
    with backoffice.runtime.sessions() as db:
        batch = cards.create_batch(db, "C" + uuid.uuid4().hex[:5].upper(), 2, name="CSP batch")
        db.commit()
        batch_id = batch.id
    sale = till.open_sale()
    assert pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]}).status_code == 200
    username, password = backoffice.staff("manager")
    rid = register_id(backoffice, till.name)
    messages, errors = [], []
    with launch_chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{backoffice.base_url}/login?next=/console/{rid}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        expect(page.locator("#live")).to_have_attribute("data-state", "on")  # console.js ran, the stream is open
        expect(page.locator(".customer-name")).to_contain_text("Dotty Colour")
        expect(page.locator("svg.dot circle[fill='#b45309']").first).to_be_visible()
        page.fill("#scan", "Dotty")
        expect(page.locator("#results")).to_contain_text("Dotty Colour")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "console-under-csp.png"))
        page.goto(f"{backoffice.base_url}/admin/groups/{group['id']}/edit")
        expect(page.locator("#criteria-editor")).to_be_visible()  # groups.js replaced the raw JSON field
        page.goto(f"{backoffice.base_url}/admin/groups")
        expect(page.locator("svg.dot").first).to_be_visible()
        page.screenshot(path=str(SHOTS / "groups-under-csp.png"))
        page.goto(f"{backoffice.base_url}/admin/cards/batches/{batch_id}/print?state=all")
        expect(page.locator("[data-print]")).to_be_visible()
        page.goto(f"{backoffice.base_url}/admin/customers/cus_nobody")
        back = page.locator("[data-back]")
        expect(back).to_be_visible()
        back.click()  # page.js: history.back() to the print sheet
        expect(page.locator("[data-print]")).to_be_visible()
        violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
        assert violations == [] and errors == [], (violations, errors)
        # The policy is enforced (so an absence of messages means something): an injected inline style is refused.
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=\"probe\" style=\"color: red\">x</p>')")
        colour = page.evaluate("getComputedStyle(document.getElementById('probe')).color")
        assert colour != "rgb(255, 0, 0)"
        page.wait_for_timeout(200)
        assert any("Content Security Policy" in m for m in messages), messages
        context.close()
