"""Every time a person reads is the shop's clock, 24-hour: the shop's time zone, not the server's."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from backoffice.settings import SettingsError, load_settings
from backoffice.shop_time import local_time, short_time
from tests.support.api import Api
from tests.support.database import fresh_database
from tests.support.server import start_in_thread
from tests.support.staff import register_id, sign_in

UTC = dt.UTC


def test_a_stored_utc_time_is_shown_on_the_shops_clock_in_24_hours():
    winter = dt.datetime(2026, 1, 15, 13, 2, tzinfo=UTC)
    summer = dt.datetime(2026, 7, 15, 13, 2, tzinfo=UTC)
    assert local_time(winter, "Europe/Stockholm") == "2026-01-15 14:02"
    assert local_time(summer, "Europe/Stockholm") == "2026-07-15 15:02"
    assert local_time(summer, "America/New_York", "%H:%M") == "09:02"
    assert local_time("2026-07-15T13:02:00+00:00", "Europe/Stockholm") == "2026-07-15 15:02"  # views carry ISO text
    assert local_time(dt.datetime(2026, 7, 15, 22, 30, tzinfo=UTC), "Europe/Stockholm", "%H:%M") == "00:30"
    assert local_time(None, "Europe/Stockholm") == ""


def test_today_is_the_shops_today():
    late = dt.datetime(2026, 7, 15, 22, 30, tzinfo=UTC)  # 00:30 on the 16th in Stockholm
    assert short_time(late, "Europe/Stockholm", now=dt.datetime(2026, 7, 15, 23, 0, tzinfo=UTC)) == "00:30"
    assert short_time(late, "Europe/Stockholm", now=dt.datetime(2026, 7, 17, 9, 0, tzinfo=UTC)) == "2026-07-16 00:30"


def test_an_unknown_time_zone_or_language_is_refused_with_what_to_change():
    with pytest.raises(SettingsError, match="Europe/Stockholm"):
        load_settings(environ={"BACKOFFICE_SHOP_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(SettingsError, match="sv, en, fr"):
        load_settings(environ={"BACKOFFICE_SHOP_LANGUAGE": "de"})


def test_the_console_shows_the_sale_opening_in_the_shops_zone_not_the_servers(tmp_path):
    with fresh_database(tmp_path) as url:
        shop = start_in_thread(tmp_path, url, shop_timezone="Asia/Tokyo")
        try:
            register, _ = shop.register_with_kiosk("Kassa Tokyo")
            sale = Api(shop.base_url, shop.api_key()).post("/api/v1/sales", {"register": register}).json()
            opened = dt.datetime.fromisoformat(sale["opened_at"])
            username, password = shop.staff("cashier")
            panel = sign_in(shop.base_url, username, password).get(
                f"/console/{register_id(shop, register)}/panel").text
            tokyo = local_time(opened, "Asia/Tokyo", "%H:%M")
            assert re.search(rf"Open since {tokyo}\b", panel), panel
            assert tokyo != opened.astimezone(UTC).strftime("%H:%M")  # nine hours ahead of UTC, the server's zone
        finally:
            shop.stop()
