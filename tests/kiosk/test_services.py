"""The kiosk's background services without a window, against a real backoffice: the register watcher,
the outbox sender, the offline list, the status reports, the camera and the flow's worker pool.

Everything the services tell the flow goes through the one reporting helper; here it is a queue that
the test thread (standing in for Kivy's UI thread) empties, so every flow method runs on this thread.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from dataclasses import dataclass, field

import cv2
import pytest

from kiosk.camera.synthetic import make_frame
from kiosk.config import load_config
from kiosk.flow import FlowState, Screen, Timing, VisitFlow
from kiosk.services import KioskServices
from tests.support.api import Api

pytestmark = pytest.mark.timeout(180)


class UiThread:
    """Stands in for ``kiosk.app.on_ui_thread``: reports wait in a queue until the test thread runs them."""

    def __init__(self) -> None:
        self.reports: queue.Queue = queue.Queue()

    def __call__(self, function, *args) -> None:
        self.reports.put((function, args))

    def until(self, condition, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                function, args = self.reports.get(timeout=min(remaining, 0.1))
            except queue.Empty:
                continue
            function(*args)


@dataclass
class Kiosk:
    services: KioskServices
    flow: VisitFlow
    ui: UiThread
    scans: list = field(default_factory=list)
    flow_threads: set = field(default_factory=set)


@pytest.fixture
def make_kiosk(tmp_path):
    made: list[KioskServices] = []

    def make(base_url: str = "http://127.0.0.1:9", token: str = "kd_none", **settings) -> Kiosk:
        config = load_config(environ={}, backoffice_url=base_url, device_token=token, sound=False,
                             state_dir=str(tmp_path / f"kiosk-{len(made)}"), **settings)
        ui = UiThread()
        services = KioskServices(config, report=ui)
        services.poll_wait = 2  # long-polls end soon after a test does
        flow = VisitFlow(services.client, services.run, outbox=services.outbox, verify_cache=services.verify_cache,
                         timing=Timing())
        flow.on_outbox_added = services.outbox_added
        kiosk = Kiosk(services, flow, ui)
        services.report_to(flow, on_scan=kiosk.scans.append)
        flow.subscribe(lambda _state: kiosk.flow_threads.add(threading.current_thread().name))
        made.append(services)
        return kiosk

    yield make
    for services in made:
        services.stop()


def _kiosk_id(pos: Api, register: str) -> int:
    return next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if k["register"] == register)


def test_the_watcher_brings_each_sale_to_the_flow_as_the_cashier_opens_and_closes_it(till, make_kiosk):
    kiosk = make_kiosk(till.kiosk.base_url, till.kiosk_token)
    kiosk.services.start()
    kiosk.ui.until(lambda: kiosk.flow.state.online, "the first register state")
    assert kiosk.flow.state.screen == Screen.WAITING
    sale = till.open_sale()
    kiosk.ui.until(lambda: kiosk.flow.state.screen == Screen.HOME, "the home screen")
    assert kiosk.flow.state.sale == sale["reference"]
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    kiosk.ui.until(lambda: kiosk.flow.state.screen == Screen.WAITING, "the waiting screen")
    assert kiosk.flow_threads == {threading.current_thread().name}  # the flow only ever ran on the "UI thread"


def test_the_back_office_sees_the_kiosks_screen_in_its_status_report(till, make_kiosk):
    kiosk = make_kiosk(till.kiosk.base_url, till.kiosk_token)
    kiosk.services.start()
    kiosk.ui.until(lambda: kiosk.flow.state.online, "the first register state")
    kiosk_id = _kiosk_id(till.pos, till.name)
    deadline = time.monotonic() + 10
    while not (status := next(k for k in till.pos.get("/api/v1/kiosks").json()["kiosks"]
                              if k["id"] == kiosk_id)["last_status"]):
        assert time.monotonic() < deadline, "no status report arrived"
        time.sleep(0.1)
    assert status["screen"] == "waiting" and status["camera"] == "off" and status["outbox"] == 0


def test_a_venue_scanner_downloads_its_offline_list_and_an_unpaired_one_wipes_it(till, make_kiosk):
    group = till.pos.post("/api/v1/groups", {"name": f"Friends {uuid.uuid4().hex[:6]}", "colour": "#15803d"}).json()
    member = till.pos.post("/api/v1/customers", {"first_name": "Maja"}).json()
    till.pos.post(f"/api/v1/groups/{group['id']}/members", {"customer": member["reference"]})
    kiosk_id = _kiosk_id(till.pos, till.name)
    changed = till.pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": "verify", "verify_group_ids": [group["id"]]})
    assert changed.status_code == 200, changed.text
    kiosk = make_kiosk(till.kiosk.base_url, till.kiosk_token)
    cache = kiosk.services.verify_cache
    kiosk.services.start()
    kiosk.ui.until(lambda: kiosk.flow.state.screen == Screen.VERIFY, "the venue scanner's screen")
    assert [g.name for g in kiosk.flow.state.verify_groups] == [group["name"]]
    kiosk.ui.until(lambda: cache.loaded, "the offline list")
    assert cache.size >= 1 and cache.path.exists()
    assert till.pos.post(f"/api/v1/kiosks/{kiosk_id}/revoke").status_code == 200
    kiosk.ui.until(lambda: not kiosk.flow.state.paired, "the kiosk to notice it is unpaired")
    assert not cache.loaded and not cache.path.exists()


def test_what_was_saved_while_the_backoffice_was_down_is_delivered_when_it_is_back(server, make_kiosk):
    process, info = server
    kiosk = make_kiosk(process.base_url, info["token"], request_timeout_seconds=2)
    kiosk.services.start()
    kiosk.ui.until(lambda: kiosk.flow.state.screen == Screen.HOME, "the home screen")
    process.kill()
    flow = kiosk.flow
    flow.choose("enter")
    for key in info["number"]:
        flow.press_key(key)
    flow.submit_typed()
    kiosk.ui.until(lambda: flow.state.screen == Screen.QUEUED, "the submission to be saved", timeout=60)
    assert kiosk.services.outbox.count() == 1 and flow.state.outbox == 1 and not flow.state.online
    process.start()
    kiosk.ui.until(lambda: flow.state.outbox == 0 and flow.state.online, "the outbox to be delivered", timeout=120)
    assert kiosk.services.outbox.count() == 0
    connected = Api(process.base_url, info["key"]).get(f"/api/v1/sales/{info['sale']}").json()["customer"]
    assert connected["name"].startswith("Saga")


def test_the_camera_runs_only_on_the_screens_that_scan_and_what_it_reads_is_reported(tmp_path, make_kiosk):
    picture = tmp_path / "card.png"
    cv2.imwrite(str(picture), make_frame([("DEMO-00000001", "QRCode")], seed=3, size=(1280, 720), code_px=300).image)
    kiosk = make_kiosk(camera=f"image:{picture}")
    camera = kiosk.services.camera
    kiosk.services.screen_shown(Screen.HOME)
    assert not camera.running
    kiosk.services.screen_shown(Screen.SCAN)
    assert camera.running
    kiosk.ui.until(lambda: kiosk.scans, "the card to be read")
    assert kiosk.scans[0].kind == "card_code" and kiosk.scans[0].card_code == "DEMO-00000001"
    deadline = time.monotonic() + 10
    while (image := camera.preview_image()) is None:
        assert time.monotonic() < deadline, "no preview image"
        time.sleep(0.05)
    assert image.shape[1] == 640  # scaled down for the screen
    kiosk.services.screen_shown(Screen.ENTER)
    assert not camera.running and camera.preview_image() is None


def test_a_camera_that_cannot_open_is_reported_to_the_flow(make_kiosk):
    kiosk = make_kiosk(camera="/dev/video-unplugged")
    kiosk.services.screen_shown(Screen.SCAN)
    kiosk.ui.until(lambda: not kiosk.flow.state.camera_ok, "the camera failure")
    assert kiosk.flow.state.camera_message


def test_the_flows_backoffice_calls_run_on_workers_and_their_answers_on_the_ui_thread(make_kiosk):
    kiosk = make_kiosk()
    answers: list = []
    kiosk.services.run(lambda: threading.current_thread().name,
                       lambda name: answers.append((name, threading.current_thread().name)), answers.append)
    kiosk.services.run(lambda: 1 / 0, answers.append, lambda exc: answers.append(type(exc).__name__))
    kiosk.ui.until(lambda: len(answers) == 2, "both answers")
    worker, ui = next(a for a in answers if isinstance(a, tuple))
    assert worker.startswith("kiosk-work") and ui == threading.current_thread().name
    assert "ZeroDivisionError" in answers


def test_a_kiosk_that_has_not_been_told_where_to_report_refuses_to_start(tmp_path):
    config = load_config(environ={}, device_token="kd_none", state_dir=str(tmp_path / "kiosk"))
    services = KioskServices(config, report=UiThread())
    with pytest.raises(RuntimeError, match="report_to"):
        services.start()
    services.stop()


def test_a_saved_submission_is_shown_as_waiting_when_the_kiosk_starts(make_kiosk):
    kiosk = make_kiosk()
    kiosk.services.outbox.add("identify", {"kind": "customer_number", "customer_number": "100001"}, "k1")
    kiosk.services.start()
    kiosk.ui.until(lambda: kiosk.flow.state.outbox == 1, "the outbox count")
    assert isinstance(kiosk.flow.state, FlowState)
