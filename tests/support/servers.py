"""Loopback servers on an event loop in a thread, for synchronous tests.

`loop_server` is the one helper underneath: it serves a callback on a free 127.0.0.1 port,
on its own event loop in a daemon thread (`loop_in_thread`), and at the end of the `with`
block stops it (listeners closed, connections given `grace` seconds, then cancelled), joins
the thread and closes the loop. Built on it:

- `serving_callback(callback)`: the callback alone serves each connection; yields the URL.
- `serving_protocol(handler)`: the reference server's connection layer (`HTTPConnection`)
  around a handler, without routing or store; yields the URL.
- `fuzz_server()` (tests/support/fuzz.py): answers each request with the next raw reply.

The raw server with blocking, scripted handlers is `RawServer` (tests/support/rawserver.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

import pytest
from pytest_httpserver import HTTPServer

from seatctl.server import ConnectionTimeouts
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Handler
from seatctl.server.protocol import HTTPConnection, RequestLog

LOOPBACK = "127.0.0.1"
WAIT_LIMIT = 10.0  # no start or stop waits longer
CANCEL_WAIT = 2.0  # how long cancelled connections get to end at stop
PROTOCOL_GRACE = 2.0  # serving_protocol: running handlers may finish first at stop
MAX_BODY = 1024 * 1024  # serving_protocol's request body limit

Callback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# The client went away, a read ran out or timed out, or the stop cancelled the connection.
DISCONNECTS = (asyncio.CancelledError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
               OSError)


class After(Enum):
    """What becomes of a connection once its callback has returned (or failed)."""

    ABORT = "abort"  # closed at once, unsent data dropped: nothing lingers
    CLOSE = "close"  # what is buffered is sent, then a FIN
    LEAVE = "leave"  # the callback closed it itself


@dataclass(frozen=True)
class LoopServer:
    """What `loop_server` yields: its URLs (one per listener) and its stop signal."""

    urls: tuple[str, ...]
    stopping: asyncio.Event

    @property
    def url(self) -> str:
        return self.urls[0]


@contextmanager
def loop_server(callback: Callback, *, tls: ssl.SSLContext | None = None, listeners: int = 1,
                after: After = After.ABORT, grace: float = 0.0,
                stopping: asyncio.Event | None = None) -> Iterator[LoopServer]:
    """`callback` serves every connection accepted on `listeners` free loopback ports.

    At exit `stopping` is set and the listeners close; connections still open get `grace`
    seconds to end, then are cancelled. Disconnects (and the cancellation) inside the
    callback are expected and swallowed; `after` says how each connection ends.
    """
    stopping = asyncio.Event() if stopping is None else stopping
    tasks: set[asyncio.Task[None]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                            ) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await callback(reader, writer)
        except DISCONNECTS:
            pass
        finally:
            tasks.discard(task)
            if after is After.ABORT:
                writer.transport.abort()
            elif after is After.CLOSE:
                writer.close()

    async def start() -> list[asyncio.Server]:
        return [await asyncio.start_server(on_connection, LOOPBACK, 0, ssl=tls)
                for _ in range(listeners)]

    async def stop(servers: list[asyncio.Server]) -> None:
        stopping.set()
        for server in servers:
            server.close()
        if tasks and grace:
            await asyncio.wait(list(tasks), timeout=grace)
        running = list(tasks)
        for task in running:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True),
                                   CANCEL_WAIT)

    with loop_in_thread() as loop:
        servers = asyncio.run_coroutine_threadsafe(start(), loop).result(WAIT_LIMIT)
        scheme = "https" if tls else "http"
        urls = tuple(f"{scheme}://{LOOPBACK}:{server.sockets[0].getsockname()[1]}"
                     for server in servers)
        try:
            yield LoopServer(urls, stopping)
        finally:
            asyncio.run_coroutine_threadsafe(stop(servers), loop).result(WAIT_LIMIT)


@contextmanager
def loop_in_thread(name: str = "loop-server") -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop running in daemon thread `name`; at exit it is stopped, the thread
    joined and the loop closed. Under `loop_server`; for a server that binds and serves by
    itself (hypercorn in tests/diagnostics/h2servers.py), not for a new connection callback."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT_LIMIT)
        loop.close()


@contextmanager
def serving_callback(callback: Callback, *, tls: ssl.SSLContext | None = None
                     ) -> Iterator[str]:
    """`callback` serves every accepted connection, which is aborted once it returns;
    yields the server's URL (https with `tls`)."""
    with loop_server(callback, tls=tls) as server:
        yield server.url


@contextmanager
def serving_protocol(handler: Handler, *, timeouts: ConnectionTimeouts | None = None,
                     log: RequestLog | None = None) -> Iterator[str]:
    """The protocol layer alone (HTTPConnection: no routing, no store) around `handler`;
    yields the URL. At exit, handlers still running get PROTOCOL_GRACE seconds."""
    stopping = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = HTTPConnection(reader, writer, handler,
                                    timeouts=timeouts or ConnectionTimeouts(),
                                    faults=FaultPlan(()), log=log, max_body=MAX_BODY,
                                    stopping=stopping)
        await connection.serve()

    with loop_server(serve, after=After.LEAVE, grace=PROTOCOL_GRACE,
                     stopping=stopping) as server:
        yield server.url


@dataclass
class SilentServer:
    """What `silent_server` yields: its URL, and how many connections it has accepted."""

    url: str
    accepted: int = 0


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    """Accepts every connection and never reads a byte nor answers, until the block ends."""
    stopping = asyncio.Event()
    silent = SilentServer("")

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.accepted += 1
        await stopping.wait()

    with loop_server(hold, stopping=stopping) as server:
        silent.url = server.url
        yield silent


def closed_loopback_port() -> int:
    """A loopback port nothing listens on: bound to learn a free port, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def httpserver(httpserver_ipv4: HTTPServer) -> HTTPServer:
    """pytest-httpserver's server, pinned to 127.0.0.1 (its default host, localhost, may
    resolve to ::1). tests/conftest.py registers it, so the pin holds for every test."""
    assert httpserver_ipv4.host == LOOPBACK
    return httpserver_ipv4
