"""The active profile and base URL as `seatctl.config.settings` chooses them, without
validating anything: for TAB, which runs seatctl on every key press. The standard library
only (no pydantic), nothing written, and a config file that cannot be read counts as empty
(a completer never prints an error into the user's shell). Tests keep this and
`load_settings` in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from seatctl.config.paths import config_file

DEFAULT_PROFILE = "default"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def active_settings(flags: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, str]:
    """The active profile and base URL, as `load_settings` would choose them (unvalidated):
    --profile, SEATCTL_PROFILE, the file's `profile`, "default"; --base-url,
    SEATCTL_BASE_URL, the profile's table, the file's top level, the default. `flags` are
    the root command's parameters."""
    variables = {name.lower(): value for name, value in env.items() if value != ""}
    profile = _text(flags.get("profile")) or _text(variables.get("seatctl_profile"))
    base_url = _text(flags.get("base_url")) or _text(variables.get("seatctl_base_url"))
    if profile is None or base_url is None:  # the file is read only when it must be
        document = read_document(config_file(env))
        profile = profile or _text(document.get("profile")) or DEFAULT_PROFILE
        base_url = base_url or profile_base_url(document, profile)
    return profile, base_url.strip().rstrip("/")


def profile_base_url(document: Mapping[str, Any], profile: str) -> str:
    """The base URL `profile` has in the config file: its table's, the top level's, or the
    default."""
    return _text(_table(document, profile).get("base_url")) \
        or _text(document.get("base_url")) or DEFAULT_BASE_URL


def read_document(path: os.PathLike[str]) -> dict[str, Any]:
    """The config file's TOML; empty when it is missing or cannot be read."""
    try:
        with open(path, "rb") as handle:
            import tomllib  # only here: seatctl.cli.app imports this module on every start

            return tomllib.load(handle)
    except (OSError, ValueError):  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        return {}


def profile_names(document: Mapping[str, Any]) -> list[str]:
    """"default" and the profiles the file defines with a valid name."""
    profiles = document.get("profiles")
    defined = sorted(profiles) if isinstance(profiles, dict) else []
    return list(dict.fromkeys([DEFAULT_PROFILE, *(name for name in defined
                                                  if _profile_name(name))]))


def _table(document: Mapping[str, Any], profile: str) -> Mapping[str, Any]:
    profiles = document.get("profiles")
    table = profiles.get(profile) if isinstance(profiles, dict) else None
    return table if isinstance(table, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _profile_name(name: str) -> bool:
    """As `check_profile_name` accepts them: any other name fails as --profile."""
    return bool(name) and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name)
