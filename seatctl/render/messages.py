"""Error, warning and success lines on stderr, and the JSON error document on stdout.

On a terminal a long line wraps under itself, never inside a token (a command in
backticks keeps a line of its own when it does not fit); elsewhere it stays one line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text

from seatctl.errors import SeatctlError
from seatctl.render.tokens import say
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.render.streams import IOStreams


def error(streams: IOStreams, message: str, hint: str | None = None) -> None:
    _line(streams, ("error: ", "bold red"), message)
    if hint:
        _line(streams, ("hint: ", "yellow"), hint)


def warning(streams: IOStreams, message: str) -> None:
    _line(streams, ("warning: ", "yellow"), message)


def note(streams: IOStreams, message: str) -> None:
    _line(streams, ("note: ", "cyan"), message)


def hint(streams: IOStreams, message: str) -> None:
    _line(streams, ("hint: ", "yellow"), message)


def success(streams: IOStreams, message: str) -> None:
    _line(streams, ("✓ ", "green"), message)


def _line(streams: IOStreams, lead: tuple[str, str], message: str) -> None:
    """"error: …" on stderr, wrapped under the message on a terminal."""
    say(streams.err, Text.assemble(lead, printable(message)), len(lead[0]))


def seatctl_error(streams: IOStreams, exc: SeatctlError, *, as_json: bool) -> None:
    """An expected failure: one line saying what happened, one saying what to try."""
    message = exc.message
    if exc.attempts > 1:
        message += f" (after {exc.attempts} attempts)"
    error(streams, message, exc.hint)
    if as_json:
        streams.write_data(json.dumps({"error": exc.as_dict()}))

