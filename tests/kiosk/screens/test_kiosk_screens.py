"""The real kiosk app in an off-screen window, touched like a customer would, against a real backoffice.

Each test runs tests/kiosk/screens/driver.py in its own process (one Kivy window
per process) and plays the cashier's part itself through the API.
Screenshots land in test-artifacts/kiosk/<test>/ for review.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.api import BackofficeClient
from kiosk.camera.synthetic import clip_frames, write_video
from tests.support.api import Api
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.window, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "kiosk"


class KioskRun:
    """The driver subprocess, its status file, and helpers to wait for its steps."""

    def __init__(self, name: str, scenario: str, base_url: str, token: str, tmp: Path, **options):
        self.status_path = tmp / "status.json"
        self.shots = ARTIFACTS / name
        command = [sys.executable, str(ROOT / "tests/kiosk/screens/driver.py"), scenario, "--base-url", base_url,
                   "--token", token, "--status", str(self.status_path), "--shots", str(self.shots),
                   "--state-dir", str(tmp / "kiosk-state")]
        for key, value in options.items():
            command += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
        env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy"), "SDL_AUDIODRIVER": "dummy"}
        self.log = open(tmp / "driver.log", "wb")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def status(self) -> dict:
        try:
            return json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return {}

    def wait_step(self, step: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if step in status.get("steps", []):
                return status
            if status.get("done") or self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.fail(f"the kiosk never reached step {step!r}")

    def finish(self, timeout: float = 120) -> dict:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.fail("the kiosk did not finish its scenario")
        status = self.status()
        if self.process.returncode != 0 or not status.get("passed"):
            self.fail("the scenario failed")
        return status

    def fail(self, why: str):
        self.process.kill()
        self.log.flush()
        status = self.status()
        log = Path(self.log.name).read_text(errors="replace")[-4000:]
        pytest.fail(f"{why}: {status.get('error')}\n{status.get('traceback', '')}\n--- driver log ---\n{log}")


@pytest.fixture
def kiosk(request, tmp_path):
    runs = []

    def start(scenario: str, base_url: str, token: str, **options) -> KioskRun:
        run = KioskRun(request.node.name, scenario, base_url, token, tmp_path, **options)
        runs.append(run)
        return run

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()


def _customer(till, **fields) -> dict:
    phone = f"+4676{uuid.uuid4().int % 10**7:07d}"
    response = till.pos.post("/api/v1/customers", {"first_name": "Greta", "last_name": "Gran", "phone": phone, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_enter_id_by_touch_welcomes_the_customer_and_then_forgets_them(backoffice, till, kiosk):
    customer = _customer(till, first_name="Greta")
    sale = till.open_sale()
    run = kiosk("enter_id", backoffice.base_url, till.kiosk_token, value=customer["customer_number"],
                first_name="Greta", welcome=2)
    run.finish()
    connected = till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]
    assert connected["reference"] == customer["reference"]
    for shot in ("01-home", "02-enter-typed", "03-welcome", "04-home-after"):
        assert (run.shots / f"{shot}.png").stat().st_size > 10_000


@pytest.mark.parametrize("size", ["800x480", "1280x800"])
def test_every_touch_target_is_at_least_12_mm_on_both_screens(kiosk, size):
    run = kiosk("touch_targets", "http://127.0.0.1:9", "kd_none", size=size, no_services=True)
    run.finish()


def test_a_missing_camera_is_said_plainly_and_enter_id_still_works(backoffice, till, kiosk):
    till.open_sale()
    kiosk("camera_missing", backoffice.base_url, till.kiosk_token, camera="/dev/video-unplugged").finish()


def test_language_switches_with_one_touch(backoffice, till, kiosk):
    till.open_sale()
    kiosk("language", backoffice.base_url, till.kiosk_token).finish()


def test_scan_id_of_an_unknown_vcard_becomes_a_registration_the_cashier_confirms(backoffice, till, kiosk, tmp_path):
    phone = f"+4670{uuid.uuid4().int % 10**7:07d}"
    vcard = f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nyström;Nina;;;\r\nFN:Nina Nyström\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n"
    video = write_video(clip_frames([(None, 1.0), ((vcard, "QRCode"), 4.0)], fps=10), tmp_path / "vcard.avi", fps=10)
    sale = till.open_sale()
    run = kiosk("scan_pending", backoffice.base_url, till.kiosk_token, camera=f"file:{video}", first_name="Nina")
    status = run.wait_step("pending")
    listed = till.pos.get("/api/v1/registrations", params={"register": till.name}).json()["registrations"]
    assert [r["reference"] for r in listed] == [status["registration"]]
    assert listed[0]["name"] == "Nina Nyström" and listed[0]["source"] == "scan"
    till.pos.post(f"/api/v1/registrations/{status['registration']}/confirm")
    run.finish()
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["name"] == "Nina Nyström"


def test_not_found_then_become_member_and_the_cashier_completes_it(backoffice, till, kiosk):
    phone = f"+4670{uuid.uuid4().int % 10**7:07d}"  # with +46: never also a personal ID number
    till.open_sale()
    run = kiosk("become_member", backoffice.base_url, till.kiosk_token, value=phone, first_name="Olof")
    status = run.wait_step("pending")
    done = till.pos.post(f"/api/v1/registrations/{status['registration']}/complete",
                         {"first_name": "Olof", "last_name": "Berg"})
    assert done.status_code == 200, done.text
    run.finish()


def test_via_mobile_shows_a_code_the_phone_form_completes(backoffice, till, kiosk):
    customer = _customer(till, first_name="Wilma")
    till.open_sale()
    run = kiosk("via_mobile", backoffice.base_url, till.kiosk_token)
    url = run.wait_step("qr")["mobile_url"]
    phone = requests.Session()
    assert phone.get(url, timeout=10).status_code == 200
    run.wait_step("opened")
    national = "0" + customer["phone"].replace(" ", "")[3:] if customer["phone"].startswith("+46") else ""
    raw_phone = till.pos.get(f"/api/v1/customers/{customer['reference']}").json()
    assert raw_phone["first_name"] == "Wilma" and national is not None
    form = phone.post(url, data={"first_name": "Wilma", "last_name": "Gran", "phone": _phone_of(backoffice, customer),
                                 "lang": "en"}, timeout=10)
    assert "Welcome, Wilma!" in form.text
    run.finish()


def _phone_of(backoffice, customer) -> str:
    from backoffice.services.customers import full_identifiers, get_by_reference

    with backoffice.runtime.read_sessions() as db:
        return full_identifiers(get_by_reference(db, customer["reference"]), backoffice.runtime.vault)["phone"]


def test_idle_screen_asks_for_more_time_then_starts_over(backoffice, till, kiosk):
    till.open_sale()
    kiosk("idle", backoffice.base_url, till.kiosk_token, idle=10).finish(timeout=120)


def test_closing_the_sale_returns_the_kiosk_to_waiting_and_clears_the_keypad(backoffice, till, kiosk):
    sale = till.open_sale()
    run = kiosk("sale_closes", backoffice.base_url, till.kiosk_token, value="19850412")
    run.wait_step("typing")
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    run.finish()


def test_backoffice_down_mid_visit_then_back_sends_the_submission_exactly_once(tmp_path, kiosk):
    from backoffice.db import make_engine, make_sessionmaker
    from backoffice.services import customers, devices, sales
    from backoffice.settings import ensure_secret, load_settings

    data = tmp_path / "backoffice"
    data.mkdir()
    url = f"sqlite:///{data / 'backoffice.sqlite3'}"
    server = ServerProcess(data_dir=data, database_url=url).start()
    try:
        settings = ensure_secret(load_settings(environ={}, data_dir=data, database_url=url))
        from backoffice.security import Vault

        with make_sessionmaker(make_engine(url, pooled=False))() as db:
            register = devices.create_register(db, "Till offline")
            _, token = devices.pair_kiosk(db, register, "kiosk", actor="test")
            customer = customers.create_customer(db, Vault(settings.secret_key), {"first_name": "Ebba"},
                                                 created_by="cashier", actor="test")
            sale = sales.open_sale(db, register)
            db.commit()
            number, sale_ref = str(customer.customer_number), sale.reference
        run = kiosk("offline_then_back", server.base_url, token, value=number)
        run.wait_step("typed")
        server.kill()
        run.wait_step("queued", timeout=90)
        server.start()
        run.finish(timeout=150)
        pos = Api(server.base_url, _api_key(url))
        assert pos.get(f"/api/v1/sales/{sale_ref}").json()["customer"]["name"] == "Ebba"
        events = pos.get(f"/api/v1/customers/{pos.get(f'/api/v1/sales/{sale_ref}').json()['customer']['reference']}/sales")
        assert [s["reference"] for s in events.json()["sales"]] == [sale_ref]
        assert _connections(url, sale_ref) == 1
        kept = b"".join(p.read_bytes() for p in (tmp_path / "kiosk-state").rglob("*") if p.is_file())
        assert number.encode() not in kept, "the kiosk kept the customer number after the visit"
    finally:
        server.stop()


def _api_key(url: str) -> str:
    from backoffice.db import make_engine, make_sessionmaker
    from backoffice.services import devices

    with make_sessionmaker(make_engine(url, pooled=False))() as db:
        _, key = devices.create_api_key(db, "test", actor="test")
        db.commit()
    return key


def _connections(url: str, sale_ref: str) -> int:
    """How many times the customer was connected to the sale (events), i.e. how often the submission applied."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM register_events WHERE type = 'customer_connected'")).all()
    engine.dispose()
    return sum(1 for (data,) in rows if sale_ref in str(data))


def _door(backoffice, till) -> tuple[dict, dict, dict]:
    """Members group, one member, one non-member with a card, and the till's kiosk switched to verify it."""
    pos = till.pos
    group = pos.post("/api/v1/groups", {"name": f"Members {uuid.uuid4().hex[:6]}", "colour": "#15803d"}).json()
    member = _customer(till, first_name="Maja")
    other = _customer(till, first_name="Otto")
    assert pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": member["reference"]}).status_code in (200, 201)
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if k["register"] == till.name)
    changed = pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": [group["id"]]})
    assert changed.status_code == 200, changed.text
    return group, member, other


def test_venue_scanner_answers_member_non_member_and_unknown_codes_from_a_played_video(backoffice, till, kiosk,
                                                                                      tmp_path):
    _group, member, other = _door(backoffice, till)
    video = write_video(clip_frames([
        (None, 1.0), ((str(member["customer_number"]), "QRCode"), 2.5), (None, 1.0),
        ((f"{backoffice.base_url}/?customer={other['customer_number']}",
          "QRCode"), 2.5),
        (None, 1.0), (("99999998", "QRCode"), 2.5), (None, 1.0),
    ], fps=10), tmp_path / "door.avi", fps=10)
    run = kiosk("door", backoffice.base_url, till.kiosk_token, camera=f"file:{video}", size="1280x800")
    status = run.finish(timeout=150)
    answers = {result: name for result, name in status["answers"]}
    assert answers == {"success": "Maja", "warning": "Otto", "unknown": ""}, status["answers"]
    assert status["offline_codes"] >= 2  # Maja's and Otto's numbers at least, streamed into its own store


def test_venue_scanner_keeps_answering_offline_from_its_signed_list_and_reports_the_scans_later(tmp_path):
    from counter_core.identity import parse_payload
    from kiosk.flow import Screen, Timing, VisitFlow
    from kiosk.outbox import Outbox, OutboxSender
    from kiosk.verify_cache import VerifyCache

    data = tmp_path / "backoffice"
    data.mkdir()
    url = f"sqlite:///{data / 'backoffice.sqlite3'}"
    server = ServerProcess(data_dir=data, database_url=url).start()
    try:
        pos = Api(server.base_url, _api_key(url))
        register = pos.post("/api/v1/registers", {"name": "Door"}).json()["name"]
        paired = pos.post("/api/v1/kiosks", {"register": register, "name": "Entrance"}).json()
        group = pos.post("/api/v1/groups", {"name": "Friends", "colour": "#15803d"}).json()
        maja = pos.post("/api/v1/customers", {"first_name": "Maja"}).json()
        otto = pos.post("/api/v1/customers", {"first_name": "Otto"}).json()
        pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": maja["reference"]})
        pos.patch(f"/api/v1/kiosks/{paired['id']}", {"mode": "verify", "verify_group_ids": [group["id"]]})
        client = BackofficeClient(server.base_url, paired["token"], timeout=2, retries=0)
        cache = VerifyCache(tmp_path / "kiosk" / "verify-cache.json", paired["token"])
        chunks, etag = client.verify_cache()
        cache.store(chunks, etag)
        assert client.verify_cache(etag) == (None, etag)  # unchanged: nothing downloaded
        outbox = Outbox(tmp_path / "kiosk" / "outbox.sqlite3")

        def immediately(work, done, failed):
            try:
                done(work())
            except Exception as exc:  # noqa: BLE001
                failed(exc)

        flow = VisitFlow(client, immediately, outbox=outbox, timing=Timing())
        flow.verify_cache = cache
        flow.server_state(client.state())
        assert flow.state.screen == Screen.VERIFY
        flow.verify_scanned(parse_payload(str(maja["customer_number"]), symbology="QRCode"))
        assert (flow.state.visit.verify_result, flow.state.visit.verify_offline) == ("success", False)
        server.kill()
        answers = []
        for code in (maja["customer_number"], otto["customer_number"], 99999997):
            flow.verify_scanned(parse_payload(str(code), symbology="QRCode"))
            answers.append((flow.state.visit.verify_result, flow.state.visit.first_name, flow.state.visit.verify_offline))
        assert answers == [("success", "Maja", True), ("warning", "Otto", True), ("unknown", "", True)]
        assert outbox.count() == 3
        server.start()
        assert OutboxSender(outbox, BackofficeClient(server.base_url, paired["token"]).send).flush() == 3
        assert outbox.count() == 0
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT result, offline FROM verify_scans ORDER BY id")).all()
        engine.dispose()
        assert [(r, bool(o)) for r, o in rows] == [("success", False), ("success", True), ("warning", True),
                                                   ("unknown", True)]
        revoked = pos.post(f"/api/v1/kiosks/{paired['id']}/revoke")
        assert revoked.status_code == 200
    finally:
        server.stop()
