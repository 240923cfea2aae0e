"""`config profiles` and `config use` (#14), like kubectl's contexts: which profiles exist,
which is active and why, their base URLs, and switching the default one."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from tests.cli.terminal import TOKEN, WIDTHS, on_tty
from tests.helpers import Cli, Outcome, write_config

FILE = """# chosen when no profile is named
profile = "staging"
base_url = "http://top.example:8080"

[profiles.staging]
base_url = "https://staging.example.com"

[profiles.prod]
base_url = "https://api.example.com"
connect_timeout = 3
"""


def rows(outcome: Outcome) -> list[list[str]]:
    assert outcome.exit_code == 0, str(outcome)
    return [line.split("\t") for line in outcome.stdout.splitlines()]


# --- config profiles ---------------------------------------------------------------------


def test_without_a_config_file_the_default_profile_is_listed(cli: Cli) -> None:
    assert rows(cli("config", "profiles")) == [
        ["default", "true", '"http://127.0.0.1:8080"', "default"]]


def test_profiles_off_a_terminal_are_tab_separated_in_a_fixed_column_order(
    cli: Cli, config_path: Path,
) -> None:
    write_config(config_path, FILE)
    assert rows(cli("config", "profiles")) == [
        ["default", "false", '"http://top.example:8080"', ""],
        ["prod", "false", '"https://api.example.com"', ""],
        ["staging", "true", '"https://staging.example.com"', f"config file {config_path}"],
    ]


@pytest.mark.parametrize(
    ("args", "env", "active", "chosen_by"),
    [
        (["-p", "prod", "config", "profiles"], {}, "prod", "command line --profile"),
        (["config", "profiles", "-p", "prod"], {}, "prod", "command line --profile"),
        (["config", "profiles"], {"SEATCTL_PROFILE": "default"}, "default",
         "environment SEATCTL_PROFILE"),
        (["config", "profiles"], {}, "staging", "config file {path}"),
    ],
)
def test_profiles_say_which_is_active_and_why(
    cli: Cli, config_path: Path, args: list[str], env: dict[str, str], active: str,
    chosen_by: str,
) -> None:
    write_config(config_path, FILE)
    chosen_by = chosen_by.format(path=config_path)
    listed = {row[0]: row for row in rows(cli(*args, env=env))}
    assert [name for name, row in listed.items() if row[1] == "true"] == [active]
    assert listed[active][3] == chosen_by
    document = json.loads(cli.ok(*args, "--json", env=env).stdout)
    assert (document["active"], document["active_source"]) == (active, chosen_by)


def test_profiles_json_document(cli: Cli, config_path: Path) -> None:
    write_config(config_path, FILE)
    document = json.loads(cli.ok("config", "profiles", "--format", "json").stdout)
    assert document["path"] == str(config_path)
    assert document["active_error"] is None
    assert document["profiles"][1] == {
        "name": "prod", "active": False, "base_url": "https://api.example.com",
        "base_url_source": f"config file {config_path} [profiles.prod]"}
    assert document["profiles"][0]["base_url_source"] == f"config file {config_path}"
    assert json.loads(cli.ok("--json", "config", "profiles").stdout) == document
    both = cli("--json", "config", "profiles", "-q")  # as every list command: one or other
    assert both.exit_code == 2 and json.loads(both.stdout)["error"]["type"] == "UsageError"


@pytest.mark.parametrize("tty", [False, True])
def test_quiet_prints_the_names_only(cli: Cli, config_path: Path, tty: bool) -> None:
    write_config(config_path, FILE)
    run = on_tty if tty else cli
    outcome = run("config", "profiles", "-q")
    assert (outcome.exit_code, outcome.stdout) == (0, "default\nprod\nstaging\n")
    assert run("config", "profiles", "--quiet", "--format", "table").stdout == outcome.stdout


def test_profiles_on_a_terminal_are_a_table_marking_the_active_one(config_path: Path) -> None:
    write_config(config_path, FILE)
    outcome = on_tty("config", "profiles", width=200)
    assert outcome.exit_code == 0, str(outcome)
    header, rule, *lines = outcome.stdout.splitlines()
    assert header.split() == ["name", "active", "base", "url", "chosen", "by"]
    assert set(rule.strip()) == {"─"}
    assert "\t" not in outcome.stdout
    assert [line.split()[:3] for line in lines] == [
        ["default", '"http://top.example:8080"'],
        ["prod", '"https://api.example.com"'],
        ["staging", "*", '"https://staging.example.com"'],
    ]
    assert lines[2].rstrip().endswith(f"config file {config_path}")


@pytest.mark.parametrize("width", WIDTHS)
def test_profiles_on_a_terminal_never_cut_a_url_or_a_path(config_path: Path,
                                                          width: int) -> None:
    write_config(config_path, FILE)
    outcome = on_tty("config", "profiles", width=width)
    assert outcome.exit_code == 0, str(outcome)
    for token in ('"https://staging.example.com"', '"http://top.example:8080"',
                  str(config_path), "staging"):
        assert token in outcome.stdout, f"{token} cut at {width} columns:\n{outcome.stdout}"
    assert "…" not in outcome.stdout


@pytest.mark.parametrize("args", [["--format", "tsv"], ["--format", "table"]])
def test_profiles_format_is_forced_on_a_terminal_and_off(cli: Cli, args: list[str]) -> None:
    for outcome in (cli("config", "profiles", *args), on_tty("config", "profiles", *args)):
        first = outcome.stdout.splitlines()[0]
        assert ("\t" in first) == (args[1] == "tsv"), str(outcome)


def test_a_chosen_profile_that_does_not_exist_is_listed_with_a_warning(
    cli: Cli, config_path: Path,
) -> None:
    """Listing the profiles is how one finds the right name: it must not fail itself."""
    write_config(config_path, FILE)
    outcome = cli("config", "profiles", env={"SEATCTL_PROFILE": "prdo"})
    assert outcome.exit_code == 0, str(outcome)
    assert [row[1] for row in rows(outcome)] == ["false", "false", "false"]
    assert "warning: unknown profile 'prdo' (from environment SEATCTL_PROFILE)" in outcome.stderr
    assert "did you mean 'prod'?" in outcome.stderr
    document = json.loads(cli.ok("config", "profiles", "--json",
                                 env={"SEATCTL_PROFILE": "prdo"}).stdout)
    assert document["active"] == "prdo" and "unknown profile" in document["active_error"]


@pytest.mark.parametrize("tty", [False, True])
def test_profiles_never_print_a_token(cli: Cli, config_path: Path, tty: bool) -> None:
    write_config(config_path, FILE + f'token = "{TOKEN}"\n')  # prod's token
    config_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    run = on_tty if tty else cli
    for args in (["config", "profiles"], ["config", "profiles", "--json"],
                 ["config", "profiles", "-p", "prod"]):
        outcome = run(*args)
        assert outcome.exit_code == 0, str(outcome)
        assert TOKEN not in outcome.stdout + outcome.stderr


def test_a_malformed_profiles_table_exits_2(cli: Cli, config_path: Path) -> None:
    write_config(config_path, 'profiles = "prod"\n')
    outcome = cli("config", "profiles")
    assert outcome.exit_code == 2
    assert "'profiles' must be a table of tables" in outcome.stderr


# --- config use --------------------------------------------------------------------------


def test_use_writes_the_top_level_profile_and_keeps_the_file(cli: Cli,
                                                             config_path: Path) -> None:
    write_config(config_path, FILE)
    outcome = cli.ok("config", "use", "prod")
    assert f'switched to profile "prod" (was "staging") in {config_path}' in outcome.stderr
    text = config_path.read_text()
    assert tomllib.loads(text)["profile"] == "prod"
    assert "# chosen when no profile is named" in text and "connect_timeout = 3" in text
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert cli.ok("config", "get", "base_url").stdout == '"https://api.example.com"\n'
    assert cli.ok("config", "get", "profile", "-v").stdout == (
        f'"prod"\tconfig file {config_path}\n')


def test_use_json_document_and_a_second_use_changes_nothing(cli: Cli,
                                                            config_path: Path) -> None:
    write_config(config_path, FILE)
    first = json.loads(cli.ok("config", "use", "prod", "--json").stdout)
    assert first == {"path": str(config_path), "profile": "prod", "previous": "staging",
                     "changed": True}
    before = config_path.read_text()
    again = cli.ok("--json", "config", "use", "prod")
    assert json.loads(again.stdout)["changed"] is False
    assert 'already using profile "prod"' in again.stderr
    assert config_path.read_text() == before


@pytest.mark.parametrize("tty", [False, True])
def test_use_of_the_default_profile_always_works(cli: Cli, config_path: Path,
                                                 tty: bool) -> None:
    run = on_tty if tty else cli
    outcome = run("config", "use", "default")
    assert (outcome.exit_code, outcome.stdout) == (0, ""), str(outcome)
    assert 'switched to profile "default"' in outcome.stderr
    assert tomllib.loads(config_path.read_text()) == {"profile": "default"}


def test_use_of_an_unknown_profile_exits_2_with_a_hint_to_create_it(
    cli: Cli, config_path: Path,
) -> None:
    write_config(config_path, FILE)
    outcome = cli("config", "use", "prdo")
    assert outcome.exit_code == 2
    assert "error: unknown profile 'prdo'" in outcome.stderr
    assert "did you mean 'prod'?" in outcome.stderr
    assert "seatctl config set base_url URL --profile prdo" in outcome.stderr
    assert config_path.read_text() == FILE
    error = json.loads(cli("config", "use", "qa", "--json").stdout)["error"]
    assert error["hint"] == "create it with `seatctl config set base_url URL --profile qa`"
    assert cli("config", "use", "a b").exit_code == 2


def test_use_warns_when_the_environment_still_chooses_another_profile(
    cli: Cli, config_path: Path,
) -> None:
    write_config(config_path, FILE)
    outcome = cli.ok("config", "use", "prod", env={"SEATCTL_PROFILE": "staging"})
    assert "warning: SEATCTL_PROFILE=staging still chooses the profile" in outcome.stderr
    assert tomllib.loads(config_path.read_text())["profile"] == "prod"


def test_use_works_while_another_setting_is_broken(cli: Cli, config_path: Path) -> None:
    write_config(config_path, FILE + "read_timeout = -1\n")  # prod's
    assert cli("config", "show", "-p", "prod").exit_code == 2
    cli.ok("config", "use", "prod")
    assert tomllib.loads(config_path.read_text())["profile"] == "prod"
    assert cli("config", "get", "base_url").exit_code == 2  # now the broken one is in use


def test_a_base_url_that_is_not_text_is_listed_as_the_file_writes_it(
    cli: Cli, config_path: Path,
) -> None:
    write_config(config_path, "[profiles.odd]\nbase_url = 1979-05-27\n")
    assert rows(cli("config", "profiles"))[1] == ["odd", "false", "1979-05-27", ""]
    listed = json.loads(cli.ok("config", "profiles", "--json").stdout)["profiles"][1]
    assert listed["base_url"] == "1979-05-27"
