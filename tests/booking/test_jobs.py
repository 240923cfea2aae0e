"""`seatctl jobs`: the journal's recent bookings of the active profile."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seatctl.booking.journal import Journal
from seatctl.booking.journal_states import JournalState
from seatctl.render.jobs import render_jobs
from seatctl.render.streams import IOStreams
from tests.helpers import Cli, write_config

JOB_A = "cj0a1b2c3d4e5f60718293a4b5"
JOB_B = "cj99887766554433221100ffee"
JOB_C = "cj5f1e2d3c4b5a69788796a5b4"
BOOKING = "cb0123456789abcdef012345"


@pytest.fixture
def local_tz() -> Iterator[None]:
    """The process's local time zone is UTC+9 (a POSIX TZ string: no tz database needed)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "JST-9")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def utc_tz() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC0")
        time.tzset()
        yield
    time.tzset()


def journal(start: int = 0) -> Journal:
    """The journal `seatctl jobs` reads (XDG_DATA_HOME is a tmp dir: see conftest); its
    clock starts `start` minutes after 10:00 UTC and ticks 5 minutes per write."""
    minutes = iter(range(start, 10_000, 5))
    return Journal(Journal.default_path(),
                   clock=lambda: datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
                   + timedelta(minutes=next(minutes)))


def seats(key: str, *, profile: str = "default", event_name: str | None = "Jazz Night",
          labels: tuple[str, ...] = ("Orchestra:A12", "Orchestra:A13")) -> dict[str, Any]:
    return {"key": key, "profile": profile, "base_url": "http://127.0.0.1:8080",
            "event_id": "cevt1", "event_name": event_name,
            "seat_ids": [f"seat-{label}" for label in labels], "seat_labels": list(labels),
            "quantity": None}


@pytest.fixture
def history() -> None:
    """Four bookings of the default profile (one of each kind) and one of `prod`."""
    with journal() as j:
        j.create(**seats("k-confirmed"))
        j.add_job("k-confirmed", JOB_C)
        j.update("k-confirmed", state="confirmed", message="Successfully booked 2 seat(s)",
                 booking_id=BOOKING, total_price=90.0)
        j.create(key="k-created", profile="default", base_url="http://127.0.0.1:8080",
                 event_id="cevt2", event_name="Open Air", seat_ids=[], seat_labels=[],
                 quantity=3)
        j.create(**seats("k-processing", labels=("Balcony:C3",)))
        j.add_job("k-processing", JOB_B)
        j.update("k-processing", state="processing",
                 message="Booking is under processing...")
        j.create(**seats("k-rejected", labels=("Balcony:C1",)))
        j.add_job("k-rejected", JOB_A)
        j.update("k-rejected", state="rejected",
                 message="Some selected seats are no longer available")
        j.create(**seats("k-prod", profile="prod", event_name="Prod Gala"))


def table(stdout: str) -> list[tuple[str, ...]]:
    """The tab-separated rows of `seatctl jobs` off a terminal: job, state, created, event,
    seats, booking, key, message (the base URL, the last field, checked and left out)."""
    rows = [tuple(line.split("\t")) for line in stdout.splitlines()]
    assert {len(row) for row in rows} <= {9}, rows
    assert {row[-1] for row in rows} <= {"http://127.0.0.1:8080"}, rows
    return [row[:-1] for row in rows]


def states(stdout: str) -> list[str]:
    return [row[1] for row in table(stdout)]


def test_an_empty_journal_says_so_and_creates_nothing(cli: Cli) -> None:
    outcome = cli.ok("jobs")
    assert outcome.stdout == ""
    assert outcome.stderr == "no bookings in the journal for profile 'default' yet\n"
    assert not Journal.default_path().exists()


@pytest.mark.parametrize("args", [["jobs", "--json"], ["--json", "jobs"],
                                  ["jobs", "--json", "--pending"]])
def test_an_empty_journal_is_an_empty_list_in_json(cli: Cli, args: list[str]) -> None:
    with journal() as j:  # exists, but holds only another profile's booking
        j.create(**seats("k", profile="prod"))
    outcome = cli.ok(*args)
    assert json.loads(outcome.stdout) == {"jobs": []}
    assert "no " in outcome.stderr


@pytest.mark.usefixtures("history", "utc_tz")
def test_jobs_lists_the_profiles_bookings_newest_first(cli: Cli) -> None:
    outcome = cli.ok("jobs")
    assert table(outcome.stdout) == [
        (JOB_A, "rejected", "2026-11-29T10:35:00.000Z", "Jazz Night", "Balcony:C1", "",
         "k-rejected", "Some selected seats are no longer available"),
        (JOB_B, "processing", "2026-11-29T10:20:00.000Z", "Jazz Night", "Balcony:C3", "",
         "k-processing", "Booking is under processing..."),
        ("", "created", "2026-11-29T10:15:00.000Z", "Open Air", "x3", "", "k-created", ""),
        (JOB_C, "confirmed", "2026-11-29T10:00:00.000Z", "Jazz Night",
         "Orchestra:A12,Orchestra:A13", BOOKING, "k-confirmed", "Successfully booked 2 seat(s)"),
    ]
    assert "Prod Gala" not in outcome.stdout  # another profile's booking


@pytest.mark.usefixtures("history")
def test_pending_bookings_get_the_command_that_resumes_them(cli: Cli) -> None:
    outcome = cli.ok("jobs", "--pending")
    assert states(outcome.stdout) == ["processing", "created"]
    assert outcome.stderr.splitlines() == [
        f"hint: resume watching with `seatctl --profile default watch {JOB_B}`",
        "hint: Open Air (x3) was not answered: run the same `seatctl --profile default book "
        "...` again to send it with its key",
    ]


@pytest.mark.usefixtures("history")
def test_only_the_newest_pending_booking_is_offered_book_resume(cli: Cli) -> None:
    with journal(start=60) as j:
        j.create(**seats("k-newest", labels=("Orchestra:B1",)))
    hints = cli.ok("jobs", "--pending").stderr
    assert hints.count("book --resume") == 1
    assert hints.splitlines()[0] == (
        "hint: Jazz Night (Orchestra:B1) was not answered: run the same `seatctl --profile "
        "default book ...` again (or `seatctl --profile default book --resume`) to send it "
        "with its key")


@pytest.mark.usefixtures("history")
def test_finished_bookings_need_no_hint(cli: Cli) -> None:
    outcome = cli.ok("jobs", "--limit", "1")
    assert states(outcome.stdout) == ["rejected"]
    assert outcome.stderr == ""


@pytest.mark.usefixtures("history")
def test_limit_keeps_the_newest(cli: Cli) -> None:
    outcome = cli.ok("jobs", "-n", "2")
    assert states(outcome.stdout) == ["rejected", "processing"]


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_an_invalid_limit_is_a_usage_error(cli: Cli, limit: str) -> None:
    assert cli("jobs", "--limit", limit).exit_code == 2


@pytest.mark.usefixtures("history")
def test_json_has_every_field_of_every_booking(cli: Cli) -> None:
    outcome = cli.ok("jobs", "--json")
    document = json.loads(outcome.stdout)
    assert [job["key"] for job in document["jobs"]] == [
        "k-rejected", "k-processing", "k-created", "k-confirmed"]
    assert document["jobs"][3] == {
        "key": "k-confirmed", "profile": "default", "base_url": "http://127.0.0.1:8080",
        "event_id": "cevt1", "event_name": "Jazz Night",
        "seat_ids": ["seat-Orchestra:A12", "seat-Orchestra:A13"],
        "seat_labels": ["Orchestra:A12", "Orchestra:A13"], "quantity": None,
        "job_ids": [JOB_C], "state": "confirmed", "message": "Successfully booked 2 seat(s)",
        "booking_id": BOOKING, "total_price": 90.0,
        "created_at": "2026-11-29T10:00:00.000Z", "updated_at": "2026-11-29T10:10:00.000Z",
        "job_id": JOB_C, "pending": False,
    }
    assert document["jobs"][2]["quantity"] == 3 and document["jobs"][2]["job_id"] is None
    assert outcome.stderr == ""  # no hints around a JSON document


@pytest.mark.usefixtures("history")
def test_json_pending_lists_only_pending_bookings(cli: Cli) -> None:
    document = json.loads(cli.ok("jobs", "--pending", "--json").stdout)
    assert [(job["key"], job["pending"]) for job in document["jobs"]] == [
        ("k-processing", True), ("k-created", True)]


@pytest.mark.usefixtures("history")
def test_another_profile_lists_its_own_and_its_hints_name_it(
    cli: Cli, config_path: Path
) -> None:
    write_config(config_path, '[profiles.prod]\nbase_url = "http://127.0.0.1:8080"\n')
    outcome = cli.ok("--profile", "prod", "jobs")
    assert "Prod Gala" in outcome.stdout and "Jazz Night" not in outcome.stdout
    assert "`seatctl --profile prod book --resume`" in outcome.stderr
    outcome = cli.ok("jobs", env={"SEATCTL_PROFILE": "prod"})  # chosen by the environment
    assert "Prod Gala" in outcome.stdout
    # the profile is named in the hint: the environment that chose it may be gone
    assert "`seatctl --profile prod book --resume`" in outcome.stderr


@pytest.mark.usefixtures("local_tz")
def test_times_are_shown_in_local_time_with_the_zone(cli: Cli) -> None:
    with journal() as j:
        j.create(**seats("k"))
        entries = j.recent(profile="default")
    streams = IOStreams.test(tty=True, width=80)
    render_jobs(streams, entries, as_json=False, profile="default", pending_only=False,
                now=datetime(2026, 12, 1, tzinfo=UTC))
    lines = streams.out_text().splitlines()
    assert lines[2].startswith("Sun 29 Nov ") and lines[3].startswith("19:00 JST ")  # 10:00Z
    assert table(cli.ok("jobs").stdout)[0][2] == "2026-11-29T10:00:00.000Z"  # ISO, offset


def test_server_text_cannot_reach_the_terminal_raw(cli: Cli) -> None:
    with journal() as j:
        j.create(**seats("k", event_name="Jazz\x1b[2J Night", labels=("Orch\x1b]0;x\x07:A1",)))
        j.add_job("k", "job\x1b[31m-1")
        j.update("k", state="failed", message="boom\r\nforged line\x1b[0m")
    outcome = cli.ok("jobs")
    assert "\x1b" not in outcome.stdout and "\r" not in outcome.stdout
    text = " ".join(outcome.stdout.split())
    for escaped in (r"Jazz\x1b[2J Night", r"Orch\x1b]0;x\x07:A1", r"job\x1b[31m-1",
                    r"boom\r\nforged line\x1b[0m"):
        assert escaped.replace(" ", "") in text.replace(" ", "")


def test_a_corrupt_journal_is_a_usage_error_not_a_traceback(cli: Cli) -> None:
    path = Journal.default_path()
    path.parent.mkdir(parents=True)
    path.write_text("not a database at all\n" * 100)
    outcome = cli("jobs")
    assert outcome.exit_code == 2, str(outcome)
    assert outcome.stderr.startswith(
        f"error: the journal at {path} is not a seatctl journal: file is not a database")
    assert "hint: move it away" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    error = json.loads(cli("jobs", "--json").stdout)["error"]
    assert (error["type"], error["exit_code"]) == ("UsageError", 2)


def test_help_lists_jobs(cli: Cli) -> None:
    assert "jobs" in cli.ok("--help").stdout
    assert "--pending" in cli.ok("jobs", "--help").stdout


@pytest.mark.usefixtures("history")
def test_on_a_colour_terminal_states_are_coloured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")  # Rich reads it itself
    with journal() as j:
        entries = j.recent(profile="default")
    streams = IOStreams.test(tty=True, color=True, width=80)
    render_jobs(streams, entries, as_json=False, profile="default", pending_only=False)
    out = streams.out_text()
    assert "\x1b[1;32m✓ confirmed" in out
    assert "\x1b[1;31m✗ rejected" in out
    assert "\x1b[36m↻ processing" in out
    assert "\x1b[33mhint: " in streams.err_text()


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("width", [50, 60, 80, 120])
def test_ids_are_never_cut_at_any_width(width: int) -> None:
    with journal(start=60) as j:  # an id longer than the id column can be at 50 columns
        j.create(**seats("k-long"))
        j.add_job("k-long", "job-" + "0123456789" * 4)
        entries = j.recent(profile="default")
    streams = IOStreams.test(width=width)
    render_jobs(streams, entries, as_json=False, profile="default", pending_only=False)
    lines = streams.out_text().splitlines()
    assert max(len(line) for line in lines) <= width
    # The id column is the last: a folded id goes on in the same column on the next line.
    column = max(line.find("job") for line in lines[:2])
    joined = "".join(line[column:].strip() for line in lines)
    for value in (JOB_A, JOB_B, JOB_C, BOOKING, "job-" + "0123456789" * 4):
        assert value in joined


def test_a_booking_made_against_another_server_is_resumed_against_it(
    cli: Cli, config_path: Path
) -> None:
    with journal() as j:
        j.create(**seats("k"))
        j.add_job("k", "booking-1-remote")
    outcome = cli.ok("--base-url", "https://api.example.com", "jobs", "--pending")
    assert ("`seatctl --profile default --base-url http://127.0.0.1:8080 watch booking-1-remote`"
            in outcome.stderr)


def test_seat_labels_are_never_folded_mid_label_at_80_columns() -> None:
    from rich.console import Console

    from seatctl.booking.journal import JournalEntry
    from seatctl.render.jobs import print_jobs_table

    entry = JournalEntry(
        key="k", profile="default", base_url="http://127.0.0.1:9", event_id="ev",
        event_name="Symphony Under the Stars", seat_ids=["a", "b"],
        seat_labels=["Orchestra:E10", "Orchestra:E11"], quantity=None,
        job_ids=["booking-1795982207372-22a981f0"], state=JournalState.CONFIRMED,
        message="Successfully booked 2 seat(s)", booking_id="cb60f4bdbb93994f738c84ee",
        total_price=240.0, created_at="2026-11-29T20:00:00+00:00",
        updated_at="2026-11-29T20:00:00+00:00")
    console = Console(width=80, color_system=None, record=True)
    print_jobs_table(console, [entry], datetime(2026, 11, 30, tzinfo=UTC))
    text = console.export_text()
    assert "Orchestra:E10," in text and "Orchestra:E11" in text
    assert "booking-1795982207372-22a981f0" in text
