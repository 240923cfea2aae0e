"""Network failures produced for real on loopback, one raw-socket server script each."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from seatctl.clock import ManualClock
from seatctl.errors import (
    ConnectionClosed,
    ConnectionRefused,
    ConnectionReset,
    ConnectTimeout,
    DNSError,
    Phase,
    PoolTimeout,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    UsageError,
    WriteTimeout,
)
from seatctl.exit_codes import ExitCode
from seatctl.http import Timeouts
from tests.http.conftest import OneLine
from tests.support.clients import MakeClient, RecordingObserver
from tests.support.rawserver import Connection, StartRawServer

# Status line and headers of a response that promises 1000 bytes of body and sends 10.
PARTIAL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"status":'
)


def test_nothing_listening_is_connection_refused(
    closed_port: int, make_client: MakeClient, one_line: OneLine,
) -> None:
    client = make_client(f"http://127.0.0.1:{closed_port}")

    with pytest.raises(ConnectionRefused) as caught:
        client.get("/health")

    error = caught.value
    assert error.exit_code == ExitCode.NETWORK == 6  # type: ignore[comparison-overlap]
    assert error.retryable is True
    one_line(error, f"connection refused by 127.0.0.1:{closed_port}", "is the server running?")


def test_a_reset_after_reading_the_request_is_a_reset_before_the_response(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def reset_on_request(conn: Connection) -> None:
        conn.read_request()
        conn.reset()

    server = raw_server(reset_on_request)

    with pytest.raises(ConnectionReset) as caught:
        make_client(server.url).get("/events")

    error = caught.value
    assert error.when is ResetWhen.BEFORE_RESPONSE
    assert error.reused is False  # a fresh connection
    assert error.retryable is True
    assert error.exit_code == ExitCode.NETWORK
    one_line(error, "connection reset by", "before any response (ECONNRESET)", "keep-alive")
    assert len(server.requests) == 1


def test_a_reset_after_the_headers_is_a_reset_mid_response(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    # Linux (and gVisor) deliver the bytes that arrived before the RST first, so the
    # client parses the headers and then reads ECONNRESET while reading the body.
    def reset_mid_body(conn: Connection) -> None:
        conn.read_request()
        conn.send(PARTIAL_RESPONSE)
        conn.reset()

    server = raw_server(reset_mid_body)

    with pytest.raises(ConnectionReset) as caught:
        make_client(server.url).get("/events")

    assert caught.value.when is ResetWhen.MID_RESPONSE
    one_line(caught.value, "in the middle of the response (ECONNRESET)", "cut the response")


def test_a_clean_close_without_an_answer_is_connection_closed(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def close_on_request(conn: Connection) -> None:
        conn.read_request()
        conn.close_cleanly()

    server = raw_server(close_on_request)

    with pytest.raises(ConnectionClosed) as caught:
        make_client(server.url).get("/events")

    error = caught.value
    assert error.when is ResetWhen.BEFORE_RESPONSE
    assert error.reused is False
    assert error.retryable is True
    one_line(error, "closed the connection without sending a response", "keep-alive")


def test_a_clean_close_in_the_middle_of_the_body_is_connection_closed_mid_response(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def close_mid_body(conn: Connection) -> None:
        conn.read_request()
        conn.send(PARTIAL_RESPONSE)
        conn.close_cleanly()

    server = raw_server(close_mid_body)

    with pytest.raises(ConnectionClosed) as caught:
        make_client(server.url).get("/events")

    assert caught.value.when is ResetWhen.MID_RESPONSE
    one_line(caught.value, "closed the connection in the middle of the response")


def test_a_server_that_never_answers_is_a_read_timeout(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def swallow(conn: Connection) -> None:
        conn.read_request()
        conn.hang()

    server = raw_server(swallow)
    client = make_client(server.url, timeouts=Timeouts(connect=0.5, read=0.2, write=0.5,
                                                       pool=0.5))

    with pytest.raises(ReadTimeout) as caught:
        client.get("/events")

    error = caught.value
    assert error.phase is Phase.READ and error.phase == "read"  # type: ignore[comparison-overlap]
    assert error.seconds == 0.2
    assert error.retryable is True
    one_line(error, "sent no response within the read timeout (0.2s)", "read_timeout")


def test_a_reset_on_a_reused_keep_alive_connection_says_it_was_reused(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def answer_once_then_reset(conn: Connection) -> None:
        conn.read_request()
        conn.respond()  # HTTP/1.1 with Content-Length: the client keeps the connection
        conn.read_request()
        conn.reset()

    server = raw_server(answer_once_then_reset)
    client = make_client(server.url, retries=0)

    assert client.get("/events").status_code == 200
    with pytest.raises(ConnectionReset) as caught:
        client.get("/events")

    error = caught.value
    assert error.reused is True
    assert error.when is ResetWhen.BEFORE_RESPONSE
    assert server.accepted == 1 and len(server.requests) == 2  # the same connection
    one_line(error, "on a reused keep-alive connection", "keep-alive timeout is shorter")


def test_a_clean_close_of_a_reused_connection_says_it_was_reused(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def answer_once_then_close(conn: Connection) -> None:
        conn.read_request()
        conn.respond()
        conn.read_request()
        conn.close_cleanly()

    server = raw_server(answer_once_then_close)
    client = make_client(server.url)
    client.get("/events")

    with pytest.raises(ConnectionClosed) as caught:
        client.get("/events")

    assert caught.value.reused is True
    one_line(caught.value, "(a reused keep-alive connection)")


def test_a_retried_get_recovers_from_a_reset_on_a_fresh_connection(
    raw_server: StartRawServer, make_client: MakeClient, clock: ManualClock,
    observer: RecordingObserver,
) -> None:
    def reset_first_connection(conn: Connection) -> None:
        conn.read_request()
        if conn.server.accepted == 1:
            conn.reset()
        else:
            conn.respond()

    server = raw_server(reset_first_connection)
    client = make_client(server.url, retries=2, clock=clock, observer=observer)

    assert client.get("/events").status_code == 200
    assert server.accepted == 2
    assert [e.attempt for e in observer.exchanges] == [1, 2]
    assert observer.exchanges[0].error is not None and "reset" in observer.exchanges[0].error
    assert len(clock.sleeps) == 1


def test_a_full_accept_queue_is_a_connect_timeout(
    full_backlog_port: int, make_client: MakeClient, one_line: OneLine,
) -> None:
    client = make_client(f"http://127.0.0.1:{full_backlog_port}",
                         timeouts=Timeouts(connect=0.2, read=0.5, write=0.5, pool=0.5))

    with pytest.raises(ConnectTimeout) as caught:
        client.get("/health")

    error = caught.value
    assert error.phase is Phase.CONNECT
    assert error.seconds == 0.2
    assert error.retryable is True
    one_line(error, "no connection to", "within the connect timeout (0.2s)", "connect_timeout")


def test_a_server_that_stops_reading_is_a_write_timeout(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    # The server never reads; with a small receive window the kernel buffers fill long
    # before 16 MiB are written, and sendall() runs out of its write timeout.
    server = raw_server(lambda conn: conn.hang(), rcvbuf=4096)
    client = make_client(server.url, timeouts=Timeouts(connect=0.5, read=0.5, write=0.2,
                                                       pool=0.5))

    with pytest.raises(WriteTimeout) as caught:
        client.post("/bookings", json={"note": "x" * (16 << 20)})

    error = caught.value
    assert error.phase is Phase.WRITE
    assert error.seconds == 0.2
    one_line(error, "could not send the request", "write timeout (0.2s)", "write_timeout")


def test_no_free_pooled_connection_is_a_pool_timeout(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    # ApiClient's own pool allows 100 connections; a transport limited to one connection
    # (ApiClient accepts transport=) makes the pool wait real and short.
    release = threading.Event()

    def answer_when_released(conn: Connection) -> None:
        conn.read_request()
        release.wait(5.0)
        conn.respond()

    server = raw_server(answer_when_released)
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1))
    client = make_client(server.url, transport=transport,
                         timeouts=Timeouts(connect=0.5, read=5.0, write=0.5, pool=0.2))
    first: dict[str, Any] = {}

    def hold_the_only_connection() -> None:
        try:
            first["status"] = client.get("/slow").status_code
        except Exception as exc:
            first["error"] = exc

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert server.request_seen.wait(5.0)
        with pytest.raises(PoolTimeout) as caught:
            client.get("/events")
    finally:
        release.set()
        holder.join(5.0)

    assert first == {"status": 200}
    error = caught.value
    assert error.phase is Phase.POOL
    assert error.retryable is False
    one_line(error, "no free connection to", "pool timeout (0.2s)", "pool_timeout")


def test_an_unresolvable_host_is_a_dns_error_tried_once(
    make_client: MakeClient, clock: ManualClock, observer: RecordingObserver, one_line: OneLine,
) -> None:
    # RFC 2606: names under .invalid never resolve; only the local resolver is asked.
    client = make_client("http://seatctl-test.invalid", retries=3, clock=clock,
                         observer=observer)

    with pytest.raises(DNSError) as caught:
        client.get("/health")

    error = caught.value
    assert error.retryable is False
    assert error.attempts == 1
    assert len(observer.exchanges) == 1 and observer.retries == [] and clock.sleeps == []
    one_line(error, "cannot resolve host 'seatctl-test.invalid'", "DNS")


def test_a_garbage_status_line_is_a_protocol_violation(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def speak_nonsense(conn: Connection) -> None:
        conn.read_request()
        conn.send(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        conn.close_cleanly()

    server = raw_server(speak_nonsense)

    with pytest.raises(ProtocolViolation) as caught:
        make_client(server.url).get("/events")

    assert caught.value.retryable is False
    one_line(caught.value, "broke the HTTP protocol")


def test_an_undecodable_gzip_body_is_a_protocol_violation(
    raw_server: StartRawServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    def bad_gzip(conn: Connection) -> None:
        conn.read_request()
        conn.respond(body=b"this is not gzip",
                     headers=[("Content-Type", "application/json"),
                              ("Content-Encoding", "gzip")])

    server = raw_server(bad_gzip)

    with pytest.raises(ProtocolViolation) as caught:
        make_client(server.url).get("/events")

    one_line(caught.value, "sent a body that cannot be decoded")


def test_an_unsupported_url_scheme_is_a_usage_error(
    make_client: MakeClient, one_line: OneLine,
) -> None:
    client = make_client("ftp://127.0.0.1:21")

    with pytest.raises(UsageError) as caught:
        client.get("/health")

    assert caught.value.exit_code == ExitCode.USAGE
    one_line(caught.value, "invalid URL", "--base-url")

