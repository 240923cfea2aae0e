"""Settings: precedence of every layer, the source of each value, and validation errors."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from seatctl.config.paths import config_file
from seatctl.config.settings import load_settings, validate_value
from seatctl.config.store import set_value, unset_value
from seatctl.config.values import toml_literal
from seatctl.errors import ConfigError
from seatctl.exit_codes import ExitCode
from tests.helpers import write_config

FILE = """
base_url = "http://top.example:1"
read_timeout = 11

[profiles.default]
read_timeout = 12

[profiles.prod]
base_url = "https://prod.example"
connect_timeout = 2
"""


def test_defaults_come_from_the_model_when_nothing_is_configured(config_path: Path) -> None:
    loaded = load_settings(env={}, path=config_path)
    assert loaded.settings.base_url == "http://127.0.0.1:8080"
    timeouts = (loaded.settings.connect_timeout, loaded.settings.read_timeout,
                loaded.settings.write_timeout, loaded.settings.pool_timeout)
    assert timeouts == (5.0, 30.0, 30.0, 5.0)
    assert loaded.settings.verify_tls is True
    assert set(loaded.sources.values()) == {"default"}


def test_profile_table_overrides_the_top_level_of_the_file(config_path: Path) -> None:
    write_config(config_path, FILE)
    loaded = load_settings(env={}, path=config_path)
    assert loaded.settings.read_timeout == 12
    assert loaded.sources["read_timeout"] == f"config file {config_path} [profiles.default]"
    assert loaded.settings.base_url == "http://top.example:1"
    assert loaded.sources["base_url"] == f"config file {config_path}"


def test_environment_overrides_the_file_and_flags_override_the_environment(
    config_path: Path,
) -> None:
    write_config(config_path, FILE)
    env = {"SEATCTL_READ_TIMEOUT": "13", "SEATCTL_BASE_URL": "http://env.example"}
    loaded = load_settings({"base_url": "http://flag.example"}, env=env, path=config_path)
    assert loaded.settings.read_timeout == 13
    assert loaded.sources["read_timeout"] == "environment SEATCTL_READ_TIMEOUT"
    assert loaded.settings.base_url == "http://flag.example"
    assert loaded.sources["base_url"] == "command line --base-url"


@pytest.mark.parametrize(
    ("cli", "env", "expected"),
    [
        ({}, {}, "default"),
        ({}, {"SEATCTL_PROFILE": "prod"}, "prod"),
        ({"profile": "prod"}, {"SEATCTL_PROFILE": "default"}, "prod"),
    ],
)
def test_profile_is_chosen_by_flag_then_environment_then_default(
    config_path: Path, cli: dict[str, str], env: dict[str, str], expected: str
) -> None:
    write_config(config_path, FILE)
    loaded = load_settings(cli, env=env, path=config_path)
    assert loaded.settings.profile == expected
    if expected == "prod":
        assert loaded.settings.base_url == "https://prod.example"
        assert loaded.settings.connect_timeout == 2
        assert loaded.settings.read_timeout == 11  # top level still applies


def test_top_level_profile_key_selects_the_default_profile(config_path: Path) -> None:
    write_config(config_path, 'profile = "prod"\n' + FILE)
    loaded = load_settings(env={}, path=config_path)
    assert loaded.settings.profile == "prod"
    assert loaded.sources["profile"] == f"config file {config_path}"


def test_config_path_follows_xdg_and_the_explicit_override(tmp_path: Path) -> None:
    assert config_file({"XDG_CONFIG_HOME": "/x"}) == Path("/x/seatctl/config.toml")
    assert config_file({"HOME": "/home/u"}) == Path("/home/u/.config/seatctl/config.toml")
    explicit = tmp_path / "c.toml"
    assert config_file({"SEATCTL_CONFIG": str(explicit), "XDG_CONFIG_HOME": "/x"}) == explicit


def test_negative_timeout_from_the_environment_names_key_and_source(config_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"SEATCTL_READ_TIMEOUT": "-1"}, path=config_path)
    message = str(caught.value)
    assert "read_timeout" in message
    assert "environment SEATCTL_READ_TIMEOUT" in message
    assert "\n" not in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_non_http_url_from_the_file_names_the_profile_table(config_path: Path) -> None:
    write_config(config_path, '[profiles.default]\nbase_url = "ftp://files.example"\n')
    with pytest.raises(ConfigError, match=r"base_url.*\[profiles\.default\].*http"):
        load_settings(env={}, path=config_path)


def test_unknown_key_in_the_file_is_an_error_listing_the_known_keys(config_path: Path) -> None:
    write_config(config_path, "[profiles.default]\nread_timout = 3\n")
    with pytest.raises(ConfigError, match=r"unknown key 'read_timout'.*known keys: .*read_timeout"):
        load_settings(env={}, path=config_path)


def test_malformed_toml_is_an_error_with_its_position(config_path: Path) -> None:
    write_config(config_path, "[profiles.default\nread_timeout = 3\n")
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 1"):
        load_settings(env={}, path=config_path)


def test_a_bad_token_value_is_never_echoed(config_path: Path) -> None:
    write_config(config_path, "[profiles.default]\ntoken = 8675309123457\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, path=config_path)
    assert "8675309123457" not in str(caught.value)
    assert "****" in str(caught.value)


def test_set_value_writes_an_owner_only_file_and_keeps_comments(config_path: Path) -> None:
    write_config(config_path, "# my settings\n[profiles.default]\nretries = 1\n")
    config_path.chmod(0o644)
    set_value(config_path, "prod", "token", "t0ken")
    set_value(config_path, "default", "read_timeout", 9.5)
    text = config_path.read_text()
    assert text.startswith("# my settings")
    document = tomllib.loads(text)
    assert document["profiles"]["prod"]["token"] == "t0ken"
    assert document["profiles"]["default"] == {"retries": 1, "read_timeout": 9.5}
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_set_value_creates_the_directory_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "seatctl" / "config.toml"
    set_value(path, "default", "retries", 2)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unset_value_removes_the_key_and_reports_a_missing_one(config_path: Path) -> None:
    set_value(config_path, "default", "retries", 2)
    assert unset_value(config_path, "default", "retries") is True
    assert unset_value(config_path, "default", "retries") is False
    assert load_settings(env={}, path=config_path).settings.retries == 3


def test_validate_value_coerces_and_rejects() -> None:
    assert validate_value("read_timeout", "2.5", "test") == 2.5
    assert validate_value("verify_tls", "false", "test") is False
    with pytest.raises(ConfigError, match="unknown key"):
        validate_value("nope", "1", "test")
    with pytest.raises(ConfigError, match="retries"):
        validate_value("retries", "many", "test")


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("SEATCTL_READ_TIMEOUT", "inf", "finite"),
        ("SEATCTL_READ_TIMEOUT", "nan", "finite"),
        ("SEATCTL_CONNECT_TIMEOUT", "1e12", "less than or equal to 3600"),
        ("SEATCTL_BASE_URL", "http://alice:pw@127.0.0.1:9", "credentials"),
        ("SEATCTL_BASE_URL", "http://127.0.0.1:9/?x=1", "query"),
        ("SEATCTL_TOKEN", "abc\ndef-ghi-jkl", "printable ASCII"),
        ("SEATCTL_TOKEN", "jéton-123456", "printable ASCII"),
        ("SEATCTL_CA_BUNDLE", "/nonexistent/ca.pem", "existing PEM file"),
        ("SEATCTL_PROFILE", "a.b", "letters, digits"),
    ],
)
def test_unusable_values_are_refused_naming_key_and_source(
    config_path: Path, variable: str, value: str, reason: str,
) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        load_settings(env={variable: value}, path=config_path)
    assert variable in str(caught.value)
    if "TOKEN" in variable:
        assert value not in str(caught.value)


def test_an_empty_environment_variable_counts_as_unset(config_path: Path) -> None:
    loaded = load_settings(env={"SEATCTL_TIMEOUT": "", "SEATCTL_BASE_URL": ""},
                           path=config_path)
    assert loaded.settings.timeout is None
    assert loaded.sources["base_url"] == "default"


def test_an_unknown_profile_is_an_error_listing_the_known_ones(config_path: Path) -> None:
    write_config(config_path, FILE)
    with pytest.raises(ConfigError, match=r"unknown profile 'prdo'.*profiles in .*: default, prod"):
        load_settings({"profile": "prdo"}, env={}, path=config_path)


def test_a_config_file_that_is_not_utf8_is_a_config_error(config_path: Path) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_bytes(b"retries = 1\n# \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(env={}, path=config_path)


def test_set_value_puts_top_level_keys_before_the_first_table(config_path: Path) -> None:
    write_config(config_path, "[profiles.prod]\nretries = 1\n")
    set_value(config_path, None, "profile", "prod")
    document = tomllib.loads(config_path.read_text())
    assert document["profile"] == "prod"
    assert document["profiles"]["prod"] == {"retries": 1}


def test_the_stored_token_is_read_beside_the_given_config_file(config_path: Path) -> None:
    """Not from the user's real config dir: a test (or SEATCTL_CONFIG) names the file."""
    credentials = config_path.parent / "credentials.toml"
    write_config(credentials, '[profiles.default]\ntoken = "stored-token-123456"\n')
    loaded = load_settings(env={}, path=config_path)
    assert loaded.settings.token is not None
    assert loaded.sources["token"] == f"credentials file {credentials} [profiles.default]"
    elsewhere = load_settings(env={}, path=config_path.parent.parent / "other" / "c.toml")
    assert elsewhere.settings.token is None


@pytest.mark.parametrize("value", [
    True, False, 0, 3, -1, 5.0, 0.25, 1e20, "https://api.example.com", "",
    'quote " and \\ backslash', "tab\tnew\nline\x1b\x7f", "ünï😀", [1, "a"],
    {"a": 1, "b c": [True]},
])
def test_values_are_printed_as_toml_writes_them(value: object) -> None:
    """What `config show/get/set` print can be pasted into the file as it is."""
    assert tomllib.loads(f"key = {toml_literal(value)}")["key"] == value
    assert "\n" not in toml_literal(value)  # one line, whatever the value holds


def test_toml_literals_of_the_common_values() -> None:
    assert [toml_literal(v) for v in (True, 5.0, 3, "x", Path("/a b"), None)] == [
        "true", "5.0", "3", '"x"', '"/a b"', ""]
