"""A loopback server that serves whatever raw bytes (or hostile behaviour) it is told to.

One server per test run, on its own event loop in a thread; `serve(...)` changes what it
answers. Each request gets the next reply of the sequence (the last one repeats), written
raw, then the connection is closed. A second listening port, `other_url`, stands for another
origin: it records what reaches it, so a test can show the token never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

WAIT_LIMIT = 10.0
HEAD_LIMIT = 64 * 1024
Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Event], Awaitable[None]]
Reply = bytes | Behaviour


@dataclass
class Received:
    port: int
    head: bytes


@dataclass
class FuzzServer:
    loop: asyncio.AbstractEventLoop
    stopping: asyncio.Event
    url: str = ""
    other_url: str = ""
    replies: Sequence[Reply] = (b"",)
    served: int = 0
    received: list[Received] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def serve(self, *replies: Reply) -> None:
        """Answer the next requests with `replies` in order; the last one repeats."""
        self.replies, self.served = replies or (b"",), 0
        self.received = []

    def heads_to_other_origin(self) -> list[bytes]:
        port = int(self.other_url.rsplit(":", 1)[1])
        return [r.head for r in self.received if r.port == port]

    def _next(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply

    async def on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                            ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._answer(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reply = self._next()
        if not isinstance(reply, bytes):
            await reply(reader, writer, self.stopping)
            return
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_LIMIT)
        self.received.append(Received(writer.get_extra_info("sockname")[1], head))
        length = _content_length(head)
        if length:
            await asyncio.wait_for(reader.readexactly(min(length, HEAD_LIMIT)), WAIT_LIMIT)
        writer.write(reply)
        await writer.drain()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return 0


@contextmanager
def fuzz_server() -> Iterator[FuzzServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-server", daemon=True)
    thread.start()

    async def start() -> tuple[FuzzServer, list[asyncio.Server]]:
        server = FuzzServer(loop, asyncio.Event())
        listeners = [await asyncio.start_server(server.on_connection, "127.0.0.1", 0,
                                                limit=HEAD_LIMIT) for _ in range(2)]
        ports = [listener.sockets[0].getsockname()[1] for listener in listeners]
        server.url, server.other_url = (f"http://127.0.0.1:{port}" for port in ports)
        return server, listeners

    async def stop(server: FuzzServer, listeners: list[asyncio.Server]) -> None:
        server.stopping.set()
        for listener in listeners:
            listener.close()
        for task in list(server.tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*server.tasks, return_exceptions=True), 2.0)

    server, listeners = asyncio.run_coroutine_threadsafe(start(), loop).result(WAIT_LIMIT)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(stop(server, listeners), loop).result(WAIT_LIMIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT_LIMIT)
        loop.close()


def response(status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = (),
             *, length: bool = True, reason: str = "X") -> bytes:
    """Raw HTTP/1.1 response bytes."""
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{n}: {v}" for n, v in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
