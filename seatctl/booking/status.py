"""What a job status answer means. The seed backend never says it outright (contract.md):

| answer                                              | JobState   |
|-----------------------------------------------------|------------|
| an explicit `state` (the reference server's)        | that state |
| `success: true`                                     | CONFIRMED  |
| `success: false`, message mentions "processing"     | PENDING    |
| `success: false` with `unavailableSeats`            | REJECTED   |
| `success: false`, "currently being booked by another user" | CONTENDED |
| any other `success: false`                          | FAILED     |

CONTENDED ends the job but not the booking: the seats were locked by someone else, so the
booking may be sent again with the same key.
"""

from __future__ import annotations

from enum import StrEnum

from seatctl.api.models import JobStatus

PENDING_MARKER = "processing"
CONTENTION_MARKER = "currently being booked by another user"


class JobState(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    PENDING = "pending"  # queued or processing: the seed backend does not say which
    CONFIRMED = "confirmed"
    REJECTED = "rejected"  # some seats were taken or blocked
    CONTENDED = "contended"  # lost the race for the seat lock: transient
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (JobState.CONFIRMED, JobState.REJECTED, JobState.CONTENDED,
                        JobState.FAILED)


_EXPLICIT = {"queued": JobState.QUEUED, "processing": JobState.PROCESSING,
             "confirmed": JobState.CONFIRMED}


def interpret(status: JobStatus) -> JobState:
    explicit = (status.state or "").lower()
    if explicit not in (*_EXPLICIT, "failed"):
        explicit = ""  # a state this client does not know: read the answer as the seed's
    if explicit in _EXPLICIT:
        return _EXPLICIT[explicit]
    if status.success and explicit != "failed":
        return JobState.CONFIRMED
    message = (status.message or "").lower()
    if status.unavailable_seats:
        return JobState.REJECTED
    if CONTENTION_MARKER in message:
        return JobState.CONTENDED
    if not explicit and PENDING_MARKER in message:
        return JobState.PENDING
    return JobState.FAILED
