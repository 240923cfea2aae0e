"""The command line people expect (#14, first part): global options anywhere, bare commands
print their help, and typos get seatctl's `error:` line with a `hint: did you mean`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from seatctl.cli.app import COMMANDS, own_options
from seatctl.cli.argv import hoist_global_options
from seatctl.server import ReferenceServer
from tests.helpers import Cli


def hoist(*args: str) -> list[str]:
    return hoist_global_options(list(args), list(COMMANDS), own_options)


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        (["events", "--base-url", "URL", "-p", "staging", "-v"],
         ["--base-url", "URL", "-p", "staging", "-v", "events"]),
        (["ping", "--base-url=URL", "-vv", "--no-color"],
         ["--base-url=URL", "-vv", "--no-color", "ping"]),
        (["--json", "seats", "gala", "--trace", "--available"],
         ["--json", "--trace", "seats", "gala", "--available"]),
        # the command's own option of the same name wins: the watch's limit, not the deadline
        (["book", "gala", "--timeout", "30", "--seat", "A1"],
         ["book", "gala", "--timeout", "30", "--seat", "A1"]),
        (["config", "set", "retries", "2", "--profile", "prod", "--json"],
         ["config", "set", "retries", "2", "--profile", "prod", "--json"]),
        # a value of the command's own option is never taken for an option
        (["events", "--search", "-p", "-v"], ["-v", "events", "--search", "-p"]),
        # nothing after -- moves; no command, nothing moves
        (["ping", "--", "--json"], ["ping", "--", "--json"]),
        (["--json"], ["--json"]),
        (["nosuch", "--json"], ["nosuch", "--json"]),
    ],
)
def test_global_options_after_the_command_are_read_as_global(typed: list[str],
                                                            parsed: list[str]) -> None:
    assert hoist(*typed) == parsed


def test_a_global_option_after_the_command_takes_effect(cli: Cli,
                                                        server: ReferenceServer) -> None:
    outcome = cli("ping", "--base-url", server.url, "--json", "-v")
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout)["url"] == server.url + "/health"
    assert "> GET " in outcome.stderr  # -v
    refused = cli("events", "-p", "nosuch")
    assert refused.exit_code == 2 and "unknown profile 'nosuch'" in refused.stderr


@pytest.mark.parametrize("args", [[], ["config"]])
def test_a_bare_command_prints_its_help_and_exits_0(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "seatctl", *args], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: seatctl {' '.join(args)}".rstrip() + " [OPTIONS]")
    assert "\\n" not in result.stdout and "Commands:" in result.stdout


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (["evnts"], "no such command 'evnts'", "did you mean 'events'?"),
        (["zzzz"], "no such command 'zzzz'", "see the commands with `seatctl --help`"),
        (["config", "sett"], "no such command 'sett'", "did you mean 'set' or 'unset'?"),
        (["ping", "--bse-url", "x"], "no such option: --bse-url",
         "did you mean --base-url? (a global option: before or after the command)"),
        (["jobs", "--limt", "3"], "no such option: --limt", "did you mean --limit"),
        (["book", "--quantity", "0", "gala"], "invalid value for '--quantity'",
         "see `seatctl book --help`"),
    ],
)
def test_a_usage_error_is_one_error_line_and_one_hint(cli: Cli, args: list[str], error: str,
                                                     hint: str) -> None:
    outcome = cli(*args)
    assert outcome.exit_code == 2
    lines = outcome.stderr.splitlines()
    assert len(lines) == 2, outcome.stderr
    assert lines[0].startswith(f"error: {error}") and lines[1].startswith(f"hint: {hint}")


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_never_breaks_a_word_at_a_hyphen(cli: Cli, command: list[str]) -> None:
    """`--install-` / `completion`, `server-` / `identifying`: click wraps at hyphens."""
    text = cli.ok(*command, "--help").stdout
    broken = [line for line in text.splitlines() if re.search(r"\w-$", line)]
    assert not broken, broken
