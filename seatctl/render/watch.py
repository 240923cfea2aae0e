"""The watch, as a person or a script sees it.

On a terminal: a Rich live view (spinner, state, elapsed time, queue position, polls, the
server's last message, the rate-limit budget, why it waits when it waits for anything but
the job, recent warnings). Elsewhere: one plain line per state change, warning or change of
the reason it waits, on stderr. Either way the final summary goes to stdout (or one JSON
object).

On a terminal every line wraps under itself, never inside a token (a job id, a seat label,
`2 seat(s)`); off a terminal each stays one line.
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
from rich.text import Text

from seatctl.render.states import glyph_and_style
from seatctl.render.tokens import block, fields, say, wrap
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.watch import Waiting, WatchUpdate
    from seatctl.clock import Clock
    from seatctl.http import RateBudget, RateLimitInfo
    from seatctl.render.streams import IOStreams

RECENT_WARNINGS = 3


class WatchDisplay:
    """Receives WatchUpdates; a context manager around the watch."""

    def __init__(self, streams: IOStreams, clock: Clock, *, live: bool, quiet: bool = False,
                 budget: RateBudget | None = None) -> None:
        self._streams = streams
        self._budget = budget  # Unix time on the clock, for the reset's local time
        self._clock = clock
        self._quiet = quiet
        self._live: Live | None = None
        self._wants_live = live and not quiet
        self._last: WatchUpdate | None = None
        self._warnings: deque[str] = deque(maxlen=RECENT_WARNINGS)
        self._since = clock.monotonic()
        self._printed_state: str | None = None
        self._spinner = Spinner("dots")  # one instance, or it never gets past its first frame
        self._waiting: Waiting | None = None
        self._waiting_until = 0.0  # monotonic
        self._printed_wait: str | None = None
        self.job_id = ""  # known from the submit, before the first answer
        self.sending = False  # the booking POST is out, unanswered

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
        if update.waiting is not None:
            self._wait(update.waiting)
            return
        self._waiting = None
        if update.warning:
            self._warnings.append(update.warning)
        if update.warning and self._last is not None:  # keep the last answer on show
            self._last = replace(self._last, polls=update.polls)
        else:
            self._last = update
        if self._live is not None or self._quiet:
            return
        self._plain_line(update)

    def _wait(self, waiting: Waiting) -> None:
        if self._last is not None:
            self._last = replace(self._last, rate_limit=waiting.rate_limit)
        self._waiting = waiting
        self._waiting_until = self._clock.monotonic() + waiting.seconds
        if self._live is not None or self._quiet:
            return
        if waiting.reason.value != self._printed_wait:  # one line per change of reason
            self._printed_wait = waiting.reason.value
            say(self._streams.err, Text(self._wait_text(), "yellow"))

    def _wait_text(self) -> str:
        waiting = self._waiting
        if waiting is None:
            return ""
        left = max(0.0, self._waiting_until - self._clock.monotonic())
        until = f"next check in {left:.0f} s"
        if waiting.reason.value == "retry-after":
            return f"the server asks to wait: {until}"
        budget = budget_text(waiting.rate_limit, self._now())
        return f"rate limit: {budget}; {until}" if budget else f"rate limit: {until}"

    def _now(self) -> float:
        import time

        return self._budget.now() if self._budget is not None else time.time()

    def _plain_line(self, update: WatchUpdate) -> None:
        if update.warning:
            say(self._streams.err, Text(f"warning: {printable(update.warning)} (still "
                                         "watching)", "yellow"), len("warning: "))
            return
        state = update.state.value if update.state else "unknown"
        if state == self._printed_state:
            return
        self._printed_state = state
        message = printable(update.status.message) if update.status and update.status.message \
            else ""
        position = _queue_position(update)
        elapsed = f"{update.elapsed:6.1f}s  "
        say(self._streams.err, Text(f"{elapsed}{state}{position}  {message}".rstrip()),
             len(elapsed))

    def _frame(self) -> RenderableType:
        update = self._last
        elapsed = self._clock.monotonic() - self._since
        state = update.state.value if update and update.state else "submitted"
        if self.sending and update is None:
            self._spinner.update(text=Text(" sending booking"))
            return self._spinner
        rows = [("state", Text(state + _queue_position(update), glyph_and_style(state)[1])),
                ("elapsed", Text(f"{elapsed:.1f}s")),
                ("polls", Text(str(update.polls if update else 0)))]
        if update and update.status and update.status.message:
            rows.append(("server", Text(printable(update.status.message))))
        budget = budget_text(update.rate_limit if update else None, self._now())
        if budget:
            rows.append(("budget", Text(budget)))
        if self._waiting is not None:
            rows.append(("waiting", Text(self._wait_text(), "yellow")))
        self._spinner.update(text=Text(f" watching job {update.job_id if update else self.job_id}"))
        width = self._streams.err.width
        parts: list[RenderableType] = [
            self._spinner,
            block(fields(((Text(name, "dim"), value) for name, value in rows), width))]
        parts.extend(wrap(Text(f"warning: {printable(w)}", "yellow"), width, len("warning: "))
                     for w in self._warnings)
        return Group(*parts)


def budget_text(info: RateLimitInfo | None, now: float) -> str:
    return info.describe(now) if info is not None else ""


def submitted_line(streams: IOStreams, entry: JournalEntry) -> None:
    """The job id as soon as the server gives it: the handle for `seatctl watch`."""
    say(streams.err, Text.assemble(("submitted ", "dim"), f"job {entry.job_id}",
                                    (f"  (booking key {entry.key})", "dim")))


def resuming_line(streams: IOStreams, entry: JournalEntry) -> None:
    """Said before an earlier, unfinished attempt is picked up instead of a new booking:
    which booking it is (event, seats, when), so that nobody resends one they did not mean."""
    job = f", job {entry.job_id}" if entry.job_id else ""
    what = ", ".join(entry.seat_labels or entry.seat_ids) if entry.quantity is None else \
        f"{entry.quantity} ticket(s)"
    say(streams.err, Text.assemble(
        ("resuming ", "yellow"),
        f"the unfinished booking of {_when(entry.created_at)}: "
        f"{entry.event_name or entry.event_id}, "
        f"{what} (key {entry.key}{job}): the same key makes at most one booking"))


def _when(created_at: str) -> str:
    """The journal's UTC time as local time with the zone: `Sun 6 Dec 19:30 CET`."""
    from seatctl.render.tables import local_time, wall_now

    day, clock = local_time(created_at, wall_now())
    return f"{day} {clock}".strip()


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
    if state == "unknown":  # the status could not be read: never the old answer as news
        known = document.get("lastKnown")
        said = (f"last known: {known['state']} ({known['source']}"
                f"{' at ' + known['at'] if known.get('at') else ''})") if known else \
            "no status read"
        line.append(f"  job {document['jobId']}  {said}")
        say(streams.out, line)
        return
    if document["bookingId"]:
        line.append(f"  booking {document['bookingId']}")
    elif document.get("jobId"):  # not booked (yet): the job is the handle to resume with
        line.append(f"  job {document['jobId']}")
    if what:
        line.append(f"  {what}")
    if document["totalPrice"] is not None:
        line.append(f"  total {document['totalPrice']:.2f}")
    if document["message"]:
        line.append(f"  ({printable(document['message'])})", "dim")
    say(streams.out, line)
