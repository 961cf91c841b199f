"""Kiosk configuration: defaults that run the demo, the INI file, then the environment.

The INI file is ``KIOSK_CONFIG`` (on the Pi ``/etc/kiosk/kiosk.ini``), section
``[kiosk]``; each key can be overridden by ``KIOSK_<KEY>`` in the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from counter_core.config import ConfigError, load_settings

from .pairing_store import read_pairing

__all__ = ["ConfigError", "KioskConfig", "load_config", "validate"]


@dataclass(frozen=True)
class KioskConfig:
    backoffice_url: str = "http://127.0.0.1:8000"
    device_token: str = field(default="", repr=False)
    device_token_file: str = ""
    camera: str = "0"
    camera_width: int = 1280
    camera_height: int = 720
    camera_fps: int = 30
    scan_rate: float = 10.0
    language: str = "sv"
    languages: str = "sv,en,fr"
    shop_name: str = "Café Linnea"
    logo: str = ""
    idle_timeout_seconds: float = 60.0
    idle_warning_seconds: float = 20.0
    welcome_seconds: float = 8.0
    result_seconds: float = 12.0
    verify_result_seconds: float = 4.0
    fullscreen: bool = True
    width: int = 1280
    height: int = 800
    rotation: int = 0
    touch_device: str = ""
    text_scale: float = 1.0
    sound: bool = True
    state_dir: str = "var/kiosk"
    request_timeout_seconds: float = 8.0
    status_report_seconds: float = 60.0

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir).expanduser()

    @property
    def token_configured(self) -> bool:
        """A token is set by hand (``device_token`` or ``device_token_file``): it wins over a stored pairing."""
        return bool(self.device_token or self.device_token_file)

    def token(self) -> str:
        """The device token: the setting, the token file (which keeps it out of process listings), or else the
        pairing stored when the kiosk was paired by camera; "" when the kiosk is not paired."""
        if self.device_token:
            return self.device_token.strip()
        if self.device_token_file:
            try:
                return Path(self.device_token_file).expanduser().read_text().strip()
            except OSError as exc:
                raise ConfigError(f"Cannot read the device token file {self.device_token_file}: {exc}") from exc
        stored = read_pairing(self.state_path)
        return stored.device_token if stored else ""


def load_config(environ: dict[str, str] | None = None, **overrides: object) -> KioskConfig:
    """Read the INI file named by KIOSK_CONFIG (if any), then KIOSK_* environment variables."""
    config = load_settings(KioskConfig, section="kiosk", env_prefix="KIOSK_", file_variable="KIOSK_CONFIG",
                           environ=environ, overrides=overrides)
    return with_stored_pairing(validate(config))


def with_stored_pairing(config: KioskConfig) -> KioskConfig:
    """Paired by camera (no token set by hand): talk to the backoffice the pairing code came from.

    That address is the one the kiosk has just reached from where it stands; ``backoffice_url`` is only
    where an unpaired kiosk looks for the backoffice when it is given a typed code.
    """
    if config.token_configured:
        return config
    stored = read_pairing(config.state_path)
    return replace(config, backoffice_url=stored.backoffice_url) if stored else config


def validate(config: KioskConfig) -> KioskConfig:
    if not config.backoffice_url.startswith(("http://", "https://")):
        raise ConfigError("backoffice_url must start with http:// or https://.")
    if config.rotation not in (0, 90, 180, 270):
        raise ConfigError("rotation must be 0, 90, 180 or 270.")
    if config.language not in config.language_list:
        raise ConfigError(f"language {config.language!r} is not one of languages ({config.languages}).")
    if not 0.5 <= config.text_scale <= 2.5:
        raise ConfigError("text_scale must be between 0.5 and 2.5.")
    if config.idle_timeout_seconds < 10 or config.idle_warning_seconds < 5:
        raise ConfigError("idle_timeout_seconds must be at least 10 and idle_warning_seconds at least 5.")
    return replace(config, backoffice_url=config.backoffice_url.rstrip("/"))
