"""The slow-client probe: how long a server waits for a request that arrives a byte at a time.

Two connections, concurrently. One trickles the request head and never finishes it: the
server's headers timeout (Node's `headersTimeout`). The other sends a complete head that
announces a body, then trickles the body and never finishes it: the request timeout (Node's
`requestTimeout`). Each is measured from the connection being established (TCP, and TLS for
https), where Node and the reference server start their clock, to the server giving up: a
response (408 is the expected one), a FIN, or a reset. A server that has not given up when
`max_wait` runs out yields a lower bound.

Nothing here prints; every connection sends at most its head plus `max_wait / interval` bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import h11

from seatctl.diagnostics.bounds import require, require_wait
from seatctl.diagnostics.connection import READ_SIZE, USER_AGENT, close_stream, open_stream
from seatctl.diagnostics.results import GiveUp, GiveUpKind, SlowClientResult
from seatctl.diagnostics.targets import ConnectOptions, Target, parse_target
from seatctl.diagnostics.tasks import run_all
from seatctl.errors import ConnectionReset, ProtocolViolation, UsageError
from seatctl.http import classify_os_error

SLOW_HEADER = "X-Seatctl-Slow"
TRICKLED_BYTE = b"a"
ANNOUNCED_BODY_BYTES = 1_000_000  # the Content-Length promised, never sent whole
TIMEOUT_STATUS = 408  # Request Timeout: the server's own word that it gave up waiting
# After a failed write the reading side learns within an event-loop turn how the connection
# ended; only if it has not said after this long is the write's own error the answer.
CLOSE_NOTICE_WAIT = 0.2


@dataclass(frozen=True)
class _Trickle:
    """What one connection sends: `head` at once, then `byte` every `interval` seconds."""

    head: bytes
    byte: bytes
    interval: float
    max_wait: float


@dataclass(frozen=True)
class _FailedWrite:
    error: OSError
    at: float  # the loop's clock


# How the watcher saw the server give up, and when (the loop's clock).
_Seen = tuple[GiveUpKind, int | None, float]


async def slow_client_probe(url: str, max_wait: float = 75.0, *, interval: float = 0.5,
                            path: str | None = None, options: ConnectOptions | None = None
                            ) -> SlowClientResult:
    """The headers timeout and the request timeout, on two connections at once, each waited
    for at most `max_wait` seconds, trickling a byte every `interval` seconds."""
    target = parse_target(url, path)
    require_wait("max_wait", max_wait)
    require(0 < interval <= max_wait,
            "interval must be more than 0 and at most max_wait seconds")
    body_head, body_reading = _head_announcing_a_body(target)  # h11 checks the path first
    header_head, header_reading = _unfinished_head(target)
    headers, body = await run_all([
        _measure(target, options, _Trickle(header_head, TRICKLED_BYTE, interval, max_wait),
                 header_reading),
        _measure(target, options, _Trickle(body_head, TRICKLED_BYTE, interval, max_wait),
                 body_reading),
    ])
    return SlowClientResult(headers=headers, body=body, interval_s=interval,
                            max_wait_s=max_wait)


def _unfinished_head(target: Target) -> tuple[bytes, h11.Connection]:
    """A GET head whose last header grows a byte at a time; its blank line never comes. The
    h11 connection reads the answer (h11 accepts a response before any request)."""
    head = (f"GET {target.path} HTTP/1.1\r\nHost: {target.authority}\r\n"
            f"User-Agent: {USER_AGENT}\r\nAccept: */*\r\n{SLOW_HEADER}: ")
    return head.encode("latin-1") + TRICKLED_BYTE, h11.Connection(h11.CLIENT)


def _head_announcing_a_body(target: Target) -> tuple[bytes, h11.Connection]:
    """A complete POST head with `Content-Length: ANNOUNCED_BODY_BYTES`, written by h11 (which
    then reads the answer, an early one included)."""
    writing = h11.Connection(h11.CLIENT)
    try:
        request = h11.Request(method="POST", target=target.path, headers=[
            ("Host", target.authority), ("User-Agent", USER_AGENT), ("Accept", "*/*"),
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(ANNOUNCED_BODY_BYTES)),
        ])
    except (h11.LocalProtocolError, UnicodeEncodeError) as exc:
        raise UsageError(f"cannot request {target.path!r} from {target.label}: {exc}",
                         hint="percent-encode spaces and other special characters") from None
    return writing.send(request) or b"", writing


async def _measure(target: Target, options: ConnectOptions | None, trickle: _Trickle,
                   reading: h11.Connection) -> GiveUp:
    reader, writer, _ = await open_stream(target, options)
    loop = asyncio.get_running_loop()
    established = loop.time()
    deadline = established + trickle.max_wait
    watcher = asyncio.ensure_future(_watch(reader, reading, target))
    try:
        sent, failure = await _send_slowly(writer, watcher, trickle, established)
        if failure is not None:
            # A failed write closes the transport, which hands its error or FIN to the
            # reading side: the watcher names the close, from what it read.
            deadline = min(deadline, loop.time() + CLOSE_NOTICE_WAIT)
        done, _ = await asyncio.wait({watcher}, timeout=max(0.0, deadline - loop.time()))
        if done:
            kind, status, at = watcher.result()
            return GiveUp(at - established, kind, status, sent)
        if failure is not None:
            return _failed_write(failure, target, failure.at - established, sent)
        return GiveUp(trickle.max_wait, GiveUpKind.STILL_OPEN, None, sent)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await close_stream(writer)


async def _send_slowly(writer: asyncio.StreamWriter, watcher: asyncio.Future[_Seen],
                       trickle: _Trickle, established: float
                       ) -> tuple[int, _FailedWrite | None]:
    """Write the head, then a byte every interval (on a fixed schedule from `established`)
    until the watcher has seen the server give up, a write fails, or the next byte would be
    due at `max_wait`. Returns the bytes written, and the failed write if one did."""
    loop = asyncio.get_running_loop()
    deadline = established + trickle.max_wait
    failure = await _write(writer, trickle.head, deadline)
    if failure is not None:
        return 0, _FailedWrite(failure, loop.time())
    sent = len(trickle.head)
    for count in range(1, int(trickle.max_wait / trickle.interval) + 1):
        due = established + count * trickle.interval
        if due >= deadline:
            break
        done, _ = await asyncio.wait({watcher}, timeout=max(0.0, due - loop.time()))
        if done:
            break
        failure = await _write(writer, trickle.byte, deadline)
        if failure is not None:
            return sent, _FailedWrite(failure, loop.time())
        sent += len(trickle.byte)
    return sent, None


async def _write(writer: asyncio.StreamWriter, data: bytes, deadline: float
                 ) -> OSError | None:
    """Write and drain by `deadline` (a server that stops reading must not stall the probe);
    returns the error of a failed write: the connection is closed, and how is the watcher's
    to tell."""
    try:
        async with asyncio.timeout_at(deadline):
            writer.write(data)
            await writer.drain()
    except TimeoutError:
        return None  # the wait is over: the caller reports the connection still open
    except OSError as exc:
        return exc
    return None


async def _watch(reader: asyncio.StreamReader, reading: h11.Connection, target: Target
                 ) -> _Seen:
    """Read until the server gives up: a response head (when its first byte came), a FIN or
    a reset (when it came). Bounded by the caller, who cancels it when the wait ends."""
    loop = asyncio.get_running_loop()
    first_byte_at: float | None = None
    while True:
        event = _next_event(reading, target)
        if isinstance(event, h11.Response):
            assert first_byte_at is not None  # a response is made of bytes read
            kind = GiveUpKind.STATUS if event.status_code == TIMEOUT_STATUS else (
                GiveUpKind.ANSWERED)
            return kind, event.status_code, first_byte_at
        elif event is h11.NEED_DATA:
            try:
                data = await reader.read(READ_SIZE)
            except OSError as exc:
                error = classify_os_error(exc, target.label)
                if not isinstance(error, ConnectionReset):
                    raise error from None
                return GiveUpKind.RESET, None, loop.time()
            if not data:  # a FIN, even after part of a response head
                return GiveUpKind.FIN, None, loop.time()
            if first_byte_at is None:
                first_byte_at = loop.time()
            reading.receive_data(data)
        elif event is h11.PAUSED:  # a protocol switch, which was never asked for
            raise ProtocolViolation(f"{target.label} switched protocols unasked")
        # An informational response (1xx): the real one follows.


def _next_event(reading: h11.Connection, target: Target
                ) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
    try:
        return reading.next_event()
    except h11.RemoteProtocolError as exc:
        raise ProtocolViolation(f"{target.label} broke the HTTP protocol: {exc}",
                                hint="the server (or a proxy) is misbehaving") from None


def _failed_write(failure: _FailedWrite, target: Target, seconds: float, sent: int
                  ) -> GiveUp:
    """A write failed and nothing was read: a reset (EPIPE, ECONNRESET) is the close it
    reports; any other error is raised, named."""
    error = classify_os_error(failure.error, target.label)
    if not isinstance(error, ConnectionReset):
        raise error from None
    return GiveUp(seconds, GiveUpKind.RESET, None, sent)
