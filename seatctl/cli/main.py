"""The entry point: `seatctl` and `python -m seatctl`. Errors become exit codes in
`seatctl.cli.errors`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from seatctl.cli.app import app
from seatctl.cli.completion_script import (
    COMPLETE_VAR,
    PROG_NAME,
    quote_candidates,
    skip_coercion_while_completing,
)
from seatctl.cli.errors import silence_stdout, unexpected_before_command, usage_error
from seatctl.cli.typer_seam import UsageError
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
        code = usage_error(exc, as_json="--json" in args)
    except typer.TyperException as exc:
        exc.show()  # type: ignore[attr-defined]
        code = exc.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        code = ExitCode.OK
    except Exception as exc:  # before any command ran (a command that cannot load): a bug
        code = unexpected_before_command(exc, trace="--trace" in args)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
