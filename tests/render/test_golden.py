"""Golden output: the seat map, the watch's final lines and the doctor's report, rendered from
fixed data at fixed widths, byte for byte as in tests/golden/. After an intended change of a
rendering: `pytest --update-golden tests/render/test_golden.py`, then review the diff."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from seatctl.api.models import JobStatus, SeatMap
from seatctl.booking.status import JobState
from seatctl.booking.watch import UpdateKind, WatchUpdate
from seatctl.clock import ManualClock
from seatctl.diagnostics.runs import CutBy, DoctorRun
from seatctl.render.doctor import render_report
from seatctl.render.seatmap import render_seat_map
from seatctl.render.streams import IOStreams
from seatctl.render.watch import WatchDisplay, render_outcome
from tests.diagnostics.factories import (
    cut_run,
    healthy_run,
    http2,
    https_run,
    node_default_run,
    report_of,
    with_http2,
)
from tests.support.golden import Golden

Render = Callable[[IOStreams], None]
Variant = tuple[bool, int]  # (a terminal without colour, or not; the width in columns)
# Only where each differs: the picture is capped at 80 columns (120 shows it) and ignores
# the terminal; the watch's plain lines are one line each off a terminal, wrapped on one;
# the doctor's report differs by width only.
SEAT_MAP: list[Variant] = [(False, 40), (False, 80), (False, 120)]
WATCH: list[Variant] = [(False, 80), (True, 80), (True, 120)]
DOCTOR: list[Variant] = [(False, 80), (False, 120)]


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Any local time rendered is UTC's, whatever the machine's zone (restored after)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def rendered(render: Render, *, width: int, tty: bool) -> str:
    """What `render` writes, stdout then stderr, each under a marker line."""
    streams = IOStreams.test(tty=tty, width=width)
    render(streams)
    return f"--- stdout\n{streams.out_text()}--- stderr\n{streams.err_text()}"


def check_variants(golden: Golden, name: str, render: Render, variants: list[Variant]
                   ) -> None:
    golden.check_all([(f"{name}-{'tty' if tty else 'plain'}-{width}.txt",
                       rendered(render, width=width, tty=tty)) for tty, width in variants])


# --- the seat map ---------------------------------------------------------------------------


def concert_hall() -> SeatMap:
    """Three sections: a gap in a row, rows past Z, one row wider than 80 columns."""
    def seat(section: str, row: str, number: int, *, booked: bool = False,
             blocked: bool = False, price: float | None = None) -> dict[str, Any]:
        return {"id": f"{section}-{row}{number}", "row": row, "number": str(number),
                "isBooked": booked, "isBlocked": blocked, "price": price}

    stalls = [seat("st", row, number, booked=(number + ord(row)) % 5 == 0,
                   blocked=row == "C" and number in (1, 2))
              for row in "ABCD" for number in range(1, 13) if (row, number) != ("B", 7)]
    gallery = [seat("ga", row, number, booked=number % 3 == 0, price=25.0 + number % 2 * 5)
               for row in ("Z", "R27", "AA") for number in range(1, 7)]
    standing = [seat("sd", "S", number, booked=number % 9 == 0) for number in range(1, 101)]
    return SeatMap.model_validate({
        "event": {"id": "ev-1", "name": "Jazz at the Grand Hall"},
        "venue": {"id": "ve-1", "name": "Grand Hall"},
        "sections": [
            {"id": "st", "name": "Stalls", "sectionPrice": 45.0, "seats": stalls},
            {"id": "ga", "name": "Gallery", "sectionPrice": 25.0, "seats": gallery},
            {"id": "sd", "name": "Standing", "sectionPrice": 15.0, "seats": standing},
        ]})


def test_the_seat_map_picture(golden: Golden) -> None:
    def render(streams: IOStreams) -> None:
        render_seat_map(streams, concert_hall(), available_only=False, as_json=False)

    check_variants(golden, "seatmap/picture", render, SEAT_MAP)


def test_the_free_seats_table(golden: Golden) -> None:
    def render(streams: IOStreams) -> None:
        render_seat_map(streams, concert_hall(), available_only=True, as_json=False)

    check_variants(golden, "seatmap/available", render, SEAT_MAP)


# --- the watch's final lines ----------------------------------------------------------------

JOB_ID = "job-7f3a9c21-5d4e-4b8a-9f10-2c3d4e5f6a7b"
KEY = "0b9e6c1a-3f2d-4e5a-8b7c-6d5e4f3a2b1c"
SEATS = ["Stalls:A1", "Stalls:A2", "Stalls:A3", "Gallery:Z4", "Gallery:Z5", "Gallery:R27-1"]
BOOKED = f"Successfully booked {len(SEATS)} seat(s)"


def update(kind: UpdateKind, state: JobState, polls: int, elapsed: float,
           message: str | None = None, *, warning: str | None = None,
           position: int | None = None) -> WatchUpdate:
    status = JobStatus.model_validate({"success": state is JobState.CONFIRMED,
                                       "message": message, "queuePosition": position})
    return WatchUpdate(kind, JOB_ID, state, status, polls, elapsed, warning)


def outcome(state: str, **changes: object) -> dict[str, Any]:
    """The document `seatctl watch` renders (booking/outcome.py's watch_document)."""
    return {"jobId": JOB_ID, "bookingId": None, "state": state, "message": None,
            "seats": list(SEATS), "totalPrice": None, "elapsed_s": 14.25, "polls": 9,
            "timedOut": False, "endedBy": "final", "rate_limit": None, "lastKnown": None,
            "key": KEY, **changes}


def watched(*updates: WatchUpdate) -> Callable[[IOStreams], None]:
    """The plain lines of a watch that saw `updates` (on a manual clock)."""
    def play(streams: IOStreams) -> None:
        with WatchDisplay(streams, ManualClock(100.0), live=False) as display:
            for each in updates:
                display.update(each)

    return play


QUEUED = update(UpdateKind.STATE, JobState.QUEUED, 1, 0.4, "Booking is under processing...",
                position=3)
PROCESSING = update(UpdateKind.STATE, JobState.PROCESSING, 4, 6.1,
                    "Booking is under processing...")
PROXY_502 = update(UpdateKind.WARNING, JobState.PROCESSING, 5, 7.9,
                   warning="502 Bad Gateway from http://staging.seats.example.com:8443 "
                           "after 1.2 s (a proxy's page, not the API's answer)")

FINISHED_JOBS: dict[str, tuple[list[WatchUpdate], dict[str, Any]]] = {
    "confirmed": ([QUEUED, PROCESSING, PROXY_502,
                   update(UpdateKind.STATE, JobState.CONFIRMED, 9, 14.25, BOOKED)],
                  outcome("confirmed", bookingId="bk-20261129-0042", message=BOOKED,
                          totalPrice=230.0)),
    "rejected": ([QUEUED, update(UpdateKind.STATE, JobState.REJECTED, 3, 2.5,
                                 "Some selected seats are no longer available")],
                 outcome("rejected", message="Some selected seats are no longer available")),
    "timed-out": ([QUEUED, PROCESSING],
                  outcome("processing", message="Booking is under processing...",
                          timedOut=True, endedBy="timeout")),
    "unknown": ([QUEUED, PROCESSING, PROXY_502],
                outcome("unknown", endedBy="network", lastKnown={
                    "state": "processing", "source": "journal",
                    "at": "2026-11-29T19:30:05.000Z"})),
}


@pytest.mark.parametrize("job", sorted(FINISHED_JOBS))
def test_the_watchs_final_lines(golden: Golden, job: str) -> None:
    updates, document = FINISHED_JOBS[job]

    def render(streams: IOStreams) -> None:
        watched(*updates)(streams)
        render_outcome(streams, document, as_json=False)

    check_variants(golden, f"watch/{job}", render, WATCH)


def test_the_outcome_of_a_general_admission_booking(golden: Golden) -> None:
    def render(streams: IOStreams) -> None:  # `book --quantity N`, as cli/book.py reports it
        render_outcome(streams, {
            "jobId": JOB_ID, "bookingId": "bk-20261129-0043", "state": "confirmed",
            "message": "Successfully booked 4 ticket(s)", "seats": None, "quantity": 4,
            "totalPrice": 60.0, "key": KEY}, as_json=False)

    check_variants(golden, "watch/quantity", render, WATCH)


# --- the doctor's report --------------------------------------------------------------------

DOCTOR_RUNS: dict[str, Callable[[], DoctorRun]] = {
    "healthy": healthy_run,
    "node-defaults": lambda: node_default_run(("x-powered-by", "Express")),
    "http2": lambda: with_http2(https_run(), http2()),
    "interrupted": lambda: cut_run(CutBy.INTERRUPTED),
}


@pytest.mark.parametrize("run", sorted(DOCTOR_RUNS))
def test_the_doctors_report(golden: Golden, run: str) -> None:
    report = report_of(DOCTOR_RUNS[run]())

    def render(streams: IOStreams) -> None:
        render_report(streams, report, as_json=False)

    check_variants(golden, f"doctor/{run}", render, DOCTOR)
