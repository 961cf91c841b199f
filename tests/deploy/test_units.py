"""The systemd units and the nginx example as systemd and nginx themselves read them."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.deploy.units import UNIT_DIR, read_unit

UNITS = sorted(p.name for p in UNIT_DIR.glob("*.service")) + sorted(p.name for p in UNIT_DIR.glob("*.socket"))
SYSTEM_UNIT_DIRS = [Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")]

needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A file tree for systemd-analyze --root: the units, systemd's own units, stand-ins for ExecStart programs."""
    root = tmp_path_factory.mktemp("root")
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(UNIT_DIR / name, units / name)
    source = next((d for d in SYSTEM_UNIT_DIRS if (d / "sysinit.target").exists()), None)
    if source is None:
        pytest.skip("systemd's own units (sysinit.target...) are not installed")
    shutil.copytree(source, root / "usr/lib/systemd/system", symlinks=True)
    for name in UNITS:
        for command in read_unit(UNIT_DIR / name).get("Service", {}).get("ExecStart", []):
            program = root / command.split()[0].lstrip("-@:+!").lstrip("/")
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\nexit 0\n")
            program.chmod(0o755)
    return root


def test_there_is_a_kiosk_and_a_backoffice_unit():
    assert {"kiosk.service", "backoffice.service"} <= set(UNITS)


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_unit_passes_systemd_analyze_verify_without_a_single_warning(root, unit):
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "--man=no", unit],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # verify exits 0 even for unknown keys and unparsable values: those are warnings, so none is allowed.
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


@needs_systemd_analyze
def test_verify_would_catch_a_typo(root, tmp_path):
    """The check above is only worth something if systemd-analyze complains about a bad unit."""
    broken = root / "etc/systemd/system/broken-kiosk.service"
    text = (UNIT_DIR / "kiosk.service").read_text().replace("WatchdogSec=30s", "WatchdogSec=thirty\nWatchDogSec=30s")
    broken.write_text(text)
    try:
        result = subprocess.run(
            ["systemd-analyze", "verify", f"--root={root}", "--man=no", broken.name],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        broken.unlink()
    assert "Failed to parse sec value" in result.stderr
    assert "Unknown key 'WatchDogSec'" in result.stderr


@needs_systemd_analyze
@pytest.mark.parametrize("unit, worst", [("kiosk.service", 2.5), ("backoffice.service", 2.0)])
def test_unit_hardening_exposure_stays_low(root, unit, worst):
    """systemd-analyze security rates exposure 0 (locked down) to 10; the kiosk keeps GPU, input, camera and tty."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--root={root}", "--no-pager", unit],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "Overall exposure level" in line)
    assert float(line.split(":")[1].split()[0]) <= worst, line


def test_kiosk_unit_is_a_watched_notify_service_on_tty1():
    unit = read_unit(UNIT_DIR / "kiosk.service")
    service, section = unit["Service"], unit["Unit"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["Type"] == "notify" and one["NotifyAccess"] == "main"
    assert one["WatchdogSec"] == "30s" and one["Restart"] == "always"
    assert one["ExecStart"] == "/opt/kiosk/venv/bin/kiosk"  # no shell in between: NotifyAccess=main needs the PID
    assert one["User"] == "kiosk" and set(one["SupplementaryGroups"].split()) == {"video", "render", "input"}
    assert one["TTYPath"] == "/dev/tty1" and one["StandardInput"] == "tty"
    assert "getty@tty1.service" in section["Conflicts"]
    assert {"KIOSK_CONFIG=/etc/kiosk/kiosk.ini", "KIOSK_STATE_DIR=%S/kiosk", "KIVY_HOME=%S/kiosk/kivy",
            "SDL_VIDEODRIVER=kmsdrm"} <= set(service["Environment"])
    assert one["StateDirectory"] == "kiosk" and one["ConfigurationDirectory"] == "kiosk"
    assert one["DevicePolicy"] == "closed"
    allowed = {entry.split()[0] for entry in service["DeviceAllow"]}
    assert {"char-drm", "char-input", "char-video4linux", "char-media", "char-dma_heap", "/dev/tty1"} <= allowed
    assert "MemoryDenyWriteExecute" not in service  # Mesa's llvmpipe JIT needs W+X memory
    assert "PrivateDevices" not in service


def test_backoffice_unit_keeps_its_data_to_itself():
    service = read_unit(UNIT_DIR / "backoffice.service")["Service"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["ExecStart"].endswith("/backoffice serve")
    assert one["StateDirectory"] == "backoffice" and one["StateDirectoryMode"] == "0700" and one["UMask"] == "0077"
    assert one["EnvironmentFile"] == "-/etc/backoffice/backoffice.env"
    assert one["Restart"] == "on-failure" and one["User"] == "backoffice"


NGINX_WRAPPER = """
error_log {p}/error.log;
pid {p}/nginx.pid;
events {{}}
http {{
    access_log off;
    client_body_temp_path {p}/t1; proxy_temp_path {p}/t2; fastcgi_temp_path {p}/t3;
    uwsgi_temp_path {p}/t4; scgi_temp_path {p}/t5;
    include {p}/site.conf;
}}
"""


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed")
def test_nginx_example_is_accepted_by_nginx(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed for a stand-in certificate")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=backoffice.example.com",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )
    site = (UNIT_DIR / "nginx-backoffice.conf.example").read_text()
    site = site.replace("/etc/letsencrypt/live/backoffice.example.com/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/backoffice.example.com/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(NGINX_WRAPPER.format(p=tmp_path))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_nginx_example_passes_live_prompts_and_long_polls_through():
    text = (UNIT_DIR / "nginx-backoffice.conf.example").read_text()
    for directive in ("proxy_buffering off;", "proxy_read_timeout 75s;", "proxy_http_version 1.1;",
                      "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Forwarded-For",
                      "proxy_set_header Host $host;", "proxy_pass http://backoffice;"):
        assert directive in text
    assert "127.0.0.1:8000" in text


def test_unit_files_are_not_executable():
    """systemd warns about executable unit files; keep them 0644 in the checkout."""
    for name in UNITS:
        assert not (UNIT_DIR / name).stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
