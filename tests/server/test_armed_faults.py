"""One-shot faults armed on a running server (`FaultPlan.arm`, `ReferenceServer.arm_fault`):
each fires on the next request under its path only, before the configured dice, then never."""

from __future__ import annotations

import threading
import uuid

import pytest

from seatctl.errors import ConnectionReset, ProxyErrorPage
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.server import Fault, FaultKind, ReferenceServer
from seatctl.server.faults import FaultPlan
from tests.conftest import StartServer
from tests.server.helpers import free_seat_ids, login_at, my_bookings_at, wait_for_job_at

BOOK = "/api/seats/book"
RESET = Fault(FaultKind.RESET_BEFORE_RESPONSE, 1.0)
PROXY_502 = Fault(FaultKind.PROXY_502, 1.0)


def test_an_armed_fault_fires_once_then_never() -> None:
    plan = FaultPlan(())
    assert not plan
    plan.arm(RESET, BOOK)
    assert plan  # the connection layer consults a plan only when it is truthy
    assert plan.on_request(BOOK) is RESET
    assert plan.on_request(BOOK) is None
    assert plan.on_request(BOOK) is None
    assert not plan


def test_an_armed_fault_fires_only_under_its_path() -> None:
    plan = FaultPlan(())
    plan.arm(RESET, BOOK)
    for other in ("/health", "/api/events", "/api/seats/booking-status/x", "/api/seats"):
        assert plan.on_request(other) is None, other
    assert plan.on_request(BOOK + "/below") is RESET  # by whole segments, as --fault-path


def test_an_armed_fault_comes_before_the_dice_and_ignores_the_fault_path() -> None:
    plan = FaultPlan((PROXY_502,), path_prefix="/health", seed=1)
    plan.arm(RESET, BOOK)
    assert plan.on_request("/health") is PROXY_502
    assert plan.on_request(BOOK) is RESET  # outside --fault-path: the armed one still fires
    assert plan.on_request(BOOK) is None  # spent; and the dice do not cover this path
    plan.arm(RESET, "/health")
    assert plan.on_request("/health") is RESET  # before the configured fault's dice
    assert plan.on_request("/health") is PROXY_502


def test_armed_faults_fire_in_the_order_armed() -> None:
    plan = FaultPlan(())
    plan.arm(PROXY_502, "/api")
    plan.arm(RESET, "/api")
    assert [plan.on_request("/api/events") for _ in range(3)] == [PROXY_502, RESET, None]


@pytest.mark.parametrize(("fault", "path", "message"), [
    (Fault(FaultKind.RESET_ON_ACCEPT, 1.0), "/", "before a request's path is known"),
    (RESET, "api/seats/book", "must start with /"),
])
def test_arming_refuses_what_cannot_apply(fault: Fault, path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan(()).arm(fault, path)


def test_arming_from_many_threads_fires_each_fault_exactly_once() -> None:
    plan = FaultPlan(())
    threads, per_thread = 8, 50
    start = threading.Barrier(threads)

    def arm_many() -> None:
        start.wait(timeout=10)
        for _ in range(per_thread):
            plan.arm(RESET, BOOK)

    workers = [threading.Thread(target=arm_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    taken = 0
    for _ in range(threads * per_thread * 10):  # bounded: take while they arm
        if plan.on_request(BOOK) is not None:
            taken += 1
    for worker in workers:
        worker.join(timeout=10)
    while plan.on_request(BOOK) is not None:  # ends: nothing arms any more
        taken += 1
    assert taken == threads * per_thread
    assert not plan


def client(server: ReferenceServer, token: str | None = None) -> ApiClient:
    config = ClientConfig(base_url=server.url, timeouts=Timeouts(5, 5, 5, 5),
                          retry=RetryPolicy(retries=0), token=token)
    return ApiClient(config)


def test_a_running_server_resets_the_next_booking_post_once(start_server: StartServer) -> None:
    server = start_server()
    token = login_at(server.url)
    event_id, seats = free_seat_ids(server.url, 2)
    key = str(uuid.uuid4())
    server.arm_fault(FaultKind.RESET_BEFORE_RESPONSE, BOOK)
    with client(server, token) as api:
        assert api.get("/api/events").status_code == 200  # another path: not consumed
        with pytest.raises(ConnectionReset):
            api.post(BOOK, json={"eventId": event_id, "seatIds": seats}, idempotency_key=key)
        answer = api.post(BOOK, json={"eventId": event_id, "seatIds": seats},
                          idempotency_key=key)
    assert answer.status_code == 202
    assert wait_for_job_at(server.url, token, answer.json()["data"]["jobId"])["success"]
    bookings = [b for b in my_bookings_at(server.url, token) if b["idempotencyKey"] == key]
    assert len(bookings) == 1  # the reset POST had queued its job: the key made one booking


def test_a_server_arms_any_request_fault_for_a_path(start_server: StartServer) -> None:
    server = start_server()
    server.arm_fault(FaultKind.PROXY_502, "/health")
    with client(server) as api:
        with pytest.raises(ProxyErrorPage):
            api.get("/health")
        assert api.get("/health").status_code == 200


def test_an_armed_stall_needs_its_length() -> None:
    plan = FaultPlan(())
    with pytest.raises(ValueError, match="seconds > 0"):
        plan.arm(Fault(FaultKind.STALL, 1.0, 0.0), "/")
