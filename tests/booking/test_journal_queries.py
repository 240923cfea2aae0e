"""The journal's queries for one profile on one server (`watch --last`, `book --resume`), and
opening it without creating it (listings, a dry run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seatctl.booking.journal import Journal, open_journal
from seatctl.booking.journal_states import JournalState

HERE = "http://127.0.0.1:8080"
THERE = "https://api.example.com"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.db") as journal:
        yield journal


def entry(journal: Journal, key: str, *, profile: str = "default", base_url: str = HERE,
          job_id: str | None = None, state: JournalState = JournalState.CREATED) -> None:
    journal.create(key=key, profile=profile, base_url=base_url, event_id="evt-1",
                   event_name="Jazz Night", seat_ids=[], seat_labels=[], quantity=1)
    if job_id is not None:
        journal.add_job(key, job_id)
    if state is not JournalState.CREATED:
        journal.update(key, state=state)


def test_last_is_the_newest_entry_with_a_job_of_the_profile_on_the_server(
    journal: Journal
) -> None:
    entry(journal, "here", job_id="job-1")
    entry(journal, "there", base_url=THERE, job_id="job-2")
    entry(journal, "staging", profile="staging", job_id="job-3")
    entry(journal, "no-job")
    assert journal.last("default", base_url=HERE).key == "here"  # type: ignore[union-attr]
    assert journal.last("default").key == "there"  # type: ignore[union-attr]
    assert journal.last().key == "staging"  # type: ignore[union-attr]
    assert journal.last("default", base_url="http://elsewhere") is None


def test_last_unfinished_is_the_newest_pending_entry_of_the_profile_on_the_server(
    journal: Journal
) -> None:
    entry(journal, "older", job_id="job-1")
    entry(journal, "newer")  # created: the POST's answer was lost
    entry(journal, "done", job_id="job-2", state=JournalState.CONFIRMED)
    entry(journal, "refused", state=JournalState.REFUSED)  # resumed only when asked by name
    entry(journal, "there", base_url=THERE)
    assert journal.last_unfinished("default", HERE).key == "newer"  # type: ignore[union-attr]
    assert journal.last_unfinished("staging", HERE) is None


def test_open_journal_creates_none_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    with open_journal(path, create=False) as missing:
        assert missing is None and not path.exists()
    with open_journal(path) as created:
        assert isinstance(created, Journal) and path.exists()
    with open_journal(path, create=False) as existing:
        assert isinstance(existing, Journal)
