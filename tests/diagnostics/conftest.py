"""Servers the reference server cannot play: the reference protocol behind TLS, and a server
that ends idle connections with a reset. Loopback only; each runs on its own event loop in a
thread, and everything it opened is closed before the fixture returns."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import pytest
import trustme

from seatctl.server import ConnectionTimeouts
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Request, Response
from seatctl.server.protocol import HTTPConnection

LOOPBACK = "127.0.0.1"
WAIT_LIMIT = 10.0  # no set-up or tear-down waits longer
RESET_AFTER = 0.3  # the reset server's idle timeout, seconds
# A measured close may be early by scheduling jitter only, late by a loaded machine's delays.
EARLY_SLACK = 0.02
LATE_SLACK = 0.3
HEALTHY = Response.json(200, {"status": "success"})

Callback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def assert_close_to(measured: float, expected: float) -> None:
    assert expected - EARLY_SLACK <= measured <= expected + LATE_SLACK, (measured, expected)


@contextmanager
def serving_callback(callback: Callback, *, tls: ssl.SSLContext | None = None
                     ) -> Iterator[str]:
    """`callback` serves every accepted connection; yields the server's URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="diagnostics-server", daemon=True)
    thread.start()
    tasks: set[asyncio.Task[None]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                            ) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await callback(reader, writer)
        except (asyncio.CancelledError, asyncio.IncompleteReadError, OSError):
            pass  # the client went away, or the tear-down cut it off
        finally:
            writer.transport.abort()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(on_connection, LOOPBACK, 0, ssl=tls)

    async def stop(server: asyncio.Server) -> None:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=WAIT_LIMIT)
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://{LOOPBACK}:{server.sockets[0].getsockname()[1]}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(server), loop).result(timeout=WAIT_LIMIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=WAIT_LIMIT)
        loop.close()


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


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound to learn a free port, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
