"""`seatctl monitor` through the real root command: global options, `--`, the help."""

from __future__ import annotations

from seatctl.cli.app import COMMANDS
from tests.conftest import StartServer
from tests.helpers import Cli

SUMMARY = "Watch a deployment through a deploy: every reset, refusal and 502, classified."


def test_the_command_is_registered_with_its_summary() -> None:
    assert COMMANDS["monitor"].summary == SUMMARY


def test_the_help_starts_with_the_summary_and_ends_with_examples(cli: Cli) -> None:
    outcome = cli.ok("monitor", "--help")
    assert SUMMARY in outcome.stdout
    assert "seatctl monitor https://api.example.com --max-gap 2 -- ./deploy.sh" in outcome.stdout


def test_a_command_after_dashes_keeps_its_own_options(start_server: StartServer,
                                                      cli: Cli) -> None:
    server = start_server()
    outcome = cli("monitor", server.url, "--rate", "50", "--settle", "0.2",
                  "--json", "--", "sh", "-c", "exit 4", "--json")
    assert outcome.exit_code == 4, str(outcome)
    assert outcome.stdout.splitlines()[-1].startswith('{"type": "summary"')


def test_out_of_bounds_options_are_usage_errors(cli: Cli) -> None:
    assert cli("monitor", "http://127.0.0.1:1", "--connections", "65").exit_code == 2
    assert cli("monitor", "http://127.0.0.1:1", "--rate", "500").exit_code == 2
