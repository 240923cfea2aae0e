"""Booking without losing or doubling anything.

1. The booking key (a UUID) is written to the journal before anything is sent, so a crash
   or Ctrl-C at any later point leaves it there to resume with.
2. The POST carries the key (body `idempotencyKey` and `Idempotency-Key` header), so the
   HTTP core may retry it after a reset, a timeout or a 502/503/504: the server collapses
   repeats of a key into one booking.
3. The job is watched to a final state; a lost race for the seat lock ("contended") is
   transient, so the booking is sent again with the same key (bounded).
4. Running the same booking again (same profile, server, event and seats) while an earlier
   attempt is unfinished resumes it: the same key, or the same job if one was accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from seatctl.api.endpoints import book_quantity, submit_seat_booking
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.journal_states import JournalState
from seatctl.booking.outcome import Resume, watch_interrupted
from seatctl.booking.status import JobState
from seatctl.booking.target import BookingTarget, unfinished_attempt
from seatctl.booking.watch import Watcher, WatchResult, WatchUpdate, fan_out
from seatctl.clock import Clock
from seatctl.errors import HTTPStatusError, Interrupted, NotFound
from seatctl.http import ApiClient

CONTENDED_RESENDS = 3
CONTENDED_PAUSE = 0.5  # seconds before sending a contended booking again


@dataclass(frozen=True)
class BookingOutcome:
    entry: JournalEntry
    resumed: bool  # an unfinished earlier attempt was picked up
    watch: WatchResult | None  # None: not watched (--no-wait, or general admission)


@dataclass
class BookingFlow:
    client: ApiClient
    journal: Journal
    clock: Clock
    watcher: Watcher
    retry_contended: int = CONTENDED_RESENDS
    on_sending: Callable[[JournalEntry], None] = lambda entry: None
    on_submitted: Callable[[JournalEntry], None] = lambda entry: None
    current: JournalEntry | None = None  # the booking in hand, for an interrupt to name
    submitting: bool = False  # a POST is out and unanswered: an interrupt must say so

    def book(self, target: BookingTarget, *, wait: bool = True) -> BookingOutcome:
        entry, resumed = self._entry_for(target)
        return self._finish(entry, resumed, wait)

    def resume(self, entry: JournalEntry, *, wait: bool = True) -> BookingOutcome:
        """`seatctl book --resume`: finish an unfinished booking from its journal entry."""
        self.current = entry
        return self._finish(entry, True, wait)

    def watch_entry(self, entry: JournalEntry, job_id: str) -> WatchResult:
        """Watch one job, recording each state change in the journal entry."""
        watcher = replace(self.watcher, on_update=fan_out(
            record_updates(self.journal, entry.key), self.watcher.on_update))
        return watcher.watch(job_id, since=self.clock.monotonic())

    def in_hand(self) -> JournalEntry | None:
        """The booking in hand as the journal has it now (a watch records what it learns
        there); None before there is one."""
        return None if self.current is None else self.journal.get(self.current.key)

    def interrupted(self, resume: Resume) -> Interrupted:
        """What Ctrl-C during `book` or `resume` leaves, and the command (with `resume`'s
        flags) that picks it up again."""
        job_id = self.current.job_id if self.current else None
        if job_id is not None and not self.submitting:
            return watch_interrupted(job_id, resume)
        return Interrupted(
            "interrupted before the server answered; the booking key is kept in the journal",
            hint=f"run the same `seatctl book` again, or `{resume.command('book', '--resume')}`"
                 ": the same key makes at most one booking")

    def _finish(self, entry: JournalEntry, resumed: bool, wait: bool) -> BookingOutcome:
        if entry.quantity is not None:
            return BookingOutcome(self._book_quantity(entry, entry.quantity), resumed, None)
        if entry.job_id is None or entry.state in (JournalState.CREATED, JournalState.REFUSED):
            entry = self._submit(entry)
        if not wait:
            return BookingOutcome(entry, resumed, None)
        return self._watch_with_resends(entry, resumed)

    def _entry_for(self, target: BookingTarget) -> tuple[JournalEntry, bool]:
        earlier = unfinished_attempt(self.journal, target)
        if earlier is not None:
            self.current = earlier
            return earlier, True
        self.current = entry = self.journal.create(
            key=str(uuid.uuid4()), profile=target.profile, base_url=target.base_url,
            event_id=target.event_id, event_name=target.event_name,
            seat_ids=list(target.seat_ids), seat_labels=list(target.seat_labels),
            quantity=target.quantity)
        return entry, False

    def _submit(self, entry: JournalEntry) -> JournalEntry:
        self.submitting = True
        self.on_sending(entry)
        try:
            submitted = submit_seat_booking(self.client, entry.event_id, entry.seat_ids,
                                            entry.key)
        except HTTPStatusError as error:
            self._fail_if_refused(entry, error)
            raise
        self.current = entry = self.journal.add_job(entry.key, submitted.job_id)
        self.submitting = False
        self.on_submitted(entry)
        return entry

    def _watch_with_resends(self, entry: JournalEntry, resumed: bool) -> BookingOutcome:
        resends, vanished = self.retry_contended, False
        while True:
            assert entry.job_id is not None
            try:
                result = self.watch_entry(entry, entry.job_id)
            except NotFound:
                if vanished:
                    raise
                # The server forgot the job (a queue flushed, a restart): the same key may
                # be sent again, it makes at most one booking.
                vanished, entry = True, self._submit(entry)
                continue
            if result.state is not JobState.CONTENDED:
                return BookingOutcome(self.journal.get(entry.key) or entry, resumed, result)
            if resends <= 0:
                entry = self.journal.update(entry.key, state=JournalState.FAILED,
                                            message=result.status.message if result.status
                                            else None)
                return BookingOutcome(entry, resumed, result)
            resends -= 1
            self.clock.sleep(CONTENDED_PAUSE)  # let the other booking finish with the lock
            entry = self._submit(entry)

    def _book_quantity(self, entry: JournalEntry, quantity: int) -> JournalEntry:
        self.submitting = True
        try:
            booking, created = book_quantity(self.client, entry.event_id, quantity, entry.key)
        except HTTPStatusError as error:
            self._fail_if_refused(entry, error)
            raise
        self.submitting = False
        message = f"booked {quantity} ticket(s)" if created else "Booking already exists"
        return self.journal.update(entry.key, state=JournalState.CONFIRMED, booking_id=booking.id,
                                   total_price=booking.total_price, message=message)

    def _fail_if_refused(self, entry: JournalEntry, error: HTTPStatusError) -> None:
        """Refused as sent (400, 404, 409, 422): resuming it would be refused again. A 401 or
        403 is refused for who sent it: kept, to send again when asked for by name. A 429 or
        a 5xx leaves the booking resumable."""
        self.submitting = False
        if error.status_code in (401, 403):
            self.journal.update(entry.key, state=JournalState.REFUSED,
                                message=error.server_message or error.message)
        elif not error.retryable:
            self.journal.update(entry.key, state=JournalState.FAILED, message=error.message)


def record_updates(journal: Journal, key: str) -> Callable[[WatchUpdate], None]:
    """A watch callback that keeps the journal entry `key` in step with the job."""

    def record(update: WatchUpdate) -> None:
        if update.state is not None and update.status is not None:
            journal.update(key, state=_journal_state(update.state),
                           message=update.status.message, booking_id=update.status.booking_id,
                           total_price=update.status.total_price)

    return record


def _journal_state(state: JobState) -> JournalState:
    # The journal keeps a booking's state: a contended job leaves the booking pending
    # (it is sent again), queued/processing/pending stay as they are.
    return JournalState.PENDING if state is JobState.CONTENDED else JournalState(state.value)
