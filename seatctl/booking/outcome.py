"""What a finished (or abandoned) watch means for the user: a document and an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seatctl.booking.status import JobState
from seatctl.errors import BookingFailed, SeatctlError, StillPending

if TYPE_CHECKING:
    from seatctl.api.models import UnavailableSeat
    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.watch import WatchResult


def watch_document(result: WatchResult, entry: JournalEntry | None, job_id: str
                   ) -> dict[str, Any]:
    """The `--json` object: {jobId, bookingId, state, message, seats, totalPrice, elapsed_s,
    polls}, plus the booking key when the journal knows the job."""
    status = result.status
    return {
        "jobId": job_id,
        "bookingId": status.booking_id if status else None,
        "state": result.state.value,
        "message": status.message if status else None,
        "seats": list(entry.seat_labels) if entry else None,
        "totalPrice": status.total_price if status else None,
        "elapsed_s": round(result.elapsed_s, 3),
        "polls": result.polls,
        "timedOut": result.timed_out,
        "key": entry.key if entry else None,
    }


def outcome_error(result: WatchResult, job_id: str, entry: JournalEntry | None = None
                  ) -> SeatctlError | None:
    """None when confirmed; otherwise the error whose exit code the documentation promises.
    Seats the server names are called by the labels the user gave, when the journal has them."""
    status = result.status
    message = (status.message if status else None) or "no message"
    if result.state is JobState.CONFIRMED:
        return None
    if result.timed_out or not result.state.final:
        return StillPending(f"job {job_id} is still {result.state.value} after "
                            f"{result.elapsed_s:.0f}s",
                            hint=f"resume with `seatctl watch {job_id}`")
    if result.state is JobState.REJECTED:
        seats = (status.unavailable_seats or []) if status else []
        labels = dict(zip(entry.seat_ids, entry.seat_labels, strict=False)) if entry else {}
        taken = ", ".join(_seat_name(seat, labels) for seat in seats)
        return BookingFailed(f"booking rejected: {message}: {taken}",
                             hint="choose other seats (`seatctl seats EVENT --available`)")
    if result.state is JobState.CONTENDED:
        return BookingFailed(f"booking not made: {message}",
                             hint="the seats were being booked by someone else; try again")
    return BookingFailed(f"booking failed: {message}")


def _seat_name(seat: UnavailableSeat, labels: dict[str, str]) -> str:
    name = labels.get(seat.id) or f"{seat.row or ''}{seat.number or ''}" or seat.id
    reason = (seat.reason or "unavailable").replace("_", " ")
    return f"{name} ({reason})"
