"""Tokens from `seatctl login`, one per profile, in an owner-only file beside the config,
each with the base URL it was issued by: a token is sent only to that origin."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import tomlkit

from seatctl.config.paths import config_file
from seatctl.config.store import write_private
from seatctl.errors import ConfigError

CREDENTIALS_NAME = "credentials.toml"


def credentials_path(env: Mapping[str, str] | None = None) -> Path:
    """Next to the config file (so SEATCTL_CONFIG moves both)."""
    return config_file(env).parent / CREDENTIALS_NAME


def read_token(path: Path, profile: str) -> str | None:
    token = _entry(path, profile).get("token")
    return token if isinstance(token, str) and token else None


def token_origin(path: Path, profile: str) -> str | None:
    """The base URL the profile's stored token was issued by; None for a token stored
    before seatctl recorded it (sent as before)."""
    issued_by = _entry(path, profile).get("base_url")
    return issued_by if isinstance(issued_by, str) and issued_by else None


def store_token(path: Path, profile: str, token: str, base_url: str) -> None:
    document = _document(path)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    profiles[profile] = {"token": token, "base_url": base_url}
    write_private(path, tomlkit.dumps(document))


def _entry(path: Path, profile: str) -> Mapping[str, object]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"credentials file {path} is unreadable ({exc}); delete it and "
                          "run `seatctl login` again", source=str(path)) from None
    entry = document.get("profiles", {}).get(profile, {})
    return entry if isinstance(entry, dict) else {}


def remove_token(path: Path, profile: str) -> bool:
    document = _document(path)
    profiles = document.get("profiles", {})
    if profile not in profiles:
        return False
    del profiles[profile]
    write_private(path, tomlkit.dumps(document))
    return True


def _document(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except Exception as exc:  # a damaged file is replaced by a fresh one on the next login
        raise ConfigError(f"credentials file {path} is unreadable ({exc}); delete it and "
                          "run `seatctl login` again", source=str(path)) from None
