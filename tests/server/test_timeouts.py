"""Each connection knob measured from a raw socket, scaled down to fractions of a second.

Bounds: never early by more than 20 ms, late by at most LATE_SLACK on a loaded CI machine.
bench/server_timing.py holds the exact figures (median error in milliseconds).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from seatctl.render.server import describe_timeouts
from seatctl.server import (
    PRESETS,
    ConnectionTimeouts,
    Fault,
    FaultKind,
    LogEntry,
    Preset,
    ServerConfig,
    timeouts_for,
)
from seatctl.server.messages import Request, Response
from seatctl.server.options import ServeOptions, build_config
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.server.helpers import parse_raw_response
from tests.server.rawhttp import RawConnection
from tests.support.servers import serving_protocol

EARLY_SLACK = 0.02
LATE_SLACK = 0.35


def assert_close_to(measured: float, expected: float) -> None:
    assert expected - EARLY_SLACK <= measured <= expected + LATE_SLACK, (measured, expected)


def test_idle_connection_is_closed_with_a_fin_after_the_keep_alive_timeout(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.3,
                                                      advertised_keep_alive=0.3))
    with RawConnection(server.url) as conn:
        answer = conn.get()
        assert answer.headers["connection"] == "keep-alive"
        assert answer.headers["keep-alive"] == "timeout=0.3"
        how, closed_at = conn.wait_for_close()
    assert how == "fin"
    assert_close_to(closed_at - answer.finished_at, 0.3)


def test_keep_alive_timer_restarts_after_every_response(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.3))
    with RawConnection(server.url) as conn:
        first = conn.get()
        for _ in range(2):  # each gap ~60% of the keep-alive: together longer than one
            time.sleep(0.18)
            answer = conn.get()  # served on the same connection, so the timer restarted
        how, closed_at = conn.wait_for_close()
    assert how == "fin"
    assert answer.finished_at - first.finished_at > 0.3
    assert_close_to(closed_at - answer.finished_at, 0.3)  # from the LAST response


def test_advertised_keep_alive_can_promise_less_than_the_real_idle_close(
    start_server: StartServer,
) -> None:
    """Node 20's shape: `Keep-Alive: timeout=5` but the socket closes at 6 s."""
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.5,
                                                      advertised_keep_alive=0.2))
    with RawConnection(server.url) as conn:
        answer = conn.get()
        _, closed_at = conn.wait_for_close()
    assert answer.headers["keep-alive"] == "timeout=0.2"
    assert_close_to(closed_at - answer.finished_at, 0.5)


def test_no_keep_alive_header_when_switched_off(start_server: StartServer) -> None:
    server = start_server(timeouts=timeouts_for(Preset.NODE_DEFAULT, keep_alive_timeout=0.3,
                                                keep_alive_header=False))
    with RawConnection(server.url) as conn:
        answer = conn.get()
    assert answer.headers["connection"] == "keep-alive"
    assert "keep-alive" not in answer.headers


def test_keep_alive_timeout_zero_closes_after_every_response(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0))
    with RawConnection(server.url) as conn:
        answer = conn.get()
        how, closed_at = conn.wait_for_close()
    assert answer.headers["connection"] == "close"
    assert how == "fin"
    assert closed_at - answer.finished_at < LATE_SLACK


def test_incomplete_headers_get_408_after_the_headers_timeout(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(headers_timeout=0.3, request_timeout=5))
    with RawConnection(server.url) as conn:
        conn.send_raw(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        received, how, closed_at = conn.read_until_close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"Connection: close" in received
    body = json.loads(received.split(b"\r\n\r\n", 1)[1])
    assert body["status"] == "error"
    assert how == "fin"
    assert_close_to(closed_at - conn.opened_at, 0.3)


def test_headers_timeout_counts_from_the_first_byte_on_a_reused_connection(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=5,
                                                      headers_timeout=0.3))
    with RawConnection(server.url) as conn:
        previous = conn.get()
        time.sleep(0.15)  # idle half the headers timeout: it must not count
        first_byte = time.monotonic()
        conn.send_raw(b"GET /health HTTP/1.1\r\n")
        received, _, closed_at = conn.read_until_close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert first_byte - previous.finished_at >= 0.15
    assert_close_to(closed_at - first_byte, 0.3)


def test_an_unfinished_body_gets_408_after_the_request_timeout(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(headers_timeout=5, request_timeout=0.4))
    with RawConnection(server.url) as conn:
        conn.send_raw(b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"em")
        received, how, closed_at = conn.read_until_close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert how == "fin"
    assert_close_to(closed_at - conn.opened_at, 0.4)


def test_max_requests_per_connection_closes_after_the_last_one(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=5,
                                                      max_requests_per_connection=2))
    with RawConnection(server.url) as conn:
        first = conn.get()
        second = conn.get()
        how, _ = conn.wait_for_close()
    assert first.headers["connection"] == "keep-alive"
    assert second.headers["connection"] == "close"
    assert how == "fin"


def test_presets_mirror_node_20_and_the_seed_fix() -> None:
    node = PRESETS[Preset.NODE_DEFAULT]
    assert (node.advertised_keep_alive, node.keep_alive_timeout) == (5.0, 6.0)
    assert (node.headers_timeout, node.request_timeout) == (60.0, 300.0)
    assert node.max_requests_per_connection == 0
    seed = PRESETS[Preset.SEED_FIX]
    assert (seed.advertised_keep_alive, seed.keep_alive_timeout) == (65.0, 66.0)
    assert seed.headers_timeout == 66.0
    assert (node.socket_timeout, seed.socket_timeout) == (0.0, 60.0)  # server.timeout = 60000


def test_explicit_flags_override_the_preset() -> None:
    timeouts = timeouts_for(Preset.SEED_FIX, keep_alive_timeout=2, headers_timeout=3)
    assert timeouts.keep_alive_timeout == timeouts.advertised_keep_alive == 2
    assert timeouts.headers_timeout == 3
    assert timeouts.request_timeout == 300
    assert timeouts_for(Preset.NODE_DEFAULT, advertise_keep_alive=9).keep_alive_timeout == 6
    assert timeouts_for(Preset.SEED_FIX, socket_timeout=0).socket_timeout == 0
    assert timeouts_for(Preset.NODE_DEFAULT, socket_timeout=2.5).socket_timeout == 2.5


@pytest.mark.parametrize("field", ["keep_alive_timeout", "headers_timeout", "request_timeout",
                                   "socket_timeout"])
def test_negative_timeouts_are_refused(field: str) -> None:
    from seatctl.errors import UsageError

    with pytest.raises(UsageError, match=field.replace("_", "-")):
        ConnectionTimeouts(**{field: -1})


# --- the Keep-Alive header, only where the connection stays open -------------------------

@pytest.mark.parametrize("request_head", [
    b"GET /health HTTP/1.0\r\n\r\n",
    b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",  # h11 (and Node) close anyway
    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
])
def test_no_keep_alive_header_next_to_connection_close(
    start_server: StartServer, request_head: bytes,
) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=5))
    with RawConnection(server.url) as conn:
        conn.send_raw(request_head)
        received, how, _ = conn.read_until_close()
    status, headers, _ = parse_raw_response(received)
    assert status == 200
    assert headers["connection"] == "close"
    assert "keep-alive" not in headers
    assert how == "fin"


def test_keep_alive_header_carries_the_request_limit_like_node(
    start_server: StartServer,
) -> None:
    """Node 20 with maxRequestsPerSocket = 3: `Keep-Alive: timeout=5, max=3` on the first two
    responses (the limit, not a countdown), `Connection: close` and no Keep-Alive on the
    third."""
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.5,
                                                      advertised_keep_alive=0.25,
                                                      max_requests_per_connection=3))
    with RawConnection(server.url) as conn:
        answers = [conn.get() for _ in range(3)]
        how, _ = conn.wait_for_close()
    assert [answer.headers.get("keep-alive") for answer in answers] == [
        "timeout=0.25, max=3", "timeout=0.25, max=3", None]
    assert [answer.headers["connection"] for answer in answers] == [
        "keep-alive", "keep-alive", "close"]
    assert how == "fin"


# --- the socket timeout (Node's server.timeout) -------------------------------------------

def test_a_stalled_answer_is_abandoned_at_the_socket_timeout(start_server: StartServer) -> None:
    entries: list[LogEntry] = []
    server = start_server(timeouts=ConnectionTimeouts(socket_timeout=0.3),
                          faults=(Fault(FaultKind.STALL, 1.0, 1.0),), seed=1,
                          log=entries.append)
    with RawConnection(server.url) as conn:
        sent = time.monotonic()
        conn.send_raw(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received, how, closed_at = conn.read_until_close()
    assert received == b""  # no response at all
    assert how == "fin"
    assert_close_to(closed_at - sent, 0.3)
    (entry,) = entries
    assert (entry.path, entry.status, entry.note) == ("/health", None, "socket timeout")
    assert 280 <= entry.milliseconds <= 300 + LATE_SLACK * 1000


def test_a_slow_handler_is_abandoned_at_the_socket_timeout() -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(1.0)
        return Response.success()

    with serving_protocol(slow, timeouts=ConnectionTimeouts(socket_timeout=0.3)) as url, \
            RawConnection(url) as conn:
        sent = time.monotonic()
        conn.send_raw(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received, how, closed_at = conn.read_until_close()
    assert (received, how) == (b"", "fin")
    assert_close_to(closed_at - sent, 0.3)


def test_a_silent_connection_is_closed_at_the_socket_timeout(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(socket_timeout=0.3, headers_timeout=5))
    with RawConnection(server.url) as conn:
        received, how, closed_at = conn.read_until_close()
    assert (received, how) == (b"", "fin")  # no 408: Node destroys the socket
    assert_close_to(closed_at - conn.opened_at, 0.3)


def test_every_byte_received_restarts_the_socket_timeout(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(socket_timeout=0.3, headers_timeout=5))
    with RawConnection(server.url) as conn:
        for part in (b"GET /health", b" HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
            conn.send_raw(part)
            time.sleep(0.12)  # 0.36 s in all: longer than the socket timeout
        answer = conn.read_answer()
        assert answer.status == 200
        conn.send_raw(b"GET /health HTTP/1.1\r\n")  # then silence
        last_byte = time.monotonic()
        received, how, closed_at = conn.read_until_close()
    assert (received, how) == (b"", "fin")
    assert_close_to(closed_at - last_byte, 0.3)


def test_between_requests_the_keep_alive_timeout_applies_not_the_socket_timeout(
    start_server: StartServer,
) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.5,
                                                      socket_timeout=0.2))
    with RawConnection(server.url) as conn:
        answer = conn.get()
        how, closed_at = conn.wait_for_close()
    assert how == "fin"
    assert_close_to(closed_at - answer.finished_at, 0.5)


def test_a_response_the_client_does_not_read_is_dropped_at_the_socket_timeout() -> None:
    entries: list[LogEntry] = []

    async def huge(request: Request) -> Response:
        return Response(200, b"x" * (32 * 1024 * 1024))  # more than the socket buffers hold

    with serving_protocol(huge, timeouts=ConnectionTimeouts(socket_timeout=0.3),
                          log=entries.append) as url, RawConnection(url) as conn:
        conn.send_raw(b"GET /huge HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        deadline = time.monotonic() + 5
        while not entries and time.monotonic() < deadline:
            time.sleep(0.02)  # the client reads nothing
    (entry,) = entries
    assert (entry.path, entry.status, entry.note) == ("/huge", None, "socket timeout")
    assert 280 <= entry.milliseconds <= 300 + LATE_SLACK * 1000 * 2


def test_socket_timeout_flag_reaches_the_config_and_the_banner() -> None:
    config = build_config(ServeOptions(db=":memory:", socket_timeout=0.5))
    assert config.timeouts.socket_timeout == 0.5
    assert "socket timeout 0.5s" in describe_timeouts(config)
    seed_fix = ServerConfig(timeouts=PRESETS[Preset.SEED_FIX])
    assert "socket timeout 60s" in describe_timeouts(seed_fix)
    assert "socket timeout none" in describe_timeouts(ServerConfig())


def test_a_negative_socket_timeout_flag_exits_2(cli: Cli) -> None:
    outcome = cli("serve", "--port", "0", "--db", ":memory:", "--socket-timeout", "-1")
    assert outcome.exit_code == 2, str(outcome)
    assert "socket-timeout must be 0 or more" in outcome.stderr
