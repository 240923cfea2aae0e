"""Help that teaches (#14): whole summaries, readable metavars, an Examples section on every
command whose lines (and the README's) parse against the real command line, `seatctl help`."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from seatctl.cli.app import COMMANDS, app, load_command
from seatctl.cli.helptext import examples
from seatctl.cli.typer_seam import Command, Context
from tests.helpers import Cli

ROOT = Path(__file__).resolve().parents[2]
ROOT_COMMAND = typer.main.get_command(app)


def every_command() -> Iterator[tuple[list[str], Command]]:
    """Each command of the tree with its path: the root, the commands, their subcommands."""
    pending: list[tuple[list[str], Command]] = [([], ROOT_COMMAND)]
    while pending:
        path, command = pending.pop(0)
        yield path, command
        if isinstance(command, TyperGroup):
            ctx = Context(command, info_name=path[-1] if path else "seatctl")
            for name in command.list_commands(ctx):
                found = command.get_command(ctx, name)
                assert found is not None, name
                pending.append(([*path, name], found))


COMMAND_PATHS = [path for path, _ in every_command()]


def ids(path: list[str]) -> str:
    return " ".join(path) or "seatctl"


def parse(args: list[str]) -> list[str]:
    """Parse `seatctl ARGS` as the real command line does (global options anywhere, every
    value checked), without running it: the path of the command it names, or click's usage
    error."""
    ctx = ROOT_COMMAND.make_context("seatctl", list(args))
    command: Command = ROOT_COMMAND
    path: list[str] = []
    while isinstance(command, TyperGroup):
        rest = [*ctx._protected_args, *ctx.args]
        assert rest, f"`seatctl {shlex.join(args)}` names no command"
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None and name is not None
        ctx = found.make_context(name, rest, parent=ctx)
        command = found
        path.append(name)
    return path


def seatctl_commands(line: str) -> list[list[str]]:
    """The `seatctl` invocations of one shell line: pipes, `&&`, `;` and `&` separate them;
    `VAR=value` prefixes, redirections and comments are the shell's; `for X in A B; do ...;
    done` runs its body once per value."""
    loop = re.fullmatch(r"\s*for (\w+) in ([^;]+); do (.*); done\s*(#.*)?", line)
    if loop:
        name, values, body = loop.group(1), loop.group(2).split(), loop.group(3)
        return [found for value in values
                for found in seatctl_commands(body.replace(f"${name}", value))]
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    redirect = False
    for token in lexer:
        if token in ("|", "||", "&&", ";", "&"):
            commands.append([])
        elif token in (">", ">>", "<", "2>"):
            redirect = True
        elif redirect:
            redirect = False
        elif commands[-1] or not re.fullmatch(r"[A-Za-z_]\w*=.*", token):
            commands[-1].append(token)
    return [words[1:] for words in commands if words[:1] == ["seatctl"]]


def readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        lines.extend(block.replace("\\\n", " ").splitlines())
    return [line for line in lines if "seatctl" in line]


def section_rows(help_text: str, section: str) -> dict[str, str]:
    """A definition-list section of a help text: first column -> second, continuation
    lines joined."""
    rows: dict[str, str] = {}
    inside, last = False, ""
    for line in help_text.splitlines():
        if not line.startswith(" "):
            inside = line == f"{section}:"
            continue
        if not inside or not line.strip():
            continue
        if line[2] != " ":
            last, _, second = line.strip().partition("  ")
            rows[last] = second.strip()
        elif last:
            rows[last] = f"{rows[last]} {line.strip()}".strip()
    return rows


HELP_WIDTH = 100  # click's max_content_width, in seatctl/cli/app.py


def help_at(columns: int, *args: str) -> str:
    """`seatctl ARGS --help` in a terminal this wide (CliRunner pins click's width to 80)."""
    env = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run([sys.executable, "-m", "seatctl", *args, "--help"], env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def test_a_wide_terminal_lists_each_whole_summary_on_one_line() -> None:
    text = help_at(200)
    width = max(len(name) for name in COMMANDS) + 2
    for name, spec in COMMANDS.items():
        assert f"  {name:<{width}}{spec.summary}\n" in text, (
            f"{name}: its summary is not one whole line of `seatctl --help` (the help is at "
            f"most {HELP_WIDTH} columns: a command name and its summary must fit together)")
    group = load_command("config")
    assert isinstance(group, TyperGroup)
    text = help_at(200, "config")
    width = max(len(name) for name in group.commands) + 2
    for name, command in group.commands.items():
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert f"  {name:<{width}}{summary}\n" in text, name


@pytest.mark.parametrize("args", [[], ["config"]], ids=ids)
def test_a_narrow_terminal_wraps_the_summaries_whole(args: list[str]) -> None:
    rows = section_rows(help_at(60, *args), "Commands")
    assert rows and not any(summary.endswith("...") for summary in rows.values())
    if not args:
        assert {name: summary.replace("- ", "-") for name, summary in rows.items()} == {
            name: spec.summary.replace("- ", "-") for name, spec in COMMANDS.items()}


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=ids)
def test_metavars_say_what_to_type(cli: Cli, path: list[str]) -> None:
    text = cli.ok(*path, "--help").stdout
    usage = text.splitlines()[0]
    assert "{" not in usage and "<" not in usage, usage
    for section in ("Arguments", "Options"):
        for first in section_rows(text, section):
            assert not re.search(r"[<{]", first), f"{ids(path)}: {first}"
    assert not re.search(r"<(str|int|float|bool|list\[|file|path|dir|\w+ range)", text)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=ids)
def test_every_command_ends_its_help_with_examples_that_parse(cli: Cli,
                                                              path: list[str]) -> None:
    command = dict((ids(p), c) for p, c in every_command())[ids(path)]
    lines = examples(command)
    assert 2 <= len(lines) <= 4, lines
    text = cli.ok(*path, "--help").stdout
    assert text.rstrip().endswith(lines[-1])  # the last section, lines as written
    for line in lines:
        invocations = seatctl_commands(line)
        assert invocations, line
        for args in invocations:
            assert parse(args)[:len(path)] == path, line


@pytest.mark.parametrize("line", readme_lines())
def test_the_readme_examples_parse(line: str) -> None:
    for args in seatctl_commands(line):
        parse(args)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (["book", "symphony", "--sat", "A12"], "no such option: --sat"),
        (["seats"], "missing argument 'EVENT'"),
        (["config", "set", "retries"], "missing argument 'VALUE'"),
        (["evnts"], "no such command 'evnts'"),
    ],
)
def test_the_example_parser_refuses_what_the_command_line_refuses(bad: list[str],
                                                                  error: str) -> None:
    from seatctl.cli.typer_seam import UsageError
    from seatctl.cli.usage import message_and_hint

    with pytest.raises(UsageError) as raised:
        parse(bad)
    assert message_and_hint(raised.value)[0].startswith(error)


def test_seatctl_commands_reads_shell_lines() -> None:
    assert seatctl_commands('echo "$P" | seatctl login --email a@b.c  # for scripts') == [
        ["login", "--email", "a@b.c"]]
    assert seatctl_commands("X=1 Y=2 seatctl smoke URL --json > smoke.json") == [
        ["smoke", "URL", "--json"]]
    assert seatctl_commands("seatctl serve & sleep 1 && seatctl ping") == [["serve"], ["ping"]]
    assert seatctl_commands("for s in bash zsh; do seatctl completion $s > f.$s; done") == [
        ["completion", "bash"], ["completion", "zsh"]]
    assert seatctl_commands("ruff check . && mypy seatctl") == []


@pytest.mark.parametrize("path", [["book"], ["config"], ["config", "set"], ["help"]], ids=ids)
def test_help_command_prints_what_help_option_prints(cli: Cli, path: list[str]) -> None:
    assert cli.ok("help", *path).stdout == cli.ok(*path, "--help").stdout


def test_bare_help_prints_the_root_help(cli: Cli) -> None:
    outcome = cli.ok("help")
    assert outcome.stdout == cli.ok("--help").stdout
    assert outcome.stdout.startswith("Usage: seatctl [OPTIONS] COMMAND [ARGS]...")


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (["help", "bok"], "no such command 'bok'", "did you mean 'book'?"),
        (["help", "config", "sett"], "no such command 'sett'", "did you mean 'set'?"),
        (["help", "ping", "extra"], "no such command 'extra'",
         "see the commands with `seatctl --help`"),
    ],
)
def test_help_of_an_unknown_command_is_a_usage_error(cli: Cli, args: list[str], error: str,
                                                     hint: str) -> None:
    outcome = cli(*args)
    assert outcome.exit_code == 2
    assert outcome.stderr.splitlines() == [f"error: {error}", f"hint: {hint}"]


@pytest.mark.parametrize(
    ("typed", "offered"),
    [("seatctl help co", ["config", "completion"]), ("seatctl help config s", ["show", "set"]),
     ("seatctl help book ", [])],
)
def test_tab_after_help_offers_the_commands(typed: str, offered: list[str]) -> None:
    env = {**os.environ, "_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": typed,
           "COMP_CWORD": str(len(typed.split()) - (0 if typed.endswith(" ") else 1))}
    result = subprocess.run([sys.executable, "-m", "seatctl"], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.split() == offered
