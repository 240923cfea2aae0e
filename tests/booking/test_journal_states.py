"""The journal's states and their transitions are data (`seatctl.booking.journal_states`), and
the journal applies exactly that table: every allowed change is made, every other is a stale
write that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest

from seatctl.booking.journal import Journal
from seatctl.booking.journal_states import (
    EVERY_STATE,
    FINAL_STATES,
    PENDING_STATES,
    TRANSITIONS,
    JournalState,
    journal_state,
    may_become,
    states_that_may_become,
)

KEY = "key-1"
ALLOWED = [(current, new) for current, new in product(JournalState, repeat=2)
           if may_become(current, new)]
REFUSED = [(current, new) for current, new in product(JournalState, repeat=2)
           if not may_become(current, new)]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.db") as journal:
        yield journal


def entry_in(journal: Journal, state: JournalState) -> None:
    """A seat booking of booking id b-1, in `state` (CREATED may become any state)."""
    journal.create(key=KEY, profile="default", base_url="http://127.0.0.1:8080",
                   event_id="evt-1", event_name="Jazz Night", seat_ids=["s-12"],
                   seat_labels=["Orchestra:A12"], quantity=None)
    if state is not JournalState.CREATED:
        journal.update(KEY, state=state, message="before", booking_id="b-1")


def test_the_table_covers_every_state_and_names_only_states() -> None:
    assert set(TRANSITIONS) == set(JournalState)
    assert all(targets <= EVERY_STATE for targets in TRANSITIONS.values())


def test_the_stored_values_never_change() -> None:
    assert [state.value for state in JournalState] == [
        "created", "queued", "processing", "pending", "confirmed", "rejected", "failed",
        "cancelled", "refused"]
    assert PENDING_STATES | FINAL_STATES | {JournalState.REFUSED} == EVERY_STATE


def test_a_final_state_becomes_only_another_final_one_and_cancelled_nothing() -> None:
    for state in FINAL_STATES - {JournalState.CANCELLED}:
        assert TRANSITIONS[state] == FINAL_STATES
    assert TRANSITIONS[JournalState.CANCELLED] == frozenset()


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_each_allowed_transition_is_applied(journal: Journal, current: JournalState,
                                            new: JournalState) -> None:
    entry_in(journal, current)
    entry = journal.update(KEY, state=new, message="after")
    assert (entry.state, entry.message) == (new, "after")


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_a_refused_transition_changes_nothing(journal: Journal, current: JournalState,
                                              new: JournalState) -> None:
    entry_in(journal, current)
    before = journal.get(KEY)
    assert journal.update(KEY, state=new, message="after") == before


def test_a_stale_processing_after_confirmed_is_refused(journal: Journal) -> None:
    entry_in(journal, JournalState.CONFIRMED)
    entry = journal.update(KEY, state="processing", message="Booking is under processing...")
    assert (entry.state, entry.message) == (JournalState.CONFIRMED, "before")


def test_a_new_job_id_starts_over_from_any_state(journal: Journal) -> None:
    entry_in(journal, JournalState.CANCELLED)
    assert journal.add_job(KEY, "job-2").state == JournalState.QUEUED


@pytest.mark.parametrize("current", list(JournalState))
def test_a_known_job_id_queues_the_entry_only_as_the_table_allows(
    journal: Journal, current: JournalState
) -> None:
    entry_in(journal, JournalState.CREATED)
    journal.add_job(KEY, "job-1")
    journal.update(KEY, state=current)
    expected = JournalState.QUEUED if may_become(current, JournalState.QUEUED) else current
    assert journal.add_job(KEY, "job-1").state == expected


@pytest.mark.parametrize("current", list(JournalState))
def test_mark_cancelled_changes_the_states_that_may_become_cancelled(
    journal: Journal, current: JournalState
) -> None:
    entry_in(journal, current)
    if current is JournalState.CREATED:
        journal.update(KEY, state=current, booking_id="b-1")
    changed = journal.mark_cancelled("b-1")
    may = current in states_that_may_become(JournalState.CANCELLED)
    assert [entry.state for entry in changed] == ([JournalState.CANCELLED] if may else [])


def test_an_unknown_state_is_a_value_error_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="invalid journal state 'contended': expected one of "
                                         "cancelled, confirmed, created, failed, pending"):
        journal_state("contended")
