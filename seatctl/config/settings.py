"""The settings model and its layered loading, with the source of every value recorded.

Precedence, lowest first: built-in defaults, the config file's top-level keys, the config
file's `[profiles.NAME]` table, `SEATCTL_*` environment variables, command-line flags. The
profile itself is chosen by `--profile`, then `SEATCTL_PROFILE`, then the file's top-level
`profile` key, then "default".
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from seatctl.config.paths import config_file
from seatctl.errors import ConfigError

ENV_PREFIX = "SEATCTL_"
DEFAULT_PROFILE = "default"
DEFAULT_SOURCE = "default"


class Settings(BaseSettings):
    """Everything a command may be configured with. Field names are the config keys."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    profile: str = Field(DEFAULT_PROFILE, description="active profile")
    base_url: str = Field("http://127.0.0.1:8080", description="API base URL")
    token: SecretStr | None = Field(None, description="bearer token (secret)")
    connect_timeout: float = Field(5.0, gt=0, description="TCP+TLS connect timeout, seconds")
    read_timeout: float = Field(30.0, gt=0, description="wait for response bytes, seconds")
    write_timeout: float = Field(30.0, gt=0, description="send the request, seconds")
    pool_timeout: float = Field(5.0, gt=0, description="wait for a pooled connection, seconds")
    retries: int = Field(3, ge=0, le=20, description="retries after the first attempt")
    retry_deadline: float = Field(
        30.0, gt=0, description="total time for all attempts of one request, seconds"
    )
    timeout: float | None = Field(None, gt=0, description="overall deadline per command, seconds")
    verify_tls: bool = Field(True, description="verify TLS certificates")
    ca_bundle: Path | None = Field(None, description="extra CA bundle (PEM) to trust")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"has an invalid port ({exc})") from None
        return value.rstrip("/")

    @field_validator("profile")
    @classmethod
    def _profile_name(cls, value: str) -> str:
        if not value or not all(ch.isalnum() or ch in "-_." for ch in value):
            raise ValueError("must be letters, digits, '-', '_' or '.'")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Layers are merged by `load_settings`, which must know each value's source; the
        # model itself only validates what it is handed.
        return (init_settings,)


KEYS: tuple[str, ...] = tuple(Settings.model_fields)
SECRET_KEYS = frozenset({"token"})


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: Mapping[str, str]
    path: Path


def load_settings(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> LoadedSettings:
    """Merge every layer, validate, and remember where each value came from."""
    env = dict(os.environ if env is None else env)
    path = config_file(env) if path is None else path
    cli = {key: value for key, value in (cli or {}).items() if value is not None}
    document = read_config_document(path)
    env_values = _env_layer(env)
    profile_layers = [("command line --profile", cli), (f"environment {ENV_PREFIX}PROFILE",
                      env_values), (f"config file {path}", document)]
    profile, profile_source = DEFAULT_PROFILE, DEFAULT_SOURCE
    for source, layer in profile_layers:
        if "profile" in layer:
            profile, profile_source = str(layer["profile"]), source
            break
    layers = [
        (f"config file {path}", _top_level(document)),
        (f"config file {path} [profiles.{profile}]", _profile_table(document, profile, path)),
        *((f"environment {ENV_PREFIX}{key.upper()}", {key: value})
          for key, value in env_values.items()),
        *((f"command line --{key.replace('_', '-')}", {key: value})
          for key, value in cli.items()),
    ]
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {key: DEFAULT_SOURCE for key in KEYS}
    for source, layer in layers:
        for key, value in layer.items():
            merged[key] = value
            sources[key] = source
    merged["profile"], sources["profile"] = profile, profile_source
    return LoadedSettings(_validate(merged, sources), sources, path)


def read_config_document(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}",
                          source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}",
                          source=str(path)) from None


def validate_value(key: str, value: Any, source: str) -> Any:
    """Check one value as `config set` would store it; returns the validated value."""
    if key not in KEYS:
        raise ConfigError(f"unknown key {key!r}; known keys: {', '.join(KEYS)}", key=key)
    settings = _validate({key: value}, {key: source})
    validated = getattr(settings, key)
    if isinstance(validated, SecretStr):
        return validated.get_secret_value()
    return str(validated) if isinstance(validated, Path) else validated


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    source = EnvSettingsSource(Settings, env_prefix=ENV_PREFIX, case_sensitive=False)
    source.env_vars = {name.lower(): value for name, value in env.items()}
    return {key: value for key, value in source().items() if key in KEYS}


def _top_level(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in ("profiles", "profile")}


def _profile_table(document: Mapping[str, Any], profile: str, path: Path) -> dict[str, Any]:
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: 'profiles' must be a table of tables",
                          source=str(path))
    table = profiles.get(profile, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [profiles.{profile}] must be a table",
                          source=str(path))
    return dict(table)


def _validate(values: Mapping[str, Any], sources: Mapping[str, str]) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise _config_error(exc, values, sources) from None


def _config_error(
    exc: ValidationError, values: Mapping[str, Any], sources: Mapping[str, str]
) -> ConfigError:
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else "?"
    source = sources.get(key, DEFAULT_SOURCE)
    if error["type"] == "extra_forbidden":
        return ConfigError(
            f"unknown key {key!r} (from {source}); known keys: {', '.join(KEYS)}",
            key=key, source=source,
        )
    shown = "****" if key in SECRET_KEYS else repr(values.get(key))
    reason = str(error["msg"]).removeprefix("Value error, ")
    return ConfigError(f"invalid {key} = {shown} (from {source}): {reason}", key=key,
                       source=source)
