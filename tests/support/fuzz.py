"""A loopback server that serves whatever raw bytes (or hostile behaviour) it is told to.

One server may serve a whole test run; `serve(...)` changes what it answers. Each request
gets the next reply of the sequence (the last one repeats), written raw, then the connection
is closed. A second listening port, `other_url`, stands for another origin: it records what
reaches it, so a test can show the token never does. Built on `loop_server`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.servers import WAIT_LIMIT, After, loop_server

HEAD_LIMIT = 64 * 1024  # the most of a request body read (asyncio's stream limit, too)
Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Event], Awaitable[None]]
Reply = bytes | Behaviour


@dataclass
class Received:
    port: int
    head: bytes


@dataclass
class FuzzServer:
    stopping: asyncio.Event
    url: str = ""
    other_url: str = ""
    replies: Sequence[Reply] = (b"",)
    served: int = 0
    received: list[Received] = field(default_factory=list)

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
    """A FuzzServer on two loopback ports (`url`, and `other_url` for another origin)."""
    server = FuzzServer(asyncio.Event())
    with loop_server(server.on_connection, listeners=2, after=After.CLOSE,
                     stopping=server.stopping) as running:
        server.url, server.other_url = running.urls
        yield server


def response(status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = (),
             *, length: bool = True, reason: str = "X") -> bytes:
    """Raw HTTP/1.1 response bytes."""
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{n}: {v}" for n, v in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
