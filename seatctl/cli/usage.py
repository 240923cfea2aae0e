"""Click's usage errors in seatctl's own words: `error: ...` and `hint: did you mean ...`.

Standard library and typer only: these run on the start-up path of a mistyped command.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import IO, Any

import typer

from seatctl.cli.argv import GLOBAL_OPTIONS
from seatctl.cli.typer_seam import NoSuchOption, UsageError

CLOSE = 0.7  # difflib's ratio: 'evnts' ~ 'events' 0.91, 'pnig' ~ 'ping' 0.75
PYDANTIC_PREFIX = "Value error, "  # what a validator's ValueError reads as, through Typer
SUGGESTED = ". Did you mean "  # how Typer's own groups (`config`) append their suggestion


class UnknownCommand(UsageError):
    """`seatctl evnts`: no such command, with the nearest ones as the hint."""

    def __init__(self, name: str, known: Iterable[str], ctx: object = None,
                 group: str = "seatctl") -> None:
        super().__init__(f"no such command {name!r}", ctx)  # type: ignore[arg-type]
        close = difflib.get_close_matches(name, list(known), n=2, cutoff=CLOSE)
        self.hint = (f"did you mean {_either(close)}?" if close
                     else f"see the commands with `{group} --help`")


class ExplainedUsageError(UsageError):
    """A usage error as seatctl shows it, whoever catches it (its entry point, or click's own
    standalone handling under Typer's runner): `error: ...` and `hint: ...` on stderr."""

    def __init__(self, error: UsageError) -> None:
        message, hint = message_and_hint(error)
        super().__init__(message, error.ctx)
        self.hint = hint

    def show(self, file: IO[Any] | None = None) -> None:
        from seatctl.sanitize import printable

        typer.echo(f"error: {printable(self.message)}\nhint: {printable(self.hint)}", file=file,
                   err=True)


def message_and_hint(error: UsageError) -> tuple[str, str]:
    """What went wrong, and what to try instead."""
    if isinstance(error, UnknownCommand | ExplainedUsageError):
        return error.message, error.hint
    if isinstance(error, NoSuchOption):
        return _unknown_option(error)
    message = error.format_message().replace(PYDANTIC_PREFIX, "")
    message = message[:1].lower() + message[1:]
    if SUGGESTED in message:
        message, suggestion = message.split(SUGGESTED, 1)
        return message, f"did you mean {suggestion.replace(', ', ' or ')}"
    return message, f"see `{_command_path(error)} --help`"


def _unknown_option(error: NoSuchOption) -> tuple[str, str]:
    name = error.option_name
    local = list(error.possibilities or [])
    if local:
        return f"no such option: {name}", f"did you mean {_either(sorted(local))}?"
    close = difflib.get_close_matches(name, list(GLOBAL_OPTIONS), n=2, cutoff=CLOSE)
    if close:
        return (f"no such option: {name}", f"did you mean {_either(close)}? (a global "
                "option: before or after the command)")
    return f"no such option: {name}", f"see `{_command_path(error)} --help`"


def _either(names: list[str]) -> str:
    quoted = [f"'{name}'" if not name.startswith("-") else name for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _command_path(error: UsageError) -> str:
    return error.ctx.command_path if error.ctx is not None else "seatctl"
