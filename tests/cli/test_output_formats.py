"""`events`, `jobs` and `seats --available` for people and for pipes, through the real CLI:
a table on a terminal at any width that breaks no id, label or time; off a terminal one
tab-separated record per line with the documented fields; `--format`, `-q`, `--upcoming`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from seatctl.booking.journal import Journal
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.render.events import TSV_FIELDS as EVENT_FIELDS
from seatctl.render.jobs import TSV_FIELDS as JOB_FIELDS
from seatctl.render.seatmap import TSV_FIELDS as SEAT_FIELDS
from seatctl.render.streams import IOStreams
from seatctl.server import ReferenceServer
from tests.helpers import Cli, Outcome

WIDTHS = (40, 60, 80, 200)
ZONED = re.compile(r"\b\d\d:\d\d [A-Z][A-Za-z]{1,4}\b|\b\d\d:\d\d [+-]\d\d")
DECORATION = re.compile(r"[─│┃━]|\x1b\[")
LONG_JOB = "booking-1795982207372-22a981f0"


def on_tty(*args: str, width: int) -> Outcome:
    """`seatctl ARGS` with stdout and stderr on a terminal `width` columns wide."""
    streams = IOStreams.test(tty=True, width=width)
    result = CliRunner().invoke(seatctl_app, list(args), prog_name="seatctl",
                                obj=App(env=dict(os.environ), _streams=streams))
    return Outcome(result.exit_code, streams.out_text(), streams.err_text())


def off_tty(cli: Cli, *args: str, width: int = 80) -> Outcome:
    outcome = cli(*args, env={"COLUMNS": str(width)})
    assert outcome.exit_code == 0, str(outcome)
    return outcome


def whole_on_a_line(text: str, tokens: Sequence[str]) -> None:
    """Each token is a whitespace-separated word of some line (or, for one holding spaces,
    inside one line)."""
    words = {word.rstrip(",") for line in text.splitlines() for word in line.split()}
    for token in tokens:
        assert token in words or any(token in line for line in text.splitlines()), token


def fits(text: str, width: int) -> None:
    assert [line for line in text.splitlines() if len(line) > width] == []


def records(stdout: str, fields: Sequence[str]) -> list[list[str]]:
    rows = [line.split("\t") for line in stdout.splitlines()]
    assert rows and {len(row) for row in rows} == {len(fields)}, stdout
    assert DECORATION.search(stdout) is None
    assert all(field == field.strip() for row in rows for field in row)  # no padding
    return rows


def demo_ids(cli: Cli, server: ReferenceServer) -> list[str]:
    return off_tty(cli, "--base-url", server.url, "events", "-q").stdout.split()


# --- seatctl events -----------------------------------------------------------------------


def test_events_off_a_terminal_are_tab_separated_records(
    cli: Cli, server: ReferenceServer,
) -> None:
    for width in WIDTHS:
        outcome = off_tty(cli, "--base-url", server.url, "events", width=width)
        rows = records(outcome.stdout, EVENT_FIELDS)
        assert [row[1] for row in rows] == ["Indie Night Live", "Symphony Under the Stars",
                                            "Jazz at the Grand Hall", "Open Source Summit 2027"]
        symphony = dict(zip(EVENT_FIELDS, rows[1], strict=True))
        assert datetime.fromisoformat(symphony["start"]).utcoffset() is not None
        assert {key: symphony[key] for key in EVENT_FIELDS[3:]} == {
            "state": "upcoming", "venue": "Grand Hall", "price": "80.00", "free": "595",
            "capacity": "600", "booking": "seat map"}
        assert outcome.stderr == ""  # no footer: everything is on this page


def test_events_on_a_terminal_keep_ids_whole_at_every_width(
    cli: Cli, server: ReferenceServer,
) -> None:
    ids = demo_ids(cli, server)
    for width in WIDTHS:
        outcome = on_tty("--base-url", server.url, "events", width=width)
        assert outcome.exit_code == 0, str(outcome)
        whole_on_a_line(outcome.stdout, ids)
        fits(outcome.stdout, width)
        assert len(ZONED.findall(outcome.stdout)) == 4, outcome.stdout
        assert "\t" not in outcome.stdout


def test_events_footer_keeps_the_next_command_whole(cli: Cli, server: ReferenceServer) -> None:
    outcome = on_tty("--base-url", server.url, "events", "--limit", "3", width=40)
    assert "seatctl events --page 2 --limit 3" in outcome.stdout.splitlines()
    piped = off_tty(cli, "--base-url", server.url, "events", "--limit", "3")
    assert len(records(piped.stdout, EVENT_FIELDS)) == 3
    assert piped.stderr == "page 1 of 2 (4 events); next: seatctl events --page 2 --limit 3\n"


def test_events_format_forces_an_output(cli: Cli, server: ReferenceServer) -> None:
    table = off_tty(cli, "--base-url", server.url, "events", "--format", "table").stdout
    assert table.startswith("event / id") and "─" in table
    tsv = on_tty("--base-url", server.url, "events", "--format", "tsv", width=80)
    assert len(records(tsv.stdout, EVENT_FIELDS)) == 4
    as_json = off_tty(cli, "--base-url", server.url, "events", "--format", "json").stdout
    assert json.loads(as_json) == json.loads(
        off_tty(cli, "--base-url", server.url, "events", "--json").stdout)


def test_events_quiet_prints_the_ids_alone(cli: Cli, server: ReferenceServer) -> None:
    ids = demo_ids(cli, server)
    assert len(ids) == 4 and all(re.fullmatch(r"[0-9a-z]{24}", id_) for id_ in ids)
    tty = on_tty("--base-url", server.url, "events", "-q", width=40)
    assert tty.stdout.split("\n") == [*ids, ""]


@pytest.mark.parametrize("args", [["--json", "--format", "tsv"], ["--format", "table", "--json"],
                                  ["-q", "--json"], ["--quiet", "--format", "json"],
                                  ["--format", "csv"]])
def test_contradicting_outputs_are_usage_errors(cli: Cli, args: list[str]) -> None:
    outcome = cli("--base-url", "http://127.0.0.1:9", "events", *args)
    assert outcome.exit_code == 2, str(outcome)


def events_around(now: datetime) -> list[dict[str, Any]]:
    def event(name: str, start: timedelta, end: timedelta | None = None) -> dict[str, Any]:
        return {"id": f"ev-{name}", "name": name.title(), "venue": "Hall",
                "startTime": (now + start).isoformat(),
                "endTime": None if end is None else (now + end).isoformat(),
                "capacity": 10, "availableCapacity": 4, "price": 12.5,
                "seatLevelBooking": False}

    return [event("over", timedelta(days=-2), timedelta(days=-2, hours=2)),
            event("playing", timedelta(hours=-1), timedelta(hours=2)),
            event("begun", timedelta(minutes=-5)),
            event("tomorrow", timedelta(days=1), timedelta(days=1, hours=2))]


@pytest.fixture
def mixed(httpserver: HTTPServer) -> str:
    """An API whose one page of events has one that ended, two that started and one to
    come (around the real clock: `now` is the wall clock's)."""
    events = events_around(datetime.now(UTC))
    pagination = {"currentPage": 1, "totalPages": 1, "totalCount": 4, "limit": 10,
                  "hasNextPage": False, "hasPrevPage": False}
    httpserver.expect_request("/api/events").respond_with_json(
        {"status": "success", "data": {"events": events, "pagination": pagination}})
    return httpserver.url_for("")


def test_started_and_ended_events_are_marked(cli: Cli, mixed: str) -> None:
    rows = records(off_tty(cli, "--base-url", mixed, "events").stdout, EVENT_FIELDS)
    assert [(row[0], row[3]) for row in rows] == [
        ("ev-over", "ended"), ("ev-playing", "started"), ("ev-begun", "started"),
        ("ev-tomorrow", "upcoming")]
    table = on_tty("--base-url", mixed, "events", width=60).stdout
    assert table.count("started") == 2 and table.count("ended") == 1


def test_upcoming_lists_only_the_events_that_have_not_started(cli: Cli, mixed: str) -> None:
    assert off_tty(cli, "--base-url", mixed, "events", "--upcoming", "-q").stdout == (
        "ev-tomorrow\n")
    document = json.loads(off_tty(cli, "--base-url", mixed, "events", "--upcoming",
                                  "--json").stdout)
    assert [event["id"] for event in document["events"]] == ["ev-tomorrow"]
    table = on_tty("--base-url", mixed, "events", "--upcoming", width=80).stdout
    assert "Tomorrow" in table and "Playing" not in table
    assert "(4 events, 3 started not shown)" in table
    assert "filters the page" in " ".join(cli.ok("events", "--help").stdout.split()).lower()


# --- seatctl seats --available ------------------------------------------------------------


def test_free_seats_off_a_terminal_are_one_record_per_seat(
    cli: Cli, server: ReferenceServer,
) -> None:
    for width in (40, 200):
        outcome = off_tty(cli, "--base-url", server.url, "seats", "jazz", "-a", width=width)
        rows = records(outcome.stdout, SEAT_FIELDS)
        assert len(rows) == 595
        assert rows[0] == ["Orchestra:A3", "Orchestra", "A", "3", "82.50"]


def test_free_seats_on_a_terminal_keep_labels_whole_at_every_width(
    cli: Cli, server: ReferenceServer,
) -> None:
    labels = off_tty(cli, "--base-url", server.url, "seats", "jazz", "-a", "-q").stdout.split()
    assert len(labels) == 595 and labels[0] == "Orchestra:A3"
    for width in WIDTHS:
        outcome = on_tty("--base-url", server.url, "seats", "jazz", "-a", width=width)
        assert outcome.exit_code == 0, str(outcome)
        fits(outcome.stdout, width)
        words = [word.rstrip(",") for line in outcome.stdout.splitlines()
                 for word in line.split()]
        assert [word for word in words if ":" in word] == labels


def test_seats_quiet_or_tsv_without_available_is_a_usage_error(cli: Cli) -> None:
    for args in (["-q"], ["--format", "tsv"]):
        outcome = cli("--base-url", "http://127.0.0.1:9", "seats", "jazz", *args)
        assert outcome.exit_code == 2, str(outcome)
        assert "hint: add --available" in outcome.stderr


# --- seatctl jobs -------------------------------------------------------------------------


@pytest.fixture
def bookings() -> None:
    """Three bookings: a confirmed one, one never answered, one with a long job id."""
    minutes = iter(range(0, 100, 5))
    with Journal(Journal.default_path(),
                 clock=lambda: datetime(2026, 11, 29, 10, tzinfo=UTC)
                 + timedelta(minutes=next(minutes))) as journal:
        for key, labels in (("k-ok", ("Orchestra:A12", "Orchestra:A13")), ("k-lost", ()),
                            ("k-long", ("Balcony:C3",))):
            journal.create(key=key, profile="default", base_url="http://127.0.0.1:8080",
                           event_id="cevt1", event_name="Symphony Under the Stars",
                           seat_ids=[f"id-{label}" for label in labels],
                           seat_labels=list(labels), quantity=None if labels else 2)
        journal.add_job("k-ok", "cj0a1b2c3d4e5f60718293a4b5")
        journal.update("k-ok", state="confirmed", message="Successfully booked 2 seat(s)",
                       booking_id="cb0123456789abcdef012345", total_price=240.0)
        journal.add_job("k-long", LONG_JOB)


@pytest.mark.usefixtures("bookings")
def test_jobs_off_a_terminal_are_records_and_one_line_hints(cli: Cli) -> None:
    for width in (40, 200):
        outcome = off_tty(cli, "jobs", width=width)
        rows = [dict(zip(JOB_FIELDS, row, strict=True))
                for row in records(outcome.stdout, JOB_FIELDS)]
        assert [(row["job"], row["key"]) for row in rows] == [
            (LONG_JOB, "k-long"), ("", "k-lost"), ("cj0a1b2c3d4e5f60718293a4b5", "k-ok")]
        assert rows[2]["seats"] == "Orchestra:A12,Orchestra:A13"
        assert rows[1]["seats"] == "x2" and rows[2]["booking"] == "cb0123456789abcdef012345"
        assert datetime.fromisoformat(rows[0]["created"]).utcoffset() == timedelta(0)
        hints = outcome.stderr.splitlines()
        assert len(hints) == 2 and all(line.startswith("hint: ") for line in hints)
        assert f"`seatctl --profile default watch {LONG_JOB}`" in hints[0]


@pytest.mark.usefixtures("bookings")
def test_jobs_on_a_terminal_keep_ids_and_labels_whole_at_every_width() -> None:
    tokens = [LONG_JOB, "cj0a1b2c3d4e5f60718293a4b5", "cb0123456789abcdef012345",
              "Orchestra:A12", "Orchestra:A13", "Balcony:C3"]
    for width in WIDTHS:
        outcome = on_tty("jobs", width=width)
        assert outcome.exit_code == 0, str(outcome)
        fits(outcome.stdout, width)
        whole_on_a_line(outcome.stdout, tokens[:3] if width == 40 else tokens)
        if width >= 80:  # narrower, the time goes before the event or the state would
            assert len(ZONED.findall(outcome.stdout)) == 3, outcome.stdout
        # A command in a hint is never split; one wider than the line has a line of its own.
        assert f"`seatctl --profile default watch {LONG_JOB}`" in outcome.stderr


@pytest.mark.usefixtures("bookings")
def test_jobs_quiet_prints_job_ids_or_the_booking_key(cli: Cli) -> None:
    outcome = off_tty(cli, "jobs", "-q")
    assert outcome.stdout.splitlines() == [LONG_JOB, "k-lost", "cj0a1b2c3d4e5f60718293a4b5"]
    assert outcome.stderr == ""
    assert off_tty(cli, "jobs", "--pending", "--quiet").stdout.splitlines() == [
        LONG_JOB, "k-lost"]


@pytest.mark.usefixtures("bookings")
def test_jobs_format_forces_an_output(cli: Cli) -> None:
    table = off_tty(cli, "jobs", "--format", "table").stdout
    assert table.startswith("created") and LONG_JOB in table
    assert len(records(on_tty("jobs", "--format", "tsv", width=80).stdout, JOB_FIELDS)) == 3
    document = json.loads(off_tty(cli, "jobs", "--format", "json").stdout)
    assert document == json.loads(off_tty(cli, "jobs", "--json").stdout)
    created = document["jobs"][0]["created_at"]
    assert datetime.fromisoformat(created).utcoffset() == timedelta(0)
