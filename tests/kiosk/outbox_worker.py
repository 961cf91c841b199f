"""A kiosk's outbox under fire, run as a process the tests SIGKILL at random moments.

    python tests/kiosk/outbox_worker.py add STATE_DIR SAVED_LOG COUNT
        adds registrations to the outbox; after each add returns (the moment the
        screen says "saved") it appends the key to SAVED_LOG.
    python tests/kiosk/outbox_worker.py send STATE_DIR BASE_URL TOKEN
        sends the outbox to the backoffice, entry by entry, until it is empty.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.api import BackofficeClient  # noqa: E402
from kiosk.outbox import Outbox, OutboxSender  # noqa: E402


def add(state_dir: str, saved_log: str, count: int) -> None:
    outbox = Outbox(Path(state_dir) / "outbox.sqlite3")
    with open(saved_log, "a") as log:
        for n in range(count):
            key = uuid.uuid4().hex
            outbox.add("registration", {"source": "enter", "phone": f"+4673{n:07d}", "first_name": f"P{n}"}, key)
            log.write(key + "\n")
            log.flush()
            os.fsync(log.fileno())


def send(state_dir: str, base_url: str, token: str) -> None:
    outbox = Outbox(Path(state_dir) / "outbox.sqlite3")
    client = BackofficeClient(base_url, token, timeout=5)
    sender = OutboxSender(outbox, client.send)
    while outbox.count():
        sender.flush()


if __name__ == "__main__":
    if sys.argv[1] == "add":
        add(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        send(sys.argv[2], sys.argv[3], sys.argv[4])
