"""The watch loop against scripted answers, on a fake clock (no real waiting)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from seatctl.booking.poll import PollPlan
from seatctl.booking.status import JobState
from seatctl.booking.watch import EndReason, UpdateKind, Watcher, WatchUpdate
from seatctl.clock import Deadline, ManualClock
from seatctl.errors import AuthError, DeadlineExceeded, NotFound, ServerError
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts

PENDING = {"success": False, "message": "Booking is under processing..."}
DONE = {"success": True, "bookingId": "b-1", "message": "Successfully booked 2 seat(s)",
        "totalPrice": 90.0}


Answer = Callable[[httpx.Request, ManualClock], httpx.Response]


def envelope(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
             ) -> httpx.Response:
    return httpx.Response(status, json={"status": "success", "data": data}, headers=headers)


def watcher(answers: list[Answer], clock: ManualClock, deadline: Deadline | None = None,
            **options: Any) -> tuple[Watcher, list[httpx.Request], list[WatchUpdate]]:
    seen: list[httpx.Request] = []
    updates: list[WatchUpdate] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        return answer(request, clock)

    config = ClientConfig(base_url="http://seatctl.test", timeouts=Timeouts(1, 1, 1, 1),
                          retry=RetryPolicy(retries=0), token="t0ken-for-tests")
    client = ApiClient(config, clock=clock, deadline=deadline,
                       transport=httpx.MockTransport(handle))
    options.setdefault("plan", PollPlan(jitter=0.0))
    return Watcher(client, clock, on_update=updates.append, **options), seen, updates


def pending(request: httpx.Request, clock: ManualClock) -> httpx.Response:
    return envelope(PENDING)


def done(request: httpx.Request, clock: ManualClock) -> httpx.Response:
    return envelope(DONE)


def test_plain_polling_follows_the_schedule_until_confirmed() -> None:
    clock = ManualClock()
    watch, seen, updates = watcher([pending, pending, pending, done], clock, long_poll=False)
    result = watch.watch("job-1")
    assert result.state is JobState.CONFIRMED
    assert result.polls == 4
    assert result.status is not None and result.status.booking_id == "b-1"
    assert clock.sleeps[:4] == pytest.approx([0.15, 0.3, 0.3, 0.3])
    assert [u.kind for u in updates] == [UpdateKind.STATE, UpdateKind.POLL, UpdateKind.POLL,
                                         UpdateKind.STATE]
    assert all("wait" not in r.url.params for r in seen)


def test_long_polling_asks_the_server_to_hold_the_request() -> None:
    def held(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        clock.now += 0.8  # the server held it until the state changed
        return envelope({**PENDING, "state": "processing"})

    clock = ManualClock()
    watch, seen, _ = watcher([held, lambda r, c: envelope({**DONE, "state": "confirmed"})],
                             clock)
    result = watch.watch("job-1")
    assert result.state is JobState.CONFIRMED
    assert [r.url.params.get("wait") for r in seen] == ["2", "25"]  # the first one short
    assert clock.sleeps == []  # no pause between long polls


def test_a_server_that_ignores_wait_gets_plain_polling() -> None:
    clock = ManualClock()
    watch, seen, _ = watcher([pending, pending, pending, done], clock)
    watch.watch("job-1")
    assert seen[0].url.params.get("wait") == "2"
    assert all("wait" not in r.url.params for r in seen[1:])


def test_retry_after_is_never_undercut() -> None:
    clock = ManualClock()
    watch, _, _ = watcher(
        [lambda r, c: envelope(PENDING, headers={"Retry-After": "3"}), done], clock,
        long_poll=False)
    watch.watch("job-1")
    assert clock.sleeps[1] == 3.0


def test_rate_limit_headers_slow_the_polls_down_within_the_notice_bound() -> None:
    clock = ManualClock()
    tight = {"RateLimit-Limit": "100", "RateLimit-Remaining": "14", "RateLimit-Reset": "900"}
    watch, _, _ = watcher([lambda r, c: envelope(PENDING, headers=tight)] * 3 + [done], clock,
                          long_poll=False)
    result = watch.watch("job-1")
    assert result.state is JobState.CONFIRMED
    assert clock.sleeps[1] > 0.3  # paced: 4 polls to place over the horizon
    assert all(gap <= max(2.0, 0.5 * clock.sleeps[0]) + 1e-9 for gap in clock.sleeps[1:2])
    assert result.rate_limit is not None and result.rate_limit.remaining == 14


def test_transient_errors_are_warnings_and_the_watch_goes_on() -> None:
    def proxy_502(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        return httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>")

    clock = ManualClock()
    watch, _, updates = watcher([pending, proxy_502, done], clock, long_poll=False)
    result = watch.watch("job-1")
    assert result.state is JobState.CONFIRMED
    warnings = [u.warning for u in updates if u.kind is UpdateKind.WARNING]
    assert len(warnings) == 1 and "502" in str(warnings[0])


def test_the_watch_ends_pending_at_its_timeout() -> None:
    clock = ManualClock()
    watch, seen, _ = watcher([pending], clock, long_poll=False, timeout=10)
    result = watch.watch("job-1")
    assert result.timed_out and result.state is JobState.PENDING
    assert result.ended_by is EndReason.TIMEOUT
    assert clock.now == pytest.approx(10)
    assert 5 <= len(seen) <= 20


@pytest.mark.parametrize(("status", "error"), [(404, NotFound), (401, AuthError),
                                               (500, ServerError)])
def test_an_unknown_job_or_a_bad_token_ends_the_watch(status: int, error: type) -> None:
    clock = ManualClock()
    body = {"status": "error", "message": "Booking job not found"}

    def failing(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body).encode())

    watch, _, _ = watcher([failing], clock, long_poll=False)
    with pytest.raises(error):
        watch.watch("job-1")


def test_elapsed_runs_from_the_given_start() -> None:
    clock = ManualClock()
    clock.now = 50.0
    watch, _, _ = watcher([done], clock, long_poll=False)
    result = watch.watch("job-1", since=45.0)
    assert result.elapsed_s == pytest.approx(5.15)


def test_the_commands_deadline_is_not_a_transient_poll_error() -> None:
    def expired(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        raise AssertionError("no request may go out after the deadline")

    clock = ManualClock()
    watch, _, _ = watcher([expired], clock, deadline=Deadline(clock, clock.now),  # run out
                          long_poll=False)
    with pytest.raises(DeadlineExceeded):
        watch.watch("job-1")


LIMITED = {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"}


def too_many(request: httpx.Request, clock: ManualClock) -> httpx.Response:
    return httpx.Response(429, json={"status": "error", "message": "Too many requests from "
                                     "this IP, please try again later."},
                          headers={**LIMITED, "Retry-After": "600"})


def test_a_429_ends_the_watch_rate_limited_at_once_not_pending() -> None:
    clock = ManualClock()
    watch, seen, updates = watcher([pending, too_many], clock, long_poll=False)
    result = watch.watch("job-1")
    assert result.ended_by is EndReason.RATE_LIMITED
    assert len(seen) == 2  # no poll after the refusal: the window resets in 10 minutes
    assert clock.now < 5
    assert result.rate_limit is not None and result.rate_limit.remaining == 0
    assert not any(u.kind is UpdateKind.WARNING for u in updates)


def test_a_429_whose_window_resets_soon_is_waited_for_and_said() -> None:
    def soon(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        return httpx.Response(429, json={"status": "error", "message": "slow down"},
                              headers={**LIMITED, "Retry-After": "3"})

    clock = ManualClock()
    clock.now = 10.0
    watch, _, updates = watcher([pending, soon, done], clock, long_poll=False)
    result = watch.watch("job-1", since=0.0)
    assert result.state is JobState.CONFIRMED and result.ended_by is EndReason.FINAL
    waits = [u.waiting for u in updates if u.kind is UpdateKind.WAITING]
    assert waits and waits[0] is not None and waits[0].seconds == pytest.approx(3.5)
    assert str(waits[0].reason) == "rate-limit"


def test_a_watch_ending_on_network_failures_says_so() -> None:
    def refused(request: httpx.Request, clock: ManualClock) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    clock = ManualClock()
    watch, _, _ = watcher([pending, refused], clock, long_poll=False, timeout=5)
    result = watch.watch("job-1")
    assert result.ended_by is EndReason.NETWORK
    assert result.last_error is not None and result.last_error.exit_code == 6
