"""No personal data in the logs: the real server's output after searches, a phone-form visit and a card page.

The server runs as ``backoffice serve`` with the access log on (log level
info), as it does in production; the test reads everything it wrote.
"""

from __future__ import annotations

import logging
import re
import uuid

import pytest
import requests

from backoffice.runtime import RedactingFilter, Runtime, redact_path, redact_text
from backoffice.services import devices
from tests.support.database import fresh_database
from tests.support.server import ServerProcess, make_settings
from tests.support.staff import sign_in

PHONE = "+46701239876"
PERSONAL_ID = "19850315-2384"  # a valid Swedish personal ID number (Luhn)
NAME = "Ingegerd"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("logs")
    with fresh_database(data_dir) as url:
        server = ServerProcess(data_dir, url, extra_env={"BACKOFFICE_LOG_LEVEL": "info"}).start()
        settings = make_settings(data_dir, url, server.port)
        rt = Runtime.build(settings)
        try:
            yield server, rt
        finally:
            server.stop()
            rt.engine.dispose()


def _log_text(server: ServerProcess) -> str:
    return (server.data_dir / f"server-{server.port}.log").read_text(errors="replace")


def test_searches_phone_form_and_card_page_leave_no_personal_data_or_tokens_in_the_log(served):
    server, rt = served
    base = server.base_url
    with rt.sessions() as db:
        register = devices.create_register(db, "Logged till")
        _, kiosk_token = devices.pair_kiosk(db, register, "Logged kiosk", actor="test")
        _, api_key = devices.create_api_key(db, "logged pos", actor="test")
        username = f"manager{uuid.uuid4().hex[:6]}"
        devices.create_staff(db, username, "correct-horse-1", "manager")
        db.commit()
        register_id = register.id
    pos = {"Authorization": f"Bearer {api_key}"}
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    created = requests.post(f"{base}/api/v1/customers", headers=pos, timeout=30, json={
        "first_name": NAME, "last_name": "Loggsson", "phone": PHONE, "personal_id": PERSONAL_ID,
        "email": "ingegerd.loggsson@example.org"})
    assert created.status_code == 201, created.text
    assert requests.post(f"{base}/api/v1/sales", headers=pos, json={"register": "Logged till"},
                         timeout=30).status_code == 201

    staff = sign_in(base, username, "correct-horse-1")
    for query in (PHONE, "070-123 98 76", PERSONAL_ID, "198503152384", NAME):
        page = staff.get(f"/console/{register_id}/search", params={"q": query})
        assert page.status_code == 200 and "Loggsson" in page.text, query
        api = staff.get("/api/v1/customers", params={"q": query})
        assert api.status_code == 200 and api.json()["customers"], query

    session = requests.post(f"{base}/api/v1/mobile-sessions", headers=kiosk, json={"language": "en"}, timeout=30)
    assert session.status_code == 201, session.text
    url = session.json()["url"]
    token = url.rsplit("/m/", 1)[1]
    phone = requests.Session()
    assert phone.get(f"{base}/m/{token}?lang=en", timeout=30).status_code == 200
    answer = phone.post(f"{base}/m/{token}", timeout=30, data={
        "first_name": NAME, "last_name": "Loggsson", "phone": "0701239876", "lang": "en"})
    assert answer.status_code == 200, answer.text
    code = re.search(r'class="code">([A-Z0-9-]+)<', answer.text).group(1)
    assert requests.get(f"{base}/c/{code}", timeout=30).status_code == 200
    assert requests.get(f"{base}/m/{token}x-unknown", timeout=30).status_code in (404, 410)

    server.stop()  # everything written and flushed
    log = _log_text(server)
    # The access log is on: the requests are there, with what identifies a person hidden.
    assert f'"GET /console/{register_id}/search?q=… HTTP/1.1" 200' in log, log[-3000:]
    assert '"GET /m/…?lang=en HTTP/1.1" 200' in log and '"POST /m/… HTTP/1.1" 303' in log
    assert '"GET /c/… HTTP/1.1" 200' in log
    digits = re.sub(r"\D", "", PHONE)
    for secret in (PHONE, digits, digits[2:], "0701239876", "070-123", "123 98 76", PERSONAL_ID, "198503152384",
                   PERSONAL_ID.replace("-", "")[2:], NAME, "Loggsson", "ingegerd.loggsson", token, code,
                   "correct-horse-1", kiosk_token, api_key):
        assert secret not in log, f"{secret!r} is in the server's log"
    server.start()  # the module's other tests find it running


def test_an_error_logged_with_a_traceback_is_masked_too():
    record = logging.LogRecord("backoffice.web.errors", logging.ERROR, __file__, 1,
                               "Unexpected error on %s %s", ("POST", "/m/m_Secret0123"), None)
    try:
        raise ValueError("no customer with phone +46 70 123 98 76 or ID 850315-2384, mail a.b@example.org")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    text = record.getMessage() + "\n" + record.exc_text
    assert "m_Secret0123" not in text and "/m/…" in text
    for secret in ("+46 70 123 98 76", "850315-2384", "a.b@example.org"):
        assert secret not in text
    assert "ValueError" in text


def test_redaction_keeps_what_a_log_is_read_for():
    assert redact_path("/api/v1/customers?q=Anna%20Berg&limit=5") == "/api/v1/customers?q=…&limit=5"
    assert redact_path("/admin/cards/code/ABCD-2345/link") == "/admin/cards/code/…/link"
    assert redact_path("/api/v1/console/3/cards/ABCD-2345/link") == "/api/v1/console/3/cards/…/link"
    assert redact_path("/login?next=%2Fconsole%2F3%2Fsearch%3Fq%3D0701239876") == "/login?next=…"
    assert redact_path("/admin/cards/batches/4") == "/admin/cards/batches/4"
    for odd in ("/M/m_Secret0123", "//m/m_Secret0123", "/m/m_Secret0123/extra", "/m/m%5FSecret0123",
                "/static/../m/m_Secret0123"):
        assert "Secret0123" not in redact_path(odd), odd
    assert redact_path("/api/v1/kiosk/state?wait=25&after=7") == "/api/v1/kiosk/state?wait=25&after=7"
    assert redact_text("Housekeeping expired 12 registrations/sessions") == "Housekeeping expired 12 registrations/sessions"
