"""A stand-in for ``chroot ROOT COMMAND...`` so install-pi.sh --root can run on any test machine.

install-pi.sh --root DIR runs every system command as ``chroot DIR ...``. The
tests put this program first in PATH under the name ``chroot``; it records
each command in $FAKE_CHROOT_LOG (one JSON line: argv and whether it only
looks) and gives it the effect it would have on the tree at ROOT:

* users and groups: edits ROOT/etc/passwd and ROOT/etc/group;
* apt-get install: marks the packages installed in ROOT/var/lib/dpkg/status,
  which the real dpkg-query then reads (--admindir);
* systemctl enable/disable/is-enabled: the real ``systemctl --root=ROOT``,
  which is what systemctl does inside a chroot anyway; daemon-reload, start,
  stop and restart are only recorded;
* python3 -m venv and pip: a stand-in venv (bin/python, pyvenv.cfg, bin/kiosk);
* chown and stat -c %U:%G: owners kept in $FAKE_CHROOT_STATE/owners.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QUERIES = {("dpkg-query",), ("stat",), ("systemctl", "is-enabled")}


def record(argv: list[str], query: bool) -> None:
    with open(os.environ["FAKE_CHROOT_LOG"], "a") as log:
        log.write(json.dumps({"argv": argv, "query": query}) + "\n")


def owners_file() -> Path:
    return Path(os.environ["FAKE_CHROOT_STATE"]) / "owners.json"


def owners() -> dict[str, str]:
    path = owners_file()
    return json.loads(path.read_text()) if path.exists() else {}


def edit_lines(path: Path, change) -> None:
    lines = path.read_text().splitlines() if path.exists() else []
    path.write_text("".join(line + "\n" for line in change(lines)))


def next_system_id(root: Path) -> int:
    used = set()
    for name in ("passwd", "group"):
        for line in (root / "etc" / name).read_text().splitlines():
            used.add(int(line.split(":")[2]))
    return max(i for i in range(100, 1000) if i not in used)


def options(args: list[str], with_value: set[str]) -> tuple[dict[str, str], list[str]]:
    found, rest, i = {}, [], 0
    while i < len(args):
        if args[i] in with_value:
            found[args[i]] = args[i + 1]
            i += 2
        elif args[i].startswith("-"):
            found[args[i]] = ""
            i += 1
        else:
            rest.append(args[i])
            i += 1
    return found, rest


def add_member(lines: list[str], groups: list[str], user: str) -> list[str]:
    out = []
    for line in lines:
        name, pw, gid, members = line.split(":")
        listed = [m for m in members.split(",") if m]
        if name in groups and user not in listed:
            listed.append(user)
        out.append(":".join([name, pw, gid, ",".join(listed)]))
    return out


def useradd(root: Path, args: list[str]) -> int:
    opts, (user,) = options(args, {"--home-dir", "--shell", "--comment", "--groups"})
    uid = next_system_id(root)
    home, shell = opts.get("--home-dir", "/"), opts.get("--shell", "/bin/sh")
    edit_lines(root / "etc/passwd", lambda lines: lines + [f"{user}:x:{uid}:{uid}:{opts.get('--comment', '')}:{home}:{shell}"])
    edit_lines(root / "etc/group", lambda lines: lines + [f"{user}:x:{uid}:"])
    if "--groups" in opts:
        edit_lines(root / "etc/group", lambda lines: add_member(lines, opts["--groups"].split(","), user))
    return 0


def usermod(root: Path, args: list[str]) -> int:
    opts, (user,) = options(args, {"--groups"})
    edit_lines(root / "etc/group", lambda lines: add_member(lines, opts["--groups"].split(","), user))
    return 0


def groupadd(root: Path, args: list[str]) -> int:
    _, (group,) = options(args, set())
    gid = next_system_id(root)
    edit_lines(root / "etc/group", lambda lines: lines + [f"{group}:x:{gid}:"])
    return 0


def userdel(root: Path, args: list[str]) -> int:
    _, (user,) = options(args, set())
    edit_lines(root / "etc/passwd", lambda lines: [line for line in lines if line.split(":")[0] != user])

    def drop(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            name, pw, gid, members = line.split(":")
            if name == user:
                continue  # the user's private group goes with it (USERGROUPS_ENAB)
            out.append(":".join([name, pw, gid, ",".join(m for m in members.split(",") if m and m != user)]))
        return out

    edit_lines(root / "etc/group", drop)
    return 0


def apt_get(root: Path, args: list[str]) -> int:
    if args[0] == "update":
        return 0
    _, packages = options(args[1:], set())
    with open(root / "var/lib/dpkg/status", "a") as status:
        for package in packages:
            status.write(f"Package: {package}\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n"
                         f"Maintainer: test\nDescription: stand-in\n\n")
    return 0


def python(root: Path, args: list[str]) -> int:
    if args[:2] == ["-m", "venv"]:
        opts, (venv,) = options(args[2:], set())
        bin_dir = root / venv.lstrip("/") / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python").write_text("#!/bin/sh\n")
        (bin_dir / "python").chmod(0o755)
        system = "true" if "--system-site-packages" in opts else "false"
        (bin_dir.parent / "pyvenv.cfg").write_text(f"home = /usr/bin\ninclude-system-site-packages = {system}\n")
        return 0
    return 1


def pip(root: Path, venv_python: str, args: list[str]) -> int:
    if args[:3] != ["-m", "pip", "install"]:
        return 1
    kiosk = root / Path(venv_python).parent.relative_to("/") / "kiosk"
    kiosk.write_text("#!/bin/sh\n# stand-in for the kiosk console script\n")
    kiosk.chmod(0o755)
    return 0


def chown(args: list[str]) -> int:
    owner, path = args
    table = owners()
    table[path] = owner
    owners_file().write_text(json.dumps(table))
    return 0


def stat(root: Path, args: list[str]) -> int:
    assert args[:2] == ["-c", "%U:%G"], args
    path = args[2]
    if not (root / path.lstrip("/")).exists():
        return 1
    print(owners().get(path, "root:root"))
    return 0


def systemctl(root: Path, args: list[str]) -> int:
    if args[0] in {"enable", "disable", "is-enabled"}:
        return subprocess.run(["systemctl", f"--root={root}", *args]).returncode
    return 0  # daemon-reload, start, stop, restart: nothing runs in a tree on disk


def main(argv: list[str]) -> int:
    root, command, args = Path(argv[1]), argv[2], argv[3:]
    while command == "env" and args and "=" in args[0]:  # env VAR=value command ...
        args = args[1:]
        command, args = (args[0], args[1:]) if args and "=" not in args[0] else (command, args)
    name = os.path.basename(command)
    query = (name,) in QUERIES or (name, args[0] if args else "") in QUERIES or (name == "python" and args[:1] == ["-c"])
    record(argv[2:], query)
    if name == "dpkg-query":
        return subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", *args]).returncode
    if name == "python" and args[:1] == ["-c"]:
        return 0  # the kiosk.ini check with the app's own loader: no app in a stand-in venv
    if name == "python" and command.endswith("/bin/python"):
        return pip(root, command, args)
    handlers = {
        "useradd": lambda: useradd(root, args), "usermod": lambda: usermod(root, args),
        "groupadd": lambda: groupadd(root, args), "userdel": lambda: userdel(root, args),
        "apt-get": lambda: apt_get(root, args), "python3": lambda: python(root, args),
        "chown": lambda: chown(args), "stat": lambda: stat(root, args),
        "systemctl": lambda: systemctl(root, args),
    }
    if name not in handlers:
        print(f"fake chroot: no stand-in for {command}", file=sys.stderr)
        return 127
    return handlers[name]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
