"""The entry point, and the only place that turns errors into exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

import typer
from typer._click.core import Context
from typer._click.exceptions import UsageError

from seatctl.cli.app import app
from seatctl.cli.completion_script import (
    COMPLETE_VAR,
    PROG_NAME,
    quote_candidates,
    skip_coercion_while_completing,
)
from seatctl.errors import Interrupted, Reported, SeatctlError, UnexpectedError
from seatctl.exit_codes import ExitCode


def main(argv: Sequence[str] | None = None) -> None:
    """`seatctl` and `python -m seatctl`."""
    if COMPLETE_VAR in os.environ:
        skip_coercion_while_completing()
        quote_candidates()
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name=PROG_NAME, complete_var=COMPLETE_VAR,
                            standalone_mode=False)
    except UsageError as exc:  # click's: a bad flag or value, an unknown command
        code = _usage_error(exc, as_json="--json" in args)
    except typer.TyperException as exc:
        exc.show()  # type: ignore[attr-defined]
        code = exc.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    except Exception as exc:  # before any command ran (a command that cannot load): a bug
        code = _unexpected_before_command(exc, trace="--trace" in args)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _unexpected_before_command(exc: Exception, *, trace: bool) -> int:
    """One `error:` line (the traceback with --trace), exit 1, never a silent failure."""
    from seatctl.sanitize import printable

    if trace:
        import traceback

        sys.stderr.write("".join(traceback.format_exception(exc)))
    hint = "" if trace else "hint: rerun with --trace to see where it happened\n"
    sys.stderr.write(f"error: unexpected error: {type(exc).__name__}: "
                     f"{printable(str(exc))}\n{hint}")
    sys.stderr.flush()
    return int(ExitCode.FAILURE)


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


def _usage_error(exc: UsageError, *, as_json: bool) -> int:
    """seatctl's `error:` and `hint:` lines (and the JSON error document), exit 2."""
    from seatctl.cli.usage import message_and_hint
    from seatctl.sanitize import printable

    message, hint = (printable(text) for text in message_and_hint(exc))
    sys.stderr.write(f"error: {message}\nhint: {hint}\n")
    sys.stderr.flush()
    if as_json:
        import json

        document = {"error": {"type": "UsageError", "message": message, "hint": hint,
                              "exit_code": int(ExitCode.USAGE)}}
        sys.stdout.write(json.dumps(document) + "\n")
    return int(ExitCode.USAGE)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
