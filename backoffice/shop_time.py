"""The shop's clock: every time a person reads (pages, e-mails, exports) is local shop time, 24-hour.

Times are stored in UTC; ``settings.shop_timezone`` says where the shop is, so
a server in another zone (or in UTC, as containers are) still shows 14:02 for
a sale rung up at two in the afternoon in Stockholm.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

DATE_TIME = "%Y-%m-%d %H:%M"


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(value: dt.datetime | str | None, timezone: str, fmt: str = DATE_TIME) -> str:
    """A stored time (or its ISO text, as views carry it) as the shop's clock shows it, 24-hour by default."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored times are UTC; a naive one is taken as UTC too
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone(timezone)).strftime(fmt)


def short_time(value: dt.datetime | None, timezone: str, now: dt.datetime | None = None) -> str:
    """The time alone when it is today in the shop, else the date and time."""
    if value is None:
        return ""
    here = zone(timezone)
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(here)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(here).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime(DATE_TIME)


# Services (console prompts, lockouts, the venue scanner's "already scanned at 14:02") format times
# without a request at hand: the backoffice sets the shop's zone once, from its settings, at start.
_shop_zone = "Europe/Stockholm"


def use_shop_zone(timezone: str) -> None:
    """Make ``clock`` and ``shop_local`` show times in this zone (``Runtime.build`` calls it)."""
    global _shop_zone
    zone(timezone)  # refuse an unknown zone now, not at the first time shown
    _shop_zone = timezone


def shop_local(value: dt.datetime | None, fmt: str = DATE_TIME) -> str:
    """A stored time in the shop's zone set by ``use_shop_zone``, 24-hour by default."""
    return local_time(value, _shop_zone, fmt)


def clock(value: dt.datetime | None) -> str:
    """The time of day alone on the shop's 24-hour clock: ``14:02``."""
    return shop_local(value, "%H:%M")
