"""Rendering `seatctl demo`: each step's heading and the command it stands for, then what
that command shows (the same renderers as `events`, `seats`, `book` and `doctor`), then
what the step proved. The tour itself is on stdout; the live watch, the doctor's progress,
the booking attempts and `-v` lines go to stderr, as in the real commands.

With `--json`: one line per finished step on stderr, and the summary document on stdout.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.demo.summary import STEPS, StepName, StepResult, summary_document
from seatctl.render.doctor import doctor_progress, render_report
from seatctl.render.events import render_events
from seatctl.render.seatmap import render_seat_map
from seatctl.render.tokens import GLUE, fix_line, say, whole
from seatctl.render.trace import StderrObserver
from seatctl.render.watch import WatchDisplay, render_outcome, submitted_line
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from datetime import datetime

    from seatctl.api.models import Booking, Event, EventPage, SeatMap, TicketDetails
    from seatctl.booking.book import BookingOutcome
    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.manage import BookingList, CancelResult
    from seatctl.booking.target import BookingTarget
    from seatctl.booking.watch import WatchUpdate
    from seatctl.clock import Clock
    from seatctl.demo.summary import DemoSummary, PostAttempt, RetriedBookingSummary
    from seatctl.diagnostics.report import Report
    from seatctl.diagnostics.runs import DoctorRun
    from seatctl.errors import SeatctlError
    from seatctl.http import Exchange
    from seatctl.render.streams import IOStreams
    from seatctl.server import ConnectionTimeouts, FaultKind

TITLES: dict[StepName, str] = {
    StepName.SERVER: "A reference server in this process, with Node's default timeouts",
    StepName.LOGIN: "Log in as its demo account",
    StepName.EVENTS: "The events",
    StepName.SEAT_MAP: "A seat map",
    StepName.BOOKING: "Book two free seats, and watch the job",
    StepName.RETRIED_BOOKING: "Book two more through a reset that loses the POST's answer",
    StepName.TICKET: "The bookings on the server, and the first one's ticket",
    StepName.CANCEL: "Cancel the first booking: its seats are free again",
    StepName.DOCTOR: "The doctor finds the short keep-alive, and prescribes the fix",
}
NEXT_STEPS = ("On your own: `seatctl serve` in one terminal; in another, `seatctl login`, "
              "`seatctl seats symphony`, `seatctl book symphony --seat Orchestra:A12`, "
              "`seatctl doctor`.")


class DemoView:
    """The TourObserver of `seatctl demo`."""

    def __init__(self, streams: IOStreams, clock: Clock, *, as_json: bool, verbose: bool,
                 trace: bool) -> None:
        self._streams = streams
        self._clock = clock
        self._json = as_json
        self._http = StderrObserver(streams, verbose=verbose, trace=trace)
        self._display: WatchDisplay | None = None

    # --- the HTTP core's attempts (-v, --trace) -------------------------------------------

    def exchange(self, exchange: Exchange) -> None:
        self._http.exchange(exchange)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        self._http.retrying(attempt, wait, error)

    # --- steps ----------------------------------------------------------------------------

    def step_started(self, name: StepName) -> None:
        if self._json:
            return
        number = f"{STEPS.index(name) + 1}/{len(STEPS)}  "
        self._streams.out.print()
        say(self._streams.out, Text.assemble((number, "bold cyan"), (TITLES[name], "bold")),
            len(number))

    def step_finished(self, result: StepResult) -> None:
        seconds = Text(f"  ({result.seconds:.2f} s)", "dim")
        if self._json:
            glyph, style = ("✓", "green") if result.ok else ("✗", "red")
            why = "" if result.ok else f": {printable(result.error or 'failed')}"
            say(self._streams.err,
                Text.assemble((glyph, style), f" {result.name.value}{why}", seconds))
        elif result.ok:
            say(self._streams.out, Text.assemble(("✓ ", "green"), _conclusion(result), seconds))
        else:
            say(self._streams.out, Text.assemble(
                ("✗ ", "red"), f"{result.name.value}: {printable(result.error or 'failed')}",
                seconds))

    def server_started(self, url: str, timeouts: ConnectionTimeouts) -> None:
        self._command("seatctl serve --port 0 --timeouts node-default",
                      "here: in this process, with a temporary database")
        self._command(f"export SEATCTL_BASE_URL={url}", "what the commands below talk to")

    def logged_in(self, email: str, token: str) -> None:
        self._streams.add_secret(token)
        self._command(f"seatctl login --email {shlex.quote(email)}",
                      "here: the token stays in memory")

    def events_listed(self, page: EventPage) -> None:
        if not self._json:
            self._command("seatctl events")
            render_events(self._streams, page, search=None, limit=len(page.events) or 10,
                          as_json=False)

    def seat_map_shown(self, event: Event, seat_map: SeatMap) -> None:
        if not self._json:
            self._command(f"seatctl seats {_quoted(event.name)}")
            render_seat_map(self._streams, seat_map, available_only=False, as_json=False)

    def fault_armed(self, kind: FaultKind, path: str) -> None:
        self._note(f"armed on the server, once: the next POST {path} is processed (its job "
                   f"queued), then its connection is reset instead of answered ({kind.value})")

    def booking_started(self, target: BookingTarget) -> None:
        seats = " ".join(f"--seat {_quoted(label)}" for label in target.seat_labels)
        self._command(f"seatctl book {_quoted(target.event_name or target.event_id)} {seats}")

    @contextmanager
    def _watching(self) -> Iterator[Callable[[WatchUpdate], None]]:
        live = self._streams.can_animate and not self._json
        with WatchDisplay(self._streams, self._clock, live=live, quiet=self._json) as display:
            self._display = display
            try:
                yield display.update
            finally:
                self._display = None

    def booking_watch(self) -> AbstractContextManager[Callable[[WatchUpdate], None]]:
        return self._watching()

    def booking_submitted(self, entry: JournalEntry) -> None:
        if self._display is not None:
            self._display.job_id = entry.job_id or ""
        if not self._json:
            submitted_line(self._streams, entry)

    def booking_attempt(self, attempt: PostAttempt) -> None:
        if self._json:
            return
        same_key = " (the same key)" if attempt.number > 1 else ""
        if attempt.status is None:
            outcome = Text(f"no answer: {printable(attempt.error or 'failed')}", "yellow")
        else:
            outcome = Text(str(attempt.status), "green" if attempt.status < 400 else "red")
        say(self._streams.err, Text.assemble(
            f"attempt {attempt.number}: POST /api/seats/book{same_key}: ", outcome,
            (f"  {attempt.seconds * 1000:.0f} ms", "dim")))

    def booking_finished(self, outcome: BookingOutcome) -> None:
        from seatctl.booking.outcome import watch_document

        if self._json or outcome.watch is None:
            return
        entry = outcome.entry
        render_outcome(self._streams, watch_document(outcome.watch, entry, entry.job_id or ""),
                       as_json=False)

    def bookings_counted(self, retried: RetriedBookingSummary) -> None:
        if self._json:
            return
        booking = retried.booking
        seats = ", ".join(printable(seat) for seat in booking.seats)
        self._command("GET /api/bookings/my", "the server's data, not the client's")
        say(self._streams.out, Text(
            f"{_count(retried.bookings_on_server, 'booking')} of {seats} "
            f"({_count(retried.bookings_with_key, 'booking')} with the key {booking.key}); "
            f"{_count(retried.account_bookings, 'booking')} on the demo account in all"))

    def bookings_listed(self, listing: BookingList, now: datetime) -> None:
        if self._json:
            return
        from seatctl.render.bookings import print_bookings_table

        self._command("seatctl bookings")
        print_bookings_table(self._streams.out, listing.bookings, now)

    def ticket_shown(self, details: TicketDetails, listed: Booking | None) -> None:
        if self._json:
            return
        from seatctl.render.tickets import render_ticket

        self._command(f"seatctl ticket {details.booking_id}",
                      "--download saves its PDF")
        render_ticket(self._streams, details, as_json=False, listed=listed)

    def booking_cancelled(self, result: CancelResult, seats_free: tuple[str, ...]) -> None:
        if self._json:
            return
        from seatctl.render.bookings import render_result

        self._command(f"seatctl cancel {result.booking_id} --yes",
                      "asks first without --yes")
        render_result(self._streams, result, as_json=False)

    def doctor_running(self, run: DoctorRun) -> AbstractContextManager[None]:
        self._command(f"seatctl doctor --quick --max-wait {run.plan.max_wait:g}",
                      "diagnoses $SEATCTL_BASE_URL")
        return doctor_progress(self._streams, run)

    def doctor_reported(self, report: Report) -> None:
        if not self._json:
            render_report(self._streams, report, as_json=False)

    # --- the end ----------------------------------------------------------------------------

    def summary(self, summary: DemoSummary, error: SeatctlError | None = None) -> None:
        """The JSON document (with `error` when a step failed), or the closing lines."""
        if self._json:
            document: dict[str, Any] = summary_document(summary)
            if error is not None:
                document["error"] = error.as_dict()
            self._streams.write_data(json.dumps(document, indent=2))
            return
        if error is not None:
            return  # the error itself is reported on stderr
        out = self._streams.out
        out.print()
        say(out, Text.assemble(
            ("✓ ", "green"), (f"The tour took {summary.elapsed_s:.1f} s. ", "bold"),
            "The server is stopped and its temporary files removed; nothing was written to "
            "your config, credentials or journal."))
        say(out, Text(NEXT_STEPS))

    def _command(self, command: str, note: str = "") -> None:
        if self._json:
            return
        line = Text.assemble((whole("$ "), "dim"), (whole(command), "bold"))
        if note:
            line.append(f"   # {note}", "dim")
        say(self._streams.out, line, 4)

    def _note(self, text: str) -> None:
        if not self._json:
            say(self._streams.out, Text(text, "yellow"))


def conclusion(result: StepResult) -> str:
    """What a finished step showed, in one line."""
    return _conclusion(result).replace(GLUE, " ")


def _conclusion(result: StepResult) -> str:
    """`conclusion`, a command in it marked as one token (`seatctl.render.tokens`)."""
    details = result.details
    name = result.name
    if name is StepName.SERVER:
        return (f"listening on {details['url']}; idle connections close after "
                f"{details['keep_alive_timeout_s']:g} s, after promising "
                f"Keep-Alive: timeout={details['advertised_keep_alive_s']:g} (as Node 20 does)")
    if name is StepName.LOGIN:
        return f"logged in as {printable(details['email'])}; no token was stored"
    if name is StepName.EVENTS:
        return (f"{details['events']} events; {printable(details['event_name'])} has a seat "
                "map")
    if name is StepName.SEAT_MAP:
        counts = details["seats"]
        first, second = (", ".join(printable(label) for label in run)
                         for run in details["chosen"])
        return (f"{counts['free']} free, {counts['booked']} booked, {counts['blocked']} "
                f"blocked; booking {first}, then {second}")
    if name is StepName.BOOKING:
        return f"job {printable(details['job_id'])} {details['state']}: one booking"
    if name is StepName.RETRIED_BOOKING:
        return (f"{details['attempts']} attempts, the first reset; the server holds "
                f"{_count(details['bookings_on_server'], 'booking')} of those seats, not "
                f"{details['attempts']}: the repeated key made no second booking")
    if name is StepName.TICKET:
        ticket = details["ticket"]
        return (f"{_count(details['bookings'], 'booking')} on the server; the ticket of "
                f"{printable(details['booking_id'])}, {printable(ticket.get('eventName') or '')}"
                f", with its QR code for the door")
    if name is StepName.CANCEL:
        refund = details["refund"]
        seats = ", ".join(printable(seat) for seat in details["seats_free"])
        paid = f"refund {refund:.2f}; " if isinstance(refund, int | float) else ""
        return (f"{paid}{seats} free again on the seat map; the journal says "
                f"{details['journal_state']}")
    fix = fix_line(printable(str(details["fix"]).strip().splitlines()[0]))
    return f"[{details['finding']}] the server closes idle connections too soon; fix: {fix}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _quoted(text: str) -> str:
    return shlex.quote(printable(text))
