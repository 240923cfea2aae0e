"""Job status interpretation (contract.md's ambiguous forms) and the rate-limit headers."""

from __future__ import annotations

from typing import Any

import pytest

from seatctl.api.models import JobStatus
from seatctl.booking.status import JobState, interpret
from seatctl.clock import ManualClock
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


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-limit": "100", "ratelimit-remaining": "42", "ratelimit-reset": "30"},
         RateLimitInfo(100, 42, 2_000_000_030.0)),
        ({"ratelimit": "limit=100, remaining=7, reset=12"},
         RateLimitInfo(100, 7, 2_000_000_012.0)),
        # express-rate-limit's legacy headers: the reset is a Unix time
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "2000000100"}, RateLimitInfo(60, 0, 2_000_000_100.0)),
        ({"ratelimit-limit": "100", "ratelimit-remaining": "5"}, RateLimitInfo(100, 5, None)),
        ({"ratelimit-limit": "100", "ratelimit-remaining": "500"},
         RateLimitInfo(100, 100, None)),
        ({"ratelimit-limit": "lots", "ratelimit-remaining": "1"}, None),
        ({}, None),
    ],
)
def test_rate_limit_headers_in_every_dialect(headers: dict[str, str],
                                             expected: RateLimitInfo | None) -> None:
    assert parse_rate_limit(headers, now=2_000_000_000) == expected


def test_a_budget_reads_as_people_say_it() -> None:
    info = RateLimitInfo(100, 4, reset_at=2_000_000_100.0)
    import time

    local = time.strftime("%H:%M:%S", time.localtime(2_000_000_100.0))
    assert info.describe(2_000_000_000.0) == f"4 of 100 left, resets {local}"
    assert RateLimitInfo(0, 0, None).describe(0) == "no requests left"
    assert info.as_dict() == {"limit": 100, "remaining": 4, "reset_at": 2_000_000_100.0}


def test_the_budget_refills_at_its_reset_and_forgets_a_refusal_of_unknown_length() -> None:
    from seatctl.http import RateBudget

    clock = ManualClock()
    budget = RateBudget(clock, wall=lambda: 2_000_000_000.0)
    budget.observe({"x-ratelimit-limit": "20", "x-ratelimit-remaining": "3",
                    "x-ratelimit-reset": "2000000030"}, 200, None)
    assert budget.known == RateLimitInfo(20, 3, 2_000_000_030.0)
    clock.now = 31
    assert budget.known == RateLimitInfo(20, 20, None)  # the window reset: full again
    budget.observe({}, 429, None)  # refused, and not told until when
    assert budget.known == RateLimitInfo(20, 0, None)
    clock.now += 61
    assert budget.known is None  # not believed forever


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "5", "x-ratelimit-reset": "inf"},
         RateLimitInfo(60, 5, None)),
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "5",
          "x-ratelimit-reset": "1e300"}, RateLimitInfo(60, 5, 2_000_086_400.0)),
        ({"ratelimit-limit": "60", "ratelimit-remaining": "5", "ratelimit-reset": "-30"},
         RateLimitInfo(60, 5, 2_000_000_000.0)),
        # the server's clock is 3 minutes behind ours: its reset is read against its Date
        ({"x-ratelimit-limit": "100", "x-ratelimit-remaining": "3",
          "x-ratelimit-reset": str(2_000_000_000 - 180 + 60),
          "date": "Wed, 18 May 2033 03:30:20 GMT"}, RateLimitInfo(100, 3, 2_000_000_060.0)),
    ],
)
def test_odd_resets_are_bounded_and_read_on_the_servers_clock(
        headers: dict[str, str], expected: RateLimitInfo) -> None:
    assert parse_rate_limit(headers, now=2_000_000_000) == expected


def test_a_huge_retry_after_is_a_clear_message_not_a_crash() -> None:
    import httpx

    from seatctl.http import error_for_status

    request = httpx.Request("GET", "http://api.test/api/events")
    response = httpx.Response(429, request=request, headers={"Retry-After": "9" * 400},
                              json={"status": "error", "message": "slow down"})
    error = error_for_status(response, "r1")
    assert error is not None and "the window resets at" in error.message
