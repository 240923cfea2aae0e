"""The entry point, and the only place that turns errors into exit codes."""

from __future__ import annotations

import contextlib
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
from seatctl.errors import Interrupted, Reported, SeatctlError, UnexpectedError
from seatctl.exit_codes import ExitCode


def main(argv: Sequence[str] | None = None) -> None:
    """`seatctl` and `python -m seatctl`."""
    if COMPLETE_VAR in os.environ:
        skip_coercion_while_completing()
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name=PROG_NAME, complete_var=COMPLETE_VAR,
                            standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors: bad flag, unknown command
        exc.show()  # type: ignore[attr-defined]
        if "--json" in args:
            _write_json_error(type(exc).__name__, exc.format_message(), exc.exit_code)
        code = exc.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def handle_error(ctx: Context, exc: BaseException) -> typer.Exit:
    """Render an error raised by a command; the exit code it means is the Exit's code."""
    from seatctl.cli.context import App
    from seatctl.render import messages

    if isinstance(exc, BrokenPipeError):  # `seatctl ... | head`: the reader has had enough
        _silence_stdout()
        return typer.Exit(int(ExitCode.OK))
    if isinstance(exc, Reported):
        return typer.Exit(int(exc.exit_code))
    obj = ctx.find_object(App) or App()
    streams = obj.streams
    if isinstance(exc, KeyboardInterrupt):
        exc = Interrupted("interrupted")
    elif not isinstance(exc, SeatctlError):
        if obj.options.trace:
            import traceback

            # Plain text, never wrapped: the redacting stream must see a token whole.
            streams.err.file.write("".join(traceback.format_exception(exc)))
        exc = UnexpectedError(
            f"unexpected error: {type(exc).__name__}: {exc}",
            hint=None if obj.options.trace else "rerun with --trace to see where it happened",
        )
    messages.seatctl_error(streams, exc, as_json=obj.json)
    return typer.Exit(int(exc.exit_code))


def _write_json_error(kind: str, message: str, code: int) -> None:
    import json

    document = {"error": {"type": kind, "message": message, "hint": None, "exit_code": code,
                          "attempts": 1}}
    sys.stdout.write(json.dumps(document) + "\n")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
