"""The HTTP checks of `seatctl smoke`: health, latency, auth and a booking round trip.

Each check is a function of an ApiClient (the one HTTP core, with its retries) that returns
a CheckResult, or raises a SeatctlError that the run turns into a failed check. A failing
step raises StepFailed, whose message names the request or the option that failed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from seatctl.api.endpoints import cancel_booking, job_status, login, profile
from seatctl.api.health import check_health
from seatctl.api.models import Event
from seatctl.booking.book import BookingFlow, BookingOutcome
from seatctl.booking.events import resolve_event
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.labels import describe_unavailable, unavailable
from seatctl.booking.outcome import Resume, outcome_error
from seatctl.booking.status import JobState, interpret
from seatctl.booking.target import BookingTarget, WrongKind, resolve_target
from seatctl.booking.watch import Watcher
from seatctl.clock import Clock
from seatctl.errors import (
    BookingFailed,
    HTTPStatusError,
    Interrupted,
    NotFound,
    PhaseTimeout,
    RateLimited,
    SeatctlError,
    StatusUnreadable,
    StillPending,
    UsageError,
)
from seatctl.http import ATTEMPT_SECONDS, ApiClient, parse_envelope
from seatctl.smoke.report import AUTH, BOOKING, HEALTH, LATENCY, CheckResult, failed, passed

LATENCY_PATH = "/api/events"
LATENCY_PARAMS = {"limit": 1}  # the smallest real API answer: routing, the app, the database
LATENCY_SAMPLES = 3
# Words of a health document that mean "down"; anything else (healthy, ok, up) is not a
# failure: the contract names only healthy and degraded, deployments differ beyond that.
UNHEALTHY = frozenset({"degraded", "unhealthy", "down", "error", "fail", "failed",
                       "disconnected", "unavailable"})


class BookingInterrupted(KeyboardInterrupt):
    """Ctrl-C during the test booking: its journal entry (key, job id, booking id), None
    when nothing was recorded yet, so that the run can cancel it or name it."""

    def __init__(self, entry: JournalEntry | None) -> None:
        super().__init__("interrupted during the test booking")
        self.entry = entry


class StepFailed(SeatctlError):
    """A step of a check failed; the message names the step, `cause` is the error itself."""

    def __init__(self, what: str, cause: SeatctlError, *, hint: str | None = None) -> None:
        super().__init__(f"{what}: {cause.message}", hint=hint or cause.hint)
        self.cause = cause
        self.attempts = cause.attempts
        self.exit_code = cause.exit_code


@contextmanager
def step(what: str) -> Iterator[None]:
    try:
        yield
    except (StepFailed, Interrupted):
        raise
    except SeatctlError as error:
        raise StepFailed(what, error) from error


# --- health -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dependencies:
    """What `GET /api/health` said of the database, the queue, ..."""

    summary: str
    problem: str | None = None
    document: Any = None
    warnings: tuple[str, ...] = ()


def health_check(client: ApiClient) -> CheckResult:
    """`GET /health` must answer; `GET /api/health` must not report a dependency down."""
    with step("GET /health"):
        health = check_health(client)
    dependencies = api_health(client)
    details = {**health.as_dict(), "api_health": dependencies.document}
    if dependencies.problem is not None:
        return failed(HEALTH, dependencies.problem, details)
    latency = f"{health.latency_s * 1000:.0f} ms"
    return passed(HEALTH, f"GET /health answered {health.status_code} in {latency}; "
                          f"{dependencies.summary}", details, dependencies.warnings)


def api_health(client: ApiClient) -> Dependencies:
    try:
        response = client.get("/api/health", authenticated=False)
        document = parse_envelope(response).data
    except RateLimited:
        raise  # says nothing of the dependencies: the run cannot judge
    except NotFound:
        return Dependencies("no GET /api/health (404)", warnings=(
            "GET /api/health answered 404: the dependencies (database, queue) were not "
            "checked",))
    except HTTPStatusError as error:  # the contract's degraded answer is a 503
        down = _down(error.server_data)
        named = f" ({', '.join(down)} down)" if down else ""
        return Dependencies("", problem=f"GET /api/health: {describe(error)}{named}",
                            document=error.server_data)
    except SeatctlError as error:
        return Dependencies("", problem=f"GET /api/health: {describe(error)}")
    services = _services(document)
    down = _down(document)
    overall = document.get("status") if isinstance(document, Mapping) else None
    if down or _unhealthy(overall):
        named = ", ".join(down) + (" down" if down else "")
        return Dependencies("", problem=f"GET /api/health reports {overall or 'a failure'}"
                                        f"{': ' + named if named else ''}", document=document)
    listed = f" ({', '.join(services)})" if services else ""
    return Dependencies(f"GET /api/health: {overall or 'answered'}{listed}", document=document)


def _down(document: Any) -> list[str]:
    return [name for name, service in _services(document).items()
            if _unhealthy(service.get("status") if isinstance(service, Mapping) else service)]


def _services(document: Any) -> dict[str, Any]:
    services = document.get("services") if isinstance(document, Mapping) else None
    return dict(services) if isinstance(services, Mapping) else {}


def _unhealthy(status: Any) -> bool:
    return isinstance(status, str) and status.strip().lower() in UNHEALTHY


def describe(error: SeatctlError) -> str:
    """The error's message, and how many attempts the HTTP core made before giving up."""
    return error.message + (f" (after {error.attempts} attempts)" if error.attempts > 1 else "")


# --- latency ----------------------------------------------------------------------------


def latency_check(client: ApiClient, budget_ms: float,
                  samples: int = LATENCY_SAMPLES) -> CheckResult:
    """Up to `samples` requests, judged by their median; the client's timeouts are the
    budget, so a request that would take longer is cut off at it (and counts as over)."""
    measured: list[float | None] = []
    while len(measured) < samples and _over_count(measured, budget_ms) <= samples // 2:
        measured.append(_latency_sample(client))
    over = _over_count(measured, budget_ms)
    ordered = sorted(math.inf if value is None else value for value in measured)
    median = ordered[len(ordered) // 2]
    details = {
        "request": f"GET {LATENCY_PATH}?limit=1", "budget_ms": budget_ms,
        "samples_ms": [None if value is None else round(value, 1) for value in measured],
        "median_ms": None if math.isinf(median) else round(median, 1),
    }
    count = len(measured)
    if median > budget_ms:
        if math.isinf(median):
            return failed(LATENCY, f"GET {LATENCY_PATH}: {over} of {count} requests got no "
                                   f"API answer (a JSON envelope) within the {budget_ms:g} ms "
                                   "budget", details)
        return failed(LATENCY, f"GET {LATENCY_PATH}: median {median:.0f} ms over {count} "
                               f"requests, above the {budget_ms:g} ms budget", details)
    warnings = (f"{over} of {count} requests took longer than the {budget_ms:g} ms budget "
                "or got no API answer",) if over else ()
    return passed(LATENCY, f"GET {LATENCY_PATH} answered in {median:.0f} ms (median of "
                           f"{count}; budget {budget_ms:g} ms)", details, warnings)


def _latency_sample(client: ApiClient) -> float | None:
    """Milliseconds to the answer; None: none came within the budget, or what came was not
    the API's JSON envelope (a proxy's or web server's HTML page answers fast, but it is not
    the API answering): such a sample counts as a timed-out one."""
    try:
        response = client.get(LATENCY_PATH, params=LATENCY_PARAMS, authenticated=False)
    except PhaseTimeout:
        return None
    except SeatctlError as error:
        raise StepFailed(f"GET {LATENCY_PATH}", error) from error
    try:
        parse_envelope(response)
    except SeatctlError:
        return None
    return float(response.extensions[ATTEMPT_SECONDS]) * 1000


def _over_count(measured: list[float | None], budget_ms: float) -> int:
    return sum(1 for value in measured if value is None or value > budget_ms)


# --- auth -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    email: str
    password: str = field(repr=False)


def log_in(client: ApiClient, credentials: Login) -> str:
    """POST /api/auth/login; the token stays in memory (smoke never stores it)."""
    with step("POST /api/auth/login"):
        return login(client, credentials.email, credentials.password).token


def auth_check(client: ApiClient, token_from: str) -> CheckResult:
    """`GET /api/auth/profile` with the token `client` carries; `token_from` says where it
    came from ("logged in as ...; its token", "the configured token")."""
    with step("GET /api/auth/profile"):
        user = profile(client)
    return passed(AUTH, f"{token_from} works (GET /api/auth/profile: {user.email})",
                  {"token_from": token_from, "email": user.email, "user_id": user.id,
                   "role": user.role})


# --- the test booking -------------------------------------------------------------------


@dataclass(frozen=True)
class BookingTest:
    event: str  # as --book-test gives it: an id, an id prefix or a name
    seats: tuple[str, ...]  # labels; none for a general-admission event
    profile: str
    base_url: str
    # The run logged in with SEATCTL_EMAIL and SEATCTL_PASSWORD: no profile holds its token,
    # so the commands a hint names need a login first.
    logged_in: bool = False

    def command(self, *words: str) -> str:
        """`seatctl --profile P --base-url URL WORDS`: against the server smoke checked."""
        return Resume(profile=self.profile, base_url=self.base_url.strip()).command(*words)

    def cancel_command(self, booking_id: str) -> str:
        """With --yes: it must run where smoke does, with no terminal to confirm on."""
        return self.command("cancel", booking_id, "--yes")

    def hint(self, text: str) -> str:
        """`text` (a hint naming commands), after the login they need when the run's token
        is in no profile, so that they work as pasted."""
        if not self.logged_in:
            return text
        return (f"log in first with `{self.command('login')}` (this run logged in with "
                f"SEATCTL_EMAIL and SEATCTL_PASSWORD and stored no token); then {text}")


def booking_check(client: ApiClient, clock: Clock, test: BookingTest,
                  watch_timeout: float) -> CheckResult:
    """Book through the real workflow (a journal in a temporary folder, an idempotency
    key, the watch), then cancel with DELETE /api/bookings/:id. A booking not confirmed in
    time gets one last look, and is cancelled if it was made meanwhile."""
    event, target = _target(client, test)
    outcome = _book(client, clock, target, watch_timeout)
    booking_id = _confirmed(client, outcome, test)
    what = ", ".join(target.seat_labels) or "1 ticket"
    try:
        cancel_booking(client, booking_id)
    except KeyboardInterrupt as interrupt:
        raise BookingInterrupted(outcome.entry) from interrupt
    except SeatctlError as error:
        raise StepFailed(f"booked {what} (booking {booking_id}) but could not cancel it",
                         error, hint=test.hint(
                             f"cancel it with `{test.cancel_command(booking_id)}`")
                         ) from error
    watch = outcome.watch
    confirmed_s = None if watch is None else round(watch.elapsed_s, 3)
    details = {"event_id": event.id, "event": event.name, "seats": list(target.seat_labels),
               "quantity": target.quantity, "job_id": outcome.entry.job_id,
               "booking_id": booking_id, "confirmed_s": confirmed_s,
               "polls": None if watch is None else watch.polls, "cancelled": True}
    took = "" if confirmed_s is None else f", confirmed in {confirmed_s:.2f} s"
    return passed(BOOKING, f"booked {what} at {event.name} and cancelled it (booking "
                           f"{booking_id}{took})", details)


# Smoke books one ticket of a general-admission event, or the seats --seat names.
SMOKE_WRONG_KIND = WrongKind(
    seats_needed=lambda event: UsageError(
        f"{event.name} has a seat map: give the test seat with --seat LABEL",
        hint=f"see the free ones with `seatctl seats {event.id} --available`"),
    no_seat_map=lambda event: UsageError(
        f"{event.name} is general admission: drop --seat (smoke books one ticket)"))


def _target(client: ApiClient, test: BookingTest) -> tuple[Event, BookingTarget]:
    with step(f"--book-test {test.event}"):
        event = resolve_event(client, test.event)
    if event.started(datetime.now(UTC)):
        raise UsageError(f"the test event {event.name} started at {event.start_time}: the "
                         "server cannot cancel bookings for an event that has started",
                         hint="choose an upcoming event for --book-test (`seatctl events`)")
    resolved = resolve_target(client, event, test.seats, None if test.seats else 1,
                              profile=test.profile, base_url=test.base_url,
                              wrong_kind=SMOKE_WRONG_KIND, resolving=lambda _: step("--seat"))
    taken = unavailable(resolved.seats)
    if taken:
        raise BookingFailed(
            f"the test seat is not free: {describe_unavailable(taken)}",
            hint="choose a free one (`seatctl seats EVENT --available`); an earlier run that "
                 "could not cancel its booking may hold it")
    return event, resolved.target


def _book(client: ApiClient, clock: Clock, target: BookingTarget,
          watch_timeout: float) -> BookingOutcome:
    with TemporaryDirectory(prefix="seatctl-smoke-") as folder, \
            Journal(Path(folder) / "journal.db") as journal, step("the test booking"):
        flow = BookingFlow(client, journal, clock, Watcher(client, clock, timeout=watch_timeout))
        try:
            return flow.book(target)
        except KeyboardInterrupt as interrupt:
            raise BookingInterrupted(_in_hand(flow)) from interrupt


def _in_hand(flow: BookingFlow) -> JournalEntry | None:
    """The test booking's entry, if the journal can still be read."""
    try:
        return flow.in_hand()
    except SeatctlError:
        return None


def _confirmed(client: ApiClient, outcome: BookingOutcome, test: BookingTest) -> str:
    """The booking id of a confirmed booking; else the error that says what happened."""
    entry = outcome.entry
    if outcome.watch is not None:
        error = outcome_error(outcome.watch, entry.job_id or "", entry)
        if isinstance(error, StillPending | StatusUnreadable):
            late = _last_look(client, entry)
            if late is None:
                raise _unconfirmed(outcome, test)
            _cancel_late(client, late, test)
            raise StillPending(
                f"the test booking was confirmed only after the time ran out (job "
                f"{entry.job_id}, booking {late}); it was cancelled",
                hint="raise --max-time, or look at the queue's workers")
        if error is not None:
            raise StepFailed("the test booking", error)
    if entry.booking_id is None:
        raise BookingFailed(f"the test booking ended {entry.state} without a booking id",
                            hint="it cannot be cancelled by id: " + test.hint(
                                f"look for it with `{test.command('bookings')}`"))
    return entry.booking_id


def _last_look(client: ApiClient, entry: JournalEntry) -> str | None:
    """One more status read after the watch gave up: the booking id if it was made."""
    if entry.job_id is None:
        return None
    try:
        answer = job_status(client, entry.job_id)
    except SeatctlError:
        return None
    return answer.status.booking_id if interpret(answer.status) is JobState.CONFIRMED else None


def _cancel_late(client: ApiClient, booking_id: str, test: BookingTest) -> None:
    try:
        cancel_booking(client, booking_id)
    except SeatctlError as error:
        raise StepFailed(f"the test booking was confirmed late (booking {booking_id}) and "
                         "could not be cancelled", error,
                         hint=test.hint(f"cancel it with `{test.cancel_command(booking_id)}`")
                         ) from error


def _unconfirmed(outcome: BookingOutcome, test: BookingTest) -> StillPending:
    entry = outcome.entry
    watch = test.command("watch", entry.job_id or "")
    state = outcome.watch.state.value if outcome.watch and outcome.watch.seen else "unknown"
    return StillPending(
        f"the test booking was still {state} when the time ran out (job {entry.job_id}): "
        "it may still be made",
        hint=test.hint(f"check with `{watch}`; once confirmed, cancel it with "
                       f"`{test.cancel_command('BOOKING_ID')}`"))
