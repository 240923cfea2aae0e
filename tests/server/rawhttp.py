"""A raw-socket HTTP client for measuring the server's connection timing (h11 parses), and
the protocol layer alone around any handler (`serving_handler`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from seatctl.server import ConnectionTimeouts
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Handler
from seatctl.server.protocol import HTTPConnection, RequestLog

WAIT_LIMIT = 10.0  # no test waits longer than this for anything
STOP_GRACE = 2.0  # serving_handler's wait for running handlers at exit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    finished_at: float  # time.monotonic() when the response was complete


class RawConnection:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT_LIMIT)
        self.opened_at = time.monotonic()
        self._h11 = h11.Connection(h11.CLIENT)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def get(self, path: str = "/health", headers: list[tuple[str, str]] | None = None
            ) -> Answer:
        request = h11.Request(method="GET", target=path,
                              headers=[("Host", "127.0.0.1"), *(headers or [])])
        self.sock.sendall(self._h11.send(request) + self._h11.send(h11.EndOfMessage()))
        return self.read_answer()

    def read_answer(self) -> Answer:
        status, headers, body = 0, {}, b""
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                self._h11.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                answer = Answer(status, headers, body, time.monotonic())
                if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                    self._h11.start_next_cycle()
                return answer
            else:
                raise AssertionError(f"unexpected {event!r}")

    def wait_for_close(self) -> tuple[str, float]:
        """Block until the server ends the connection: ("fin" | "reset", monotonic time)."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return "reset", time.monotonic()
        assert data == b"", f"expected the server to close, got {data[:80]!r}"
        return "fin", time.monotonic()

    def read_until_close(self) -> tuple[bytes, str, float]:
        """Everything the server still sends, then how and when it closed."""
        received = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return received, "reset", time.monotonic()
            if not data:
                return received, "fin", time.monotonic()
            received += data


@contextmanager
def serving_handler(handler: Handler, *, timeouts: ConnectionTimeouts | None = None,
                    log: RequestLog | None = None) -> Iterator[str]:
    """The protocol layer alone (HTTPConnection, no routing, no store) around `handler`, on
    a free loopback port, on its own event loop in a thread; yields the URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="rawhttp-server", daemon=True)
    thread.start()
    stopping = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                            ) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        connection = HTTPConnection(reader, writer, handler,
                                    timeouts=timeouts or ConnectionTimeouts(),
                                    faults=FaultPlan(()), log=log, max_body=1024 * 1024,
                                    stopping=stopping)
        with contextlib.suppress(asyncio.CancelledError):  # cancelled by stop(): done
            await connection.serve()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(on_connection, "127.0.0.1", 0)

    async def stop(server: asyncio.Server) -> None:
        stopping.set()
        server.close()
        if tasks:  # a handler still running (its socket timed out) may finish first
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=WAIT_LIMIT)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(server), loop).result(timeout=WAIT_LIMIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=WAIT_LIMIT)
        loop.close()
