"""Error, warning and success lines on stderr, and the JSON error document on stdout."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text

from seatctl.errors import SeatctlError
from seatctl.render.sanitize import printable

if TYPE_CHECKING:
    from seatctl.render.streams import IOStreams


def error(streams: IOStreams, message: str, hint: str | None = None) -> None:
    line = Text.assemble(("error: ", "bold red"), printable(message))
    streams.err.print(line, soft_wrap=True)
    if hint:
        streams.err.print(Text.assemble(("hint: ", "yellow"), printable(hint)), soft_wrap=True)


def warning(streams: IOStreams, message: str) -> None:
    streams.err.print(Text.assemble(("warning: ", "yellow"), printable(message)),
                      soft_wrap=True)


def note(streams: IOStreams, message: str) -> None:
    streams.err.print(Text.assemble(("note: ", "cyan"), printable(message)), soft_wrap=True)


def success(streams: IOStreams, message: str) -> None:
    streams.err.print(Text.assemble(("✓ ", "green"), printable(message)), soft_wrap=True)


def seatctl_error(streams: IOStreams, exc: SeatctlError, *, as_json: bool) -> None:
    """An expected failure: one line saying what happened, one saying what to try."""
    message = exc.message
    if exc.attempts > 1:
        message += f" (after {exc.attempts} attempts)"
    error(streams, message, exc.hint)
    if as_json:
        streams.write_data(json.dumps({"error": error_document(exc)}))


def error_document(exc: SeatctlError) -> dict[str, object]:
    return {
        "type": type(exc).__name__,
        "message": exc.message,
        "hint": exc.hint,
        "exit_code": int(exc.exit_code),
        "attempts": exc.attempts,
    }
