"""The settings model and its layered loading, with the source of every value recorded.

Precedence, lowest first: built-in defaults, the config file's top-level keys, the config
file's `[profiles.NAME]` table, the token `seatctl login` stored for the profile,
`SEATCTL_*` environment variables, command-line flags. The
profile itself is chosen by `--profile`, then `SEATCTL_PROFILE`, then the file's top-level
`profile` key, then "default".
"""

from __future__ import annotations

import difflib
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

from seatctl.config.active import DEFAULT_BASE_URL, DEFAULT_PROFILE
from seatctl.config.credentials import CREDENTIALS_NAME, read_token, token_origin
from seatctl.config.origin import same_origin
from seatctl.config.paths import config_file
from seatctl.config.values import toml_literal
from seatctl.errors import ConfigError, SeatctlError
from seatctl.redact import REDACTED

ENV_PREFIX = "SEATCTL_"
MAX_PHASE_SECONDS = 3600  # explicit timeouts: never infinite, never absurd
MAX_COMMAND_SECONDS = 86400
PROFILE_CHARACTERS = "letters, digits, '-' or '_'"


def check_profile_name(name: str) -> str:
    """Profile names are bare TOML keys, so `[profiles.NAME]` needs no quoting."""
    if not name or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
        raise ValueError(f"must be {PROFILE_CHARACTERS}")
    return name


def check_addressable(url: str) -> None:
    """Raise ValueError unless the HTTP core's URL parser accepts `url`: a host that is not
    valid IDNA, or text that cannot be encoded (a lone surrogate), would otherwise fail at
    the first request instead of as a setting."""
    import httpx

    try:
        httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError) as exc:
        reason = str(exc).encode("ascii", "backslashreplace").decode("ascii")
        raise ValueError(f"is not a valid URL ({reason})") from None


DEFAULT_SOURCE = "default"


class Settings(BaseSettings):
    """Everything a command may be configured with. Field names are the config keys."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    profile: str = Field(DEFAULT_PROFILE, description="active profile")
    base_url: str = Field(DEFAULT_BASE_URL, description="API base URL")
    token: SecretStr | None = Field(None, description="bearer token (secret)")
    connect_timeout: float = Field(5.0, description="TCP+TLS connect timeout, seconds",
                                   gt=0, le=MAX_PHASE_SECONDS, allow_inf_nan=False)
    read_timeout: float = Field(30.0, description="wait for response bytes, seconds",
                                gt=0, le=MAX_PHASE_SECONDS, allow_inf_nan=False)
    write_timeout: float = Field(30.0, description="send the request, seconds",
                                 gt=0, le=MAX_PHASE_SECONDS, allow_inf_nan=False)
    pool_timeout: float = Field(5.0, description="wait for a pooled connection, seconds",
                                gt=0, le=MAX_PHASE_SECONDS, allow_inf_nan=False)
    retries: int = Field(3, ge=0, le=20, description="retries after the first attempt")
    # Twice the read timeout: a request that timed out once still gets one more try.
    retry_deadline: float = Field(
        60.0, description="total time for all attempts of one request, seconds",
        gt=0, le=MAX_COMMAND_SECONDS, allow_inf_nan=False,
    )
    timeout: float | None = Field(None, description="overall deadline per command, seconds",
                                  gt=0, le=MAX_COMMAND_SECONDS, allow_inf_nan=False)
    verify_tls: bool = Field(True, description="verify TLS certificates")
    ca_bundle: Path | None = Field(None, description="extra CA bundle (PEM) to trust")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not contain credentials (user:password@): use the token")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment: give the API's root URL")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"has an invalid port ({exc})") from None
        check_addressable(value)
        return value.rstrip("/")

    @field_validator("profile")
    @classmethod
    def _profile_name(cls, value: str) -> str:
        return check_profile_name(value)

    @field_validator("token")
    @classmethod
    def _token_text(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise ValueError("must be printable ASCII without spaces (a bearer token)")
        return SecretStr(token)

    @field_validator("ca_bundle")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        try:
            exists = value is None or value.expanduser().is_file()
        except (OSError, RuntimeError):  # a name too long for the OS, an unknown ~user
            exists = False
        if not exists:
            raise ValueError("must be an existing PEM file")
        return None if value is None else value.expanduser()

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


def shown_value(key: str, value: Any) -> str:
    """A value as messages may show it: secrets masked, others as TOML writes them."""
    if key in SECRET_KEYS:
        return REDACTED
    return toml_literal(value)


def json_value(key: str, value: Any) -> Any:
    """A value as a JSON document carries it: secrets masked, paths as text, None as null."""
    if value is None:
        return None
    if key in SECRET_KEYS:
        return REDACTED
    return str(value) if isinstance(value, Path) else value


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: Mapping[str, str]  # each key's: "default", "config file ...", "environment ..."
    path: Path  # the config file

    def given_for_this_run(self, key: str) -> bool:
        """Whether `key`'s value came from the command line or the environment: this run's
        own, not stored with the profile."""
        return self.sources[key].startswith(("command line", "environment"))

    def token_exposed(self) -> bool:
        """Whether the token comes from a config file that others can read."""
        return self.sources["token"].startswith("config file") and _readable_by_others(
            self.path)

    def login_elsewhere(self, url: str) -> str | None:
        """A token from `seatctl login` goes only to the origin that issued it, not to
        another server a --base-url or SEATCTL_BASE_URL names for this run: that origin,
        when `url` is another one (the token must not go there). None when the token may go
        to `url`: it came from elsewhere, or was stored before seatctl recorded its origin."""
        if not self.sources["token"].startswith("credentials file"):
            return None
        issued_by = token_origin(self.path.parent / CREDENTIALS_NAME, self.settings.profile)
        return None if issued_by is None or same_origin(issued_by, url) else issued_by

    def token_for(self, url: str) -> TokenFor:
        """The token to send to `url`: one stored in the config or credentials file belongs
        to the profile's base_url and never travels to another origin, nor a login token to
        an origin other than the one that issued it; one given for this run (--token,
        SEATCTL_TOKEN) goes where it is told."""
        if self.settings.token is None:
            return TokenFor(None)
        if not self.given_for_this_run("token"):
            if not same_origin(url, self.settings.base_url):
                return TokenFor(None)
            issued_by = self.login_elsewhere(url)
            if issued_by is not None:
                return TokenFor(None, issued_by=issued_by)
        return TokenFor(self.settings.token.get_secret_value())


@dataclass(frozen=True)
class TokenFor:
    """The token that may go to one URL, or None; `issued_by` is the origin of a login
    token kept from it (a note tells the user), None when there is nothing to explain."""

    token: str | None
    issued_by: str | None = None


RUN_ONLY_VARIABLES = ("SEATCTL_TOKEN", "SEATCTL_BASE_URL", "SEATCTL_PROFILE")


def stored_profile_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the variables that name this run's server, token or profile."""
    return {key: value for key, value in env.items() if key not in RUN_ONLY_VARIABLES}


def load_stored_profile(profile: str, cli: Mapping[str, Any], env: Mapping[str, str]
                        ) -> LoadedSettings | None:
    """The settings `profile` keeps for itself, without this run's base URL, token or
    profile (flag or environment): its stored token belongs to the base URL they name.
    None when they do not load."""
    overrides = {**cli, "profile": profile, "base_url": None, "token": None}
    try:
        return load_settings(overrides, stored_profile_env(env))
    except SeatctlError:
        return None


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
    env_values = env_layer(env)
    profile, profile_source = choose_profile(cli.get("profile"), env_values, document, path)
    credentials = path.parent / CREDENTIALS_NAME  # beside the config file, wherever that is
    token = read_token(credentials, profile)
    layers = [
        (f"config file {path}", top_level(document)),
        (f"config file {path} [profiles.{profile}]", profile_table(document, profile, path)),
        (f"credentials file {credentials} [profiles.{profile}]",
         {"token": token} if token else {}),
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


def choose_profile(flag: str | None, env_values: Mapping[str, Any],
                   document: Mapping[str, Any], path: Path) -> tuple[str, str]:
    """The active profile and where it was chosen: --profile, SEATCTL_PROFILE, the file's
    top-level `profile`, else "default". A named profile must exist in the file."""
    name, source = selected_profile(flag, env_values, document, path)
    if source == DEFAULT_SOURCE:
        return name, source
    return existing_profile(name, source, document, path), source


def selected_profile(flag: str | None, env_values: Mapping[str, Any],
                     document: Mapping[str, Any], path: Path) -> tuple[str, str]:
    """The profile named by --profile, SEATCTL_PROFILE or the file (else "default"), and
    where it was named; whether it exists is not checked."""
    candidates = [(flag, "command line --profile"),
                  (env_values.get("profile"), f"environment {ENV_PREFIX}PROFILE"),
                  (document.get("profile"), f"config file {path}")]
    for value, source in candidates:
        if value is not None:
            return str(value), source
    return DEFAULT_PROFILE, DEFAULT_SOURCE


def unknown_key(key: str, source: str | None = None) -> ConfigError:
    where = f" (from {source})" if source else ""
    close = difflib.get_close_matches(key.replace("-", "_").lower(), KEYS, n=3, cutoff=0.6)
    hint = f"did you mean {_either(close)}?" if close else None
    return ConfigError(f"unknown key {key!r}{where}; known keys: {', '.join(KEYS)}",
                       key=key, source=source, hint=hint)


def read_config_document(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}",
                          source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}",
                          source=str(path)) from None


def validate_value(key: str, value: Any, source: str) -> Any:
    """Check one value as `config set` would store it; returns the validated value."""
    if key not in KEYS:
        raise unknown_key(key)
    settings = _validate({key: value}, {key: source})
    validated = getattr(settings, key)
    if isinstance(validated, SecretStr):
        return validated.get_secret_value()
    return str(validated) if isinstance(validated, Path) else validated


def active_profile(flag: str | None, env: Mapping[str, str], path: Path) -> str:
    """The active profile, reading only what choosing it needs (for `config set`, which must
    work while another setting is broken)."""
    return choose_profile(flag, env_layer(env), read_config_document(path), path)[0]


def env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings `SEATCTL_*` variables give, by key."""
    source = EnvSettingsSource(Settings, env_prefix=ENV_PREFIX, case_sensitive=False)
    # An empty variable counts as unset, as in most tools (`SEATCTL_TIMEOUT= seatctl ...`).
    source.env_vars = {name.lower(): value for name, value in env.items() if value != ""}
    return {key: value for key, value in source().items() if key in KEYS}


def top_level(document: Mapping[str, Any]) -> dict[str, Any]:
    """The settings at the top level of the file (`profile` chooses, it does not set)."""
    return {key: value for key, value in document.items() if key not in ("profiles", "profile")}


def existing_profile(name: str, source: str, document: Mapping[str, Any], path: Path) -> str:
    """`name`, if it is a valid profile name that `document` (the file at `path`) defines
    or the default profile; a ConfigError with the known profiles otherwise."""
    try:
        check_profile_name(name)
    except ValueError as exc:
        raise ConfigError(f"invalid profile {name!r} (from {source}): {exc}", key="profile",
                          source=source) from None
    profiles = document.get("profiles")
    if name == DEFAULT_PROFILE or (isinstance(profiles, dict) and name in profiles):
        return name
    known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
    create = f"create it with `seatctl config set base_url URL --profile {name}`"
    close = difflib.get_close_matches(name, profile_names(document, path), n=2, cutoff=0.6)
    raise ConfigError(
        f"unknown profile {name!r} (from {source}); profiles in {path}: {known}",
        key="profile", source=source,
        hint=f"did you mean {_either(close)}? Or {create}" if close else create,
    )


def profile_names(document: Mapping[str, Any], path: Path) -> list[str]:
    """The profiles `document` defines, and the default one, sorted."""
    return sorted({DEFAULT_PROFILE, *profile_tables(document, path)})


def profile_tables(document: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The `[profiles]` table of `document` (empty when there is none)."""
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: 'profiles' must be a table of tables",
                          source=str(path))
    return profiles


def _either(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def profile_table(document: Mapping[str, Any], profile: str, path: Path) -> dict[str, Any]:
    """The keys `[profiles.<profile>]` sets (none when the file has no such table)."""
    profiles = profile_tables(document, path)
    table = profiles.get(profile, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [profiles.{profile}] must be a table",
                          source=str(path))
    return dict(table)


def _readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o077)
    except OSError:
        return False


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
        return unknown_key(key, source)
    shown = shown_value(key, values.get(key))
    reason = str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
    return ConfigError(f"invalid {key} = {shown} (from {source}): {reason}", key=key,
                       source=source)
