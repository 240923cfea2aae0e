"""The slow-client probe against the reference server's headers and request timeouts (plain
and over TLS), and against raw servers that reset, close silently, or answer at once."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from seatctl.diagnostics import ConnectOptions, slow_client
from seatctl.diagnostics.results import GiveUp, GiveUpKind
from seatctl.diagnostics.slow_client import slow_client_probe
from seatctl.errors import NetworkError, UsageError
from seatctl.server import ConnectionTimeouts
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Request, Response
from seatctl.server.protocol import HTTPConnection
from tests.conftest import StartServer
from tests.diagnostics.conftest import HEALTHY, assert_close_to
from tests.support.servers import WAIT_LIMIT, Callback, serving_callback

INTERVAL = 0.05
HEADERS_TIMEOUT = 0.4
REQUEST_TIMEOUT = 0.8
GIVE_UP_AFTER = 0.3  # the raw servers' own wait before they reset or close
SLOW = ConnectionTimeouts(keep_alive_timeout=5.0, headers_timeout=HEADERS_TIMEOUT,
                          request_timeout=REQUEST_TIMEOUT)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"


def assert_gave_up(give_up: GiveUp, kind: GiveUpKind, seconds: float,
                   status: int | None = None) -> None:
    assert (give_up.kind, give_up.status) == (kind, status)
    assert not give_up.lower_bound
    assert_close_to(give_up.seconds, seconds)


def test_the_headers_and_request_timeouts_are_measured(start_server: StartServer) -> None:
    server = start_server(timeouts=SLOW)
    result = asyncio.run(slow_client_probe(server.url, max_wait=2.0, interval=INTERVAL))
    assert_gave_up(result.headers, GiveUpKind.STATUS, HEADERS_TIMEOUT, 408)
    assert_gave_up(result.body, GiveUpKind.STATUS, REQUEST_TIMEOUT, 408)
    assert (result.interval_s, result.max_wait_s) == (INTERVAL, 2.0)


def test_the_trickle_sends_a_byte_per_interval_and_no_more(start_server: StartServer) -> None:
    server = start_server(timeouts=SLOW)
    trickling = asyncio.run(slow_client_probe(server.url, max_wait=2.0, interval=INTERVAL))
    # The first byte after the head is due at 1 s, after both timeouts: the heads alone.
    heads_only = asyncio.run(slow_client_probe(server.url, max_wait=2.0, interval=1.0))
    for fast, heads in ((trickling.headers, heads_only.headers),
                        (trickling.body, heads_only.body)):
        trickled = fast.bytes_sent - heads.bytes_sent
        # A byte is due every interval until the server gave up; a late one is sent late,
        # not skipped, but may come after the server's answer.
        assert fast.seconds / INTERVAL - 3 <= trickled <= fast.seconds / INTERVAL + 1


def test_timeouts_longer_than_the_wait_are_a_lower_bound(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(headers_timeout=5.0, request_timeout=8.0))
    result = asyncio.run(slow_client_probe(server.url, max_wait=0.4, interval=INTERVAL))
    for give_up in (result.headers, result.body):
        assert give_up.kind is GiveUpKind.STILL_OPEN and give_up.lower_bound
        assert (give_up.seconds, give_up.status) == (0.4, None)
    # Neither head is longer than 256 bytes; at most max_wait / interval bytes follow it.
    assert result.headers.bytes_sent <= 256 + 0.4 / INTERVAL
    assert result.body.bytes_sent <= 256 + 0.4 / INTERVAL


@pytest.fixture
def slow_tls_server(server_tls: ssl.SSLContext) -> Iterator[str]:
    """The reference connection layer over TLS, with the SLOW timeouts and room for a body."""

    async def healthy(request: Request) -> Response:
        return HEALTHY

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = HTTPConnection(reader, writer, healthy, timeouts=SLOW,
                                    faults=FaultPlan(()), log=None, max_body=2_000_000,
                                    stopping=asyncio.Event())
        await connection.serve()

    with serving_callback(serve, tls=server_tls) as url:
        yield url


def test_the_timeouts_are_measured_over_tls(slow_tls_server: str, ca_pem: Path) -> None:
    result = asyncio.run(slow_client_probe(slow_tls_server, max_wait=2.0, interval=INTERVAL,
                                           options=ConnectOptions(ca_bundle=ca_pem)))
    assert_gave_up(result.headers, GiveUpKind.STATUS, HEADERS_TIMEOUT, 408)
    assert_gave_up(result.body, GiveUpKind.STATUS, REQUEST_TIMEOUT, 408)


async def _read_for(reader: asyncio.StreamReader, seconds: float) -> None:
    """Read and discard what the client sends, for `seconds` or until it closes."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while await reader.read(65536):
                pass


async def reset_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_for(reader, GIVE_UP_AFTER)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A FIN without a word; what still comes is read, so the close never turns into a reset."""
    await _read_for(reader, GIVE_UP_AFTER)
    writer.write_eof()
    await _read_for(reader, WAIT_LIMIT)


async def answer_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(NOT_FOUND)
    await writer.drain()
    await _read_for(reader, WAIT_LIMIT)


@pytest.mark.parametrize(("callback", "kind", "seconds"), [
    (reset_later, GiveUpKind.RESET, GIVE_UP_AFTER),
    (close_later, GiveUpKind.FIN, GIVE_UP_AFTER),
])
def test_a_close_without_an_answer_is_named(callback: Callback, kind: GiveUpKind,
                                            seconds: float) -> None:
    with serving_callback(callback) as url:
        result = asyncio.run(slow_client_probe(url, max_wait=2.0, interval=INTERVAL))
    assert_gave_up(result.headers, kind, seconds)
    assert_gave_up(result.body, kind, seconds)


def test_an_answer_before_the_request_is_complete_is_not_a_timeout() -> None:
    with serving_callback(answer_at_once) as url:
        result = asyncio.run(slow_client_probe(url, max_wait=2.0, interval=INTERVAL))
    for give_up in (result.headers, result.body):
        assert_gave_up(give_up, GiveUpKind.ANSWERED, 0.0, 404)


async def hold_silently(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_for(reader, WAIT_LIMIT)


def fail_writes_after_the_head(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    """Trickled bytes fail to send while nothing can be read: what a kernel rarely does on
    loopback (the close is read first), but may do behind a firewall or a NAT."""
    send = slow_client._write

    async def write(writer: asyncio.StreamWriter, data: bytes, deadline: float
                    ) -> OSError | None:
        return error if data == slow_client.TRICKLED_BYTE else await send(writer, data, deadline)

    monkeypatch.setattr(slow_client, "_write", write)


def test_a_write_that_fails_with_a_reset_is_the_reset_it_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_writes_after_the_head(monkeypatch, BrokenPipeError(errno.EPIPE, "Broken pipe"))
    with serving_callback(hold_silently) as url:
        result = asyncio.run(slow_client_probe(url, max_wait=2.0, interval=INTERVAL))
    for give_up in (result.headers, result.body):
        assert_gave_up(give_up, GiveUpKind.RESET, INTERVAL)  # at the first trickled byte
        assert give_up.bytes_sent > 0


def test_a_write_that_fails_otherwise_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    fail_writes_after_the_head(monkeypatch, OSError(errno.EHOSTUNREACH, "No route to host"))
    with serving_callback(hold_silently) as url, pytest.raises(NetworkError, match="route"):
        asyncio.run(slow_client_probe(url, max_wait=2.0, interval=INTERVAL))


@pytest.mark.parametrize(("max_wait", "interval"), [
    (0.0, 0.5), (-1.0, 0.5), (901.0, 0.5), (float("nan"), 0.5),
    (10.0, 0.0), (10.0, -0.1), (10.0, 10.5), (10.0, float("nan")),
])
def test_the_wait_and_the_interval_are_bounded(max_wait: float, interval: float,
                                               closed_port: int) -> None:
    with pytest.raises(UsageError):
        asyncio.run(slow_client_probe(f"http://127.0.0.1:{closed_port}", max_wait,
                                      interval=interval))


@pytest.mark.parametrize(("url", "path"), [
    ("ftp://127.0.0.1/", None),
    ("http://127.0.0.1/", "/a b"),
    ("http://127.0.0.1/", "/x\r\nX-Injected: 1"),
])
def test_only_sendable_http_requests_are_trickled(url: str, path: str | None) -> None:
    with pytest.raises(UsageError):
        asyncio.run(slow_client_probe(url, max_wait=1.0, path=path))
