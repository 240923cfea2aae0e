"""The booking journal: what it records, its rules, its file, and concurrent writers."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from seatctl.booking.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalEntry,
    JournalError,
)
from seatctl.booking.journal_states import FINAL_STATES, PENDING_STATES, JournalState
from seatctl.errors import UsageError
from tests.support.clock import SteppingDatetimeClock

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "seatctl" / "journal.db"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(path, clock=SteppingDatetimeClock(T0)) as journal:
        yield journal


def booking(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": "key-1", "profile": "default", "base_url": "http://127.0.0.1:8080",
        "event_id": "evt-1", "event_name": "Jazz Night", "seat_ids": ["s-12", "s-13"],
        "seat_labels": ["Orchestra:A12", "Orchestra:A13"], "quantity": None,
    }
    return fields | overrides


def general_admission(**overrides: Any) -> dict[str, Any]:
    return booking(seat_ids=[], seat_labels=[], quantity=3) | overrides


# --- recording ------------------------------------------------------------------------


def test_create_records_the_booking_as_created(journal: Journal) -> None:
    entry = journal.create(**booking())
    assert entry == JournalEntry(
        key="key-1", profile="default", base_url="http://127.0.0.1:8080", event_id="evt-1",
        event_name="Jazz Night", seat_ids=["s-12", "s-13"],
        seat_labels=["Orchestra:A12", "Orchestra:A13"], quantity=None, job_ids=[],
        state=JournalState.CREATED, message=None, booking_id=None, total_price=None,
        created_at="2026-11-29T10:00:00.000Z", updated_at="2026-11-29T10:00:00.000Z",
    )
    assert entry.pending and entry.job_id is None
    assert journal.get("key-1") == entry


def test_a_general_admission_booking_has_a_quantity_and_no_seats(journal: Journal) -> None:
    entry = journal.create(**general_admission())
    assert (entry.seat_ids, entry.seat_labels, entry.quantity) == ([], [], 3)


@pytest.mark.parametrize("fields", [
    booking(quantity=2),                          # seats and a quantity
    booking(seat_ids=[], seat_labels=[]),         # neither
    general_admission(quantity=0),
    booking(seat_labels=["Orchestra:A12"]),       # labels do not match the ids
])
def test_create_refuses_an_inconsistent_booking(journal: Journal, fields: dict[str, Any]
                                                ) -> None:
    with pytest.raises(ValueError):
        journal.create(**fields)


def test_create_refuses_a_key_that_exists(journal: Journal) -> None:
    journal.create(**booking())
    with pytest.raises(ValueError, match="exists"):
        journal.create(**booking(event_id="evt-2"))
    assert journal.get("key-1").event_id == "evt-1"  # type: ignore[union-attr]


def test_entries_without_seat_labels_keep_their_seat_ids(journal: Journal) -> None:
    entry = journal.create(**booking(seat_labels=[]))
    assert entry.seat_ids == ["s-12", "s-13"] and entry.seat_labels == []


def test_add_job_appends_oldest_first_and_queues_the_booking(journal: Journal) -> None:
    journal.create(**booking())
    first = journal.add_job("key-1", "job-a")
    assert (first.job_ids, first.job_id, first.state) == (["job-a"], "job-a", "queued")
    second = journal.add_job("key-1", "job-b")
    assert (second.job_ids, second.job_id) == (["job-a", "job-b"], "job-b")
    assert second.updated_at > first.updated_at


def test_add_job_records_a_job_id_once(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    assert journal.add_job("key-1", "job-a").job_ids == ["job-a"]


def test_a_new_job_restarts_a_finished_booking(journal: Journal) -> None:
    """A new job id means the booking was sent again: its state starts over."""
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.update("key-1", state="failed", message="lost the lock")
    assert journal.add_job("key-1", "job-b").state == "queued"


def test_the_same_job_again_does_not_undo_a_final_state(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.update("key-1", state="confirmed", booking_id="b-1")
    assert journal.add_job("key-1", "job-a").state == "confirmed"


def test_update_records_what_the_server_said(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    processing = journal.update("key-1", state="processing",
                                message="Booking is under processing...")
    assert (processing.state, processing.message) == ("processing",
                                                      "Booking is under processing...")
    done = journal.update("key-1", state="confirmed", message="Successfully booked 2 seat(s)",
                          booking_id="b-1", total_price=90.5)
    assert (done.state, done.booking_id, done.total_price) == ("confirmed", "b-1", 90.5)
    assert not done.pending
    assert done.updated_at == "2026-11-29T10:03:00.000Z"
    assert done.created_at == "2026-11-29T10:00:00.000Z"


def test_update_keeps_earlier_values_that_are_not_given(journal: Journal) -> None:
    journal.create(**booking())
    journal.update("key-1", state="processing", message="Booking is under processing...")
    entry = journal.update("key-1", state="pending")
    assert entry.message == "Booking is under processing..."


@pytest.mark.parametrize("state", ["unknown", "contended", "CONFIRMED", ""])
def test_update_refuses_an_invalid_state(journal: Journal, state: str) -> None:
    journal.create(**booking())
    with pytest.raises(ValueError, match="invalid journal state"):
        journal.update("key-1", state=state)
    assert journal.get("key-1").state == "created"  # type: ignore[union-attr]


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
@pytest.mark.parametrize("stale", sorted(PENDING_STATES))
def test_a_stale_pending_write_never_overwrites_a_final_state(
    journal: Journal, final: str, stale: str
) -> None:
    """Two watches of one job race: the one that read "processing" may write last."""
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.update("key-1", state=final, message="the end", booking_id="b-1")
    entry = journal.update("key-1", state=stale, message="Booking is under processing...")
    assert (entry.state, entry.message, entry.booking_id) == (final, "the end", "b-1")


def test_a_final_state_may_be_corrected_by_another_final_state(journal: Journal) -> None:
    journal.create(**booking())
    journal.update("key-1", state="failed", message="lost the lock")
    assert journal.update("key-1", state="confirmed").state == "confirmed"


def test_mark_cancelled_marks_every_entry_of_the_booking_on_its_server(
    journal: Journal,
) -> None:
    journal.create(**booking())
    journal.update("key-1", state="confirmed", booking_id="b-1")
    journal.create(**booking(key="key-2", base_url="http://elsewhere:8080"))
    journal.update("key-2", state="confirmed", booking_id="b-1")
    changed = journal.mark_cancelled("b-1", base_url="http://127.0.0.1:8080")
    assert [(entry.key, entry.state) for entry in changed] == [("key-1", "cancelled")]
    assert journal.get("key-2").state == "confirmed"  # type: ignore[union-attr]


def test_a_booking_cancelled_before_its_entry_knew_its_id_is_recorded_cancelled(
    journal: Journal,
) -> None:
    """`book --no-wait`, `cancel ID`, then a refresh reads the job's status: "booked"."""
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    assert journal.mark_cancelled("b-1", base_url="http://127.0.0.1:8080") == []
    entry = journal.update("key-1", state="confirmed", message="Successfully booked 2 seat(s)",
                           booking_id="b-1", total_price=240.0)
    assert (entry.state, entry.message, entry.booking_id, entry.total_price) == (
        "cancelled", "cancelled", "b-1", 240.0)


def test_a_cancellation_is_remembered_per_server(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.mark_cancelled("b-1", base_url="http://elsewhere:8080")
    assert journal.update("key-1", state="confirmed", booking_id="b-1").state == "confirmed"


def test_a_cancellation_without_a_server_holds_on_every_server(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.mark_cancelled("b-1")
    assert journal.update("key-1", state="confirmed", booking_id="b-1").state == "cancelled"


def test_a_cancelled_entry_stays_cancelled_when_a_late_watch_says_confirmed(
    journal: Journal,
) -> None:
    journal.create(**booking())
    journal.update("key-1", state="confirmed", booking_id="b-1")
    journal.mark_cancelled("b-1", base_url="http://127.0.0.1:8080")
    assert journal.update("key-1", state="confirmed").state == "cancelled"
    assert journal.add_job("key-1", "job-b").state == "queued"  # a new attempt


@pytest.mark.parametrize("write", [
    lambda j: j.add_job("nope", "job-a"),
    lambda j: j.update("nope", state="confirmed"),
])
def test_writes_to_an_unknown_key_raise_key_error(journal: Journal, write: Any) -> None:
    with pytest.raises(KeyError):
        write(journal)


def test_the_clock_may_give_epoch_seconds_or_naive_utc(path: Path) -> None:
    with Journal(path, clock=lambda: T0.timestamp()) as journal:
        assert journal.create(**booking()).created_at == "2026-11-29T10:00:00.000Z"
    naive = datetime(2026, 11, 29, 10, 0, 0, 123456)
    with Journal(path, clock=lambda: naive) as journal:
        assert journal.create(**booking(key="k2")).created_at == "2026-11-29T10:00:00.123Z"
    tokyo = datetime(2026, 11, 29, 19, 0, tzinfo=timezone(timedelta(hours=9)))
    with Journal(path, clock=lambda: tokyo) as journal:
        assert journal.create(**booking(key="k3")).created_at == "2026-11-29T10:00:00.000Z"


def test_the_default_clock_is_utc_now(path: Path) -> None:
    before = datetime.now(UTC)
    with Journal(path) as journal:
        created = datetime.fromisoformat(journal.create(**booking()).created_at)
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    assert created.utcoffset() == timedelta(0)


def test_as_dict_has_every_field_and_the_derived_ones(journal: Journal) -> None:
    journal.create(**booking())
    document = journal.add_job("key-1", "job-a").as_dict()
    assert set(document) == set(JournalEntry.__dataclass_fields__) | {"job_id", "pending"}
    assert (document["job_id"], document["pending"]) == ("job-a", True)


# --- finding --------------------------------------------------------------------------


def test_by_job_finds_the_entry_of_any_of_its_jobs(journal: Journal) -> None:
    journal.create(**booking())
    journal.add_job("key-1", "job-a")
    journal.add_job("key-1", "job-b")
    assert journal.by_job("job-a").key == "key-1"  # type: ignore[union-attr]
    assert journal.by_job("job-b").key == "key-1"  # type: ignore[union-attr]
    assert journal.by_job("job-c") is None


def test_last_is_the_newest_entry_with_a_job(journal: Journal) -> None:
    journal.create(**booking(key="k1"))
    journal.add_job("k1", "job-1")
    journal.create(**booking(key="k2", profile="prod"))
    journal.add_job("k2", "job-2")
    journal.create(**booking(key="k3"))  # not sent yet: no job to watch
    assert journal.last().key == "k2"  # type: ignore[union-attr]
    assert journal.last("default").key == "k1"  # type: ignore[union-attr]
    assert journal.last("staging") is None


def test_find_unfinished_matches_the_same_seats_in_any_order(journal: Journal) -> None:
    journal.create(**booking())
    found = journal.find_unfinished(profile="default", base_url="http://127.0.0.1:8080",
                                    event_id="evt-1", seat_ids=["s-13", "s-12"], quantity=None)
    assert found is not None and found.key == "key-1"


@pytest.mark.parametrize("differs", [
    {"profile": "prod"}, {"base_url": "http://other:8080"}, {"event_id": "evt-2"},
    {"seat_ids": ["s-12"]}, {"seat_ids": ["s-12", "s-13", "s-14"]}, {"quantity": 2},
])
def test_find_unfinished_needs_the_same_booking(journal: Journal, differs: dict[str, Any]
                                                ) -> None:
    journal.create(**booking())
    query = {"profile": "default", "base_url": "http://127.0.0.1:8080", "event_id": "evt-1",
             "seat_ids": ["s-12", "s-13"], "quantity": None} | differs
    assert journal.find_unfinished(**query) is None


def test_find_unfinished_skips_finished_bookings_and_takes_the_newest(journal: Journal) -> None:
    query: dict[str, Any] = {"profile": "default", "base_url": "http://127.0.0.1:8080",
                             "event_id": "evt-1", "seat_ids": [], "quantity": 3}
    journal.create(**general_admission(key="old"))
    journal.create(**general_admission(key="new"))
    journal.create(**general_admission(key="done"))
    journal.update("done", state="confirmed")
    assert journal.find_unfinished(**query).key == "new"  # type: ignore[union-attr]
    journal.update("new", state="rejected")
    assert journal.find_unfinished(**query).key == "old"  # type: ignore[union-attr]
    journal.update("old", state="failed")
    assert journal.find_unfinished(**query) is None


def test_recent_lists_newest_first_with_filters(journal: Journal) -> None:
    for number in range(5):
        journal.create(**booking(key=f"k{number}", profile="prod" if number == 2 else "default"))
    journal.update("k1", state="confirmed")
    journal.update("k3", state="failed")
    assert [e.key for e in journal.recent()] == ["k4", "k3", "k2", "k1", "k0"]
    assert [e.key for e in journal.recent(limit=2)] == ["k4", "k3"]
    assert [e.key for e in journal.recent(profile="default")] == ["k4", "k3", "k1", "k0"]
    assert [e.key for e in journal.recent(pending_only=True)] == ["k4", "k2", "k0"]
    assert [e.key for e in journal.recent(pending_only=True, profile="prod")] == ["k2"]
    with pytest.raises(ValueError):
        journal.recent(limit=0)


def test_entries_created_at_the_same_instant_keep_their_order(path: Path) -> None:
    with Journal(path, clock=lambda: T0) as journal:
        for key in ("first", "second", "third"):
            journal.create(**booking(key=key))
        assert [e.key for e in journal.recent()] == ["third", "second", "first"]
        assert journal.find_unfinished(
            profile="default", base_url="http://127.0.0.1:8080", event_id="evt-1",
            seat_ids=["s-12", "s-13"], quantity=None).key == "third"  # type: ignore[union-attr]


# --- the file -------------------------------------------------------------------------


def test_default_path_is_in_the_user_data_dir(tmp_path: Path) -> None:
    assert Journal.default_path({"XDG_DATA_HOME": "/data"}) == Path(
        "/data/seatctl/journal.db")
    assert Journal.default_path({"HOME": "/home/ada"}) == Path(
        "/home/ada/.local/share/seatctl/journal.db")
    assert Journal.default_path({"XDG_DATA_HOME": "", "HOME": "/home/ada"}) == Path(
        "/home/ada/.local/share/seatctl/journal.db")


def test_the_file_and_its_directories_are_created_private(path: Path) -> None:
    with Journal(path) as journal:
        journal.create(**booking())
        files = [path, *path.parent.glob("journal.db-*")]  # -wal and -shm, while open
        assert len(files) == 3
        assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_journal_readable_by_others_is_tightened(path: Path) -> None:
    Journal(path).close()
    path.chmod(0o644)
    Journal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_entries_persist_and_other_instances_see_them_at_once(path: Path) -> None:
    with Journal(path) as writer, Journal(path) as reader:
        writer.create(**booking())
        writer.add_job("key-1", "job-a")
        assert reader.by_job("job-a") is not None
        reader.update("key-1", state="confirmed")
        assert writer.get("key-1").state == "confirmed"  # type: ignore[union-attr]
    with Journal(path) as again:
        assert again.get("key-1").job_ids == ["job-a"]  # type: ignore[union-attr]


def test_the_file_is_wal_mode_and_versioned(path: Path) -> None:
    Journal(path).close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def test_an_empty_file_becomes_a_journal(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch()
    with Journal(path) as journal:
        assert journal.create(**booking()).state == "created"


@pytest.mark.parametrize("content", [
    b"hello, I am a text file\n" * 50, bytes(range(256)) * 32,
    b"SQLite format 3\x00" + b"\xff" * 4000,
])
def test_a_file_that_is_not_sqlite_is_a_clear_usage_error(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        Journal(path)
    assert str(caught.value).startswith(f"the journal at {path} is not a seatctl journal: ")
    assert "move it away" in str(caught.value)
    assert path.read_bytes() == content  # left as it was


def test_another_sqlite_database_is_not_taken_for_a_journal(path: Path) -> None:
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()
    with pytest.raises(UsageError, match="is not a seatctl journal: it is an SQLite database"):
        Journal(path)
    db = sqlite3.connect(path)
    try:  # untouched: not switched to WAL, no tables added
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]
    finally:
        db.close()


def test_a_damaged_journal_is_a_clear_usage_error(path: Path) -> None:
    with Journal(path) as journal:
        journal.create(**booking())
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(UsageError, match="is not a seatctl journal"):
        Journal(path)


def test_a_journal_from_a_newer_seatctl_is_refused(path: Path) -> None:
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(JournalError, match="newer seatctl"):
        Journal(path)


def test_an_entry_in_an_unknown_state_is_a_journal_error_naming_the_file(path: Path) -> None:
    with Journal(path) as journal:
        journal.create(**booking())
    db = sqlite3.connect(path)
    db.execute("UPDATE entries SET state = 'teleported' WHERE key = 'key-1'")
    db.commit()
    db.close()
    with Journal(path) as journal, pytest.raises(JournalError) as caught:
        journal.get("key-1")
    assert str(path) in str(caught.value)
    assert "'teleported'" in str(caught.value)
    assert caught.value.hint == "upgrade seatctl, or move the journal away"


def test_a_version_1_journal_is_migrated_and_keeps_its_entries(path: Path) -> None:
    with Journal(path) as journal:
        journal.create(**booking())
        journal.add_job("key-1", "job-a")
    db = sqlite3.connect(path)
    db.execute("DROP TABLE cancelled_bookings")  # what version 1 did not have
    db.execute("PRAGMA user_version=1")
    db.close()
    with Journal(path) as journal:
        assert journal.by_job("job-a").key == "key-1"  # type: ignore[union-attr]
        journal.mark_cancelled("b-1", base_url="http://127.0.0.1:8080")
        assert journal.update("key-1", state="confirmed", booking_id="b-1").state == \
            "cancelled"
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    finally:
        db.close()


def test_a_directory_in_the_way_is_an_error_not_a_traceback(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(path)


# --- concurrent processes -------------------------------------------------------------

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from seatctl.booking.journal import Journal

    path, worker, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sys.stdin.readline()  # the start signal: every worker is loaded and waiting
    with Journal(path) as journal:
        for i in range(count):
            key = f"w{worker}-{i}"
            journal.create(key=key, profile=f"p{worker % 2}", base_url="http://x",
                           event_id="evt", event_name=None, seat_ids=[f"s{worker}-{i}"],
                           seat_labels=[f"A{i}"], quantity=None)
            journal.add_job(key, f"job-{key}")
            journal.add_job("shared", f"shared-{key}")  # read-modify-write of one row
            journal.update(key, state="processing", message="Booking is under processing")
            journal.update("race", state="pending" if (worker + i) % 2 else "confirmed")
            journal.update(key, state="confirmed", booking_id=f"b-{key}", total_price=i)
""")


def test_concurrent_processes_lose_no_update_and_keep_the_file_sound(path: Path) -> None:
    workers, count = 10, 15
    with Journal(path) as journal:
        journal.create(**booking(key="shared"))
        journal.create(**booking(key="race"))
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(w), str(count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    for proc in procs:  # as close to simultaneous as processes get
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * workers, results

    with Journal(path) as journal:
        entries = {e.key: e for e in journal.recent(limit=1000)}
        assert len(entries) == workers * count + 2
        for w in range(workers):
            for i in range(count):
                entry = entries[f"w{w}-{i}"]
                assert (entry.state, entry.job_ids, entry.booking_id, entry.total_price) == (
                    "confirmed", [f"job-w{w}-{i}"], f"b-w{w}-{i}", i)
                assert entry.message == "Booking is under processing"
                assert journal.by_job(f"job-w{w}-{i}").key == f"w{w}-{i}"  # type: ignore
        shared = entries["shared"].job_ids
        assert sorted(shared) == sorted(f"shared-w{w}-{i}" for w in range(workers)
                                        for i in range(count))
        for w in range(workers):  # each worker's appends in its own order
            mine = [job for job in shared if job.startswith(f"shared-w{w}-")]
            assert mine == [f"shared-w{w}-{i}" for i in range(count)]
        assert entries["race"].state == "confirmed"  # no stale "pending" got through
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def test_concurrent_first_opens_create_the_schema_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "journal.db"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER.replace(
        'journal.add_job("shared"', '# journal.add_job("shared"').replace(
        'journal.update("race"', '# journal.update("race"'), str(path), str(w), "3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(8)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 8, results
    with Journal(path) as journal:
        assert len(journal.recent(limit=100)) == 24
