"""`config show`, `config get` and `config set` (#14): values as TOML writes them, on and off a
terminal, the source of each value, exit codes, and the token never shown."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from seatctl.config.settings import KEYS
from tests.cli.terminal import TOKEN, WIDTHS, on_tty
from tests.helpers import Cli, Outcome, write_config

FILE = """# my settings
read_timeout = 20

[profiles.default]
verify_tls = false
retries = 4

[profiles.prod]
base_url = "https://api.example.com"
"""


def tsv(outcome: Outcome) -> dict[str, list[str]]:
    rows = [line.split("\t") for line in outcome.stdout.splitlines()]
    assert all(len(row) == len(rows[0]) for row in rows), outcome.stdout
    return {row[0]: row[1:] for row in rows}


# --- config show -------------------------------------------------------------------------


def test_show_off_a_terminal_prints_one_tab_separated_line_per_key(
    cli: Cli, config_path: Path,
) -> None:
    write_config(config_path, FILE)
    outcome = cli.ok("config", "show")
    assert [line.split("\t")[0] for line in outcome.stdout.splitlines()] == list(KEYS)
    rows = tsv(outcome)
    assert rows["verify_tls"] == ["false", f"config file {config_path} [profiles.default]"]
    assert rows["retries"][0] == "4"
    assert rows["read_timeout"] == ["20.0", f"config file {config_path}"]
    assert rows["base_url"] == ['"http://127.0.0.1:8080"', "default"]
    assert rows["profile"][0] == '"default"'
    assert rows["token"] == ["", "default"] and rows["timeout"] == ["", "default"]
    assert "True" not in outcome.stdout and "False" not in outcome.stdout
    assert "  " not in outcome.stdout and "\x1b" not in outcome.stdout  # no padding, colour


def test_show_on_a_terminal_is_a_table_of_toml_values(config_path: Path) -> None:
    write_config(config_path, FILE)
    outcome = on_tty("config", "show", width=200)
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stdout.splitlines()
    assert lines[0].split() == ["key", "value", "source"] and "─" in lines[1]
    assert "\t" not in outcome.stdout
    assert next(line for line in lines if line.startswith("verify_tls")).split()[:2] == [
        "verify_tls", "false"]
    assert next(line for line in lines if line.startswith("token")).split()[:2] == [
        "token", "-"]
    assert f"config file: {config_path}" in outcome.stderr


@pytest.mark.parametrize("width", WIDTHS)
def test_show_on_a_terminal_never_cuts_a_value_or_a_path(config_path: Path, width: int) -> None:
    write_config(config_path, FILE)
    outcome = on_tty("config", "show", "-p", "prod", width=width)
    assert outcome.exit_code == 0, str(outcome)
    for token in ('"https://api.example.com"', str(config_path), "[profiles.prod]",
                  "connect_timeout", "retry_deadline", '"prod"'):
        assert token in outcome.stdout, f"{token} cut at {width} columns:\n{outcome.stdout}"
    assert "…" not in outcome.stdout


@pytest.mark.parametrize(
    ("args", "expect"),
    [(["--format", "tsv"], "tsv"), (["--format", "table"], "table"),
     (["--format", "json"], "json"), (["--json"], "json")],
)
def test_show_format_forces_the_layout_on_and_off_a_terminal(
    cli: Cli, args: list[str], expect: str,
) -> None:
    for outcome in (cli("config", "show", *args), on_tty("config", "show", *args)):
        assert outcome.exit_code == 0, str(outcome)
        first = outcome.stdout.splitlines()[0]
        if expect == "json":
            assert json.loads(outcome.stdout)["settings"]["verify_tls"]["value"] is True
        elif expect == "tsv":
            assert first == "profile\t\"default\"\tdefault"
        else:
            assert first.split() == ["key", "value", "source"]


def test_show_format_contradicting_json_is_a_usage_error(cli: Cli) -> None:
    outcome = cli("--json", "config", "show", "--format", "tsv")
    assert outcome.exit_code == 2
    assert json.loads(outcome.stdout)["error"]["type"] == "UsageError"
    assert cli("config", "show", "--format", "xml").exit_code == 2


def test_show_reads_the_profile_given_after_the_command(cli: Cli, config_path: Path) -> None:
    write_config(config_path, FILE)
    for args in (["config", "show", "-p", "prod"], ["-p", "prod", "config", "show"],
                 ["config", "show", "--profile=prod"]):
        rows = tsv(cli.ok(*args))
        assert rows["base_url"][0] == '"https://api.example.com"', args
        assert rows["profile"] == ['"prod"', "command line --profile"]


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("fmt", ["table", "tsv", "json"])
def test_show_never_prints_the_token(cli: Cli, config_path: Path, tty: bool, fmt: str) -> None:
    write_config(config_path, f'[profiles.default]\ntoken = "{TOKEN}"\n')
    config_path.chmod(0o600)
    run = on_tty if tty else cli
    outcome = run("config", "show", "--format", fmt)
    assert outcome.exit_code == 0, str(outcome)
    assert TOKEN not in outcome.stdout + outcome.stderr
    assert "****" in outcome.stdout


# --- config get --------------------------------------------------------------------------


@pytest.mark.parametrize("tty", [False, True])
def test_get_prints_the_value_in_effect_as_toml_writes_it(config_path: Path, cli: Cli,
                                                          tty: bool) -> None:
    write_config(config_path, FILE)
    run = on_tty if tty else cli
    assert run("config", "get", "base_url").stdout == '"http://127.0.0.1:8080"\n'
    assert run("config", "get", "verify_tls").stdout == "false\n"
    assert run("config", "get", "retries").stdout == "4\n"
    assert run("config", "get", "read_timeout").stdout == "20.0\n"
    assert run("config", "get", "profile").stdout == '"default"\n'
    prod = run("config", "get", "base_url", "-p", "prod")
    assert (prod.exit_code, prod.stdout) == (0, '"https://api.example.com"\n')


def test_get_with_verbose_adds_the_source(cli: Cli, config_path: Path) -> None:
    write_config(config_path, FILE)
    outcome = cli.ok("config", "get", "retries", "-v")
    assert outcome.stdout == f"4\tconfig file {config_path} [profiles.default]\n"
    from_env = cli.ok("-v", "config", "get", "retries", env={"SEATCTL_RETRIES": "0"})
    assert from_env.stdout == "0\tenvironment SEATCTL_RETRIES\n"


def test_get_json_is_one_document_with_the_source(cli: Cli, config_path: Path) -> None:
    write_config(config_path, FILE)
    document = json.loads(cli.ok("config", "get", "verify_tls", "--json").stdout)
    assert document == {"key": "verify_tls", "value": False, "profile": "default",
                        "source": f"config file {config_path} [profiles.default]"}
    url = json.loads(cli.ok("--json", "config", "get", "base_url", "-p", "prod").stdout)
    assert url["value"] == "https://api.example.com" and url["profile"] == "prod"


@pytest.mark.parametrize("tty", [False, True])
def test_get_of_an_unset_key_prints_nothing_and_exits_1(cli: Cli, tty: bool) -> None:
    run = on_tty if tty else cli
    outcome = run("config", "get", "timeout")
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (1, "", "")
    verbose = run("config", "get", "timeout", "-v")
    assert (verbose.exit_code, verbose.stdout) == (1, "")
    assert "timeout is not set" in verbose.stderr
    as_json = run("config", "get", "ca_bundle", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {"key": "ca_bundle", "value": None,
                                          "source": "default", "profile": "default"}


@pytest.mark.parametrize(("typed", "hint"), [
    ("base-url", "did you mean 'base_url'?"),
    ("read_timout", "did you mean 'read_timeout'"),
    ("colour", None),
])
def test_get_of_an_unknown_key_exits_2_with_the_close_keys(cli: Cli, typed: str,
                                                           hint: str | None) -> None:
    outcome = cli("config", "get", typed)
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert f"error: unknown key {typed!r}" in outcome.stderr
    if hint:
        assert f"hint: {hint}" in outcome.stderr
    else:
        assert "hint:" not in outcome.stderr and "known keys: profile, base_url" in outcome.stderr
    error = json.loads(cli("config", "get", typed, "--json").stdout)["error"]
    assert error["exit_code"] == 2
    assert error["hint"] is None if hint is None else hint in error["hint"]


@pytest.mark.parametrize("tty", [False, True])
def test_get_never_prints_the_token(cli: Cli, tty: bool) -> None:
    run = on_tty if tty else cli
    env = {"SEATCTL_TOKEN": TOKEN}
    for args in (["config", "get", "token"], ["config", "get", "token", "-v"],
                 ["config", "get", "token", "--json"]):
        outcome = run(*args, env=env)
        assert outcome.exit_code == 0, str(outcome)
        assert TOKEN not in outcome.stdout + outcome.stderr
        assert "****" in outcome.stdout
    assert run("config", "get", "token", "-v", env=env).stdout == (
        "****\tenvironment SEATCTL_TOKEN\n")


def test_get_of_a_broken_setting_names_it_and_exits_2(cli: Cli, config_path: Path) -> None:
    write_config(config_path, "[profiles.default]\nread_timeout = -1\n")
    outcome = cli("config", "get", "base_url")
    assert outcome.exit_code == 2
    assert "invalid read_timeout = -1 " in outcome.stderr


# --- config set --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "typed", "shown", "as_json"),
    [("verify_tls", "false", "false", False), ("retries", "4", "4", 4),
     ("read_timeout", "7", "7.0", 7.0),
     ("base_url", "https://api.example.com/", '"https://api.example.com"',
      "https://api.example.com")],
)
def test_set_reports_the_value_as_written_in_toml(
    cli: Cli, config_path: Path, key: str, typed: str, shown: str, as_json: object,
) -> None:
    message = cli.ok("config", "set", key, typed).stderr
    assert f"set {key} = {shown} in [profiles.default] of {config_path}" in message
    assert f"{key} = {shown}\n" in config_path.read_text()  # what was said is what is there
    document = json.loads(cli.ok("config", "set", key, typed, "--json").stdout)
    assert document["value"] == as_json and type(document["value"]) is type(as_json)


def test_set_of_the_token_shows_it_masked_everywhere(cli: Cli, config_path: Path) -> None:
    outcome = cli.ok("config", "set", "token", TOKEN)
    assert "set token = **** in" in outcome.stderr
    as_json = cli.ok("config", "set", "token", TOKEN, "--json")
    assert json.loads(as_json.stdout)["value"] == "****"
    assert TOKEN not in outcome.stdout + outcome.stderr + as_json.stdout + as_json.stderr
    assert tomllib.loads(config_path.read_text())["profiles"]["default"]["token"] == TOKEN


def test_an_invalid_value_is_shown_as_toml_in_the_error(cli: Cli, config_path: Path) -> None:
    write_config(config_path, "[profiles.default]\nverify_tls = 3.5\n")
    outcome = cli("config", "show")
    assert outcome.exit_code == 2
    assert "invalid verify_tls = 3.5 (from config file" in outcome.stderr


@pytest.mark.parametrize("args", [["config", "set", "base-url", "https://x.example"],
                                  ["config", "unset", "base-url"],
                                  ["config", "get", "BASE_URL"]])
def test_every_config_command_suggests_the_key_meant(cli: Cli, args: list[str]) -> None:
    outcome = cli(*args)
    assert outcome.exit_code == 2
    assert outcome.stderr.splitlines()[-1] == "hint: did you mean 'base_url'?"


def test_set_profile_to_an_unknown_one_names_the_command_and_how_to_create_it(
    cli: Cli, config_path: Path,
) -> None:
    outcome = cli("config", "set", "profile", "qa")
    assert outcome.exit_code == 2
    assert "unknown profile 'qa' (from command line `config set profile`)" in outcome.stderr
    assert "hint: create it with `seatctl config set base_url URL --profile qa`" in (
        outcome.stderr)
    assert not config_path.exists()
