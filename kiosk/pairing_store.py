"""The pairing a kiosk got by camera, on disk: ``<state_dir>/pairing.json``, mode 0600, written atomically.

It holds the device token the backoffice handed out for the pairing code, the backoffice's address the
code came with, and what the kiosk was paired as.  ``kiosk.config`` reads it when the configuration holds
no token of its own (``device_token`` / ``device_token_file`` win: a token set by hand is meant).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "pairing.json"


@dataclass(frozen=True)
class StoredPairing:
    backoffice_url: str
    device_token: str
    kiosk_name: str = ""
    register_name: str = ""
    paired_at: str = ""


def pairing_path(state_dir: Path) -> Path:
    return Path(state_dir) / FILE_NAME


def read_pairing(state_dir: Path) -> StoredPairing | None:
    """The stored pairing, or None when there is none (or it is unreadable: the kiosk pairs again)."""
    try:
        data = json.loads(pairing_path(state_dir).read_text())
        pairing = StoredPairing(**{k: str(data.get(k) or "") for k in StoredPairing.__dataclass_fields__})
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if not pairing.device_token or not pairing.backoffice_url.startswith(("http://", "https://")):
        return None
    return pairing


def write_pairing(state_dir: Path, backoffice_url: str, device_token: str, *, kiosk_name: str = "",
                  register_name: str = "") -> StoredPairing:
    """Store the pairing: a temporary file made 0600 before the token is written, synced, then renamed over."""
    pairing = StoredPairing(backoffice_url=backoffice_url.rstrip("/"), device_token=device_token,
                            kiosk_name=kiosk_name, register_name=register_name,
                            paired_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".pairing-", suffix=".tmp", dir=directory)  # created 0600
    try:
        with os.fdopen(handle, "w") as out:
            os.fchmod(out.fileno(), 0o600)
            json.dump(asdict(pairing), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, pairing_path(directory))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a power cut only once the directory is synced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return pairing


def forget_pairing(state_dir: Path) -> None:
    pairing_path(state_dir).unlink(missing_ok=True)
