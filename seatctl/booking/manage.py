"""Your bookings on the server, and cancelling them. No printing here.

`GET /api/bookings/my` is the one source of what the server holds; the journal adds what
only it knows (the seats of a seed booking: the seed's list does not name them) and is kept
true by what the list says (a booking the server reports cancelled is cancelled in the
journal too). Cancelling is `DELETE /api/bookings/:id` per booking; its answers become one
of the outcomes below, and the exit code of a run is that of its first failure.

    listing = load_bookings(client, journal, base_url=url, now=now)
    requests = plan_cancellations(["cb1", "cb2"], listing)
    results = Canceller(client, clock, journal=journal, base_url=url).cancel_all(requests)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import tenacity

from seatctl.api.endpoints import cancel_booking, my_bookings
from seatctl.api.models import Booking, User
from seatctl.booking.booking_status import STATUSES, BookingStatus
from seatctl.booking.journal import Journal, JournalEntry, JournalError
from seatctl.booking.journal_states import JournalState
from seatctl.booking.outcome import Resume
from seatctl.clock import Clock, Deadline
from seatctl.errors import (
    AuthError,
    Interrupted,
    NotFound,
    RequestRejected,
    SeatctlError,
)
from seatctl.exit_codes import ExitCode
from seatctl.http import ApiClient

# The contract's 409 "Event capacity changed, please retry" is transient: the DELETE is sent
# again, a few times at most, after a short pause (the HTTP core never repeats a DELETE).
CONFLICT_ATTEMPTS = 3
CONFLICT_PAUSE = 0.5  # seconds, plus up to as much again of jitter
CONFLICT_HINT = "the event's capacity kept changing: try again in a moment"
_ALREADY_CANCELLED = re.compile(r"already\s+cancell?ed", re.IGNORECASE)

# --- listing ------------------------------------------------------------------------------


class SeatsFrom(StrEnum):
    SERVER = "server"  # the `seats` extension of the reference server
    JOURNAL = "journal"  # the labels recorded when the booking was made here
    QUANTITY = "quantity"  # neither: only how many tickets


@dataclass(frozen=True)
class ListedBooking:
    """A booking of the list, with its seats and whether its event has started (at the
    time of listing)."""

    booking: Booking
    seats: tuple[str, ...]  # seat labels; empty when only the quantity is known
    seats_from: SeatsFrom
    started: bool

    @property
    def id(self) -> str:
        return self.booking.id

    @property
    def status(self) -> str:
        return self.booking.status or "unknown"

    @property
    def cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED

    @property
    def can_cancel(self) -> bool:
        """What the server allows: not cancelled yet, and the event not started."""
        return not self.cancelled and not self.started

    @property
    def event_name(self) -> str | None:
        return self.booking.event.name if self.booking.event else None

    @property
    def seat_text(self) -> str:
        """`Orchestra:A12, Orchestra:A13`, `2 tickets`, or `-` when nothing is known."""
        if self.seats:
            return ", ".join(self.seats)
        return tickets(self.booking.quantity) or "-"


def tickets(quantity: int | None) -> str | None:
    if quantity is None:
        return None
    return f"{quantity} ticket{'' if quantity == 1 else 's'}"


def seats_of(booking: Booking, entry: JournalEntry | None) -> tuple[tuple[str, ...], SeatsFrom]:
    """The server's seat labels when it names them, else the journal's (recorded when the
    booking was made from this machine), else none: the quantity is all there is."""
    if booking.seats:
        return tuple(seat.label for seat in booking.seats), SeatsFrom.SERVER
    if entry is not None and entry.seat_labels:
        return tuple(entry.seat_labels), SeatsFrom.JOURNAL
    return (), SeatsFrom.QUANTITY


@dataclass(frozen=True)
class BookingFilter:
    """`--status` (any of them; none: every status) and `--upcoming` (not started)."""

    statuses: frozenset[str] = frozenset()
    upcoming: bool = False

    def keeps(self, listed: ListedBooking) -> bool:
        if self.statuses and listed.status not in self.statuses:
            return False
        return not (self.upcoming and listed.started)

    @property
    def active(self) -> bool:
        return bool(self.statuses) or self.upcoming

    def describe(self) -> str:
        """`confirmed or pending, upcoming` (for "no ... bookings")."""
        words = [" or ".join(sorted(self.statuses))] if self.statuses else []
        if self.upcoming:
            words.append("upcoming")
        return ", ".join(words)


@dataclass(frozen=True)
class BookingList:
    user: User | None
    bookings: list[ListedBooking]  # as the server sent them: newest first
    summary: dict[str, Any]  # the server's, or counted here when it sends none

    def matching(self, wanted: BookingFilter) -> list[ListedBooking]:
        return [listed for listed in self.bookings if wanted.keeps(listed)]

    def find(self, booking_id: str) -> ListedBooking | None:
        return next((listed for listed in self.bookings if listed.id == booking_id), None)


def load_bookings(client: ApiClient, journal: Journal | None, *, base_url: str,
                  now: datetime) -> BookingList:
    """`GET /api/bookings/my` (one request), with the journal's seats; every booking the
    server reports cancelled is marked so in the journal."""
    mine = my_bookings(client)
    listed = []
    for booking in mine.bookings:
        entry = journal.by_booking(booking.id, base_url=base_url) if journal else None
        if journal is not None and entry is not None and booking.status == BookingStatus.CANCELLED \
                and entry.state != JournalState.CANCELLED:
            journal.mark_cancelled(booking.id, base_url=base_url)
        seats, source = seats_of(booking, entry)
        listed.append(ListedBooking(booking, seats, source, booking.started(now)))
    summary = mine.summary if mine.summary is not None else count(listed)
    return BookingList(mine.user, listed, summary)


def count(bookings: Sequence[ListedBooking]) -> dict[str, int]:
    """The contract's summary: `{total, confirmed, cancelled, pending}`."""
    return {"total": len(bookings),
            **{status: sum(listed.status == status for listed in bookings)
               for status in STATUSES}}


# --- cancelling ---------------------------------------------------------------------------


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"  # success too: what was asked is so
    REFUSED = "refused"  # 400: the event has started (or another reason the server gives)
    NOT_FOUND = "not_found"  # 404
    FORBIDDEN = "forbidden"  # 403: someone else's booking
    FAILED = "failed"  # anything else: the network, the server, a conflict that stayed


SUCCESSES = frozenset({CancelOutcome.CANCELLED, CancelOutcome.ALREADY_CANCELLED})


@dataclass(frozen=True)
class CancelRequest:
    """A booking id to cancel, with what the list said of it (None: not in the list)."""

    booking_id: str
    listed: ListedBooking | None = None

    @property
    def already_cancelled(self) -> bool:
        return self.listed is not None and self.listed.cancelled

    @property
    def started(self) -> bool:
        return self.listed is not None and self.listed.started

    @property
    def to_send(self) -> bool:
        """A DELETE is sent unless the list shows it cancelled already."""
        return not self.already_cancelled


def plan_cancellations(booking_ids: Iterable[str], listing: BookingList) -> list[CancelRequest]:
    """One request per distinct id, in the order given; ids not in the caller's list are
    kept (the server decides: 403 or 404)."""
    unique = dict.fromkeys(booking_ids)
    return [CancelRequest(booking_id, listing.find(booking_id)) for booking_id in unique]


@dataclass(frozen=True)
class CancelResult:
    booking_id: str
    outcome: CancelOutcome
    message: str
    refund: float | None = None  # the booking's total, when the list gave it
    event_name: str | None = None
    error: SeatctlError | None = None
    journal_error: str | None = None  # the journal could not record it (the server did)

    @property
    def ok(self) -> bool:
        return self.outcome in SUCCESSES

    @property
    def exit_code(self) -> ExitCode:
        if self.ok:
            return ExitCode.OK
        return self.error.exit_code if self.error is not None else ExitCode.FAILURE

    @property
    def hint(self) -> str | None:
        """What to do about a failure the server did not explain (403 and 404 have their
        own, naming commands: the rendering's)."""
        if self.error is None:
            return None
        return CONFLICT_HINT if capacity_changed(self.error) else self.error.hint

    def as_dict(self) -> dict[str, Any]:
        """The `--json` shape of one booking's outcome."""
        return {"bookingId": self.booking_id, "outcome": self.outcome.value,
                "message": self.message, "refund": self.refund, "event": self.event_name,
                "exitCode": int(self.exit_code)}


def classify(error: SeatctlError) -> CancelOutcome:
    """What a failed DELETE means (the exit code stays the error's own)."""
    if isinstance(error, RequestRejected) and error.status_code == 400:
        said = error.server_message or error.message
        if _ALREADY_CANCELLED.search(said):
            return CancelOutcome.ALREADY_CANCELLED
        return CancelOutcome.REFUSED
    if isinstance(error, NotFound):
        return CancelOutcome.NOT_FOUND
    if isinstance(error, AuthError) and error.status_code == 403:
        return CancelOutcome.FORBIDDEN
    return CancelOutcome.FAILED


def first_failure(results: Iterable[CancelResult]) -> ExitCode:
    """The exit code of a run: that of its first failure, 0 when there was none."""
    return next((result.exit_code for result in results if not result.ok), ExitCode.OK)


class CancelInterrupted(Interrupted):
    """Ctrl-C between (or during) the DELETEs: what was done, what may have been, and what
    was not sent."""

    def __init__(self, done: list[CancelResult], in_flight: str | None,
                 not_sent: list[str], resume: Resume | None = None) -> None:
        cancelled = [result.booking_id for result in done if result.ok]
        parts = [f"cancelled {', '.join(cancelled)}" if cancelled else "nothing cancelled"]
        if in_flight is not None:
            parts.append(f"{in_flight} may or may not be cancelled")
        if not_sent:
            parts.append(f"not sent: {', '.join(not_sent)}")
        listing = (resume or Resume()).command("bookings")
        super().__init__(f"interrupted: {'; '.join(parts)}",
                         hint=f"see which are cancelled with `{listing}`"
                         if in_flight is not None or not_sent else None)
        self.done = done
        self.in_flight = in_flight
        self.not_sent = not_sent


RetryNotice = Callable[[str, float, SeatctlError], None]
"""Called before a DELETE is sent again: (booking id, seconds to wait, the 409)."""


@dataclass
class Canceller:
    client: ApiClient
    clock: Clock
    journal: Journal | None = None
    base_url: str | None = None  # the server the journal's entries must have been made on
    deadline: Deadline | None = None  # the command's --timeout: no pause runs past it
    resume: Resume | None = None  # the flags a hint's command needs to reach this server
    on_retry: RetryNotice | None = None
    attempts: int = CONFLICT_ATTEMPTS
    pause: float = CONFLICT_PAUSE
    _sent: set[str] = field(default_factory=set, init=False)  # ids a DELETE went out for

    def cancel_all(self, requests: Sequence[CancelRequest],
                   on_result: Callable[[CancelResult], None] | None = None
                   ) -> list[CancelResult]:
        """Each request in turn; Ctrl-C stops at once (CancelInterrupted)."""
        results: list[CancelResult] = []
        for index, request in enumerate(requests):
            try:
                result = self.cancel(request)
            except KeyboardInterrupt:
                in_flight = request.booking_id if request.booking_id in self._sent else None
                not_sent = [later.booking_id for later in requests[index:]
                            if later.to_send and later.booking_id != in_flight]
                raise CancelInterrupted(results, in_flight, not_sent, self.resume) from None
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results

    def cancel(self, request: CancelRequest) -> CancelResult:
        """One booking: no DELETE when the list shows it cancelled already."""
        listed = request.listed
        refund = listed.booking.total_price if listed else None
        event = listed.event_name if listed else None
        if request.already_cancelled:
            result = CancelResult(request.booking_id, CancelOutcome.ALREADY_CANCELLED,
                                  "already cancelled (as your bookings show): nothing sent",
                                  None, event)
            return self._recorded(result)
        try:
            self._delete(request.booking_id)
        except SeatctlError as error:
            outcome = classify(error)
            message = getattr(error, "server_message", None) or error.message
            result = CancelResult(request.booking_id, outcome, message,
                                  None, event, None if outcome in SUCCESSES else error)
            return self._recorded(result) if result.ok else result
        return self._recorded(CancelResult(request.booking_id, CancelOutcome.CANCELLED,
                                           "cancelled", refund, event))

    def _delete(self, booking_id: str) -> None:
        for attempt in self._retrying(booking_id):
            with attempt:
                self._sent.add(booking_id)
                cancel_booking(self.client, booking_id)

    def _retrying(self, booking_id: str) -> tenacity.Retrying:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            if self.on_retry is not None and isinstance(error, SeatctlError):
                self.on_retry(booking_id, state.upcoming_sleep, error)

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(capacity_changed),
            stop=tenacity.stop_any(tenacity.stop_after_attempt(self.attempts),
                                   _PastDeadline(self.deadline)),
            wait=tenacity.wait_fixed(self.pause) + tenacity.wait_random(0, self.pause),
            sleep=self.clock.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _recorded(self, result: CancelResult) -> CancelResult:
        """Every cancellation (and every "already cancelled") goes into the journal."""
        if self.journal is None:
            return result
        try:
            self.journal.mark_cancelled(result.booking_id, base_url=self.base_url)
        except JournalError as error:
            return CancelResult(result.booking_id, result.outcome, result.message,
                                result.refund, result.event_name, result.error, error.message)
        return result


class _PastDeadline(tenacity.stop.stop_base):
    """Stop when the pause would end past the command's deadline (--timeout)."""

    def __init__(self, deadline: Deadline | None) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        remaining = self._deadline.remaining() if self._deadline is not None else None
        return remaining is not None and retry_state.upcoming_sleep >= remaining


def capacity_changed(error: BaseException) -> bool:
    """The contract's transient 409 ("Event capacity changed, please retry")."""
    return isinstance(error, RequestRejected) and error.status_code == 409
