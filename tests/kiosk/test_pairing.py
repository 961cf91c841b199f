"""Pairing an unpaired kiosk by camera, without a window: the stored pairing, the rules, and end to end a played
video of the back office's pairing QR through the real capture, scanner and client against a real backoffice.

Everything the services tell the flow goes through the reporting helper; here a queue that the test thread
(standing in for Kivy's UI thread) empties.
"""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from sqlalchemy import delete, select, update

from backoffice.db import make_engine, make_sessionmaker
from backoffice.models import Kiosk, PairingCode, RateLimitHit, utcnow
from backoffice.services import devices
from counter_core.pairing import pairing_payload
from kiosk.api import BackofficeClient
from kiosk.camera.synthetic import clip_frames, write_video
from kiosk.config import ConfigError, load_config
from kiosk.errors import BackofficeUnavailable, Rejected
from kiosk.pairing import PairingService, pair_with_code
from kiosk.pairing_flow import Paired, PairingFlow, Step
from kiosk.pairing_store import pairing_path, read_pairing, write_pairing
from tests.kiosk.test_services import UiThread
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(180)


# ---------------------------------------------------------------------- the stored pairing


def test_the_pairing_is_stored_0600_atomically_and_read_back(tmp_path):
    state = tmp_path / "state"
    write_pairing(state, "https://shop.example/", "kd_secret", kiosk_name="Kiosk 1", register_name="Kassa 1")
    path = pairing_path(state)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in state.iterdir()) == ["pairing.json"]  # no temporary file left behind
    stored = read_pairing(state)
    assert (stored.backoffice_url, stored.device_token, stored.register_name) == ("https://shop.example", "kd_secret",
                                                                                  "Kassa 1")
    write_pairing(state, "https://other.example", "kd_newer")
    assert read_pairing(state).device_token == "kd_newer"
    path.write_text("{not json")
    assert read_pairing(state) is None  # a damaged file: the kiosk is unpaired and pairs again


def test_a_kiosk_paired_by_camera_uses_the_stored_token_and_address_unless_a_token_is_configured(tmp_path):
    state = str(tmp_path / "state")
    unpaired = load_config(environ={}, state_dir=state)
    assert unpaired.token() == "" and not unpaired.token_configured
    write_pairing(tmp_path / "state", "http://10.0.0.5:8000", "kd_stored")
    paired = load_config(environ={}, state_dir=state)
    assert paired.token() == "kd_stored" and paired.backoffice_url == "http://10.0.0.5:8000"
    configured = load_config(environ={}, state_dir=state, device_token="kd_by_hand",
                             backoffice_url="https://backoffice.example")
    assert configured.token() == "kd_by_hand" and configured.backoffice_url == "https://backoffice.example"


# ---------------------------------------------------------------------- the rules


class Exchanges:
    """A stand-in for the backoffice exchange: answers or errors in turn; a runner that runs at once."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.codes: list[str] = []

    def __call__(self, payload):
        self.codes.append(payload.code)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    @staticmethod
    def run(work, done, failed):
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - handed to the flow like the real runner does
            failed(exc)
        else:
            done(result)


QR = pairing_payload("https://shop.example", "7K2M9XD4QP")
OTHER_QR = pairing_payload("https://shop.example", "ABCDE12345")


def test_a_pairing_qr_is_exchanged_and_the_register_is_shown():
    exchanges = Exchanges(Paired("Kiosk 1", "Kassa 1", "Café Linnea"))
    flow = PairingFlow(exchanges, exchanges.run)
    flow.scanned("BEGIN:VCARD\nFN:Someone\nEND:VCARD")
    assert flow.state.step == Step.REFUSED and flow.state.reason == "not_pairing"
    flow.scanned(QR)
    assert flow.state.step == Step.PAIRED and flow.state.register_name == "Kassa 1"
    flow.scanned(OTHER_QR)  # once paired, nothing else is tried
    assert exchanges.codes == ["7K2M9XD4QP"]


def test_a_refused_code_is_not_sent_again_but_a_new_one_is():
    exchanges = Exchanges(Rejected(410, "pairing_code_expired", "expired"), Paired("Kiosk 1", "Kassa 1"))
    flow = PairingFlow(exchanges, exchanges.run)
    flow.scanned(QR)
    assert flow.state.step == Step.REFUSED and "expired" in flow.state.message
    assert not flow.state.can_retry  # only another code helps: no "Try again" button
    flow.scanned(QR)
    assert exchanges.codes == ["7K2M9XD4QP"] and flow.state.reason == "pairing_code_expired"
    flow.scanned(OTHER_QR)
    assert flow.state.step == Step.PAIRED


def test_an_unreachable_backoffice_says_so_and_try_again_sends_the_same_code():
    exchanges = Exchanges(BackofficeUnavailable("connection refused"), Paired("Kiosk 1", "Kassa 1"))
    flow = PairingFlow(exchanges, exchanges.run)
    flow.scanned(QR)
    assert flow.state.step == Step.UNREACHABLE and flow.state.address == "https://shop.example"
    assert flow.state.can_retry
    flow.retry()
    assert flow.state.step == Step.PAIRED and exchanges.codes == ["7K2M9XD4QP", "7K2M9XD4QP"]


def test_a_damaged_pairing_qr_is_told_apart_from_other_codes():
    flow = PairingFlow(Exchanges(), Exchanges.run)
    flow.scanned("KIOSKPAIR:https://shop.example:12")
    assert flow.state.reason == "damaged"
    flow.scanned("KIOSKPAIR:shop.example:7K2M9-XD4QP")
    assert flow.state.reason == "damaged"


# ---------------------------------------------------------------------- end to end, through the camera


@pytest.fixture
def pairing_code(backoffice):
    def make(*, expired: bool = False, base_url: str | None = None) -> tuple[str, str]:
        """(register name, the QR's text) for a fresh register."""
        name = backoffice.unique("Kassa")
        with backoffice.runtime.sessions() as db:
            # every kiosk here pairs from 127.0.0.1: each test starts with no attempts counted
            db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.like("pair:%")))
            register = devices.create_register(db, name)
            pairing, code = devices.create_pairing_code(db, register, f"Kiosk vid {name}", actor="staff:test")
            if expired:
                db.execute(update(PairingCode).where(PairingCode.id == pairing.id)
                           .values(expires_at=utcnow() - dt.timedelta(seconds=5)))
            db.commit()
        return name, pairing_payload(base_url or backoffice.base_url, code)

    return make


def play(tmp_path, text: str):
    """The pairing QR on the back office's screen held in front of the camera, as a video the kiosk plays."""
    video = write_video(clip_frames([(None, 0.6), ((text, "QRCode"), 3.0)], fps=10), tmp_path / "pairing.avi", fps=10)
    return f"file:{video}"


def unpaired_kiosk(tmp_path, camera: str):
    config = load_config(environ={}, state_dir=str(tmp_path / "kiosk"), camera=camera, sound=False)
    ui = UiThread()
    service = PairingService(config, report=ui)
    flow = service.make_flow()
    return config, ui, service, flow


def test_an_unpaired_kiosk_reads_the_pairing_qr_from_video_and_stores_a_token_that_works(
        backoffice, pairing_code, tmp_path):
    register, text = pairing_code()
    config, ui, service, flow = unpaired_kiosk(tmp_path, play(tmp_path, text))
    assert config.token() == ""
    service.start()
    try:
        ui.until(lambda: flow.state.step == Step.PAIRED, "the kiosk to be paired")
    finally:
        service.stop()
    assert flow.state.register_name == register and flow.state.kiosk_name == f"Kiosk vid {register}"
    stored = read_pairing(config.state_path)
    assert stat.S_IMODE(os.stat(pairing_path(config.state_path)).st_mode) == 0o600
    restarted = load_config(environ={}, state_dir=str(config.state_path))  # what the kiosk reads when it starts
    assert restarted.token() == stored.device_token and restarted.backoffice_url == backoffice.base_url
    state = BackofficeClient(restarted.backoffice_url, restarted.token()).state()
    assert state.till.name == register


def test_an_expired_pairing_qr_is_refused_on_the_kiosk_and_nothing_is_stored(backoffice, pairing_code, tmp_path):
    _, text = pairing_code(expired=True)
    config, ui, service, flow = unpaired_kiosk(tmp_path, play(tmp_path, text))
    service.start()
    try:
        ui.until(lambda: flow.state.step == Step.REFUSED, "the refusal")
    finally:
        service.stop()
    assert flow.state.reason == "pairing_code_expired" and read_pairing(config.state_path) is None


def test_a_dead_backoffice_is_told_on_the_kiosk_and_try_again_pairs_once_it_is_back(tmp_path):
    data = tmp_path / "backoffice"
    data.mkdir()
    url = f"sqlite:///{data / 'backoffice.sqlite3'}"
    server = ServerProcess(data_dir=data, database_url=url).start()
    with make_sessionmaker(make_engine(url, pooled=False))() as db:
        pairing, code = devices.create_pairing_code(db, devices.create_register(db, "Kassa 3"), "", actor="test")
        db.commit()
    server.stop()  # the backoffice is down when the code is scanned
    config, ui, service, flow = unpaired_kiosk(tmp_path, play(tmp_path, pairing_payload(server.base_url, code)))
    service.start()
    try:
        ui.until(lambda: flow.state.step == Step.UNREACHABLE, "the backoffice to be found unreachable")
        assert flow.state.address == server.base_url and read_pairing(config.state_path) is None
        server.start()
        flow.retry()
        ui.until(lambda: flow.state.step == Step.PAIRED, "the pairing on the second try")
    finally:
        service.stop()
        server.stop()
    assert flow.state.register_name == "Kassa 3" and read_pairing(config.state_path).backoffice_url == server.base_url


def test_a_code_typed_on_the_kiosks_command_line_pairs_it_too(backoffice, pairing_code, tmp_path):
    register, text = pairing_code()
    code = text.rsplit(":", 1)[1]
    config = load_config(environ={}, state_dir=str(tmp_path / "kiosk"), backoffice_url=backoffice.base_url)
    with pytest.raises(Rejected) as refused:
        pair_with_code(config, "ZZZZZ-ZZZZZ")
    assert refused.value.code == "pairing_code_unknown"
    assert pair_with_code(config, code.lower()).register_name == register
    assert load_config(environ={}, state_dir=str(tmp_path / "kiosk")).token().startswith("kd_")


def test_kiosk_pair_refuses_when_a_token_is_configured_by_hand(tmp_path, monkeypatch):
    from kiosk.__main__ import pair

    monkeypatch.setenv("KIOSK_DEVICE_TOKEN", "kd_by_hand")
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="device token is set"):
        pair("7K2M9-XD4QP")


def test_a_kiosk_unpaired_in_the_back_office_forgets_its_stored_pairing_at_start_but_not_when_offline(
        backoffice, pairing_code, tmp_path):
    from kiosk.__main__ import _stored_pairing_revoked

    register, text = pairing_code()
    state = tmp_path / "kiosk"
    config = load_config(environ={}, state_dir=str(state), backoffice_url=backoffice.base_url)
    pair_with_code(config, text.rsplit(":", 1)[1])
    stored = read_pairing(state)
    assert not _stored_pairing_revoked(load_config(environ={}, state_dir=str(state)))  # still paired
    write_pairing(state, "http://127.0.0.1:9", stored.device_token)
    assert not _stored_pairing_revoked(load_config(environ={}, state_dir=str(state)))  # offline: kept
    write_pairing(state, backoffice.base_url, stored.device_token)
    with backoffice.runtime.sessions() as db:
        kiosk = db.execute(select(Kiosk).where(Kiosk.name == f"Kiosk vid {register}")).scalar_one()
        devices.revoke_kiosk(db, kiosk, actor="staff:test")
        db.commit()
    assert _stored_pairing_revoked(load_config(environ={}, state_dir=str(state)))
    assert read_pairing(state) is None  # the kiosk shows the pairing screen again


def test_the_pairing_service_and_its_rules_load_no_ui():
    from tests.test_layers import loaded

    assert loaded("kiosk.pairing", "kivy", "backoffice") == []
    assert loaded("kiosk.pairing_flow", "kivy", "requests", "cv2", "backoffice") == []


def test_kiosk_pair_on_the_command_line_says_what_it_was_paired_as_or_why_not(backoffice, pairing_code, tmp_path,
                                                                               monkeypatch, capsys):
    from kiosk.__main__ import main

    register, text = pairing_code()
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_DEVICE_TOKEN", raising=False)
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path / "kiosk"))
    assert main(["pair", "not-a-code", "--url", backoffice.base_url]) == 2
    assert "10 letters and digits" in capsys.readouterr().err
    assert main(["pair", "ZZZZZ-ZZZZZ", "--url", backoffice.base_url]) == 1
    assert "(pairing_code_unknown)" in capsys.readouterr().err
    assert main(["pair", text.rsplit(":", 1)[1], "--url", backoffice.base_url]) == 0
    assert f"with register {register!r}" in capsys.readouterr().out
    assert read_pairing(tmp_path / "kiosk").backoffice_url == backoffice.base_url


@pytest.mark.parametrize("language", ["sv", "en", "fr"])
def test_every_text_of_the_pairing_screens_is_in_the_kiosk_catalogues(language):
    import re
    from pathlib import Path

    from kiosk import i18n
    from kiosk.pairing_flow import MESSAGES

    kv = (Path(__file__).resolve().parents[2] / "kiosk/screens/pairing.kv").read_text()
    texts = set(MESSAGES.values()) | set(re.findall(r'tr\("([^"]+)"', kv))
    assert "Scan the pairing code from the back office" in texts
    assert sorted(t for t in texts if not i18n.catalogue(language).get(t)) == []


def test_a_kiosk_without_a_working_camera_says_so_on_the_pairing_screen(tmp_path):
    config, ui, service, flow = unpaired_kiosk(tmp_path, f"file:{tmp_path / 'no-such-video.avi'}")
    service.start()
    try:
        ui.until(lambda: not flow.state.camera_ok, "the camera failure", timeout=20)
    finally:
        service.stop()
    assert flow.state.step == Step.SCANNING and flow.state.camera_message
