"""Tokens are random and single-purpose, compared in constant time, and no secret lives in the repository."""

from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from backoffice.models import ApiKey, Kiosk, MobileSession, utcnow
from tests.support.api import Api, error_code
from tests.support.staff import new_staff

REPO = Path(__file__).resolve().parents[2]
URLSAFE_TOKEN = re.compile(r"\b(?:kd|pk|m)_[A-Za-z0-9_-]{30,}")
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE)[A-Z ]*-----")
SECRET_ASSIGNMENT = re.compile(
    r"""(?ix) (?:secret_key|BACKOFFICE_SECRET_KEY|device_token|api_key) \s* [:=] \s*
        (?: ["'] [^"'\s{}]{20,} ["']       # a quoted literal as long as a real key
          | (?<![(\w]) [A-Za-z0-9_\-+/=]{16,} (?=\s*$) )  # or a bare value ending the line (INI, env files)
    """,
    re.MULTILINE,
)
SCANS = {"token": URLSAFE_TOKEN, "PEM block": PEM_BLOCK, "secret assignment": SECRET_ASSIGNMENT}


def _start_mobile(till) -> str:
    response = till.kiosk.post("/api/v1/mobile-sessions", {"language": "en"})
    assert response.status_code == 201, response.text
    return response.json()["url"].rsplit("/m/", 1)[1]


def test_device_tokens_and_api_keys_are_random_prefixed_and_stored_only_as_hashes(backoffice):
    tokens = [backoffice.register_with_kiosk()[1] for _ in range(3)]
    keys = [backoffice.api_key() for _ in range(3)]
    assert len(set(tokens)) == 3 and len(set(keys)) == 3
    assert all(t.startswith("kd_") and len(t) >= 40 for t in tokens)
    assert all(k.startswith("pk_") and len(k) >= 40 for k in keys)
    with backoffice.runtime.read_sessions() as db:
        stored = {row for k in db.execute(select(Kiosk.token_hash, Kiosk.token_hint)) for row in k}
        stored |= {row for k in db.execute(select(ApiKey.key_hash, ApiKey.key_hint)) for row in k}
    for secret in tokens + keys:
        assert secret not in stored
        assert not any(len(value) > 12 and value in secret for value in stored)  # hints are short prefixes only


def test_a_mobile_token_never_authenticates_as_a_kiosk_or_an_integration(backoffice, till):
    token = _start_mobile(till)
    assert token.startswith("m_")
    for path in ("/api/v1/kiosk/state", "/api/v1/customers", "/api/v1/kiosks"):
        response = Api(backoffice.base_url, token).get(path)
        assert response.status_code == 401 and error_code(response) == "invalid_token", path
    identify = Api(backoffice.base_url, token).post("/api/v1/identify", {"method": "enter", "kind": "phone",
                                                                        "phone": "0701234567"})
    assert identify.status_code == 401


def test_a_kiosk_token_or_an_api_key_never_opens_a_phone_form(backoffice, till):
    english = {"Accept-Language": "en"}
    for secret in (till.kiosk_token, backoffice.api_key()):
        assert requests.get(f"{backoffice.base_url}/m/{secret}", timeout=30).status_code == 404
        posted = requests.post(f"{backoffice.base_url}/m/{secret}", timeout=30, headers=english,
                               data={"first_name": "A", "last_name": "B", "phone": "0701234567"})
        assert posted.status_code == 404 and "This code is not valid" in posted.text


def test_a_mobile_token_with_another_prefix_is_nothing(backoffice, till):
    body = _start_mobile(till)[2:]
    for forged in (f"kd_{body}", f"pk_{body}"):
        response = Api(backoffice.base_url, forged).get("/api/v1/kiosk/state")
        assert response.status_code == 401 and error_code(response) == "invalid_token"


def test_an_api_key_is_no_kiosk_and_a_kiosk_token_is_no_api_key(backoffice, till, pos):
    as_kiosk = pos.get("/api/v1/kiosk/state")
    assert as_kiosk.status_code == 403 and error_code(as_kiosk) == "forbidden"
    as_pos = till.kiosk.get("/api/v1/registers")
    assert as_pos.status_code == 403 and error_code(as_pos) == "kiosk_not_allowed"


def test_a_staff_session_cookie_is_no_bearer_token(backoffice):
    staff = new_staff(backoffice, "manager")
    cookie = staff.http.cookies.get("bo_session")
    response = Api(backoffice.base_url, cookie).get("/api/v1/customers")
    assert response.status_code == 401 and error_code(response) == "invalid_token"


def test_an_expired_phone_code_cannot_be_submitted(backoffice, till):
    token = _start_mobile(till)
    with backoffice.runtime.sessions() as db:
        db.execute(update(MobileSession).where(MobileSession.kiosk_id.is_not(None), MobileSession.status == "waiting",
                                               MobileSession.created_at > utcnow() - dt.timedelta(minutes=1))
                   .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    posted = requests.post(f"{backoffice.base_url}/m/{token}", timeout=30,
                           data={"first_name": "Sen", "last_name": "Are", "phone": "0701234567", "lang": "en"})
    assert posted.status_code == 410 and "Press Via mobile" in posted.text


# ---------- in the code and the repository ----------

SECRET_NAMES = re.compile(r"token|csrf|hash|digest|secret|password", re.IGNORECASE)


def _operand_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _operand_name(node.func)
    return ""


def _is_column(node: ast.AST) -> bool:
    """``Model.column == value`` builds SQL (an indexed lookup of a hash), it compares nothing in Python."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].isupper()


def test_secrets_are_compared_in_constant_time_in_python():
    offenders = []
    for path in sorted((REPO / "backoffice").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Compare) or not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            operands = [node.left, *node.comparators]
            if any(_is_column(o) for o in operands) or any(isinstance(o, ast.Constant) for o in operands):
                continue
            if any(SECRET_NAMES.search(_operand_name(o)) for o in operands):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, f"compare secrets with security.tokens_equal: {offenders}"


def _scan(text: str) -> list[str]:
    return [f"{kind}: {match.group(0)[:24]}…" for kind, pattern in SCANS.items() for match in pattern.finditer(text)]


def test_the_secret_scan_finds_what_it_looks_for():
    body = "A" * 20 + "b-c_d" * 4
    planted = [
        f"token = '{'kd'}_{body}'",
        f"Authorization: Bearer {'pk'}_{body}",
        f"url = '/m/{'m'}_{body}'",
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "-----BEGIN " + "CERTIFICATE-----",
        "secret_key" + ' = "s3cr3t-value-for-production"',
        "BACKOFFICE_SECRET_KEY" + "=" + "Zm9vYmFyYmF6cXV4cXV1eA0123",
        "device_token" + " = " + "kd" + "_" + "x" * 12 + "y" * 12,
    ]
    for line in planted:
        assert _scan(line), line
    for harmless in ('device_token="kd_gallery"', "secret_key: str = field(default=\"\", repr=False)", "device_token=token,",
                     "secret_key=SECRET, port=port)", "f\"[kiosk]\\ndevice_token = {token}\\n\"", "m_browser"):
        assert not _scan(harmless), harmless


def test_the_repository_holds_no_tokens_keys_or_secrets():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    found = []
    for name in filter(None, listed.stdout.decode().split("\0")):
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:  # binary (images, video, fonts)
            continue
        for hit in _scan(data.decode("utf-8", errors="replace")):
            found.append(f"{name}: {hit}")
    assert not found, "secrets belong in the environment or a 0600 file, not the repository:\n" + "\n".join(found)
