"""The probes against the reference server with known, scaled-down connection knobs: each
measured value checked against the configured one.

Bounds: never early by more than 20 ms, late by at most 300 ms on a loaded machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from seatctl.diagnostics import (
    CloseKind,
    ConnectionEnd,
    RaceOutcome,
    keep_alive_probe,
    requests_per_connection_probe,
    reuse_race_probe,
    timing_probe,
)
from seatctl.diagnostics.probes import keep_alive_race_probe
from seatctl.diagnostics.results import IdleRaceResult
from seatctl.errors import UsageError
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.diagnostics.conftest import EARLY_SLACK, LATE_SLACK, RESET_AFTER, assert_close_to

CUT = {RaceOutcome.RESET, RaceOutcome.CLOSED_BEFORE_RESPONSE}
Probe = Callable[[str], Coroutine[Any, Any, object]]


def keep_alive(seconds: float, advertised: float | None = None,
               max_requests: int = 0) -> ConnectionTimeouts:
    """The server closes idle connections after `seconds` and promises `advertised`."""
    return ConnectionTimeouts(
        keep_alive_timeout=seconds,
        advertised_keep_alive=seconds if advertised is None else advertised,
        max_requests_per_connection=max_requests,
    )


def test_timing_percentiles_are_measured_on_fresh_connections(start_server: StartServer) -> None:
    server = start_server()
    result = asyncio.run(timing_probe(server.url, samples=5))
    assert len(result.samples) == 5
    assert {sample.status for sample in result.samples} == {200}
    for spread in (result.dns, result.connect, result.ttfb, result.total):
        assert 0 < spread.p50 <= spread.p95
    assert result.total.p95 >= result.connect.p95
    assert result.tls is None and result.tls_info is None


def test_the_idle_close_is_measured_and_matches_its_promise(start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.5))
    result = asyncio.run(keep_alive_probe(server.url, max_wait=2.0))
    assert result.persistent and result.http_version == "1.1"
    assert result.connection_header == "keep-alive"
    assert (result.keep_alive_header, result.advertised_timeout_s) == ("timeout=0.5", 0.5)
    assert result.idle_close.kind is CloseKind.FIN and not result.idle_close.lower_bound
    assert_close_to(result.idle_close.seconds, 0.5)
    assert not result.advertised_exceeds_idle_close


def test_a_promise_longer_than_the_real_idle_close_is_flagged(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(0.4, advertised=2.0))
    result = asyncio.run(keep_alive_probe(server.url, max_wait=2.0))
    assert result.advertised_timeout_s == 2.0
    assert_close_to(result.idle_close.seconds, 0.4)
    assert result.advertised_exceeds_idle_close


def test_a_promise_shorter_than_the_real_idle_close_is_not_flagged(
    start_server: StartServer,
) -> None:
    """Node's shape: `Keep-Alive: timeout=5`, closed at 6 s; clients expire first."""
    server = start_server(timeouts=keep_alive(0.4, advertised=0.2))
    result = asyncio.run(keep_alive_probe(server.url, max_wait=2.0))
    assert_close_to(result.idle_close.seconds, 0.4)
    assert not result.advertised_exceeds_idle_close


def test_a_wait_shorter_than_the_idle_close_reports_a_lower_bound(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(1.0, advertised=5.0))
    result = asyncio.run(keep_alive_probe(server.url, max_wait=0.2))
    closed = result.idle_close
    assert closed.lower_bound and closed.kind is None
    assert_close_to(closed.seconds, 0.2)
    assert not result.advertised_exceeds_idle_close  # unknown, so not claimed


def test_a_server_without_keep_alive_is_reported_as_not_keeping_connections(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(0))

    async def probes() -> None:
        kept = await keep_alive_probe(server.url, max_wait=2.0)
        assert not kept.persistent
        assert (kept.connection_header, kept.keep_alive_header) == ("close", None)
        assert kept.idle_close.kind is CloseKind.FIN
        assert_close_to(kept.idle_close.seconds, 0.0)
        served = await requests_per_connection_probe(server.url)
        assert (served.served, served.ended_by) == (1, ConnectionEnd.CLOSE_HEADER)
        race = await reuse_race_probe(server.url, idle_close_s=0.2, offsets=(0.0,))
        assert [a.outcome for a in race.attempts] == [RaceOutcome.NOT_KEPT_ALIVE]
        assert not race.fails

    asyncio.run(probes())


def test_requests_per_connection_are_counted_to_the_servers_limit(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(5.0, max_requests=5))
    result = asyncio.run(requests_per_connection_probe(server.url, limit=50))
    assert (result.served, result.ended_by) == (5, ConnectionEnd.CLOSE_HEADER)
    assert result.advertised_max_requests == 5 and not result.lower_bound


def test_requests_per_connection_without_a_limit_is_a_lower_bound(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(5.0))
    result = asyncio.run(requests_per_connection_probe(server.url, limit=20))
    assert (result.served, result.ended_by) == (20, ConnectionEnd.LIMIT)
    assert result.lower_bound and result.advertised_max_requests is None


def test_reuse_succeeds_before_the_idle_close_and_fails_after_it(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(0.4))
    result = asyncio.run(reuse_race_probe(server.url, idle_close_s=0.4,
                                          offsets=(-0.25, 0.0, 0.25), attempts=2))
    by_offset = {offset: [a for a in result.attempts if a.offset_s == offset]
                 for offset in (-0.25, 0.0, 0.25)}
    assert all(len(attempts) == 2 for attempts in by_offset.values())
    assert {a.outcome for a in by_offset[-0.25]} == {RaceOutcome.OK}
    assert {a.outcome for a in by_offset[0.25]} <= CUT
    assert all(a.fin_before_send for a in by_offset[0.25])
    assert result.fails and set(result.failures) <= CUT
    assert result.ok_until_s is not None and result.failing_from_s is not None
    assert 0.15 - EARLY_SLACK <= result.ok_until_s < result.failing_from_s <= 0.65 + LATE_SLACK
    for attempt in result.attempts:
        assert_close_to(attempt.idle_s, attempt.planned_idle_s)


def test_reuse_after_an_idle_reset_fails_with_a_reset(reset_server: str) -> None:
    result = asyncio.run(reuse_race_probe(reset_server, idle_close_s=RESET_AFTER,
                                          offsets=(-0.2, 0.2)))
    before, after = result.attempts
    assert (before.outcome, before.status) == (RaceOutcome.OK, 200)
    assert after.outcome is RaceOutcome.RESET and "reset" in after.detail
    assert result.failures == (RaceOutcome.RESET,)


PROBES_OUT_OF_BOUNDS: list[Probe] = [
    lambda url: timing_probe(url, samples=0),
    lambda url: timing_probe(url, samples=10_000),
    lambda url: keep_alive_probe(url, max_wait=0),
    lambda url: keep_alive_probe(url, max_wait=1e6),
    lambda url: requests_per_connection_probe(url, limit=0),
    lambda url: reuse_race_probe(url, idle_close_s=1.0, attempts=100),
    lambda url: reuse_race_probe(url, idle_close_s=1.0, offsets=()),
    lambda url: keep_alive_probe("ftp://127.0.0.1/"),
]


@pytest.mark.parametrize("probe", PROBES_OUT_OF_BOUNDS)
def test_every_probe_is_bounded(probe: Probe, closed_port: int) -> None:
    with pytest.raises(UsageError):
        asyncio.run(probe(f"http://127.0.0.1:{closed_port}"))


def test_the_race_runs_inside_the_one_idle_wait(start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.5))

    async def timed() -> tuple[IdleRaceResult, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await keep_alive_race_probe(server.url, max_wait=3.0,
                                             offsets=(-0.25, 0.0, 0.25), attempts=2)
        return result, loop.time() - started

    result, elapsed = asyncio.run(timed())
    closed_at = result.keep_alive.idle_close.seconds
    assert_close_to(closed_at, 0.5)
    assert elapsed < 0.25 + 2 * closed_at  # the stagger and one idle close (as measured): not two
    race = result.race
    assert race is not None and result.race_skipped is None
    outcomes = {offset: {a.outcome for a in race.attempts if a.offset_s == offset}
                for offset in (-0.25, 0.0, 0.25)}
    assert outcomes[-0.25] == {RaceOutcome.OK}
    assert outcomes[0.25] <= CUT
    for attempt in race.attempts:
        assert_close_to(attempt.idle_s, attempt.planned_idle_s)
    assert race.fails and race.ok_until_s is not None and race.ok_until_s < 0.5


def test_no_race_without_a_close_within_the_wait(start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(5.0))
    result = asyncio.run(keep_alive_race_probe(server.url, max_wait=0.3))
    assert result.keep_alive.idle_close.lower_bound
    assert result.race is None and result.race_skipped is not None
    assert "0.3 s" in result.race_skipped


def test_no_race_when_the_server_closes_every_connection(start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0))
    result = asyncio.run(keep_alive_race_probe(server.url, max_wait=1.0))
    assert not result.keep_alive.persistent
    assert result.race is None and result.race_skipped is not None
