"""The burst probe against the reference server (healthy, with a per-connection request limit,
with faults), against a raw server that never answers, and its bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from seatctl.diagnostics import ConnectOptions
from seatctl.diagnostics.burst import burst_probe
from seatctl.diagnostics.results import BurstOutcome, BurstResult
from seatctl.errors import UsageError
from seatctl.http import Timeouts
from seatctl.server import ConnectionTimeouts, Fault, FaultKind
from tests.conftest import StartServer
from tests.diagnostics.conftest import assert_close_to
from tests.support.servers import WAIT_LIMIT, serving_callback

READ_TIMEOUT = 0.2


def only(outcome: BurstOutcome, count: int) -> Mapping[BurstOutcome, int]:
    """Every outcome zero but `outcome`."""
    return {each: count if each is outcome else 0 for each in BurstOutcome}


def assert_latency_measured(result: BurstResult) -> None:
    assert result.latency is not None and result.latency_max_s is not None
    assert 0 < result.latency.p50 <= result.latency.p95 <= result.latency_max_s


def test_a_healthy_server_answers_every_request_on_kept_connections(
    start_server: StartServer,
) -> None:
    server = start_server()
    result = asyncio.run(burst_probe(server.url, connections=4, requests=5))
    assert (result.connections, result.requests_per_connection) == (4, 5)
    assert result.outcomes == only(BurstOutcome.OK, 20)
    assert result.statuses == {200: 20}
    assert result.connections_opened == 4
    assert result.first_failure is None
    assert_latency_measured(result)
    assert 0 < result.elapsed_s < WAIT_LIMIT


def test_connections_closed_by_the_servers_request_limit_are_reopened(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=ConnectionTimeouts(max_requests_per_connection=5))
    result = asyncio.run(burst_probe(server.url, connections=3, requests=12))
    assert result.outcomes == only(BurstOutcome.OK, 36)
    assert result.connections_opened == 3 * 3  # 5 + 5 + 2 requests on each worker's three
    assert result.first_failure is None


def test_a_proxys_502_pages_are_server_errors(start_server: StartServer) -> None:
    server = start_server(faults=(Fault(FaultKind.PROXY_502, 1.0),))
    result = asyncio.run(burst_probe(server.url, connections=2, requests=4))
    assert result.outcomes == only(BurstOutcome.SERVER_ERROR, 8)
    assert result.statuses == {502: 8}
    assert result.connections_opened == 2  # a 502 page keeps the connection
    assert result.first_failure is not None and "502" in result.first_failure
    assert_latency_measured(result)


def test_resets_are_counted_and_each_costs_a_connection(start_server: StartServer) -> None:
    server = start_server(faults=(Fault(FaultKind.RESET_BEFORE_RESPONSE, 1.0),))
    result = asyncio.run(burst_probe(server.url, connections=2, requests=3))
    assert result.outcomes == only(BurstOutcome.RESET, 6)
    assert result.statuses == {}
    assert result.connections_opened == 6
    assert result.latency is None and result.latency_max_s is None
    assert result.first_failure is not None and "reset" in result.first_failure


def test_a_missing_path_is_a_client_error(start_server: StartServer) -> None:
    server = start_server()
    result = asyncio.run(burst_probe(server.url, connections=2, requests=2, path="/nowhere"))
    assert result.outcomes == only(BurstOutcome.CLIENT_ERROR, 4)
    assert result.statuses == {404: 4}


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async with asyncio.timeout(WAIT_LIMIT):
        while await reader.read(65536):
            pass


def test_requests_never_answered_time_out_at_the_read_timeout() -> None:
    timeouts = Timeouts(connect=WAIT_LIMIT, read=READ_TIMEOUT, write=WAIT_LIMIT, pool=WAIT_LIMIT)
    with serving_callback(never_answer) as url:
        result = asyncio.run(burst_probe(url, connections=2, requests=2,
                                         options=ConnectOptions(timeouts=timeouts)))
    assert result.outcomes == only(BurstOutcome.TIMEOUT, 4)
    assert result.connections_opened == 4  # a timed-out connection is not reused
    assert result.first_failure is not None and "read timeout" in result.first_failure
    assert_close_to(result.elapsed_s, 2 * READ_TIMEOUT)


def test_the_time_limit_ends_the_burst_timing_out_what_is_in_flight() -> None:
    with serving_callback(never_answer) as url:
        result = asyncio.run(burst_probe(url, connections=3, requests=4, time_limit=0.3))
    expected = {**only(BurstOutcome.TIMEOUT, 3), BurstOutcome.NOT_SENT: 9}
    assert result.outcomes == expected  # one in flight per connection; the rest never sent
    assert result.connections_opened == 3
    assert result.first_failure is not None and "time limit" in result.first_failure
    assert_close_to(result.elapsed_s, 0.3)


def test_a_refused_port_is_an_error_for_every_request(closed_port: int) -> None:
    result = asyncio.run(burst_probe(f"http://127.0.0.1:{closed_port}", connections=2,
                                     requests=3))
    assert result.outcomes == only(BurstOutcome.ERROR, 6)
    assert result.connections_opened == 0
    assert result.first_failure is not None and "refused" in result.first_failure


@pytest.mark.parametrize(("connections", "requests", "time_limit"), [
    (0, 20, 30.0), (51, 20, 30.0), (10, 0, 30.0), (10, 201, 30.0),
    (10, 20, 0.0), (10, 20, 901.0), (10, 20, float("nan")),
])
def test_the_burst_is_bounded(connections: int, requests: int, time_limit: float,
                              closed_port: int) -> None:
    with pytest.raises(UsageError):
        asyncio.run(burst_probe(f"http://127.0.0.1:{closed_port}", connections, requests,
                                time_limit=time_limit))


def test_only_http_urls_are_burst() -> None:
    with pytest.raises(UsageError):
        asyncio.run(burst_probe("ftp://127.0.0.1/"))
