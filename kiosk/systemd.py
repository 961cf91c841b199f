"""Talk to systemd from the kiosk: readiness, status and the UI-thread watchdog.

The sd_notify protocol is one datagram of newline-separated ``KEY=value``
assignments sent to the AF_UNIX socket named by ``NOTIFY_SOCKET`` (a path, or
``@name`` for the abstract namespace). systemd learns the sender's PID from
the socket credentials, so with ``NotifyAccess=main`` only the kiosk's own
process may send. Outside systemd there is no ``NOTIFY_SOCKET`` and every
call is a no-op that returns False.

The app calls ``notify("READY=1", "STATUS=...")`` once the first screen is
drawn, ``Watchdog().ping()`` from the UI thread on a Kivy Clock interval, and
``notify("STOPPING=1")`` on exit. Pinging from the UI thread is the point: if
that thread hangs, the pings stop and systemd (``WatchdogSec=``) kills and
restarts the kiosk.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

__all__ = ["Watchdog", "notify", "watchdog_period"]


def _address(raw: str) -> str | bytes | None:
    """The socket address in NOTIFY_SOCKET, or None when it is not an AF_UNIX one we can reach."""
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    if raw.startswith("/"):
        return raw
    # systemd 253+ may also hand out "vsock:CID:PORT" (virtual machines); a Pi never gets one.
    log.debug("NOTIFY_SOCKET=%r is not a unix socket; not notifying", raw)
    return None


def _check(state: str) -> None:
    key, sep, value = state.partition("=")
    if not sep or not key or "\n" in state:
        raise ValueError(f"sd_notify state must be one KEY=value line, got {state!r}")


def notify(*states: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``KEY=value`` states (``READY=1``, ``STATUS=...``, ``WATCHDOG=1``, ``STOPPING=1``) to systemd.

    Returns True when the message was handed to systemd, False outside systemd
    or when it could not be sent (never blocks: the UI thread calls this).
    ``RELOADING=1`` gets the ``MONOTONIC_USEC=`` that Type=notify-reload needs.
    """
    if not states:
        raise ValueError("notify() needs at least one KEY=value state")
    for state in states:
        _check(state)
    env = os.environ if environ is None else environ
    address = _address(env.get("NOTIFY_SOCKET", ""))
    if address is None:
        return False
    lines = list(states)
    if "RELOADING=1" in lines and not any(line.startswith("MONOTONIC_USEC=") for line in lines):
        lines.append(f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
    message = "\n".join(lines).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL, address)
    except OSError as exc:
        # The manager is gone, restarting, or its queue is full: the next ping will tell.
        log.warning("Could not notify systemd (%s): %s", ", ".join(states), exc)
        return False
    return True


def watchdog_period(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings systemd asks for (half of WATCHDOG_USEC), or None when not watched.

    A WATCHDOG_PID naming another process (inherited by a child) means the
    watchdog is not ours.
    """
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    return usec / 2 / 1_000_000


class Watchdog:
    """Keeps systemd's watchdog fed from the thread whose liveness matters (the UI thread).

    Call ``ping()`` as often as convenient (every second from a Kivy Clock
    interval); it sends ``WATCHDOG=1`` at most every ``period / 2`` seconds,
    i.e. four times per WatchdogSec, so a single late Clock tick never costs
    a restart.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._environ = environ
        self._clock = clock
        self.period = watchdog_period(environ)
        self._last_sent: float | None = None

    @property
    def enabled(self) -> bool:
        """True when systemd expects pings from this process."""
        return self.period is not None

    def ping(self) -> bool:
        """Send WATCHDOG=1 if one is due; True when a ping was sent."""
        if self.period is None:
            return False
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < self.period / 2:
            return False
        sent = notify("WATCHDOG=1", environ=self._environ)
        if sent:
            self._last_sent = now
        return sent
