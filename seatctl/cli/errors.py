"""The only place that turns errors into exit codes: what a command raised, a usage error
click found, and an exception before any command ran.

Loaded at start-up (by `seatctl.cli.main` and `seatctl.cli.app`): the standard library,
typer and seatctl's leaf modules only; the rendering loads when there is an error to render.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback

import typer

from seatctl.cli.context import App
from seatctl.cli.typer_seam import Context
from seatctl.cli.typer_seam import UsageError as ClickUsageError
from seatctl.errors import Interrupted, Reported, SeatctlError, UnexpectedError, UsageError
from seatctl.exit_codes import ExitCode

TRACE_HINT = "rerun with --trace to see where it happened"


def handle_error(ctx: Context, exc: BaseException) -> typer.Exit:
    """Render an error raised by a command; the exit code it means is the Exit's code."""
    from seatctl.render import messages

    if isinstance(exc, BrokenPipeError):  # `seatctl ... | head`: the reader has had enough
        silence_stdout()
        return typer.Exit(int(ExitCode.OK))
    if isinstance(exc, Reported):
        return typer.Exit(int(exc.exit_code))
    obj = ctx.find_object(App) or App()
    streams = obj.streams
    if isinstance(exc, KeyboardInterrupt):
        exc = Interrupted("interrupted")
    elif not isinstance(exc, SeatctlError):
        if obj.options.trace:
            # Plain text, never wrapped: the redacting stream must see a token whole.
            streams.err.file.write("".join(traceback.format_exception(exc)))
        exc = UnexpectedError(f"unexpected error: {type(exc).__name__}: {exc}",
                              hint=None if obj.options.trace else TRACE_HINT)
    messages.seatctl_error(streams, exc, as_json=obj.json)
    return typer.Exit(int(exc.exit_code))


def usage_error(exc: ClickUsageError, *, as_json: bool) -> int:
    """seatctl's `error:` and `hint:` lines (and the JSON error document), exit 2."""
    from seatctl.cli.usage import message_and_hint
    from seatctl.sanitize import printable

    message, hint = (printable(text) for text in message_and_hint(exc))
    sys.stderr.write(f"error: {message}\nhint: {hint}\n")
    sys.stderr.flush()
    if as_json:
        import json

        document = {"error": UsageError(message, hint=hint).as_dict()}
        sys.stdout.write(json.dumps(document) + "\n")
    return int(ExitCode.USAGE)


def unexpected_before_command(exc: Exception, *, trace: bool) -> int:
    """One `error:` line (the traceback with --trace), exit 1, never a silent failure."""
    from seatctl.sanitize import printable

    if trace:
        sys.stderr.write("".join(traceback.format_exception(exc)))
    hint = "" if trace else f"hint: {TRACE_HINT}\n"
    sys.stderr.write(f"error: unexpected error: {type(exc).__name__}: "
                     f"{printable(str(exc))}\n{hint}")
    sys.stderr.flush()
    return int(ExitCode.FAILURE)


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
