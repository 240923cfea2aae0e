"""The one retry policy, driven through ApiClient with a fake clock and scripted responses.

The fake clock only moves when the policy sleeps (or a scripted response "takes" time), so
every wait is observed exactly and nothing here waits for real.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from seatctl.clock import Deadline, ManualClock, SystemClock
from seatctl.errors import (
    AuthError,
    ConnectionReset,
    DeadlineExceeded,
    NotFound,
    RateLimited,
    RequestRejected,
    SeatctlError,
    ServerError,
)
from seatctl.http import RetryPolicy, Timeouts
from tests.http.conftest import OneLine
from tests.support.clients import MakeClient, RecordingObserver, Scripted
from tests.support.rawserver import Connection, StartRawServer


def overloaded() -> httpx.Response:
    return httpx.Response(503, json={"status": "error", "message": "overloaded"})


def ok() -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": {}})


@pytest.fixture
def widest_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter draws uniform(0, bound): make every draw the bound itself."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


@pytest.fixture
def narrowest_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: low)


def test_a_get_that_gets_503_twice_then_200_is_retried_and_succeeds(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, observer: RecordingObserver,
) -> None:
    transport = scripted(overloaded(), overloaded(), ok())
    client = make_client(retries=3, clock=clock, observer=observer, transport=transport)

    response = client.get("/events")

    assert response.status_code == 200
    assert len(transport.requests) == 3
    assert [e.attempt for e in observer.exchanges] == [1, 2, 3]
    assert [e.status for e in observer.exchanges] == [503, 503, 200]
    assert [attempt for attempt, _, _ in observer.retries] == [1, 2]
    assert [wait for _, wait, _ in observer.retries] == clock.sleeps


def test_waits_are_full_jitter_between_zero_and_the_backoff_bound(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
) -> None:
    policy = RetryPolicy(retries=8, deadline=1000.0, backoff_base=0.25, backoff_cap=2.0)
    for _ in range(20):
        clock.sleeps.clear()
        client = make_client(policy=policy, clock=clock,
                             transport=scripted(*[overloaded() for _ in range(9)]))
        with pytest.raises(ServerError):
            client.get("/events")
        assert len(clock.sleeps) == 8
        for attempt, wait in enumerate(clock.sleeps, start=1):
            assert 0.0 <= wait <= policy.backoff_bound(attempt) <= policy.backoff_cap


def test_the_upper_end_of_the_jitter_doubles_up_to_the_cap(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, widest_jitter: None,
) -> None:
    policy = RetryPolicy(retries=6, deadline=1000.0, backoff_base=0.25, backoff_cap=2.0)
    client = make_client(policy=policy, clock=clock,
                         transport=scripted(*[overloaded() for _ in range(7)]))

    with pytest.raises(ServerError):
        client.get("/events")

    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert clock.sleeps == [policy.backoff_bound(n) for n in range(1, 7)]


def test_the_lower_end_of_the_jitter_is_zero(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, narrowest_jitter: None,
) -> None:
    client = make_client(retries=3, clock=clock,
                         transport=scripted(overloaded(), overloaded(), overloaded(), ok()))

    client.get("/events")

    assert clock.sleeps == [0.0, 0.0, 0.0]


def test_429_with_retry_after_3_makes_the_wait_exactly_3(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, observer: RecordingObserver,
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "3"}, json={"status": "error"})
    client = make_client(retries=2, clock=clock, observer=observer,
                         transport=scripted(limited, ok()))

    assert client.get("/events").status_code == 200

    assert clock.sleeps == [3.0]
    attempt, wait, error = observer.retries[0]
    assert (attempt, wait) == (1, 3.0)
    assert isinstance(error, RateLimited) and error.retry_after == 3.0


def test_a_503_with_retry_after_is_honoured_too(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "1"}, text="")
    client = make_client(retries=1, clock=clock, transport=scripted(busy, ok()))

    client.get("/events")

    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retries_stop_after_retries_plus_one_attempts(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, retries: int,
) -> None:
    transport = scripted(*[overloaded() for _ in range(retries + 1)])
    client = make_client(retries=retries, clock=clock, transport=transport)

    with pytest.raises(ServerError) as caught:
        client.get("/events")

    assert caught.value.status_code == 503
    assert caught.value.attempts == retries + 1
    assert len(transport.requests) == retries + 1
    assert len(clock.sleeps) == retries


def test_the_retry_deadline_stops_when_the_next_wait_would_pass_it(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, widest_jitter: None,
) -> None:
    # Waits would be 0.25, 0.5, 1.0: after 0.75 s, the third would end at 1.75 s > 1 s.
    policy = RetryPolicy(retries=10, deadline=1.0, backoff_base=0.25)
    transport = scripted(*[overloaded() for _ in range(3)])
    client = make_client(policy=policy, clock=clock, transport=transport)

    with pytest.raises(ServerError) as caught:
        client.get("/events")

    assert clock.sleeps == [0.25, 0.5]
    assert caught.value.attempts == 3 == len(transport.requests)


def test_the_retry_deadline_counts_the_time_attempts_take(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, widest_jitter: None,
) -> None:
    # Each attempt takes 0.4 s: 0.4 + 0.25 fits in 1 s, 1.05 + 0.5 does not.
    policy = RetryPolicy(retries=10, deadline=1.0, backoff_base=0.25)
    transport = scripted(overloaded(), overloaded(), elapse=0.4)
    client = make_client(policy=policy, clock=clock, transport=transport)

    with pytest.raises(ServerError) as caught:
        client.get("/events")

    assert clock.sleeps == [0.25]
    assert caught.value.attempts == 2


def test_a_retry_after_longer_than_the_retry_deadline_is_not_waited_for(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "60"}, json={"status": "error"})
    client = make_client(policy=RetryPolicy(retries=3, deadline=30.0), clock=clock,
                         transport=scripted(limited))

    with pytest.raises(RateLimited) as caught:
        client.get("/events")

    assert caught.value.attempts == 1 and clock.sleeps == []


@pytest.mark.parametrize("failure", ["503", "reset"])
def test_a_post_without_an_idempotency_key_is_never_retried(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
    reset_error: Callable[[], httpx.ReadError], failure: str,
) -> None:
    transport = scripted(overloaded() if failure == "503" else reset_error(), ok())
    client = make_client(retries=5, clock=clock, transport=transport)

    with pytest.raises(ServerError if failure == "503" else ConnectionReset) as caught:
        client.post("/bookings", json={"seats": 2})

    assert len(transport.requests) == 1
    assert caught.value.attempts == 1
    assert clock.sleeps == []


def test_a_post_without_an_idempotency_key_is_not_retried_after_a_real_reset(
    raw_server: StartRawServer, make_client: MakeClient, clock: ManualClock,
) -> None:
    def reset_on_request(conn: Connection) -> None:
        conn.read_request()
        conn.reset()

    server = raw_server(reset_on_request)
    client = make_client(server.url, retries=5, clock=clock)

    with pytest.raises(ConnectionReset):
        client.post("/bookings", json={"seats": 2})

    assert server.accepted == 1 and len(server.requests) == 1


def test_a_post_with_an_idempotency_key_is_retried_with_the_same_key(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
    reset_error: Callable[[], httpx.ReadError],
) -> None:
    transport = scripted(overloaded(), reset_error(), ok())
    client = make_client(retries=3, clock=clock, transport=transport)

    response = client.post("/bookings", json={"seats": 2}, idempotency_key="book-7f3a")

    assert response.status_code == 200
    assert len(transport.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in transport.requests} == {"book-7f3a"}
    # the key travels in the body too: the deployed backend reads only `idempotencyKey`
    assert {r.content for r in transport.requests} == {
        b'{"seats":2,"idempotencyKey":"book-7f3a"}'}
    assert len({r.headers["X-Request-ID"] for r in transport.requests}) == 3


@pytest.mark.parametrize(("status", "error_class"), [
    (401, AuthError), (404, NotFound), (422, RequestRejected), (500, ServerError),
])
def test_a_get_is_not_retried_on_a_final_answer(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, status: int,
    error_class: type[SeatctlError],
) -> None:
    transport = scripted(httpx.Response(status, json={"status": "error", "message": "no"}))
    client = make_client(retries=3, clock=clock, transport=transport)

    with pytest.raises(error_class):
        client.get("/events")

    assert len(transport.requests) == 1 and clock.sleeps == []


# --- the command's overall deadline -------------------------------------------------------


def test_a_deadline_that_has_run_out_stops_before_sending(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, one_line: OneLine,
) -> None:
    deadline = Deadline.after(clock, 5.0)
    clock.advance(5.0)
    transport = scripted(ok())
    client = make_client(retries=3, clock=clock, deadline=deadline, transport=transport)

    with pytest.raises(DeadlineExceeded) as caught:
        client.get("/events")

    assert transport.requests == []
    assert caught.value.retryable is False and caught.value.attempts == 1
    one_line(caught.value, "overall deadline ran out before GET /events", "--timeout")


def test_a_timeout_once_the_deadline_has_run_out_is_deadline_exceeded(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, one_line: OneLine,
) -> None:
    deadline = Deadline.after(clock, 1.0)
    transport = scripted(httpx.ReadTimeout("timed out"), ok(), elapse=1.0)
    client = make_client(retries=3, clock=clock, deadline=deadline, transport=transport)

    with pytest.raises(DeadlineExceeded) as caught:
        client.get("/events")

    assert len(transport.requests) == 1 and clock.sleeps == []
    one_line(caught.value, "overall deadline ran out", "read timeout", "--timeout")


def test_the_deadline_stops_retrying_before_a_wait_that_would_outlast_it(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, widest_jitter: None,
) -> None:
    # 1 s overall: waits 0.25 and 0.5 fit; the next (1.0) would not, so the last answer
    # is reported rather than sleeping past the deadline.
    deadline = Deadline.after(clock, 1.0)
    transport = scripted(*[overloaded() for _ in range(3)])
    client = make_client(retries=10, clock=clock, deadline=deadline, transport=transport)

    with pytest.raises(ServerError) as caught:
        client.get("/events")

    assert clock.sleeps == [0.25, 0.5]
    assert caught.value.attempts == 3
    assert deadline.expires_at is not None
    assert clock.now < deadline.expires_at


def test_each_attempt_timeout_is_clipped_to_the_remaining_deadline(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock, widest_jitter: None,
) -> None:
    deadline = Deadline.after(clock, 1.0)
    transport = scripted(overloaded(), ok())
    client = make_client(retries=1, clock=clock, deadline=deadline, transport=transport,
                         timeouts=Timeouts(connect=5.0, read=5.0, write=5.0, pool=5.0))

    client.get("/events")

    first, second = (r.extensions["timeout"] for r in transport.requests)
    assert first == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}
    assert second == {"connect": 0.75, "read": 0.75, "write": 0.75, "pool": 0.75}


def test_a_real_hang_past_the_overall_deadline_is_deadline_exceeded(
    raw_server: StartRawServer, make_client: MakeClient,
) -> None:
    def swallow(conn: Connection) -> None:
        conn.read_request()
        conn.hang()

    server = raw_server(swallow)
    clock = SystemClock()
    client = make_client(server.url, retries=3, clock=clock,
                         deadline=Deadline.after(clock, 0.2),
                         timeouts=Timeouts(connect=1.0, read=5.0, write=1.0, pool=1.0))

    with pytest.raises(DeadlineExceeded) as caught:
        client.get("/events")

    assert caught.value.attempts == 1
    assert server.request_seen.wait(5.0) and len(server.requests) == 1
