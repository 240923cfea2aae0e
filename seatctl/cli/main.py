"""The entry point, and the only place that turns errors into exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from typer._click.core import Context

from seatctl.cli.app import app
from seatctl.cli.completion_script import (
    COMPLETE_VAR,
    PROG_NAME,
    skip_coercion_while_completing,
)
from seatctl.errors import SeatctlError
from seatctl.exit_codes import ExitCode


def main(argv: Sequence[str] | None = None) -> None:
    """`seatctl` and `python -m seatctl`."""
    if COMPLETE_VAR in os.environ:
        skip_coercion_while_completing()
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name=PROG_NAME, complete_var=COMPLETE_VAR)
    except BrokenPipeError:
        sys.exit(ExitCode.FAILURE)


def handle(ctx: Context, exc: BaseException) -> typer.Exit:
    """Render an error raised by a command and say which exit code it means."""
    from seatctl.cli.context import App
    from seatctl.render import messages

    obj = ctx.find_object(App) or App()
    streams = obj.streams
    if isinstance(exc, SeatctlError):
        messages.seatctl_error(streams, exc, as_json=obj.json)
        return typer.Exit(int(exc.exit_code))
    if isinstance(exc, KeyboardInterrupt):
        messages.error(streams, "interrupted")
        return typer.Exit(int(ExitCode.INTERRUPTED))
    if obj.options.trace:
        streams.err.print_exception(show_locals=False)
    messages.error(
        streams, f"unexpected error: {type(exc).__name__}: {exc}",
        hint=None if obj.options.trace else "rerun with --trace to see where it happened",
    )
    return typer.Exit(int(ExitCode.FAILURE))
