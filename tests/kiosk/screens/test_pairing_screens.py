"""The unpaired kiosk's window off screen, its camera playing a video of the back office's pairing QR codes,
against a real backoffice: the pairing screen, a refused (expired) code, the paired screen; then the ``kiosk``
command itself, which pairs by camera and goes on as the kiosk with the stored token.

Screenshots land in test-artifacts/kiosk/pairing*/ for review.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from backoffice.models import Kiosk, PairingCode, RateLimitHit, utcnow
from backoffice.services import devices
from counter_core.pairing import pairing_payload
from kiosk.camera.synthetic import clip_frames, write_video
from kiosk.pairing_store import read_pairing
from tests.support.api import Api

pytestmark = [pytest.mark.window, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "kiosk"


def _codes(backoffice) -> tuple[str, str, str]:
    """A fresh register with an expired and a valid pairing code: (register, expired QR, valid QR)."""
    name = backoffice.unique("Kassa")
    with backoffice.runtime.sessions() as db:
        # every kiosk here pairs from 127.0.0.1: each test starts with no attempts counted
        db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.like("pair:%")))
        register = devices.create_register(db, name)
        old, old_code = devices.create_pairing_code(db, register, "", actor="staff:test")
        db.execute(update(PairingCode).where(PairingCode.id == old.id).values(expires_at=utcnow() - dt.timedelta(1)))
        _, code = devices.create_pairing_code(db, register, f"Kiosk vid {name}", actor="staff:test")
        db.commit()
    return name, pairing_payload(backoffice.base_url, old_code), pairing_payload(backoffice.base_url, code)


def _env(tmp_path: Path, **extra: str) -> dict:
    return {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy",
            "KIVY_HOME": str(tmp_path / "kivy"), **extra}


SWEDISH = {"unpaired": "Skanna parningskoden från backoffice",
           "expired": "Parningskoden har gått ut. Skapa en ny kod i backoffice och skanna den.", "paired": "Kopplad till"}
FRENCH = {"unpaired": "Scannez le code d'appairage du back-office",
          "expired": "Ce code d'appairage a expiré. Créez un nouveau code dans le back-office et scannez-le.",
          "paired": "Associée à"}


@pytest.mark.parametrize("language, size, texts", [("sv", "1280x800", SWEDISH), ("fr", "800x480", FRENCH)],
                         ids=["sv-1280x800", "fr-800x480"])
def test_the_unpaired_window_shows_the_camera_refuses_an_expired_code_and_shows_the_register_it_is_paired_to(
        backoffice, tmp_path, language, size, texts):
    register, expired, valid = _codes(backoffice)
    video = write_video(clip_frames([(None, 2.5), ((expired, "QRCode"), 3.0), (None, 1.5), ((valid, "QRCode"), 4.0)],
                                    fps=10), tmp_path / "pairing.avi", fps=10)
    shots = ARTIFACTS / ("pairing" if size == "1280x800" else f"pairing-{language}-{size}")
    status_path, state = tmp_path / "status.json", tmp_path / "kiosk-state"
    with open(tmp_path / "driver.log", "wb") as log:
        run = subprocess.run(
            [sys.executable, str(ROOT / "tests/kiosk/screens/pairing_driver.py"), "--camera", f"file:{video}",
             "--state-dir", str(state), "--status", str(status_path), "--shots", str(shots), "--language", language,
             "--size", size],
            env=_env(tmp_path), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, timeout=200)
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    assert run.returncode == 0 and status.get("passed"), (
        f"{status.get('error')}\n{status.get('traceback', '')}\n{(tmp_path / 'driver.log').read_text()[-4000:]}")
    assert status["steps"][:3] == ["unpaired", "expired", "paired"]
    assert texts["unpaired"] in status["unpaired_texts"]
    assert texts["expired"] in status["expired_texts"]
    assert f"{texts['paired']} {register}" in status["paired_texts"]
    assert all((shots / f"{name}.png").stat().st_size > 10_000 for name in ("01-unpaired", "02-expired", "03-paired"))
    stored = read_pairing(state)
    assert stored.register_name == register
    assert Api(backoffice.base_url, stored.device_token).get("/api/v1/kiosk/state").json()["register"]["name"] == register


def test_the_kiosk_command_pairs_by_camera_and_goes_on_as_the_kiosk_with_the_stored_token(backoffice, tmp_path):
    register, _, valid = _codes(backoffice)
    video = write_video(clip_frames([(None, 1.0), ((valid, "QRCode"), 4.0)], fps=10), tmp_path / "pair.avi", fps=10)
    state = tmp_path / "kiosk-state"
    env = _env(tmp_path, KIOSK_STATE_DIR=str(state), KIOSK_CAMERA=f"file:{video}", KIOSK_FULLSCREEN="no",
               KIOSK_SOUND="no", KIOSK_STATUS_REPORT_SECONDS="1", KIOSK_BACKOFFICE_URL="http://127.0.0.1:9")
    env.pop("KIOSK_CONFIG", None)
    log = open(tmp_path / "kiosk.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "kiosk"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=ROOT)
    pos = Api(backoffice.base_url, backoffice.api_key())
    try:
        def reported() -> dict:
            with backoffice.runtime.read_sessions() as db:
                kiosk = db.execute(select(Kiosk).where(Kiosk.name == f"Kiosk vid {register}")).scalar_one_or_none()
                return (kiosk.last_status or {}) if kiosk else {}

        deadline = time.monotonic() + 150
        while reported().get("screen") != "waiting":  # the restarted kiosk reports with the stored token
            assert process.poll() is None, (tmp_path / "kiosk.log").read_text()[-4000:]
            assert time.monotonic() < deadline, (tmp_path / "kiosk.log").read_text()[-4000:]
            time.sleep(0.5)
        assert pos.post("/api/v1/sales", {"register": register}).status_code == 201
        while reported().get("screen") != "home":  # the sale opens: the kiosk's home screen
            assert time.monotonic() < deadline, (tmp_path / "kiosk.log").read_text()[-4000:]
            time.sleep(0.5)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    assert read_pairing(state).backoffice_url == backoffice.base_url  # the QR's address, not the configured one
