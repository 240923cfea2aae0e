"""Job status interpretation (contract.md's ambiguous forms) and the poll schedule."""

from __future__ import annotations

import random
from typing import Any

import pytest

from seatctl.api.models import JobStatus
from seatctl.booking.poll import PollSchedule, rate_limit_floor
from seatctl.booking.status import JobState, interpret
from seatctl.http import RateLimitInfo, parse_rate_limit


def status(**data: Any) -> JobStatus:
    return JobStatus.model_validate(data)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        # the seed backend: no state, the message tells pending from failed
        ({"success": False, "message": "Booking is under processing..."}, JobState.PENDING),
        ({"success": True, "bookingId": "b1", "message": "Successfully booked 2 seat(s)",
          "totalPrice": 120}, JobState.CONFIRMED),
        ({"success": True, "bookingId": "b1", "message": "Booking already exists"},
         JobState.CONFIRMED),
        ({"success": False, "message": "Some selected seats are no longer available",
          "unavailableSeats": [{"id": "s1", "row": "A", "number": "12",
                                "reason": "already_booked"}]}, JobState.REJECTED),
        ({"success": False, "message": "Seats are currently being booked by another user. "
          "Please try again."}, JobState.CONTENDED),
        ({"success": False, "message": "Database connection lost"}, JobState.FAILED),
        ({"success": False}, JobState.FAILED),
        # an explicit state wins over the message (the reference server's extension)
        ({"success": False, "message": "Booking is under processing...", "state": "queued",
          "queuePosition": 3}, JobState.QUEUED),
        ({"success": False, "message": "Booking is under processing...",
          "state": "processing"}, JobState.PROCESSING),
        ({"success": True, "state": "confirmed", "bookingId": "b"}, JobState.CONFIRMED),
        ({"success": False, "state": "failed", "message": "processing failed badly"},
         JobState.FAILED),
        ({"success": False, "state": "failed", "message": "Some selected seats are no "
          "longer available", "unavailableSeats": [{"id": "s"}]}, JobState.REJECTED),
    ],
)
def test_interpretation_follows_the_contract(data: dict[str, Any], state: JobState) -> None:
    assert interpret(status(**data)) is state


def test_seat_numbers_may_be_numbers_or_strings() -> None:
    parsed = status(success=False, unavailableSeats=[{"id": "s", "row": "A", "number": 12}])
    assert parsed.unavailable_seats is not None
    assert parsed.unavailable_seats[0].number == "12"


def test_the_schedule_starts_soon_and_grows_to_the_cap() -> None:
    schedule = PollSchedule(first=0.15, growth=1.4, cap=2.0, jitter=0.0)
    delays = [schedule.next_delay() for _ in range(10)]
    assert delays[0] == pytest.approx(0.15)
    assert delays == sorted(delays)
    assert delays[-1] == pytest.approx(2.0)


def test_jitter_stays_within_its_bounds() -> None:
    schedule = PollSchedule(first=1.0, growth=1.0, cap=1.0, jitter=0.1,
                            random=random.Random(4))
    delays = [schedule.next_delay() for _ in range(200)]
    assert min(delays) >= 0.9 and max(delays) <= 1.1
    assert len(set(delays)) > 100


def test_never_sooner_than_retry_after() -> None:
    schedule = PollSchedule(jitter=0.0)
    assert schedule.next_delay(retry_after=3.0) == 3.0


def test_the_rate_limit_spreads_the_remaining_budget_over_the_window() -> None:
    plenty = RateLimitInfo(limit=100, remaining=90, reset_s=900)
    assert rate_limit_floor(plenty) == 0.0  # no pacing while over half the budget is left
    tight = RateLimitInfo(limit=100, remaining=40, reset_s=900)
    assert rate_limit_floor(tight) == pytest.approx(900 / 20)
    exhausted = RateLimitInfo(limit=100, remaining=10, reset_s=300)
    assert rate_limit_floor(exhausted) == pytest.approx(300.5)
    generous = RateLimitInfo(limit=10000, remaining=9999, reset_s=60)
    assert PollSchedule(jitter=0.0).next_delay(rate_limit=generous) == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-limit": "100", "ratelimit-remaining": "42", "ratelimit-reset": "30"},
         RateLimitInfo(100, 42, 30.0)),
        ({"ratelimit": "limit=100, remaining=7, reset=12"}, RateLimitInfo(100, 7, 12.0)),
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "2000000100"}, RateLimitInfo(60, 0, 100.0)),
        ({"ratelimit-limit": "lots", "ratelimit-remaining": "1"}, None),
        ({}, None),
    ],
)
def test_rate_limit_headers_in_every_dialect(headers: dict[str, str],
                                             expected: RateLimitInfo | None) -> None:
    assert parse_rate_limit(headers, now=2_000_000_000) == expected
