"""The parts of scripts/arm64-check.sh that run natively: the seccomp wrapper, the code images and
their check, the script's shell. The check itself (minutes under emulation) is ./test.sh's last step."""

from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "arm64-check.sh"
CODES = REPO / "scripts" / "arm64" / "codes.py"
NOSYS_C = REPO / "scripts" / "arm64" / "nosys.c"
# x86-64 numbers of the calls the wrapper refuses, and one it must leave alone (getpid).
X86_64 = {"statx": 332, "clone3": 435, "openat2": 437, "faccessat2": 439, "fchmodat2": 452}

# Each call gets an invalid descriptor and a NULL path, so that without the filter it fails harmlessly
# (EBADF, EFAULT, EINVAL) and can never touch a file.
PROBE = """
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
out = {}
for name, number in json.loads(sys.argv[1]).items():
    ctypes.set_errno(0)
    result = libc.syscall(number, -1, None, 0, 0, 0)
    out[name] = (result, ctypes.get_errno())
out["getpid"] = (libc.syscall(39), 0)
out["pid"] = os.getpid()
out["stat"] = os.stat("/").st_ino
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def nosys(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    binary = tmp_path_factory.mktemp("nosys") / "nosys"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), str(NOSYS_C)], check=True)
    return binary


@pytest.mark.skipif(platform.machine() != "x86_64" or sys.platform != "linux", reason="the numbers are x86-64 Linux's")
def test_the_wrapper_makes_the_five_calls_answer_enosys_and_leaves_the_rest(nosys):
    result = subprocess.run([str(nosys), sys.executable, "-c", PROBE, json.dumps(X86_64)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    for name in X86_64:
        assert seen[name] == [-1, errno.ENOSYS], name
    assert seen["getpid"][0] == seen["pid"]
    assert seen["stat"] == os.stat("/").st_ino  # glibc falls back to an older call: stat still works


def test_the_wrapper_says_how_to_use_it_and_reports_a_missing_command(nosys):
    usage = subprocess.run([str(nosys)], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr
    missing = subprocess.run([str(nosys), "/nonexistent/command"], capture_output=True, text=True)
    assert missing.returncode == 127 and "cannot run /nonexistent/command" in missing.stderr


def _decode(folder: Path) -> Path:
    script = Path(sys.executable).with_name("kiosk-decode")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.camera.cli"]
    images = [str(folder / f"{name}.png") for name in ("qr", "datamatrix", "pdf417")]
    result = subprocess.run([*command, "--json", *images], capture_output=True, text=True, timeout=120)
    decoded = folder / "decoded.jsonl"
    decoded.write_text(result.stdout)
    return decoded


def _codes(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(CODES), *args], capture_output=True, text=True, timeout=120, env=env)


def test_the_code_images_decode_to_what_was_drawn_and_a_wrong_reading_fails(tmp_path):
    assert _codes("make", str(tmp_path)).returncode == 0
    decoded = _decode(tmp_path)
    good = _codes("check", str(tmp_path), str(decoded))
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.split(":")[0].strip() for line in good.stdout.splitlines()] == ["qr", "datamatrix", "pdf417"]
    lines = [json.loads(line) for line in decoded.read_text().splitlines()]
    lines[1]["codes"][0]["text"] = "SE;something else"
    lines[2]["codes"] = []
    decoded.write_text("".join(json.dumps(line) + "\n" for line in lines))
    bad = _codes("check", str(tmp_path), str(decoded))
    assert bad.returncode == 1
    assert "datamatrix: expected DataMatrix" in bad.stdout and "pdf417: expected PDF417" in bad.stdout
    assert "qr: QRCode read" in bad.stdout


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_check_script_passes_shellcheck():
    result = subprocess.run(["shellcheck", "--severity=style", str(CHECK)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_test_sh_runs_the_check_as_its_last_step():
    lines = [line for line in (REPO / "test.sh").read_text().splitlines() if line.strip()]
    assert lines[-1] == "scripts/arm64-check.sh"
