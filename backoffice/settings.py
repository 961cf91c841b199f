"""Backoffice settings: defaults that run the demo, a config file, then the environment.

Order of precedence (last wins): built-in defaults, the INI file named by
``BACKOFFICE_CONFIG`` (section ``[backoffice]``), environment variables
``BACKOFFICE_<NAME>`` (and ``DATABASE_URL``).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from counter_core.config import ConfigError
from counter_core.config import load_settings as load_dataclass

SHOP_LANGUAGES = ("sv", "en", "fr")  # the staff pages' catalogues (backoffice/locale)
SettingsError = ConfigError  # a setting that cannot be used; the message says what to change


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/backoffice")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    secret_key: str = field(default="", repr=False)
    shop_name: str = "Café Linnea"
    default_region: str = "SE"
    shop_language: str = "sv"  # staff pages, e-mails and demo names; a staff member may pick another
    shop_timezone: str = "Europe/Stockholm"  # every time on a staff page is shown in this zone, 24-hour
    registration_ttl_seconds: int = 600
    mobile_session_ttl_seconds: int = 120
    max_body_bytes: int = 65536
    long_poll_seconds: float = 25.0
    session_cookie_secure: bool = False
    session_max_age_seconds: int = 12 * 3600
    identify_rate_per_minute: int = 30
    identify_lockout_failures: int = 10
    identify_lockout_seconds: int = 300
    identify_lockout_window_seconds: int = 300  # misses counted over this long; 0 in a rate or count turns it off
    # Staff sign-in: this many wrong attempts per typed username (per client address: ADDRESS_FACTOR times as
    # many) are free, then each further one locks it for twice as long as the last, from the first lock up
    # to the longest; a day without failures forgets them (services/login_lockout.py).
    login_free_failures: int = 5
    login_lockout_seconds: int = 30
    login_lockout_max_seconds: int = 3600
    verify_rescan_seconds: int = 600  # a venue scanner says "already scanned at 14:02" within this (0: never)
    mail_outbox_dir: Path | None = None
    smtp_url: str = ""
    purge_interval_seconds: int = 60
    # How long rows are kept, in days (0: for ever); see services/retention.py.
    retention_days_audit: int = 365
    retention_days_verify_scans: int = 90
    retention_days_idempotency: int = 7
    retention_days_register_events: int = 7
    retention_days_mail: int = 90
    backup_keep: int = 14  # `backoffice backup` keeps this many timestamped files in data_dir/backups
    workers: int = 1
    log_level: str = "info"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file behind ``database_url``, or None for another database."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix):])
        return None

    @property
    def base_url(self) -> str:
        """The URL phones and printed cards use to reach this server."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from the optional config file and the environment."""
    settings = load_dataclass(Settings, section="backoffice", env_prefix="BACKOFFICE_",
                              file_variable="BACKOFFICE_CONFIG", environ=environ,
                              aliases={"DATABASE_URL": "database_url"}, overrides=overrides)
    return _complete(settings)


def _check_shop_locale(settings: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(settings.shop_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"shop_timezone {settings.shop_timezone!r} is not a time zone; use one such as "
                            "Europe/Stockholm.") from exc
    if settings.shop_language not in SHOP_LANGUAGES:
        raise SettingsError(f"shop_language {settings.shop_language!r} is not one of {', '.join(SHOP_LANGUAGES)}.")


def _complete(settings: Settings) -> Settings:
    _check_shop_locale(settings)
    data_dir = Path(settings.data_dir).expanduser()
    url = settings.database_url or f"sqlite:///{(data_dir / 'backoffice.sqlite3').resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    outbox = settings.mail_outbox_dir or data_dir / "mail-outbox"
    return replace(settings, data_dir=data_dir, database_url=url, mail_outbox_dir=Path(outbox))


def ensure_secret(settings: Settings) -> Settings:
    """Return settings with a secret key: from the environment, or a 0600 file in the data dir.

    The key protects lookup hashes, encrypted personal data and sessions, so a
    file readable by others is refused rather than used.
    """
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise SettingsError("BACKOFFICE_SECRET_KEY must be at least 32 characters.")
        return settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"{path} is readable by other users (mode {mode:o}); run 'chmod 600 {path}' and start again."
        )
    return replace(settings, secret_key=path.read_text().strip())
