"""Global options anywhere on the line: `seatctl events --base-url URL -p staging -v` means
`seatctl --base-url URL -p staging -v events`, as gh and kubectl read it. Pure: the command
line in, the command line click parses out; the standard library only (start-up).

A global option after the command's name is moved before it, with its value, unless the
command has an option of that name itself (`book --timeout` is the watch's limit, `config
set --profile` the profile written to): the command's own option wins. Nothing after `--`
moves, and the values of the command's own options are never taken for options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

# Global options: name -> whether it takes a value.
GLOBAL_OPTIONS: Mapping[str, bool] = {
    "--base-url": True, "--token": True, "--profile": True, "-p": True, "--timeout": True,
    "--json": False, "--verbose": False, "-v": False, "--trace": False, "--no-color": False,
}

OwnOptions = Mapping[str, bool]  # a command's option names -> whether each takes a value


def hoist_global_options(args: Sequence[str], commands: Sequence[str],
                         own_options: Callable[[str, Sequence[str]], OwnOptions]) -> list[str]:
    """`args` (after the program's name) with the global options that follow the command's
    name moved before it; unchanged when there is no known command. `own_options(name,
    rest)` names the options of the command (and of the subcommand `rest` runs, for a
    group)."""
    at = _command_position(args)
    if at is None or args[at] not in commands:
        return list(args)
    own = own_options(args[at], args[at + 1:])
    moved, kept = _split(args[at + 1:], own)
    return [*args[:at], *moved, args[at], *kept]


def _command_position(args: Sequence[str]) -> int | None:
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--" or not token.startswith("-"):
            return None if token == "--" else index
        index += 1 + _value_follows(token, GLOBAL_OPTIONS)
    return None


def _split(rest: Sequence[str], own: OwnOptions) -> tuple[list[str], list[str]]:
    moved: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if token == "--":
            kept.extend(rest[index:])
            break
        width = 1 + _value_follows(token, GLOBAL_OPTIONS)
        if _is_own(token, own) or not _is_global(token):
            width = 1 + _value_follows(token, own)
            kept.extend(rest[index:index + width])
        else:
            moved.extend(rest[index:index + width])
        index += width
    return moved, kept


def _is_own(token: str, own: OwnOptions) -> bool:
    """The command's own option, also in a short form with its value attached (`-pNAME`)."""
    short = token[:2] if len(token) > 2 and not token.startswith("--") else token
    return _name(token) in own or short in own


def _is_global(token: str) -> bool:
    if _name(token) in GLOBAL_OPTIONS:
        return True
    return _is_verbose_count(token) or (token.startswith("-p") and not token.startswith("--"))


def _is_verbose_count(token: str) -> bool:
    """-vv, -vvv: the verbose count in one word."""
    return len(token) > 2 and token[0] == "-" and set(token[1:]) == {"v"}


def _value_follows(token: str, options: OwnOptions) -> int:
    """1 when the option's value is the next word (`--base-url URL`, not `--base-url=URL`
    nor `-pstaging`)."""
    if "=" in token or not token.startswith("-"):
        return 0
    return 1 if options.get(token, False) else 0


def _name(token: str) -> str:
    return token.split("=", 1)[0]
