"""`--dialect seed`: the reference server answers exactly as the seed backend does (no job
state, no long polling, no Retry-After hints, legacy `X-RateLimit-*` headers); the default
reference dialect keeps its extensions."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from seatctl.server import Dialect, RateLimit, ReferenceServer, ServerConfig, serving
from seatctl.server.options import ServeOptions, build_config
from seatctl.server.ratelimit import MESSAGE, FixedWindowLimiter
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.server.helpers import (
    DEADLINE,
    PENDING,
    blocked_seat,
    client,
    free_seats,
    login,
    new_key,
    seat_map_event,
    status,
    submit,
)
from tests.support.clock import PairedClocks

T = TypeVar("T")
WaitDone = Callable[[str], None]  # returns once the job has its final result
Scenario = Callable[[ReferenceServer, WaitDone], T]

EXTENSIONS = {"state", "updatedAt", "queuePosition"}


def beside_server(tmp_path: Path, scenario: Scenario[T], *, dialect: Dialect = Dialect.SEED,
                  queue_paused: bool = False) -> T:
    """Run `scenario` (synchronous HTTP with the helpers, in a thread) against a server on
    this thread's event loop, where it can wait on the queue's own change events: the seed
    dialect has no long polling to wait with. `queue_paused`: no worker takes a job, so every
    job stays queued (pending) for as long as the scenario needs."""
    config = ServerConfig(port=0, db=str(tmp_path / "dialect.db"), process_delay=0.02,
                          dialect=dialect)

    async def main() -> T:
        async with serving(config) as server:
            assert server.queue is not None
            if queue_paused:
                server.queue.stop_taking_jobs()
            loop = asyncio.get_running_loop()

            def wait_done(job_id: str) -> None:
                asyncio.run_coroutine_threadsafe(_until_done(server, job_id), loop).result()

            return await asyncio.to_thread(scenario, server, wait_done)

    return asyncio.run(main())


async def _until_done(server: ReferenceServer, job_id: str) -> None:
    assert server.store is not None and server.queue is not None
    async with asyncio.timeout(DEADLINE):
        while (job := server.store.job(job_id)) is not None and job.result is None:
            await server.queue.wait_for_change(job_id, DEADLINE)


# --- the job status -------------------------------------------------------------------


def _pending_answers(server: ReferenceServer, wait_done: WaitDone
                     ) -> tuple[list[httpx.Response], float]:
    """A queued job's status asked plainly, with `wait=5` and with `wait=abc`; and how long
    the `wait=5` answer took."""
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
        plain = status(http, job_id)
        started = time.monotonic()
        waited = status(http, job_id, wait=5)
        elapsed = time.monotonic() - started
        bad_wait = http.get(f"/api/seats/booking-status/{job_id}", params={"wait": "abc"})
    return [plain, waited, bad_wait], elapsed


def test_seed_pending_status_has_no_extensions_and_ignores_wait(tmp_path: Path) -> None:
    answers, elapsed = beside_server(tmp_path, _pending_answers, queue_paused=True)
    for response in answers:
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "success",
                                   "data": {"success": False, "message": PENDING}}
        assert "retry-after" not in response.headers
    assert elapsed < 1  # answered at once, not after (up to) 5 s


def test_reference_pending_status_keeps_its_extensions(tmp_path: Path) -> None:
    def pending(server: ReferenceServer, wait_done: WaitDone) -> list[httpx.Response]:
        with client(server, login(server)) as http:
            event = seat_map_event(http)
            job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
            return [status(http, job_id), status(http, job_id, wait=0.05),
                    http.get(f"/api/seats/booking-status/{job_id}", params={"wait": "abc"})]

    plain, waited, bad_wait = beside_server(tmp_path, pending, dialect=Dialect.REFERENCE,
                                            queue_paused=True)
    for response in (plain, waited):
        assert response.status_code == 200
        assert EXTENSIONS.issubset(response.json()["data"])
        assert response.json()["data"]["state"] == "queued"
        assert "retry-after" in response.headers
    assert bad_wait.status_code == 400


def _final_answers(server: ReferenceServer, wait_done: WaitDone) -> dict[str, httpx.Response]:
    """Each final form of a seed job's status: booked, booked earlier with the same key, and
    refused for a blocked seat."""
    key = new_key()
    answers = {}
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [seat["id"] for seat in free_seats(http, event["id"], 2)]
        attempts = {"booked": (seat_ids, key), "again": (seat_ids, key),
                    "unavailable": ([blocked_seat(http, event["id"])["id"]], None)}
        for name, (seats, booking_key) in attempts.items():
            job_id = submit(http, event["id"], seats, booking_key)
            wait_done(job_id)
            answers[name] = status(http, job_id, wait=5)
    return answers


def test_seed_final_statuses_have_exactly_the_seed_fields(tmp_path: Path) -> None:
    answers = beside_server(tmp_path, _final_answers)
    for response in answers.values():
        assert response.status_code == 200, response.text
        assert not EXTENSIONS & set(response.json()["data"])
        assert "retry-after" not in response.headers
    booked, again, unavailable = (answers[name].json()["data"]
                                  for name in ("booked", "again", "unavailable"))
    assert set(booked) == {"success", "bookingId", "message", "totalPrice"}
    assert (booked["success"], booked["message"]) == (True, "Successfully booked 2 seat(s)")
    assert set(again) == {"success", "bookingId", "message", "totalPrice"}
    assert (again["message"], again["bookingId"]) == ("Booking already exists",
                                                     booked["bookingId"])
    assert set(unavailable) == {"success", "message", "unavailableSeats"}
    assert unavailable["success"] is False
    assert unavailable["message"] == "Some selected seats are no longer available"
    assert [seat["reason"] for seat in unavailable["unavailableSeats"]] == ["blocked"]


# --- the rate limit -------------------------------------------------------------------


def _seed_limiter(clocks: PairedClocks, limit: int = 3) -> FixedWindowLimiter:
    return FixedWindowLimiter(RateLimit(limit, 60), clocks.monotonic.monotonic,
                              dialect=Dialect.SEED, wall=clocks.wall)


def test_seed_limiter_sends_legacy_headers_with_the_window_end_as_unix_time() -> None:
    clocks = PairedClocks(monotonic=5000.0, wall=1_700_000_000.25)
    limiter = _seed_limiter(clocks)
    first = limiter.hit("10.0.0.1")
    clocks.advance(20.5)
    clocks.wall.now += 3  # an NTP step: the window's announced end stays put
    second = limiter.hit("10.0.0.1")
    assert first.allowed and second.allowed
    assert first.headers == [("X-RateLimit-Limit", "3"), ("X-RateLimit-Remaining", "2"),
                             ("X-RateLimit-Reset", "1700000061")]  # ceil(…0060.25)
    assert dict(second.headers)["X-RateLimit-Remaining"] == "1"
    assert dict(second.headers)["X-RateLimit-Reset"] == "1700000061"


def test_seed_limiter_429_says_the_whole_seconds_until_the_reset() -> None:
    clocks = PairedClocks(monotonic=5000.0, wall=1_700_000_000.0)
    limiter = _seed_limiter(clocks, limit=1)
    assert limiter.hit("10.0.0.1").allowed
    clocks.advance(20.5)
    refused = limiter.hit("10.0.0.1")
    assert not refused.allowed
    assert dict(refused.headers) == {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0",
                                     "X-RateLimit-Reset": "1700000060", "Retry-After": "40"}
    assert limiter.hit("10.0.0.2").allowed  # per client
    clocks.advance(39.5)  # the window is over: a new one, with a new end
    renewed = limiter.hit("10.0.0.1")
    assert renewed.allowed
    assert dict(renewed.headers)["X-RateLimit-Reset"] == "1700000120"


def test_seed_rate_limit_end_to_end(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(2, 60), dialect=Dialect.SEED)
    before = time.time()
    with client(server) as http:
        responses = [http.get("/api/events") for _ in range(3)]
        health = http.get("/health")
    after = time.time()
    assert [response.status_code for response in responses] == [200, 200, 429]
    for remaining, response in zip(("1", "0", "0"), responses, strict=True):
        assert response.headers["x-ratelimit-limit"] == "2"
        assert response.headers["x-ratelimit-remaining"] == remaining
        assert int(before) + 60 <= int(response.headers["x-ratelimit-reset"]) \
            <= math.ceil(after + 60)
        assert not any(name.startswith("ratelimit") for name in response.headers)
    limited = responses[-1]
    assert limited.json() == {"status": "error", "message": MESSAGE}
    assert MESSAGE == "Too many requests from this IP, please try again later."
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert health.status_code == 200
    assert "x-ratelimit-limit" not in health.headers


def test_reference_rate_limit_keeps_the_draft_headers(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(2, 60))
    with client(server) as http:
        response = http.get("/api/events")
    assert response.headers["ratelimit-limit"] == "2"
    assert not any(name.startswith("x-ratelimit") for name in response.headers)


# --- configuration and the command line ------------------------------------------------


def test_the_default_dialect_is_reference(tmp_path: Path) -> None:
    assert ServerConfig().dialect is Dialect.REFERENCE
    env = {"XDG_DATA_HOME": str(tmp_path)}
    assert build_config(ServeOptions(), env).dialect is Dialect.REFERENCE
    assert build_config(ServeOptions(dialect="seed"), env).dialect is Dialect.SEED


def test_serve_dialect_seed_reaches_the_server(cli: Cli, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    started: list[ReferenceServer] = []

    async def run(server: ReferenceServer, on_ready: object) -> None:
        started.append(server)

    monkeypatch.setattr("seatctl.server.server.run_until_signalled", run)
    cli.ok("serve", "--port", "0", "--db", ":memory:", "--dialect", "seed")
    cli.ok("serve", "--port", "0", "--db", ":memory:")
    assert [server.config.dialect for server in started] == [Dialect.SEED, Dialect.REFERENCE]


def test_an_unknown_dialect_is_a_usage_error(cli: Cli) -> None:
    outcome = cli("serve", "--port", "0", "--db", ":memory:", "--dialect", "bogus")
    assert outcome.exit_code == 2, str(outcome)
    assert "error: invalid value for '--dialect': 'bogus'" in outcome.stderr
    assert "'bogus' is not one of 'reference', 'seed'" in outcome.stderr
    assert "Traceback" not in outcome.stderr
