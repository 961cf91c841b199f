"""systemd/install-pi.sh on a stand-in Raspberry Pi OS tree (--root), and as a dry run on this machine.

With --root DIR the script writes its files under DIR and runs every command
as ``chroot DIR ...``; here ``chroot`` is tests/deploy/fake_chroot.py, which
records the commands and gives them their effect on DIR (users and groups in
DIR/etc, packages in DIR's dpkg status, enable/disable through the real
``systemctl --root``). Nothing on this machine is touched.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.units import REPO, UNIT_DIR

SCRIPT = UNIT_DIR / "install-pi.sh"
FAKE_CHROOT = Path(__file__).with_name("fake_chroot.py")
SYSTEM_UNITS = next((d for d in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                     if (d / "getty@.service").exists()), None)
TOKEN = "kt_9Hq2mZ4xV7pL0sR3"
FIRST = ["--backoffice-url", "https://backoffice.example.com", "--token", TOKEN, "--camera", "/dev/video0",
         "--language", "sv", "--shop-name", "Café Linnea", "--rotation", "90", "--touch-device", "/dev/input/event2"]

needs_systemctl = pytest.mark.skipif(
    shutil.which("systemctl") is None or SYSTEM_UNITS is None, reason="systemd (systemctl, getty@.service) is not installed"
)


class Pi:
    """A stand-in Raspberry Pi OS Lite tree and a way to run install-pi.sh on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "root"
        self.state = tmp_path / "fake-chroot"
        self.log = self.state / "commands.log"
        bin_dir = tmp_path / "bin"
        for d in (self.root / "etc", self.root / "opt", self.root / "var/lib/dpkg", self.root / "usr/lib/systemd/system",
                  self.root / "etc/systemd/system/getty.target.wants", self.state, bin_dir):
            d.mkdir(parents=True, exist_ok=True)
        (self.root / "etc/passwd").write_text(
            "root:x:0:0:root:/root:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\n"
            "pi:x:1000:1000:,,,:/home/pi:/bin/bash\n"
        )
        (self.root / "etc/group").write_text(
            "root:x:0:\ntty:x:5:\nvideo:x:44:pi\ninput:x:105:pi\nrender:x:106:pi\nsystemd-network:x:998:\npi:x:1000:\n"
        )
        (self.root / "var/lib/dpkg/status").write_text("".join(
            f"Package: {p}\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nMaintainer: x\nDescription: x\n\n"
            for p in ("python3", "python3-venv", "libdrm2", "libudev1", "ca-certificates")
        ))
        for unit in ("getty@.service", "getty.target", "multi-user.target"):
            shutil.copy(SYSTEM_UNITS / unit, self.root / "usr/lib/systemd/system" / unit)
        os.symlink("/usr/lib/systemd/system/getty@.service",
                   self.root / "etc/systemd/system/getty.target.wants/getty@tty1.service")
        chroot = bin_dir / "chroot"
        chroot.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{FAKE_CHROOT}" "$@"\n')
        chroot.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                    "FAKE_CHROOT_LOG": str(self.log), "FAKE_CHROOT_STATE": str(self.state)}

    def install(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        if self.log.exists():
            self.log.unlink()
        result = subprocess.run(["bash", str(SCRIPT), "--root", str(self.root), *args], env=self.env,
                                input=stdin, capture_output=True, text=True, timeout=60)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def commands(self, *, changes_only: bool = True) -> list[list[str]]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e["argv"] for e in entries if not (changes_only and e["query"])]

    def path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def config(self) -> dict[str, str]:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.path("/etc/kiosk/kiosk.ini"), encoding="utf-8")
        return dict(parser.items("kiosk"))

    def owner(self, path: str) -> str:
        owners = self.state / "owners.json"
        return json.loads(owners.read_text()).get(path, "root:root") if owners.exists() else "root:root"

    def group_members(self, group: str) -> list[str]:
        for line in self.path("/etc/group").read_text().splitlines():
            name, _, _, members = line.split(":")
            if name == group:
                return [m for m in members.split(",") if m]
        raise KeyError(group)

    def is_enabled(self, unit: str) -> bool:
        result = subprocess.run(["systemctl", f"--root={self.root}", "is-enabled", unit], capture_output=True, text=True)
        return result.stdout.strip() == "enabled"

    def snapshot(self, *, skip: tuple[str, ...] = (), mtimes: bool = True) -> dict[str, tuple]:
        """Every path under the root: kind, mode, content digest or link target, and mtime (a rewrite shows)."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            rel = "/" + str(path.relative_to(self.root))
            if rel.startswith(skip):
                continue
            info = path.lstat()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir", oct(info.st_mode))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[rel] = ("file", oct(info.st_mode), digest) + ((info.st_mtime_ns,) if mtimes else ())
        return found


@pytest.fixture
def pi(tmp_path):
    if shutil.which("systemctl") is None or SYSTEM_UNITS is None:
        pytest.skip("systemd (systemctl, getty@.service) is not installed")
    return Pi(tmp_path)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_install_script_passes_shellcheck():
    result = subprocess.run(["shellcheck", "--severity=style", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_install_script_is_executable_bash():
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text().startswith("#!/usr/bin/env bash\n")


@needs_systemctl
def test_first_install_writes_kiosk_ini_with_the_token_for_root_and_kiosk_only(pi):
    pi.install(*FIRST)
    assert pi.config() == {
        "backoffice_url": "https://backoffice.example.com", "device_token": TOKEN, "camera": "/dev/video0",
        "language": "sv", "shop_name": "Café Linnea", "rotation": "90", "touch_device": "/dev/input/event2",
    }
    assert oct(pi.path("/etc/kiosk/kiosk.ini").stat().st_mode & 0o777) == "0o640"
    assert pi.owner("/etc/kiosk/kiosk.ini") == "root:kiosk"
    assert oct(pi.path("/etc/kiosk").stat().st_mode & 0o777) == "0o755"


@needs_systemctl
def test_first_install_creates_the_kiosk_system_user_in_video_render_and_input(pi):
    pi.install(*FIRST)
    entry = next(line for line in pi.path("/etc/passwd").read_text().splitlines() if line.startswith("kiosk:"))
    name, _, uid, _, _, home, shell = entry.split(":")
    assert int(uid) < 1000 and home == "/var/lib/kiosk" and shell == "/usr/sbin/nologin"
    for group in ("video", "render", "input"):
        assert pi.group_members(group) == ["pi", "kiosk"]


@needs_systemctl
def test_first_install_installs_only_the_missing_debian_packages(pi):
    pi.install(*FIRST)
    installs = [argv for argv in pi.commands() if "install" in argv and "apt-get" in argv]
    assert len(installs) == 1
    packages = set(installs[0][installs[0].index("--no-install-recommends") + 1:])
    assert {"libgbm1", "libegl1", "libgles2", "libgl1", "libgl1-mesa-dri", "libmtdev1", "libzbar0", "fonts-dejavu-core"} <= packages
    assert not packages & {"python3", "python3-venv", "libdrm2", "libudev1"}  # already there
    assert "python3-picamera2" not in packages


@needs_systemctl
def test_first_install_puts_the_checkout_in_a_virtual_environment(pi):
    pi.install(*FIRST)
    assert ["python3", "-m", "venv", "/opt/kiosk/venv"] in pi.commands()
    assert ["/opt/kiosk/venv/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
            f"{REPO}[kiosk]"] in pi.commands()
    assert pi.path("/opt/kiosk/venv/bin/kiosk").exists()


@needs_systemctl
def test_first_install_enables_the_kiosk_and_removes_the_login_prompt_from_tty1(pi):
    pi.install(*FIRST)
    assert pi.path("/etc/systemd/system/kiosk.service").read_text() == (UNIT_DIR / "kiosk.service").read_text()
    assert pi.is_enabled("kiosk.service")
    assert pi.path("/etc/systemd/system/multi-user.target.wants/kiosk.service").is_symlink()
    assert not pi.is_enabled("getty@tty1.service")


@needs_systemctl
def test_second_run_with_the_same_arguments_changes_nothing(pi):
    pi.install(*FIRST)
    before = pi.snapshot()
    result = pi.install(*FIRST)
    assert "No changes" in result.stdout
    assert pi.commands() == []
    assert pi.snapshot() == before
    assert [line.split(":")[0] for line in pi.path("/etc/passwd").read_text().splitlines()].count("kiosk") == 1
    assert pi.group_members("video").count("kiosk") == 1


@needs_systemctl
def test_changing_one_setting_keeps_the_token_and_hand_edited_keys(pi):
    pi.install(*FIRST)
    ini = pi.path("/etc/kiosk/kiosk.ini")
    ini.write_text(ini.read_text() + "idle_timeout_seconds = 90\n")
    result = pi.install("--rotation", "180")
    assert pi.config()["rotation"] == "180"
    assert pi.config()["device_token"] == TOKEN
    assert pi.config()["idle_timeout_seconds"] == "90"
    assert pi.config()["backoffice_url"] == "https://backoffice.example.com"
    assert TOKEN not in result.stdout + result.stderr
    assert not any("useradd" in argv or "apt-get" in argv for argv in pi.commands())


@needs_systemctl
def test_the_token_can_come_from_standard_input_out_of_the_process_list(pi):
    pi.install("--backoffice-url", "http://10.0.0.5:8000", "--token", "-", stdin=TOKEN + "\n")
    assert pi.config()["device_token"] == TOKEN


@needs_systemctl
def test_a_wrong_mode_or_owner_on_kiosk_ini_is_put_right(pi):
    pi.install(*FIRST)
    pi.path("/etc/kiosk/kiosk.ini").chmod(0o644)
    (pi.state / "owners.json").write_text("{}")
    pi.install(*FIRST)
    assert oct(pi.path("/etc/kiosk/kiosk.ini").stat().st_mode & 0o777) == "0o640"
    assert pi.owner("/etc/kiosk/kiosk.ini") == "root:kiosk"


@needs_systemctl
def test_csi_camera_adds_picamera2_from_debian_and_lets_the_venv_see_it(pi):
    pi.install(*FIRST[:4], "--csi-camera")
    assert ["python3", "-m", "venv", "--system-site-packages", "/opt/kiosk/venv"] in pi.commands()
    assert any("python3-picamera2" in argv for argv in pi.commands())
    assert pi.config()["camera"] == "picamera2"


@needs_systemctl
def test_first_install_without_a_token_is_refused_before_anything_is_written(pi):
    before = pi.snapshot()
    result = pi.install("--backoffice-url", "https://backoffice.example.com", "--dry-run", check=False)
    assert result.returncode == 2
    assert "pair-kiosk" in result.stderr
    assert pi.snapshot() == before


@pytest.mark.parametrize("args, message", [
    (["--rotation", "45"], "--rotation"),
    (["--backoffice-url", "ftp://example.com"], "--backoffice-url"),
    (["--touch-device", "/tmp/event2"], "--touch-device"),
    (["--set", "colour=red"], "unknown kiosk.ini key"),
    (["--token", "two words"], "--token"),
    (["--purge"], "--purge goes with --uninstall"),
    (["--frobnicate"], "unknown option"),
])
def test_bad_arguments_are_refused_with_a_reason(args, message, tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), "--dry-run", "--root", str(tmp_path), *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr


@needs_systemctl
def test_dry_run_says_what_it_would_do_and_changes_nothing(pi):
    before = pi.snapshot()
    result = pi.install(*FIRST, "--dry-run")
    out = result.stdout
    assert "would run: env DEBIAN_FRONTEND=noninteractive apt-get install" in out
    assert "would run: useradd --system" in out
    assert "would run: python3 -m venv /opt/kiosk/venv" in out
    assert "would write /etc/kiosk/kiosk.ini (device token not shown) (mode 0640, root:kiosk)" in out
    assert "would write /etc/systemd/system/kiosk.service" in out
    assert "would run: systemctl enable kiosk.service" in out
    assert "would run: systemctl disable getty@tty1.service" in out
    assert "Dry run:" in out
    assert TOKEN not in out + result.stderr
    assert pi.commands() == []  # only looked
    assert pi.snapshot() == before


def test_dry_run_on_this_machine_changes_nothing(tmp_path):
    """The real system, no --root: a dry run only looks (dpkg-query, systemctl is-enabled, /etc/passwd)."""
    kiosk_etc_existed = Path("/etc/kiosk").exists()
    result = subprocess.run(["bash", str(SCRIPT), "--dry-run", *FIRST], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Dry run:" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert Path("/etc/kiosk").exists() == kiosk_etc_existed
    assert not Path("/opt/kiosk/venv/.kiosk-source").exists() or "would run" not in result.stdout


@needs_systemctl
def test_uninstall_removes_what_install_created_and_keeps_the_config(pi):
    before = pi.snapshot(skip=("/var/lib/dpkg",), mtimes=False)
    pi.install(*FIRST)
    result = pi.install("--uninstall")
    assert "kept /etc/kiosk" in result.stdout
    after = pi.snapshot(skip=("/var/lib/dpkg",), mtimes=False)
    kept = {path for path in after if path.startswith("/etc/kiosk")}
    assert kept == {"/etc/kiosk", "/etc/kiosk/kiosk.ini"}
    assert {p: v for p, v in after.items() if p not in kept} == before
    assert not pi.is_enabled("kiosk.service") and pi.is_enabled("getty@tty1.service")
    assert "kiosk:" not in pi.path("/etc/passwd").read_text()
    assert pi.group_members("video") == ["pi"]


@needs_systemctl
def test_uninstall_with_purge_leaves_the_pi_as_it_was(pi):
    before = pi.snapshot(skip=("/var/lib/dpkg",), mtimes=False)
    pi.install(*FIRST)
    pi.path("/var/lib/kiosk/outbox").mkdir(parents=True)  # what the running kiosk would have made
    pi.path("/var/lib/kiosk/outbox/0001.json").write_text("{}")
    pi.install("--uninstall", "--purge")
    assert pi.snapshot(skip=("/var/lib/dpkg",), mtimes=False) == before
    assert pi.install("--uninstall", "--purge").stdout.strip().endswith("No changes: the kiosk is uninstalled already.")
    assert pi.commands() == []
