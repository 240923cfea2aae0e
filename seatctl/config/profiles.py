"""The profiles of the config file (`config profiles`), switching between them (`config
use`), like kubectl's contexts, and writing one setting (`config set`, `config unset`).
Nothing here prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seatctl.config.settings import (
    DEFAULT_SOURCE,
    KEYS,
    Settings,
    active_profile,
    check_profile_name,
    env_layer,
    existing_profile,
    profile_names,
    profile_table,
    read_config_document,
    selected_profile,
    top_level,
    unknown_key,
    validate_value,
)
from seatctl.config.store import set_value, unset_value
from seatctl.errors import ConfigError, UsageError

USE_SOURCE = "command line `config use`"


@dataclass(frozen=True)
class Profile:
    name: str
    active: bool
    base_url: Any  # as the file writes it (not validated: a listing shows what is there)
    base_url_source: str


@dataclass(frozen=True)
class ProfileListing:
    path: Path
    active: str
    active_source: str  # what chose it: --profile, SEATCTL_PROFILE, the file, or "default"
    problem: ConfigError | None  # why the chosen profile cannot be used, if it cannot
    profiles: tuple[Profile, ...]


@dataclass(frozen=True)
class Switch:
    path: Path
    profile: str
    previous: str | None  # the file's top-level `profile` before, if it had one
    changed: bool


def list_profiles(flag: str | None, env: Mapping[str, str], path: Path) -> ProfileListing:
    """Every profile (the default one always), which is active and why, and the base URL
    each would use from the file. A chosen profile that does not exist is reported, not
    raised: listing the profiles is how one finds the right name."""
    document = read_config_document(path)
    active, source = selected_profile(flag, env_layer(env), document, path)
    problem = None
    try:
        existing_profile(active, source, document, path)
    except ConfigError as exc:
        problem = exc
    profiles = tuple(_profile(document, name, name == active, path)
                     for name in profile_names(document, path))
    return ProfileListing(path, active, source, problem, profiles)


def use_profile(name: str, path: Path) -> Switch:
    """Write the top-level `profile = NAME`, which makes NAME the default profile; NAME must
    exist in the file (or be "default")."""
    document = read_config_document(path)
    existing_profile(name, USE_SOURCE, document, path)
    previous = document.get("profile")
    previous = previous if isinstance(previous, str) else None
    changed = previous != name
    if changed:
        set_value(path, None, "profile", name)
    return Switch(path, name, previous, changed)


def overridden_by_environment(name: str, env: Mapping[str, str]) -> str | None:
    """After `config use NAME`: what SEATCTL_PROFILE chooses instead, if it chooses another
    profile (it outranks the file, so `config use` would seem not to work)."""
    overriding = env_layer(env).get("profile")
    return overriding if overriding is not None and overriding != name else None


@dataclass(frozen=True)
class Change:
    """One key written (`config set`) or removed (`config unset`)."""

    path: Path
    profile: str | None  # the profile table written; None: the top level
    key: str
    value: Any  # as stored; None for a removal
    changed: bool  # False: a removal of a key that was not set


def set_setting(key: str, value: str, *, profile: str | None, active: str | None,
                env: Mapping[str, str], path: Path) -> Change:
    """Validate VALUE and write KEY = VALUE into the profile's table (`profile`, else the
    active one, chosen by `active` and `env`); `profile` itself goes to the top level, and
    the profile it selects must exist, or every later command fails."""
    stored = validate_value(key, value, f"command line `config set {key}`")
    table = _table_written(key, profile, active, env, path)
    if key == "profile":
        existing_profile(stored, "command line `config set profile`",
                         read_config_document(path), path)
    set_value(path, table, key, stored)
    return Change(path, table, key, stored, changed=True)


def unset_setting(key: str, *, profile: str | None, active: str | None,
                  env: Mapping[str, str], path: Path) -> Change:
    """Remove KEY from the profile's table, so the next layer's value applies again."""
    if key not in KEYS:
        raise unknown_key(key)
    table = _table_written(key, profile, active, env, path)
    return Change(path, table, key, None, changed=unset_value(path, table, key))


def _table_written(key: str, profile: str | None, active: str | None,
                   env: Mapping[str, str], path: Path) -> str | None:
    """The profile's table, or the top level (None) for `profile`. Only what choosing the
    table needs is read, so a broken setting elsewhere can be fixed."""
    if key == "profile":
        return None
    if profile is not None:
        try:
            return check_profile_name(profile)
        except ValueError as exc:
            raise UsageError(f"invalid --profile {profile!r}: {exc}") from None
    return active_profile(active, env, path)


def _profile(document: Mapping[str, Any], name: str, active: bool, path: Path) -> Profile:
    table, top = profile_table(document, name, path), top_level(document)
    if "base_url" in table:
        return Profile(name, active, table["base_url"], f"config file {path} [profiles.{name}]")
    if "base_url" in top:
        return Profile(name, active, top["base_url"], f"config file {path}")
    return Profile(name, active, Settings.model_fields["base_url"].default, DEFAULT_SOURCE)
