"""A real systemd service manager for tests: the developer's own user manager, or a private one.

On a machine booted with systemd (a developer's Debian), transient units go to
the user's running manager (``systemd-run --user``). In a container where
systemd is not PID 1 (CI here), a private ``systemd --user`` is started as
root, fenced in three ways so it can only touch what it starts itself:

* its own cgroup (a child of ours in the name=systemd and unified
  hierarchies): a manager moves every process of its root cgroup into its
  init.scope, so it must never start in a shared one;
* a private mount namespace with its own /run, holding ``/run/systemd/system``
  (``systemd --user`` refuses to run unless the system "was booted with
  systemd") and the inaccessible nodes PID 1 would have made for sandboxing
  options; the real /run is untouched;
* a private XDG_RUNTIME_DIR, unit path and user.conf (resource accounting off,
  so it creates no cgroups in the memory, pids or cpu hierarchies).

Everything it starts is stopped, killed if need be, and its cgroups removed
when the test is done.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
SYSTEMD = next((p for p in ("/usr/lib/systemd/systemd", "/lib/systemd/systemd") if os.access(p, os.X_OK)), None)


USER_UNIT_DIR = "/usr/lib/systemd/user"
USER_UNITS = [
    "default.target", "basic.target", "sockets.target", "timers.target", "paths.target",
    "exit.target", "shutdown.target", "systemd-exit.service",
]


class Unavailable(RuntimeError):
    """No service manager can be used on this machine; the message says why."""


def _own_cgroups() -> dict[str, str]:
    """Hierarchy directory under /sys/fs/cgroup -> our cgroup path in it, for the two systemd tracks itself in."""
    found = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, controllers, path = line.split(":", 2)
        if hid == "0" and controllers == "":
            unified = CGROUP_ROOT / "unified" if (CGROUP_ROOT / "unified").is_dir() else CGROUP_ROOT
            if (unified / "cgroup.procs").exists():
                found[str(unified)] = path
        elif controllers == "name=systemd":
            found[str(CGROUP_ROOT / "systemd")] = path
    return found


def _user_manager_running(env: dict[str, str]) -> bool:
    try:
        probe = subprocess.run(["systemctl", "--user", "show-environment"], env=env, capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class ServiceManager:
    """Start transient services under a real systemd and read their state back."""

    def __init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        self.private: subprocess.Popen | None = None
        self.cgroups: list[Path] = []
        self.tmp: Path | None = None
        self.units: list[str] = []
        self.kind = ""
        # Only a manager running as root can apply the units' sandboxes (mount namespaces, BPF, seccomp).
        self.can_sandbox = os.geteuid() == 0

    # -- start and stop ---------------------------------------------------------------------------------------

    def start(self) -> ServiceManager:
        if shutil.which("systemctl") is None or shutil.which("systemd-run") is None:
            raise Unavailable("systemd is not installed (systemctl, systemd-run)")
        if os.path.isdir("/run/systemd/system"):
            if "XDG_RUNTIME_DIR" not in self.env:
                self.env["XDG_RUNTIME_DIR"] = f"/run/user/{os.getuid()}"
            if not _user_manager_running(self.env):
                raise Unavailable("booted with systemd, but no user manager answers 'systemctl --user'")
            self.kind = "the user's own systemd --user"
            return self
        self._start_private()
        return self

    def _start_private(self) -> None:
        if os.geteuid() != 0:
            raise Unavailable("systemd is not PID 1 and a private user manager needs root (cgroups, mount namespace)")
        if SYSTEMD is None or shutil.which("unshare") is None:
            raise Unavailable("the systemd binary or unshare(1) is missing")
        if not all(os.path.exists(os.path.join(USER_UNIT_DIR, name)) for name in USER_UNITS):
            raise Unavailable(f"systemd's user units are missing from {USER_UNIT_DIR}")
        hierarchies = _own_cgroups()
        if not hierarchies or any(not os.access(h, os.W_OK) for h in hierarchies):
            raise Unavailable(f"no writable cgroup hierarchy for a private manager ({hierarchies or 'none found'})")
        self.tmp = Path(tempfile.mkdtemp(prefix="kiosk-sd-", dir="/tmp"))
        name = f"kiosk-test-{os.getpid()}-{self.tmp.name[-6:]}"
        for hierarchy, path in hierarchies.items():
            cgroup = Path(hierarchy + path.rstrip("/")) / name
            cgroup.mkdir()
            self.cgroups.append(cgroup)
        runtime = self.tmp / "run"
        runtime.mkdir(mode=0o700)
        (self.tmp / "config" / "systemd").mkdir(parents=True)
        (self.tmp / "config" / "systemd" / "user.conf").write_text(
            "[Manager]\nDefaultMemoryAccounting=no\nDefaultTasksAccounting=no\nDefaultCPUAccounting=no\n"
            "DefaultIOAccounting=no\nDefaultBlockIOAccounting=no\nDefaultIPAccounting=no\n"
        )
        units = self.tmp / "units"
        units.mkdir()
        # Only the targets every service depends on, and the exit path SIGTERM takes: nothing else starts.
        for unit in USER_UNITS:
            shutil.copy(Path(USER_UNIT_DIR) / unit, units / unit)
        self.env.update(
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_HOME=str(self.tmp / "config"),
            SYSTEMD_UNIT_PATH=str(units),
        )
        # PID 1 would also have made the inaccessible nodes that sandboxing options mount over what they hide.
        script = (
            "set -e; mount -t tmpfs -o mode=0755 kiosk-test /run; mkdir -p /run/systemd/system; "
            "mkdir -m 0755 /run/systemd/inaccessible; cd /run/systemd/inaccessible; "
            "mkdir -m 0 dir; : > reg; chmod 0 reg; mkfifo -m 0 fifo; mknod -m 0 chr c 0 0; mknod -m 0 blk b 0 0; cd /; "
            f"exec {SYSTEMD} --user --log-target=console --log-level=notice"
        )
        cgroup_procs = [str(c / "cgroup.procs") for c in self.cgroups]

        def enter_cgroups() -> None:  # runs in the child between fork and exec
            for procs in cgroup_procs:
                with open(procs, "w") as handle:
                    handle.write("0")

        log = open(self.tmp / "manager.log", "wb")  # noqa: SIM115 - closed with the process
        self.private = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=enter_cgroups,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 15
        while not _user_manager_running(self.env):
            if self.private.poll() is not None or time.monotonic() > deadline:
                output = (self.tmp / "manager.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise Unavailable(f"a private systemd --user did not come up: {output}")
            time.sleep(0.1)
        self.kind = f"a private systemd --user (PID {self.private.pid}) in cgroup {name}"

    def stop_unit(self, unit: str) -> None:
        subprocess.run(["systemctl", "--user", "stop", unit], env=self.env, capture_output=True, timeout=20)
        subprocess.run(["systemctl", "--user", "reset-failed", unit], env=self.env, capture_output=True, timeout=10)

    def stop(self) -> None:
        for unit in self.units:
            self.stop_unit(unit)
        self.units.clear()
        if self.private is not None:
            if self.private.poll() is None:
                self.private.send_signal(signal.SIGTERM)  # a user manager stops its units and exits
                try:
                    self.private.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.private.kill()
                    self.private.wait(timeout=5)
            self.private = None
        for cgroup in self.cgroups:
            _remove_cgroup(cgroup)
        self.cgroups.clear()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # -- services -----------------------------------------------------------------------------------------------

    def run(self, unit: str, command: list[str], properties: dict[str, str | list[str]], timeout: float = 30):
        """systemd-run a transient service; returns once the start job is done (for Type=notify: READY=1)."""
        args = ["systemd-run", "--user", "--quiet", f"--unit={unit}", "--collect"]
        for key, value in properties.items():
            for item in value if isinstance(value, list) else [value]:
                args.append(f"--property={key}={item}")
        self.units.append(unit)
        return subprocess.run(args + ["--", *command], env=self.env, capture_output=True, text=True, timeout=timeout)

    def state_directory(self, name: str) -> Path:
        """Where StateDirectory=name is for this manager ($XDG_CONFIG_HOME in systemd 252, $XDG_STATE_HOME later)."""
        home = Path(self.env.get("HOME", os.path.expanduser("~")))
        candidates = [
            Path(self.env.get("XDG_CONFIG_HOME", home / ".config")) / name,
            Path(self.env.get("XDG_STATE_HOME", home / ".local/state")) / name,
        ]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        raise FileNotFoundError(f"StateDirectory={name} is in none of {candidates}")

    def remove_state_directory(self, name: str) -> None:
        try:
            shutil.rmtree(self.state_directory(name))
        except FileNotFoundError:
            pass

    def show(self, unit: str, *names: str) -> dict[str, str]:
        out = subprocess.run(
            ["systemctl", "--user", "show", unit, *(f"--property={n}" for n in names)],
            env=self.env, capture_output=True, text=True, timeout=10, check=True,
        ).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_for(self, unit: str, condition, timeout: float, names=("ActiveState", "SubState", "NRestarts", "MainPID", "Result", "StatusText")):
        """Poll the unit's properties until condition(props) holds; returns the last properties."""
        deadline = time.monotonic() + timeout
        while True:
            props = self.show(unit, *names)
            if condition(props) or time.monotonic() > deadline:
                return props
            time.sleep(0.05)


def _remove_cgroup(cgroup: Path) -> None:
    """Kill whatever is left in a cgroup tree and remove it, deepest first."""
    if not cgroup.exists():
        return
    for _ in range(50):
        pids = []
        for procs in cgroup.rglob("cgroup.procs"):
            try:
                pids += [int(p) for p in procs.read_text().split()]
            except OSError:
                pass
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    for directory in sorted((p for p in cgroup.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            directory.rmdir()
        except OSError:
            pass
    try:
        cgroup.rmdir()
    except OSError:
        pass
