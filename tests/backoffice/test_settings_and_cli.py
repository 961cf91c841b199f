"""Settings, the secret key file, the backoffice command and the demo seed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from backoffice.settings import SettingsError, ensure_secret, load_settings
from tests.support.database import fresh_database


def test_database_url_defaults_to_an_sqlite_file_in_the_data_dir(tmp_path):
    settings = load_settings(environ={"BACKOFFICE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'backoffice.sqlite3').resolve()}"
    assert load_settings(environ={"DATABASE_URL": "postgresql://u:p@h/db"}).database_url.startswith("postgresql+psycopg://")


def test_config_file_is_read_and_environment_wins(tmp_path):
    config = tmp_path / "backoffice.ini"
    config.write_text("[backoffice]\nshop_name = Kafé Kvarnen\nport = 9000\n")
    settings = load_settings(environ={"BACKOFFICE_CONFIG": str(config), "BACKOFFICE_PORT": "9100"})
    assert settings.shop_name == "Kafé Kvarnen" and settings.port == 9100


def test_unknown_or_mistyped_settings_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(SettingsError, match="not a valid int"):
        load_settings(environ={"BACKOFFICE_PORT": "eighty"})
    config = tmp_path / "bad.ini"
    config.write_text("[backoffice]\nshopname = typo\n")
    with pytest.raises(SettingsError, match="Unknown setting"):
        load_settings(environ={"BACKOFFICE_CONFIG": str(config)})


def test_secret_key_file_is_created_private_and_refused_when_readable_by_others(tmp_path):
    settings = ensure_secret(load_settings(environ={}, data_dir=tmp_path))
    path = tmp_path / "secret.key"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and len(settings.secret_key) >= 32
    assert ensure_secret(load_settings(environ={}, data_dir=tmp_path)).secret_key == settings.secret_key
    path.chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        ensure_secret(load_settings(environ={}, data_dir=tmp_path))


def _cli(tmp_path, url, *args, stdin=None):
    env = {**os.environ, "BACKOFFICE_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "backoffice", *args], env=env, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_cli_pairs_a_kiosk_creates_staff_and_seeds_the_demo_once(tmp_path):
    with fresh_database(tmp_path) as url:
        paired = _cli(tmp_path, url, "pair-kiosk", "--register", "Till 9", "--create-register")
        assert paired.returncode == 0, paired.stderr
        assert paired.stdout.strip().splitlines()[-1].startswith("kd_")
        missing = _cli(tmp_path, url, "pair-kiosk", "--register", "Nowhere")
        assert missing.returncode == 2 and "no register called" in missing.stderr
        staff = _cli(tmp_path, url, "create-staff", "erika", "--role", "manager", "--password-stdin", stdin="plum-kettle-harbour\n")
        assert staff.returncode == 0, staff.stderr
        weak = _cli(tmp_path, url, "create-staff", "olof", "--password-stdin", stdin="short\n")
        assert weak.returncode == 2 and "at least 8" in weak.stderr
        seeded = _cli(tmp_path, url, "seed-demo", "--customers", "40")
        assert seeded.returncode == 0, seeded.stderr
        assert "Customers created: 40" in seeded.stdout and "manager / manager-demo" in seeded.stdout
        token = (tmp_path / "demo-kiosk.token").read_text().strip()
        assert token in seeded.stdout and oct((tmp_path / "demo-kiosk.token").stat().st_mode & 0o777) == "0o600"
        (tmp_path / "small").mkdir()
        with fresh_database(tmp_path / "small") as small_url:  # fewer customers than linked demo cards
            small = _cli(tmp_path / "small", small_url, "seed-demo", "--customers", "5")
            assert small.returncode == 0 and "Customers created: 5" in small.stdout, small.stderr
        again = _cli(tmp_path, url, "seed-demo")
        assert "Customers created: 0" in again.stdout and token in again.stdout
