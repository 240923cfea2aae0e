"""The profiles of the config file (`config profiles`) and switching between them
(`config use`), like kubectl's contexts. Nothing here prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seatctl.config.settings import (
    DEFAULT_SOURCE,
    Settings,
    env_layer,
    existing_profile,
    profile_names,
    profile_table,
    read_config_document,
    selected_profile,
    top_level,
)
from seatctl.config.store import set_value
from seatctl.errors import ConfigError

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


def _profile(document: Mapping[str, Any], name: str, active: bool, path: Path) -> Profile:
    table, top = profile_table(document, name, path), top_level(document)
    if "base_url" in table:
        return Profile(name, active, table["base_url"], f"config file {path} [profiles.{name}]")
    if "base_url" in top:
        return Profile(name, active, top["base_url"], f"config file {path}")
    return Profile(name, active, Settings.model_fields["base_url"].default, DEFAULT_SOURCE)
