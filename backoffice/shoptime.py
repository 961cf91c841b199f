"""Times as the shop reads them: 24-hour clock, the shop's local time zone.

Every time a person sees (console prompts, the scan log, the venue scanner's
"already scanned at 14:02") goes through here, so that one place decides the
zone and the format.  Stored times are UTC; ``zone()`` is the shop's zone
(the server's local zone until a shop time zone setting names another).
"""

from __future__ import annotations

import datetime as dt


def zone() -> dt.tzinfo | None:
    """The shop's time zone (None: the server's local zone)."""
    return None


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored time (UTC; naive values are taken as UTC) in the shop's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone())


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time in the shop's zone, formatted (24-hour by default)."""
    return "" if value is None else to_local(value).strftime(fmt)


def clock(value: dt.datetime | None) -> str:
    """The time of day alone, 24-hour: ``14:02``."""
    return local(value, "%H:%M")


def when(value: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """The time alone when it is today in the shop, else the date and time."""
    if value is None:
        return ""
    shown = to_local(value)
    today = to_local(now or dt.datetime.now(dt.UTC)).date()
    return shown.strftime("%H:%M") if shown.date() == today else shown.strftime("%Y-%m-%d %H:%M")
