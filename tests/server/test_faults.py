"""Each fault, observed by seatctl's own HTTP core as a real client sees it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from seatctl.errors import (
    AuthError,
    ConnectionClosed,
    ConnectionReset,
    ProxyErrorPage,
    RateLimited,
    ReadTimeout,
    ResetWhen,
)
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.server import Fault, FaultKind, RateLimit, ReferenceServer
from tests.conftest import StartServer
from tests.server.helpers import free_seat_ids, login_at, my_bookings_at, wait_for_job_at

BOOK = "/api/seats/book"


def client(server: ReferenceServer, *, retries: int = 0, read: float = 2.0,
           token: str | None = None) -> ApiClient:
    config = ClientConfig(base_url=server.url, timeouts=Timeouts(5, read, 5, 5),
                          retry=RetryPolicy(retries=retries, backoff_base=0.01), token=token)
    return ApiClient(config)


def faulty(start_server: StartServer, kind: FaultKind, probability: float = 1.0,
           seconds: float = 0.0, **overrides: Any) -> ReferenceServer:
    return start_server(faults=(Fault(kind, probability, seconds),), **overrides)


def test_reset_on_accept_is_a_reset_before_any_response(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.RESET_ON_ACCEPT)
    with client(server) as api, pytest.raises(ConnectionReset) as caught:
        api.get("/health")
    assert caught.value.when is ResetWhen.BEFORE_RESPONSE


def test_close_without_response_is_a_clean_close(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.CLOSE_WITHOUT_RESPONSE)
    with client(server) as api, pytest.raises(ConnectionClosed):
        api.get("/health")


def test_proxy_502_is_an_html_page_from_a_proxy(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.PROXY_502)
    with client(server) as api, pytest.raises(ProxyErrorPage, match="502 Bad Gateway"):
        api.get("/health")


def test_stall_delays_the_answer(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.STALL, seconds=0.4)
    with client(server, read=0.15) as api, pytest.raises(ReadTimeout):
        api.get("/health")
    with client(server, read=3) as api:
        started = time.monotonic()
        assert api.get("/health").status_code == 200
        assert time.monotonic() - started >= 0.4


def test_reset_before_response_processes_the_request_but_loses_the_answer(
    start_server: StartServer,
) -> None:
    server = faulty(start_server, FaultKind.RESET_BEFORE_RESPONSE, fault_path=BOOK)
    token = login_at(server.url)
    event_id, seats = free_seat_ids(server.url, 2)
    with client(server, token=token) as api, pytest.raises(ConnectionReset) as caught:
        api.post(BOOK, json={"eventId": event_id, "seatIds": seats})
    assert caught.value.when is ResetWhen.BEFORE_RESPONSE
    deadline = time.monotonic() + 10
    while not my_bookings_at(server.url, token) and time.monotonic() < deadline:
        time.sleep(0.02)
    bookings = my_bookings_at(server.url, token)
    assert [sorted(seat["id"] for seat in b["seats"]) for b in bookings] == [sorted(seats)]


def test_a_booking_retried_with_its_key_after_a_reset_is_booked_once(
    start_server: StartServer,
) -> None:
    # seed 1 with p=0.5: the first POST is reset, a later one answers (fixed by the seed)
    server = faulty(start_server, FaultKind.RESET_BEFORE_RESPONSE, 0.5, fault_path=BOOK,
                    seed=1)
    token = login_at(server.url)
    event_id, seats = free_seat_ids(server.url, 2)
    key = str(uuid.uuid4())
    exchanges: list[str] = []

    class Recorder:
        def exchange(self, exchange: Any) -> None:
            exchanges.append(exchange.error or str(exchange.status))

        def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
            pass

    config = ClientConfig(base_url=server.url, timeouts=Timeouts(1, 2, 1, 1),
                          retry=RetryPolicy(retries=5, backoff_base=0.01), token=token)
    with ApiClient(config, observer=Recorder()) as api:
        response = api.post(BOOK, json={"eventId": event_id, "seatIds": seats,
                                        "idempotencyKey": key}, idempotency_key=key)
    assert any("reset" in outcome for outcome in exchanges), exchanges
    result = wait_for_job_at(server.url, token, response.json()["data"]["jobId"])
    assert result["success"] is True
    bookings = [b for b in my_bookings_at(server.url, token) if b["idempotencyKey"] == key]
    assert len(bookings) == 1
    assert result["bookingId"] == bookings[0]["id"]


def test_faults_apply_only_under_the_fault_path(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.PROXY_502, fault_path="/api/seats")
    with client(server) as api:
        assert api.get("/health").status_code == 200
        assert api.get("/api/events").status_code == 200
        with pytest.raises(ProxyErrorPage):
            api.get("/api/seats/event/x")


def outcomes(server: ReferenceServer, count: int) -> list[str]:
    seen = []
    with client(server) as api:
        for _ in range(count):
            try:
                api.get("/health")
                seen.append("ok")
            except ProxyErrorPage:
                seen.append("502")
    return seen


def test_a_seed_reproduces_the_same_faults(start_server: StartServer) -> None:
    first = outcomes(faulty(start_server, FaultKind.PROXY_502, 0.5, seed=7), 20)
    second = outcomes(faulty(start_server, FaultKind.PROXY_502, 0.5, seed=7), 20)
    assert first == second
    assert "ok" in first and "502" in first


def test_slow_job_delays_every_job(start_server: StartServer) -> None:
    server = start_server(slow_job=0.4, process_delay=0)
    token = login_at(server.url)
    event_id, seats = free_seat_ids(server.url, 1)
    started = time.monotonic()
    response = httpx.post(server.url + BOOK, json={"eventId": event_id, "seatIds": seats},
                          headers={"Authorization": f"Bearer {token}"})
    assert wait_for_job_at(server.url, token, response.json()["data"]["jobId"])["success"]
    assert time.monotonic() - started >= 0.4


def test_rate_limit_answers_429_with_retry_after(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(2, 60))
    with client(server) as api:
        api.get("/api/events")
        response = api.get("/api/events")
        assert response.headers["RateLimit-Remaining"] == "0"
        with pytest.raises(RateLimited) as caught:
            api.get("/api/events")
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 60
    assert caught.value.server_message == "Too many requests from this IP, please try again later."


def test_a_fault_path_covers_whole_segments_only(start_server: StartServer) -> None:
    server = faulty(start_server, FaultKind.PROXY_502, fault_path=BOOK)
    with client(server) as api:
        with pytest.raises(ProxyErrorPage):
            api.post(BOOK, json={})
        # /api/seats/booking-status/... shares the characters, not the segment: the
        # application answers (401 here), not the fault's proxy page
        with pytest.raises(AuthError):
            api.get("/api/seats/booking-status/nope", authenticated=False)
