"""The scripted tour behind `seatctl demo`, on a reference server embedded in this process.

In order: start the server (Node's default timeouts, a temporary database, a free loopback
port), log in as its demo account (the token stays in memory), list the events, show a seat
map, book two free seats and watch the job, book two more through a reset armed on the
booking POST (the HTTP core re-sends it with the same key; the server's own data must show
one booking), and run `doctor --quick`, which must find the short keep-alive and prescribe
the fix. Between the bookings and the doctor: the account's bookings as the server lists
them, the first booking's ticket (its QR code's payload), and its cancellation, after which
the seat map must show its seats free again. Every step is real: the same calls as
`seatctl events`, `seats`, `book`, `bookings`, `ticket`, `cancel` and `doctor`. Nothing is
written outside one temporary directory, removed at the end.

No printing: every step and everything it shows is reported to a TourObserver.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from seatctl.api.endpoints import list_events, login, my_bookings, ticket_details
from seatctl.api.models import Booking, Event, EventPage, SeatMap, TicketDetails
from seatctl.booking.book import BookingFlow, BookingOutcome
from seatctl.booking.booking_status import BookingStatus
from seatctl.booking.events import seat_map_for
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.labels import ResolvedSeat, SeatIndex, SeatState
from seatctl.booking.manage import (
    BookingList,
    Canceller,
    CancelRequest,
    CancelResult,
    load_bookings,
)
from seatctl.booking.outcome import outcome_error
from seatctl.booking.target import BookingTarget
from seatctl.booking.watch import Watcher, WatchUpdate
from seatctl.clock import Clock
from seatctl.demo.summary import (
    BookingSummary,
    DemoSummary,
    DoctorSummary,
    PostAttempt,
    RetriedBookingSummary,
    StepName,
    StepResult,
)
from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.findings import Severity
from seatctl.diagnostics.report import Report, build_report
from seatctl.diagnostics.runs import DoctorPlan, DoctorRun
from seatctl.errors import Interrupted, SeatctlError
from seatctl.http import ApiClient, ClientConfig, Exchange, Observer, RetryPolicy, Timeouts
from seatctl.server import (
    PRESETS,
    ConnectionTimeouts,
    FaultKind,
    Preset,
    ReferenceServer,
    ServerConfig,
    serving_in_thread,
)

DEMO_PROFILE = "demo"  # the journal entries' profile (a temporary journal: nobody else's)
EVENTS_SHOWN = 10
SEATS_PER_BOOKING = 2
BOOK_PATH = "/api/seats/book"
WATCH_TIMEOUT = 15.0  # a demo job takes about half a second
DOCTOR_MAX_WAIT = 10.0  # enough to see Node's idle close at 6 s; the run takes about 7 s
KEEPALIVE_RULE = "idle-close-vs-proxy"  # the doctor's rule for a backend closing too soon
PRESCRIBED = "--keep-alive-timeout"  # what its fix must say
CLIENT_TIMEOUTS = Timeouts(connect=5.0, read=10.0, write=10.0, pool=5.0)
CLIENT_RETRY = RetryPolicy(retries=3, deadline=10.0)
RERUN_HINT = "the embedded server stops with the demo; run `seatctl --trace demo` for details"


class TourObserver(Observer, Protocol):
    """Everything the tour shows, as it happens. `exchange`/`retrying` (the HTTP core's
    Observer) get every HTTP attempt, for `-v` and `--trace`."""

    def step_started(self, name: StepName) -> None: ...

    def step_finished(self, result: StepResult) -> None: ...

    def server_started(self, url: str, timeouts: ConnectionTimeouts) -> None: ...

    def logged_in(self, email: str, token: str) -> None: ...

    def events_listed(self, page: EventPage) -> None: ...

    def seat_map_shown(self, event: Event, seat_map: SeatMap) -> None: ...

    def fault_armed(self, kind: FaultKind, path: str) -> None: ...

    def booking_started(self, target: BookingTarget) -> None: ...

    def booking_watch(self) -> AbstractContextManager[Callable[[WatchUpdate], None]]:
        """Entered around the booking: what it yields receives the watch's updates."""
        ...

    def booking_submitted(self, entry: JournalEntry) -> None: ...

    def booking_attempt(self, attempt: PostAttempt) -> None:
        """An attempt of the retried booking's POST, as soon as it ended."""
        ...

    def booking_finished(self, outcome: BookingOutcome) -> None: ...

    def bookings_counted(self, retried: RetriedBookingSummary) -> None: ...

    def bookings_listed(self, listing: BookingList, now: datetime) -> None: ...

    def ticket_shown(self, details: TicketDetails, listed: Booking | None) -> None: ...

    def booking_cancelled(self, result: CancelResult, seats_free: tuple[str, ...]) -> None: ...

    def doctor_running(self, run: DoctorRun) -> AbstractContextManager[None]: ...

    def doctor_reported(self, report: Report) -> None: ...


class _AttemptRecorder:
    """The HTTP core's observer: passes every attempt on, and while `recording` keeps the
    booking POST's attempts."""

    def __init__(self, observer: TourObserver) -> None:
        self._observer = observer
        self.recording = False
        self.attempts: list[PostAttempt] = []

    def exchange(self, exchange: Exchange) -> None:
        self._observer.exchange(exchange)
        if self.recording and exchange.method == "POST" \
                and urlsplit(exchange.url).path == BOOK_PATH:
            attempt = PostAttempt(exchange.attempt, exchange.status, exchange.error,
                                  exchange.elapsed)
            self.attempts.append(attempt)
            self._observer.booking_attempt(attempt)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        self._observer.retrying(attempt, wait, error)


class DemoTour:
    """`run()` once. `summary` holds every step so far, also after a failure."""

    def __init__(self, observer: TourObserver, clock: Clock) -> None:
        self._observer = observer
        self._clock = clock
        self._recorder = _AttemptRecorder(observer)
        self.summary = DemoSummary()

    def run(self) -> DemoSummary:
        """Raises the SeatctlError of a step that failed (or did not show what it should),
        KeyboardInterrupt on Ctrl-C; the server is stopped and the files removed either way."""
        started = self._clock.monotonic()
        try:
            with ExitStack() as stack:
                self._tour(stack)
        finally:
            self.summary.elapsed_s = self._clock.monotonic() - started
        return self.summary

    def attempt(self) -> SeatctlError | None:
        """`run()`, and what stopped it (Ctrl-C included) as the error to report; None when
        the tour went through."""
        try:
            self.run()
        except KeyboardInterrupt:
            return Interrupted("demo interrupted: the embedded server is stopped and its "
                               "temporary files removed")
        except SeatctlError as exc:
            return exc
        return None

    def _tour(self, stack: ExitStack) -> None:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seatctl-demo-")))
        server = self._start_server(stack, folder)
        token = self._login(server)
        client = stack.enter_context(self._client(server.url, token))
        journal = stack.enter_context(Journal(folder / "journal.db"))
        event = self._events(client)
        first, second = self._seat_map(client, event)
        self._booking(client, journal, self._target(server, event, first))
        self._retried_booking(client, journal, server, self._target(server, event, second))
        booking_id = self._ticket(client, journal, server.url)
        self._cancel(client, journal, server.url, event, booking_id)
        self._doctor(server.url)

    @contextmanager
    def _step(self, name: StepName) -> Iterator[dict[str, Any]]:
        """Times the step and records it (ok only when its body finished)."""
        result = StepResult(name, ok=False, seconds=0.0)
        self.summary.steps.append(result)
        self._observer.step_started(name)
        started = self._clock.monotonic()
        try:
            yield result.details
            result.ok = True
        except KeyboardInterrupt:
            result.error = "interrupted"
            raise
        except SeatctlError as exc:
            result.error = exc.message
            raise
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            result.seconds = self._clock.monotonic() - started
            self._observer.step_finished(result)

    def _client(self, url: str, token: str | None) -> ApiClient:
        config = ClientConfig(base_url=url, timeouts=CLIENT_TIMEOUTS, retry=CLIENT_RETRY,
                              token=token)
        return ApiClient(config, clock=self._clock, observer=self._recorder)

    def _start_server(self, stack: ExitStack, folder: Path) -> ReferenceServer:
        with self._step(StepName.SERVER) as details:
            timeouts = PRESETS[Preset.NODE_DEFAULT]
            config = ServerConfig(port=0, db=str(folder / "server.db"), timeouts=timeouts,
                                  quiet=True)
            server = stack.enter_context(serving_in_thread(config))
            self.summary.server_url = server.url
            details.update(url=server.url, timeouts=Preset.NODE_DEFAULT.value,
                           keep_alive_timeout_s=timeouts.keep_alive_timeout,
                           advertised_keep_alive_s=timeouts.advertised_keep_alive,
                           database="temporary")
            self._observer.server_started(server.url, timeouts)
        return server

    def _login(self, server: ReferenceServer) -> str:
        with self._step(StepName.LOGIN) as details, self._client(server.url, None) as client:
            result = login(client, server.config.demo_email, server.config.demo_password)
            details.update(email=result.user.email, token_stored=False)
            self._observer.logged_in(result.user.email, result.token)
        return result.token

    def _events(self, client: ApiClient) -> Event:
        with self._step(StepName.EVENTS) as details:
            page = list_events(client, limit=EVENTS_SHOWN)
            self._observer.events_listed(page)
            event = next((event for event in page.events if event.seat_level_booking), None)
            if event is None:
                raise SeatctlError("the embedded server listed no event with a seat map",
                                   hint=RERUN_HINT)
            details.update(events=len(page.events), event_id=event.id, event_name=event.name)
        return event

    def _seat_map(self, client: ApiClient, event: Event
                  ) -> tuple[list[ResolvedSeat], list[ResolvedSeat]]:
        with self._step(StepName.SEAT_MAP) as details:
            seat_map = seat_map_for(client, event)
            self._observer.seat_map_shown(event, seat_map)
            index = SeatIndex(seat_map)
            runs = free_runs(index, SEATS_PER_BOOKING, count=2)
            if len(runs) < 2:
                raise SeatctlError("the seat map has fewer than two pairs of free seats side "
                                   "by side", hint=RERUN_HINT)
            details.update(event_id=event.id, seats=_seat_counts(index),
                           chosen=[list(_labels(run)) for run in runs])
        return runs[0], runs[1]

    def _target(self, server: ReferenceServer, event: Event, seats: list[ResolvedSeat]
                ) -> BookingTarget:
        return BookingTarget.of(event, profile=DEMO_PROFILE, base_url=server.url, seats=seats)

    def _booking(self, client: ApiClient, journal: Journal, target: BookingTarget) -> None:
        with self._step(StepName.BOOKING) as details:
            booking = self._book(client, journal, target)
            self.summary.booking = booking
            details.update(_booking_details(booking))

    def _retried_booking(self, client: ApiClient, journal: Journal, server: ReferenceServer,
                         target: BookingTarget) -> None:
        with self._step(StepName.RETRIED_BOOKING) as details:
            server.arm_fault(FaultKind.RESET_BEFORE_RESPONSE, BOOK_PATH)
            self._observer.fault_armed(FaultKind.RESET_BEFORE_RESPONSE, BOOK_PATH)
            self._recorder.attempts.clear()
            self._recorder.recording = True
            try:
                booking = self._book(client, journal, target)
            finally:
                self._recorder.recording = False
            retried = _count_on_server(booking, target, tuple(self._recorder.attempts),
                                       my_bookings(client).bookings)
            self.summary.retried_booking = retried
            details.update(_booking_details(booking), attempts=len(retried.attempts),
                           bookings_on_server=retried.bookings_on_server,
                           bookings_with_key=retried.bookings_with_key,
                           account_bookings=retried.account_bookings)
            self._observer.bookings_counted(retried)
            check_one_booking(retried)

    def _ticket(self, client: ApiClient, journal: Journal, url: str) -> str:
        """The account's bookings as the server lists them, and the first one's ticket."""
        with self._step(StepName.TICKET) as details:
            listing = load_bookings(client, journal, base_url=url, now=datetime.now(UTC))
            self._observer.bookings_listed(listing, datetime.now(UTC))
            first = self.summary.booking
            booking_id = first.booking_id if first is not None else None
            if booking_id is None or listing.find(booking_id) is None:
                raise SeatctlError("the server's list of bookings lacks the first booking",
                                   hint=RERUN_HINT)
            ticket = ticket_details(client, booking_id)
            listed = listing.find(booking_id)
            self._observer.ticket_shown(ticket, listed.booking if listed else None)
            if not ticket.qr_code_data or booking_id not in ticket.qr_code_data:
                raise SeatctlError("the ticket's QR code does not name its booking",
                                   hint=RERUN_HINT)
            details.update(bookings=len(listing.bookings), booking_id=booking_id,
                           ticket=ticket.model_dump(mode="json", by_alias=True))
        return booking_id

    def _cancel(self, client: ApiClient, journal: Journal, url: str, event: Event,
                booking_id: str) -> None:
        """Cancel the first booking; its seats must be free again on the seat map."""
        with self._step(StepName.CANCEL) as details:
            listing = load_bookings(client, journal, base_url=url, now=datetime.now(UTC))
            request = CancelRequest(booking_id, listing.find(booking_id))
            result = Canceller(client, self._clock, journal, url).cancel(request)
            if result.error is not None:
                raise result.error
            seats = {seat.id: seat for seat in SeatIndex(seat_map_for(client, event)).seats}
            booked = self.summary.booking.seats if self.summary.booking else ()
            entry = journal.by_booking(booking_id, base_url=url)
            seat_ids = entry.seat_ids if entry is not None else []
            free = tuple(seats[seat_id].display for seat_id in seat_ids
                         if seat_id in seats and seats[seat_id].free)
            self._observer.booking_cancelled(result, free)
            if len(free) != len(booked):
                raise SeatctlError(f"after the cancellation {len(free)} of its "
                                   f"{len(booked)} seats are free again", hint=RERUN_HINT)
            details.update(booking_id=booking_id, refund=result.refund, seats_free=list(free),
                           journal_state=entry.state if entry is not None else None)

    def _book(self, client: ApiClient, journal: Journal, target: BookingTarget
              ) -> BookingSummary:
        """What `seatctl book` does: journal, POST with the key, watch to the end."""
        self._observer.booking_started(target)
        with self._observer.booking_watch() as on_update:
            watcher = Watcher(client, self._clock, timeout=WATCH_TIMEOUT, on_update=on_update)
            flow = BookingFlow(client, journal, self._clock, watcher,
                               on_submitted=self._observer.booking_submitted)
            outcome = flow.book(target)
        self._observer.booking_finished(outcome)
        entry = outcome.entry
        if outcome.watch is not None:
            error = outcome_error(outcome.watch, entry.job_id or "", entry)
            if error is not None:
                error.hint = RERUN_HINT  # `seatctl watch JOB`: not once the server is gone
                raise error
        return BookingSummary(job_id=entry.job_id, seats=tuple(entry.seat_labels),
                              state=entry.state, booking_id=entry.booking_id, key=entry.key)

    def _doctor(self, url: str) -> None:
        with self._step(StepName.DOCTOR) as details:
            run = DoctorRun(DoctorPlan(url=url, quick=True, max_wait=DOCTOR_MAX_WAIT),
                            clock=self._clock.monotonic)
            with self._observer.doctor_running(run):
                asyncio.run(run_doctor(run))
            report = build_report(run)
            self._observer.doctor_reported(report)
            self.summary.doctor = doctor = _doctor_summary(report)
            details.update(verdict=doctor.verdict, finding=doctor.finding, fix=doctor.fix,
                           max_wait_s=DOCTOR_MAX_WAIT)


def free_runs(index: SeatIndex, length: int, *, count: int) -> list[list[ResolvedSeat]]:
    """The first `count` runs of `length` free seats side by side (one section, one row,
    consecutive numbers), in seat-map order; fewer when there are fewer."""
    rows: dict[tuple[str, str], list[ResolvedSeat]] = {}
    for seat in index.seats:
        rows.setdefault((seat.section_id, seat.row), []).append(seat)
    runs: list[list[ResolvedSeat]] = []
    for seats in rows.values():
        run: list[ResolvedSeat] = []
        for seat in sorted(seats, key=_number_key):
            number = _number(seat)
            if not seat.free or number is None:
                run = []
                continue
            adjacent = bool(run) and _number(run[-1]) == number - 1
            run = [*run, seat] if adjacent else [seat]
            if len(run) == length:
                runs.append(run)
                if len(runs) == count:
                    return runs
                run = []
    return runs


def _number(seat: ResolvedSeat) -> int | None:
    return int(seat.number) if seat.number.isdigit() else None


def _number_key(seat: ResolvedSeat) -> tuple[bool, int]:
    number = _number(seat)
    return number is None, number or 0


def _seat_counts(index: SeatIndex) -> dict[str, int]:
    return {state.value: sum(1 for seat in index.seats if seat.state is state)
            for state in SeatState}


def _labels(seats: list[ResolvedSeat]) -> tuple[str, ...]:
    return tuple(seat.display for seat in seats)


def _booking_details(booking: BookingSummary) -> dict[str, Any]:
    return {"job_id": booking.job_id, "seats": list(booking.seats), "state": booking.state,
            "booking_id": booking.booking_id, "key": booking.key}


def _count_on_server(booking: BookingSummary, target: BookingTarget,
                     attempts: tuple[PostAttempt, ...], bookings: list[Booking]
                     ) -> RetriedBookingSummary:
    """From the server's own list (GET /api/bookings/my): how many bookings hold the seats."""
    confirmed = [row for row in bookings if row.status in (None, BookingStatus.CONFIRMED)]
    wanted = set(target.seat_ids)
    holding = [row for row in confirmed if wanted & {seat.id for seat in row.seats}]
    with_key = [row for row in bookings if row.idempotency_key == booking.key]
    return RetriedBookingSummary(booking=booking, attempts=attempts,
                                 bookings_on_server=len(holding),
                                 bookings_with_key=len(with_key),
                                 account_bookings=len(confirmed))


def check_one_booking(retried: RetriedBookingSummary) -> None:
    attempts = retried.attempts
    if len(attempts) < 2 or attempts[0].status is not None:
        raise SeatctlError("the injected reset did not happen: the booking POST was answered "
                           f"at its first attempt ({len(attempts)} attempt(s))",
                           hint=RERUN_HINT)
    if retried.bookings_on_server != 1 or retried.bookings_with_key != 1:
        raise SeatctlError(
            f"after the reset the server holds {retried.bookings_on_server} booking(s) of "
            f"the seats ({retried.bookings_with_key} with the booking key); expected 1",
            hint=RERUN_HINT)


def _doctor_summary(report: Report) -> DoctorSummary:
    findings = sorted(report.findings, key=lambda finding: -finding.severity.rank)
    found = next((finding for finding in findings if finding.id == KEEPALIVE_RULE
                  and finding.severity is not Severity.OK), None)
    if found is None or PRESCRIBED not in (found.fix or ""):
        raise SeatctlError(f"the doctor did not find the short keep-alive [{KEEPALIVE_RULE}] "
                           "of the embedded server", hint=RERUN_HINT)
    return DoctorSummary(
        verdict=report.verdict.value,
        findings=tuple((finding.id, finding.severity.value) for finding in findings),
        finding=found.id, fix=found.fix or "")
