"""Servers the reference server cannot play: the reference protocol behind TLS, and a server
that ends idle connections with a reset. Loopback only; each runs on its own event loop in a
thread (`tests.support.servers.serving_callback`), and everything it opened is closed before
the fixture returns."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import Iterator

import pytest
import trustme

from seatctl.server import ConnectionTimeouts
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Request, Response
from seatctl.server.protocol import HTTPConnection
from tests.support.servers import LOOPBACK, WAIT_LIMIT, Callback, serving_callback

RESET_AFTER = 0.3  # the reset server's idle timeout, seconds
# A measured close may be early by scheduling jitter only, late by a loaded machine's delays.
EARLY_SLACK = 0.02
LATE_SLACK = 0.3
HEALTHY = Response.json(200, {"status": "success"})


def assert_close_to(measured: float, expected: float) -> None:
    assert expected - EARLY_SLACK <= measured <= expected + LATE_SLACK, (measured, expected)


def reference_protocol(timeouts: ConnectionTimeouts) -> Callback:
    """The reference server's connection layer, answering every request with 200."""

    async def healthy(request: Request) -> Response:
        return HEALTHY

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = HTTPConnection(reader, writer, healthy, timeouts=timeouts,
                                    faults=FaultPlan(()), log=None, max_body=1024,
                                    stopping=asyncio.Event())
        await connection.serve()

    return serve


async def serve_then_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                           ) -> None:
    """Keep-alive responses to every request that comes within RESET_AFTER seconds of the
    last; then a TCP reset instead of a FIN (SO_LINGER on with a zero timeout), as some
    proxies end idle connections."""
    idle_limit = WAIT_LIMIT  # for the first request
    with contextlib.suppress(TimeoutError):
        while True:
            async with asyncio.timeout(idle_limit):
                await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            idle_limit = RESET_AFTER
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.fixture(scope="session")
def server_tls(tls_ca: trustme.CA) -> ssl.SSLContext:
    """A server context for 127.0.0.1 that takes part in ALPN."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert(LOOPBACK).configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    return context


@pytest.fixture
def tls_server(server_tls: ssl.SSLContext) -> Iterator[str]:
    """The reference protocol over TLS, keep-alive 0.3 s; yields its https URL."""
    timeouts = ConnectionTimeouts(keep_alive_timeout=0.3, advertised_keep_alive=0.3)
    with serving_callback(reference_protocol(timeouts), tls=server_tls) as url:
        yield url


@pytest.fixture
def reset_server() -> Iterator[str]:
    with serving_callback(serve_then_reset) as url:
        yield url
