"""Read systemd unit files the way the tests need them (repeated keys kept in order)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT_DIR = REPO / "systemd"


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> every value assigned, in order; comments and blank lines dropped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path}: setting outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


# [Service] settings a transient test unit cannot take from the real unit, and why.
NOT_FOR_A_TEST_UNIT = {
    # it runs as the test manager's user: there is no kiosk or backoffice user here
    "User", "Group", "SupplementaryGroups",
    # never take over this machine's console
    "TTYPath", "StandardInput", "TTYReset", "TTYVHangup", "TTYVTDisallocate",
    # replaced by the test: its program and interpreter, a log file, scaled times
    "ExecStart", "StandardOutput", "StandardError", "WatchdogSec", "RestartSec",
    # a user manager would put these in the invoking user's home; each test says what it needs instead
    "StateDirectory", "StateDirectoryMode", "CacheDirectory", "CacheDirectoryMode", "ConfigurationDirectory",
    "WorkingDirectory", "EnvironmentFile",
}


# The sandbox: settings an unprivileged user's manager cannot apply (no mount namespaces, BPF, seccomp for it).
SANDBOX_PREFIXES = ("Protect", "Private", "Restrict", "SystemCall", "Device", "Capability", "Ambient")
SANDBOX = {"NoNewPrivileges", "LockPersonality", "RemoveIPC", "MemoryDenyWriteExecute", "ProcSubset"}


def is_sandbox(key: str) -> bool:
    return key in SANDBOX or key.startswith(SANDBOX_PREFIXES)


def service_settings_for_a_test(unit: str, *, sandbox: bool = True) -> dict[str, list[str]]:
    """The unit's [Service] settings, sandbox included, minus what cannot apply to a test unit.

    ProtectHome= hides /root and /home, where a developer's (or CI's pyenv)
    interpreter may live: then the home directories become an empty tmpfs with
    only the interpreter bound in, read-only, which hides as much. PrivateTmp=
    hides a checkout under /tmp the same way, so it is bound in read-only too.
    """
    service = read_unit(UNIT_DIR / unit)["Service"]
    settings = {key: list(values) for key, values in service.items()
                if key not in NOT_FOR_A_TEST_UNIT and (sandbox or not is_sandbox(key))}
    homes = ("/root", "/home")
    needed = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, str(REPO))
                     if os.path.realpath(p).startswith(homes)})
    if needed and settings.get("ProtectHome", ["no"])[-1] in ("yes", "true", "read-only"):
        settings["ProtectHome"] = ["tmpfs"]
        settings.setdefault("BindReadOnlyPaths", []).extend(needed)
    # PrivateTmp= gives the unit an empty /tmp: a checkout or venv under /tmp (CI's clean clone) is bound in.
    in_tmp = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, str(REPO))
                     if os.path.realpath(p).startswith("/tmp/")})
    if in_tmp and settings.get("PrivateTmp", ["no"])[-1] in ("yes", "true"):
        settings.setdefault("BindReadOnlyPaths", []).extend(in_tmp)
    return settings
