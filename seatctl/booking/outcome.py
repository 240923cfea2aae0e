"""What a finished (or abandoned) watch means for the user: a document and an exit code.

A watch that could not read the status at its end (no budget left, the network down) never
reports "pending": it says the state is unknown, gives the last state it knows (the journal's,
kept in step by every watch, or the server's last answer) as such, and names the exact
command that resumes, with the profile and server the job belongs to.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seatctl.api.models import JobStatus, UnavailableSeat
from seatctl.booking.journal_states import JournalState
from seatctl.booking.status import JobState
from seatctl.booking.watch import EndReason, WatchResult
from seatctl.errors import (
    BookingFailed,
    Interrupted,
    SeatctlError,
    StatusUnreadable,
    StillPending,
)
from seatctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from seatctl.booking.journal import JournalEntry


@dataclass(frozen=True)
class Resume:
    """The global flags that address a job's server: the profile, and the base URL when it
    did not come from that profile (a flag or an environment variable, gone next time)."""

    profile: str | None = None
    base_url: str | None = None

    def command(self, *words: str) -> str:
        flags: list[str] = []
        if self.profile:
            flags += ["--profile", self.profile]
        if self.base_url:
            flags += ["--base-url", self.base_url]
        return shlex.join(["seatctl", *flags, *words])


def watch_interrupted(job_id: str, resume: Resume) -> Interrupted:
    """Ctrl-C stops the watch, not the job: say so, and how to pick it up again."""
    return Interrupted(f"stopped watching; job {job_id} goes on on the server",
                       hint=f"resume with `{resume.command('watch', job_id)}`")


@dataclass(frozen=True)
class LastKnown:
    state: str
    source: str  # "journal" or "server"
    at: str | None = None  # when the journal recorded it (ISO 8601 UTC)

    def as_dict(self) -> dict[str, str | None]:
        return {"state": self.state, "source": self.source, "at": self.at}

    def describe(self) -> str:
        at = f" at {self.at}" if self.at else ""
        return f"{self.state} ({self.source}{at})"


def last_known(result: WatchResult, entry: JournalEntry | None) -> LastKnown | None:
    if entry is not None and entry.job_id == result.job_id:
        return LastKnown(entry.state, "journal", entry.updated_at)
    if result.seen:
        return LastKnown(result.state.value, "server")
    return None


def watch_document(result: WatchResult, entry: JournalEntry | None, job_id: str
                   ) -> dict[str, Any]:
    """The `--json` object: {jobId, bookingId, state, message, seats, totalPrice, elapsed_s,
    polls, timedOut, endedBy, rate_limit, lastKnown, key}. `state` is "unknown" when the
    status could not be read at the end; `lastKnown` then says what was known, and whence."""
    status = result.status
    unreadable = result.ended_by in (EndReason.RATE_LIMITED, EndReason.NETWORK)
    known = last_known(result, entry) if unreadable else None
    return {
        "jobId": job_id,
        "bookingId": status.booking_id if status else None,
        "state": "unknown" if unreadable else result.state.value,
        "message": status.message if status else None,
        "seats": list(entry.seat_labels) if entry else None,
        "totalPrice": status.total_price if status else None,
        "elapsed_s": round(result.elapsed_s, 3),
        "polls": result.polls,
        "timedOut": result.ended_by is EndReason.TIMEOUT,
        "endedBy": result.ended_by.value,
        "rate_limit": result.rate_limit.as_dict() if result.rate_limit else None,
        "lastKnown": known.as_dict() if known else None,
        "key": entry.key if entry else None,
    }


def entry_document(entry: JournalEntry) -> dict[str, Any]:
    """A booking not watched (general admission, or `--no-wait` of one), as the journal
    has it: the `--json` object of the watch's shape, without what only a watch knows."""
    return {"jobId": entry.job_id, "bookingId": entry.booking_id, "state": entry.state,
            "message": entry.message, "seats": None, "quantity": entry.quantity,
            "totalPrice": entry.total_price, "key": entry.key}


def journal_result(entry: JournalEntry) -> WatchResult:
    """A job the journal knows as final, as a watch of it would have ended (no request)."""
    # A cancelled booking's job did confirm it: `finished` says what became of it since.
    cancelled = entry.state == JournalState.CANCELLED
    state = JobState.CONFIRMED if cancelled else JobState(entry.state)
    status = JobStatus.model_validate({
        "success": state is JobState.CONFIRMED, "message": entry.message,
        "bookingId": entry.booking_id, "totalPrice": entry.total_price})
    return WatchResult(entry.job_id or "", state, status, polls=0, elapsed_s=0.0)


@dataclass(frozen=True)
class Finished:
    """What a watch's end (or the journal's final state) means for the user."""

    document: dict[str, Any]  # the `--json` object; with "error" unless confirmed
    error: SeatctlError | None  # None: confirmed
    cancelled: bool  # confirmed by its job, cancelled since (`seatctl cancel`)


def finished(result: WatchResult, entry: JournalEntry | None, job_id: str, *,
             resume: Resume, resumed: bool | None = None) -> Finished:
    """`resumed` (`book`): whether an unfinished earlier attempt was picked up."""
    document = watch_document(result, entry, job_id)
    if resumed is not None:
        document["resumed"] = resumed
    error = outcome_error(result, job_id, entry, resume=resume)
    if error is not None:
        document["error"] = error.as_dict()
    cancelled = error is None and entry is not None and entry.state == JournalState.CANCELLED
    if cancelled:
        document.update(state=JournalState.CANCELLED, message="confirmed, then cancelled")
    return Finished(document, error, cancelled)


def outcome_error(result: WatchResult, job_id: str, entry: JournalEntry | None = None, *,
                  resume: Resume | None = None, now: float | None = None
                  ) -> SeatctlError | None:
    """None when confirmed; otherwise the error whose exit code the documentation promises.
    Seats the server names are called by the labels the user gave, when the journal has them.
    `now` (Unix time) places the rate limit's reset."""
    status = result.status
    message = (status.message if status else None) or "no message"
    if result.state is JobState.CONFIRMED and result.ended_by is EndReason.FINAL:
        return None
    command = (resume or Resume()).command("watch", job_id)
    if result.ended_by in (EndReason.RATE_LIMITED, EndReason.NETWORK):
        return _unreadable(result, job_id, entry, command, now)
    if result.timed_out or not result.state.final:
        return StillPending(f"job {job_id} is still {result.state.value} after "
                            f"{result.elapsed_s:.0f}s", hint=f"resume with `{command}`")
    if result.state is JobState.REJECTED:
        seats = (status.unavailable_seats or []) if status else []
        labels = dict(zip(entry.seat_ids, entry.seat_labels, strict=False)) if entry else {}
        taken = ", ".join(_seat_name(seat, labels) for seat in seats)
        event = shlex.quote(entry.event_id) if entry else "EVENT"
        return BookingFailed(f"booking rejected: {message}: {taken}",
                             hint=f"choose other seats (`seatctl seats {event} --available`)")
    if result.state is JobState.CONTENDED:
        return BookingFailed(f"booking not made: {message}",
                             hint="the seats were being booked by someone else; try again")
    return BookingFailed(f"booking failed: {message}")


def _unreadable(result: WatchResult, job_id: str, entry: JournalEntry | None, command: str,
                now: float | None) -> StatusUnreadable:
    import time

    from seatctl.http import local_time

    known = last_known(result, entry)
    said = f"; last known: {known.describe()}" if known else ""
    if result.ended_by is EndReason.RATE_LIMITED:
        moment = time.time() if now is None else now
        budget = result.rate_limit.describe(moment) if result.rate_limit else "no budget left"
        after = ""
        if result.rate_limit and result.rate_limit.reset_at is not None:
            after = f"after {local_time(result.rate_limit.reset_at, moment)} "
        return StatusUnreadable(
            f"cannot read job {job_id}'s status: rate limited ({budget}){said}",
            exit_code=ExitCode.SERVER, hint=f"resume {after}with `{command}`")
    failure = result.last_error
    reason = failure.message if failure else "the network failed"
    return StatusUnreadable(
        f"cannot read job {job_id}'s status: {reason}{said}",
        exit_code=failure.exit_code if failure else ExitCode.NETWORK,
        hint=f"the job goes on on the server; resume with `{command}`")


def _seat_name(seat: UnavailableSeat, labels: dict[str, str]) -> str:
    name = labels.get(seat.id) or f"{seat.row or ''}{seat.number or ''}" or seat.id
    reason = (seat.reason or "unavailable").replace("_", " ")
    return f"{name} ({reason})"
