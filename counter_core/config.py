"""One way to read settings for both apps: dataclass defaults, then an INI file, then the environment.

``load_settings(Kind, ...)`` fills a frozen dataclass from the section of the INI
file that an environment variable names (``KIOSK_CONFIG``, ``BACKOFFICE_CONFIG``)
and from ``<PREFIX><FIELD>`` environment variables, each converted to the
field's type.  A value that is not of its type, or a key nobody knows, is
refused with a message naming it: a typo such as ``fullscreen = ture`` must not
quietly mean "false" on a kiosk at a counter.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import TypeVar

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})
T = TypeVar("T")


class ConfigError(RuntimeError):
    """A setting that cannot be used; the message says which and what to change."""


def parse_bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConfigError(f"Setting {name}={raw!r} should be true or false (yes/no, on/off, 1/0).")


def _field_kind(hint: object) -> tuple[type, bool]:
    """The type a setting's text becomes, and whether it may be None."""
    optional = False
    if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0] if len(args) == 1 else str
    return (hint if isinstance(hint, type) else str), optional


def coerce(name: str, raw: str, hint: object) -> object:
    """Turn a setting's text into its field's type; raise ConfigError naming the setting."""
    kind, optional = _field_kind(hint)
    text = raw.strip()
    if optional and not text:
        return None
    if kind is bool:
        return parse_bool(name, raw)
    try:
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ConfigError(f"Setting {name}={raw!r} is not a valid {kind.__name__}.") from None
    if kind is Path:
        return Path(text).expanduser()
    return raw if kind is str else text


def read_ini(path: str, section: str) -> dict[str, str]:
    """The keys of one section of an INI file (no interpolation: a % in a password stays a %)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        found = parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc}") from None
    if not found:
        raise ConfigError(f"Config file {path} cannot be read.")
    return dict(parser.items(section)) if parser.has_section(section) else {}


def load_settings(
    kind: type[T],
    *,
    section: str,
    env_prefix: str,
    file_variable: str,
    environ: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> T:
    """Defaults, then the INI file named by ``environ[file_variable]``, then ``<env_prefix><NAME>`` variables.

    ``aliases`` maps extra environment variables to fields (``DATABASE_URL``); ``overrides``
    are already-typed values from code (the demo, tests) and win over everything.
    """
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(kind)
    known = {f.name: hints[f.name] for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    values: dict[str, str] = {}
    path = env.get(file_variable)
    if path:
        values.update(read_ini(path, section))
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"Unknown setting(s) in {path}: {', '.join(unknown)}.")
    for name in known:
        variable = env_prefix + name.upper()
        if variable in env:
            values[name] = env[variable]
    for variable, name in (aliases or {}).items():
        if variable in env and name not in (overrides or {}):
            values[name] = env[variable]
    typed: dict[str, object] = {name: coerce(name, raw, known[name]) for name, raw in values.items()}
    unknown = sorted(set(overrides or {}) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}.")
    typed.update(overrides or {})
    return kind(**typed)
