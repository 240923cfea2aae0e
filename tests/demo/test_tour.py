"""The tour's pieces, and its failures: a step that does not show what it should stops the
demo with a clear error and its exit code (run in-process, with the failure provoked)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from seatctl.api.models import SeatMap
from seatctl.booking.labels import SeatIndex
from seatctl.clock import SystemClock
from seatctl.demo import (
    BookingSummary,
    DemoSummary,
    PostAttempt,
    RetriedBookingSummary,
    StepName,
    StepResult,
    check_one_booking,
    free_runs,
    summary_document,
)
from seatctl.errors import SeatctlError
from seatctl.exit_codes import ExitCode
from seatctl.render.demo import DemoView, conclusion
from seatctl.render.streams import IOStreams
from seatctl.server import ReferenceServer
from tests.helpers import Cli


def seat_map(rows: dict[str, str]) -> SeatMap:
    """One section; each row a string of seats: `o` free, `x` booked, `#` blocked."""
    seats = [{"id": f"{row}{number}", "row": row, "number": str(number),
              "isBooked": mark == "x", "isBlocked": mark == "#"}
             for row, marks in rows.items() for number, mark in enumerate(marks, start=1)]
    return SeatMap.model_validate({"event": {"id": "e", "name": "E"},
                                   "sections": [{"id": "s", "name": "Stalls", "seats": seats}]})


def ids(runs: list[list[Any]]) -> list[list[str]]:
    return [[seat.id for seat in run] for run in runs]


def test_free_runs_are_free_seats_side_by_side_in_one_row() -> None:
    index = SeatIndex(seat_map({"A": "#oxoo", "B": "o#ooo"}))
    assert ids(free_runs(index, 2, count=2)) == [["A4", "A5"], ["B3", "B4"]]
    assert ids(free_runs(index, 2, count=1)) == [["A4", "A5"]]
    assert ids(free_runs(index, 3, count=2)) == [["B3", "B4", "B5"]]  # fewer than asked
    assert free_runs(SeatIndex(seat_map({"A": "oxo", "B": "o"})), 2, count=2) == []


def test_free_runs_do_not_span_rows_or_gaps_in_numbering() -> None:
    gappy = seat_map({"A": "oo"})
    gappy.sections[0].seats[1].number = "3"  # seats 1 and 3: not side by side
    assert free_runs(SeatIndex(gappy), 2, count=1) == []
    assert free_runs(SeatIndex(seat_map({"A": "o", "B": "o"})), 2, count=1) == []


def retried(attempts: list[int | None], on_server: int, with_key: int) -> RetriedBookingSummary:
    booking = BookingSummary("job-2", ("A5", "A6"), "confirmed", "b-1", "key")
    return RetriedBookingSummary(
        booking, tuple(PostAttempt(n, status, None if status else "reset", 0.001)
                       for n, status in enumerate(attempts, start=1)),
        bookings_on_server=on_server, bookings_with_key=with_key, account_bookings=2)


def test_one_booking_after_a_reset_passes() -> None:
    check_one_booking(retried([None, 202], 1, 1))
    check_one_booking(retried([None, None, 202], 1, 1))


@pytest.mark.parametrize(("summary", "message"), [
    (retried([202], 1, 1), "the injected reset did not happen"),
    (retried([], 1, 1), "the injected reset did not happen"),
    (retried([None, 202], 2, 1), "the server holds 2 booking(s) of the seats"),
    (retried([None, 202], 1, 0), "(0 with the booking key); expected 1"),
])
def test_anything_but_one_booking_after_a_reset_fails(summary: RetriedBookingSummary,
                                                      message: str) -> None:
    with pytest.raises(SeatctlError) as caught:
        check_one_booking(summary)
    assert message in caught.value.message
    assert caught.value.exit_code is ExitCode.FAILURE


def test_a_summary_with_no_step_finished_is_a_complete_document() -> None:
    document = summary_document(DemoSummary(steps=[StepResult(StepName.SERVER, False, 0.01,
                                                              error="cannot listen")]))
    assert document == {
        "schema": "seatctl.demo/1", "ok": False, "server_url": None,
        "steps": [{"name": "server", "ok": False, "seconds": 0.01, "details": {},
                   "error": "cannot listen"}],
        "booking": None, "retried_booking": None, "doctor": None, "elapsed_s": 0.0,
    }


def view(streams: IOStreams, *, as_json: bool) -> DemoView:
    return DemoView(streams, SystemClock(), as_json=as_json, verbose=False, trace=False)


def test_a_failed_step_is_shown_with_why() -> None:
    streams = IOStreams.test()
    view(streams, as_json=False).step_finished(
        StepResult(StepName.DOCTOR, False, 1.5, error="interrupted"))
    assert streams.out_text() == "✗ doctor: interrupted  (1.50 s)\n"
    json_streams = IOStreams.test()
    quiet = view(json_streams, as_json=True)
    quiet.step_finished(StepResult(StepName.LOGIN, True, 0.25))
    assert (json_streams.out_text(), json_streams.err_text()) == ("", "✓ login  (0.25 s)\n")


def test_server_text_in_a_conclusion_cannot_drive_the_terminal() -> None:
    result = StepResult(StepName.EVENTS, True, 0.1,
                        {"events": 4, "event_name": "Evil\x1b[2J\nName"})
    assert conclusion(result) == "4 events; Evil\\x1b[2J\\nName has a seat map"


# --- failures, end to end in-process ----------------------------------------------------


def test_a_reset_that_did_not_happen_fails_the_demo(cli: Cli, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
    def disarmed(self: ReferenceServer, *args: Any, **kwargs: Any) -> None:
        pass

    monkeypatch.setattr(ReferenceServer, "arm_fault", disarmed)
    outcome = cli("demo", "--json")
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    assert "error: the injected reset did not happen" in outcome.stderr
    summary = json.loads(outcome.stdout)
    assert summary["ok"] is False
    assert summary["error"]["exit_code"] == 1
    assert [step["name"] for step in summary["steps"]][-1] == "retried-booking"
    assert summary["steps"][-1]["ok"] is False
    assert summary["retried_booking"]["attempts"] == 1
    assert summary["doctor"] is None  # the tour stops at the failed step


def test_a_doctor_that_cannot_see_the_idle_close_fails_the_demo(
    cli: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("seatctl.demo.tour.DOCTOR_MAX_WAIT", 0.5)  # Node closes at 6 s
    outcome = cli("demo")
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    assert "error: the doctor did not find the short keep-alive" in outcome.stderr
    assert "✗ doctor: the doctor did not find the short keep-alive" in outcome.stdout
    assert "The tour took" not in outcome.stdout
