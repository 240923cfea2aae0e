"""The watch, as a person or a script sees it.

On a terminal: a Rich live view (spinner, state, elapsed time, queue position, polls, the
server's last message, recent warnings). Elsewhere: one plain line per state change or
warning on stderr. Either way the final summary goes to stdout (or one JSON object).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from seatctl.render.sanitize import printable
from seatctl.render.states import glyph_and_style

if TYPE_CHECKING:
    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.watch import WatchUpdate
    from seatctl.clock import Clock
    from seatctl.render.streams import IOStreams

RECENT_WARNINGS = 3


class WatchDisplay:
    """Receives WatchUpdates; a context manager around the watch."""

    def __init__(self, streams: IOStreams, clock: Clock, *, live: bool, quiet: bool = False
                 ) -> None:
        self._streams = streams
        self._clock = clock
        self._quiet = quiet
        self._live: Live | None = None
        self._wants_live = live and not quiet
        self._last: WatchUpdate | None = None
        self._warnings: deque[str] = deque(maxlen=RECENT_WARNINGS)
        self._since = clock.monotonic()
        self._printed_state: str | None = None
        self._spinner = Spinner("dots")  # one instance, or it never gets past its first frame
        self.job_id = ""  # known from the submit, before the first answer

    def __enter__(self) -> WatchDisplay:
        if self._wants_live:
            self._live = Live(get_renderable=self._frame, console=self._streams.err,
                              refresh_per_second=8, transient=True)
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def update(self, update: WatchUpdate) -> None:
        self._since = self._clock.monotonic() - update.elapsed
        if update.warning:
            self._warnings.append(update.warning)
        if update.warning and self._last is not None:  # keep the last answer on show
            self._last = replace(self._last, polls=update.polls)
        else:
            self._last = update
        if self._live is not None or self._quiet:
            return
        self._plain_line(update)

    def _plain_line(self, update: WatchUpdate) -> None:
        if update.warning:
            self._streams.err.print(Text(f"warning: {printable(update.warning)} (still "
                                         "watching)", "yellow"), soft_wrap=True)
            return
        state = update.state.value if update.state else "unknown"
        if state == self._printed_state:
            return
        self._printed_state = state
        message = printable(update.status.message) if update.status and update.status.message \
            else ""
        position = _queue_position(update)
        self._streams.err.print(
            f"{update.elapsed:6.1f}s  {state}{position}  {message}".rstrip(), soft_wrap=True)

    def _frame(self) -> RenderableType:
        update = self._last
        elapsed = self._clock.monotonic() - self._since
        state = update.state.value if update and update.state else "submitted"
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_row("state", Text(state + _queue_position(update), glyph_and_style(state)[1]))
        grid.add_row("elapsed", f"{elapsed:.1f}s")
        grid.add_row("polls", str(update.polls if update else 0))
        if update and update.status and update.status.message:
            grid.add_row("server", printable(update.status.message))
        self._spinner.update(text=Text(f" watching job {update.job_id if update else self.job_id}"))
        parts: list[RenderableType] = [self._spinner, grid]
        parts.extend(Text(f"warning: {printable(w)}", "yellow") for w in self._warnings)
        return Group(*parts)


def submitted_line(streams: IOStreams, entry: JournalEntry) -> None:
    """The job id as soon as the server gives it: the handle for `seatctl watch`."""
    streams.err.print(Text.assemble(("submitted ", "dim"), f"job {entry.job_id}",
                                    (f"  (booking key {entry.key})", "dim")), soft_wrap=True)


def resuming_line(streams: IOStreams, entry: JournalEntry) -> None:
    """Said before an earlier, unfinished attempt is picked up instead of a new booking."""
    job = f", job {entry.job_id}" if entry.job_id else ""
    streams.err.print(Text.assemble(
        ("resuming ", "yellow"), f"the unfinished booking of {entry.created_at} (key {entry.key}"
        f"{job}): the same key makes at most one booking"), soft_wrap=True)


def _queue_position(update: WatchUpdate | None) -> str:
    if update and update.status and update.status.queue_position:
        return f" (position {update.status.queue_position} in the queue)"
    return ""


def render_outcome(streams: IOStreams, document: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps(document))
        return
    state = str(document["state"])
    glyph, style = glyph_and_style(state)
    what = ", ".join(document.get("seats") or []) or (
        f"{document['quantity']} ticket(s)" if document.get("quantity") else "")
    line = Text.assemble((f"{glyph} {state}", style))
    if document["bookingId"]:
        line.append(f"  booking {document['bookingId']}")
    if what:
        line.append(f"  {what}")
    if document["totalPrice"] is not None:
        line.append(f"  total {document['totalPrice']:.2f}")
    if document["message"]:
        line.append(f"  ({printable(document['message'])})", "dim")
    streams.out.print(line, soft_wrap=True)
