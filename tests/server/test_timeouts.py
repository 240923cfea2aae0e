"""Each connection knob measured from a raw socket, scaled down to fractions of a second.

Bounds: never early by more than 20 ms, late by at most LATE_SLACK on a loaded CI machine.
bench/server_timing.py holds the exact figures (median error in milliseconds).
"""

from __future__ import annotations

import json
import time

import pytest

from seatctl.server import PRESETS, ConnectionTimeouts, Preset, timeouts_for
from tests.conftest import StartServer
from tests.server.rawhttp import RawConnection

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
        conn.get()
        conn.get()  # within the idle window: served on the same connection
        last = conn.get()
        _, closed_at = conn.wait_for_close()
    assert_close_to(closed_at - last.finished_at, 0.3)


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
        conn.get()
        started = time.monotonic()
        conn.send_raw(b"GET /health HTTP/1.1\r\n")
        received, _, closed_at = conn.read_until_close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert_close_to(closed_at - started, 0.3)


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


def test_explicit_flags_override_the_preset() -> None:
    timeouts = timeouts_for(Preset.SEED_FIX, keep_alive_timeout=2, headers_timeout=3)
    assert timeouts.keep_alive_timeout == timeouts.advertised_keep_alive == 2
    assert timeouts.headers_timeout == 3
    assert timeouts.request_timeout == 300
    assert timeouts_for(Preset.NODE_DEFAULT, advertise_keep_alive=9).keep_alive_timeout == 6


@pytest.mark.parametrize("field", ["keep_alive_timeout", "headers_timeout", "request_timeout"])
def test_negative_timeouts_are_refused(field: str) -> None:
    from seatctl.errors import UsageError

    with pytest.raises(UsageError, match=field.replace("_", "-")):
        ConnectionTimeouts(**{field: -1})
