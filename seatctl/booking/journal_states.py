"""The states of a journal entry, and which state may follow which: data, read in one place.

    created ─▶ queued ─▶ processing, pending ─▶ confirmed, rejected, failed
    created ─▶ confirmed (general admission: no job), failed (the POST refused as sent),
               refused (the POST refused for who sent it: 401, 403)
    confirmed ─▶ cancelled (`seatctl cancel`)

What the server says is applied through TRANSITIONS (`may_become`). A pending or refused
entry may become anything; a final one only another final state, so a stale "processing" (a
slower watch of the same job writing last) never makes a confirmed booking look pending
again, yet a final state can still be corrected; a cancelled booking stays cancelled. A new
attempt (a new job id for the key: the booking was sent again) starts over from any state:
that is `Journal.add_job`'s to decide, not the server's.

The values are the strings stored in the journal file: they must never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class JournalState(StrEnum):
    CREATED = "created"  # the key is written, nothing sent (or no answer yet)
    QUEUED = "queued"
    PROCESSING = "processing"
    PENDING = "pending"  # queued or processing: the seed backend does not say which
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a confirmed booking cancelled afterwards (`seatctl cancel`)
    # The POST was refused for who sent it (401, 403): sent again only when the same
    # booking is asked for again by name, never by `book --resume`.
    REFUSED = "refused"


PENDING_STATES = frozenset({JournalState.CREATED, JournalState.QUEUED,
                            JournalState.PROCESSING, JournalState.PENDING})
FINAL_STATES = frozenset({JournalState.CONFIRMED, JournalState.REJECTED,
                          JournalState.FAILED, JournalState.CANCELLED})
# Resumed by the same booking asked for again (`Journal.find_unfinished`).
RESUMABLE_STATES = PENDING_STATES | {JournalState.REFUSED}
EVERY_STATE = frozenset(JournalState)

TRANSITIONS: Mapping[JournalState, frozenset[JournalState]] = {
    JournalState.CREATED: EVERY_STATE,
    JournalState.QUEUED: EVERY_STATE,
    JournalState.PROCESSING: EVERY_STATE,
    JournalState.PENDING: EVERY_STATE,
    JournalState.REFUSED: EVERY_STATE,
    JournalState.CONFIRMED: FINAL_STATES,
    JournalState.REJECTED: FINAL_STATES,
    JournalState.FAILED: FINAL_STATES,
    JournalState.CANCELLED: frozenset(),
}


def journal_state(text: str) -> JournalState:
    """`text` as a state; a ValueError naming the valid ones otherwise."""
    try:
        return JournalState(text)
    except ValueError:
        raise ValueError(f"invalid journal state {text!r}: expected one of "
                         f"{', '.join(sorted(EVERY_STATE))}") from None


def may_become(current: JournalState, new: JournalState) -> bool:
    """Whether an entry in `current` takes `new` (and what else the server said with it);
    when not, the write is stale and the entry stays as it is."""
    return new in TRANSITIONS[current]


def states_that_may_become(new: JournalState) -> list[JournalState]:
    """The states an entry may be in to take `new`, sorted (for a query)."""
    return sorted(state for state in JournalState if may_become(state, new))
