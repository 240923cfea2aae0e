"""HTTP/1.1 connections on asyncio streams + h11, with the timing of Node's http.Server.

Theory of operation. A connection alternates between two waits, each with its own clock:

* idle: after a response has been written, the server waits `keep_alive_timeout` for the
  first byte of the next request, then closes with a FIN. This is the race behind the
  client-side ECONNRESET: a client that reuses the connection just as the server closes
  it sends its request into a dying socket.
* receiving: from the moment a request starts (the accept for the first request, the first
  byte for later ones), the headers must be complete within `headers_timeout` and the whole
  request within `request_timeout`, or the server answers 408 and closes.

A third clock, `socket_timeout` (Node's `server.timeout`), is an inactivity limit: while a
request is received or answered (not while idle between requests, where Node too replaces
it with the keep-alive timeout), the connection must see I/O at least that often. A read
that waits that long, a handler (or a stall) that takes that long to produce the response,
or a response write that does not complete in that long: the server closes the socket
without a response (a FIN), as Node destroys it; a handler still running runs to its end.

A value of 0 disables a timeout, as in Node; `keep_alive_timeout = 0` disables keep-alive
(every response says `Connection: close`). A kept-alive response carries `Keep-Alive:
timeout=N` unless switched off (`, max=M` with a request limit, as Node writes it); a
response that says `Connection: close` never does.

Limits: the request head (request line and headers) may be `MAX_HEAD_BYTES`, else 431; the
body `max_body` bytes, else 413. A request with both `Content-Length` and `Transfer-Encoding`
is refused with 400 (Node's answer to that request-smuggling shape). After answering an error
that closes the connection while request bytes may still be unread (400, 408, 413, 431), the
server half-closes (FIN), reads and discards what still comes for a bounded time and size, then
closes: a close with unread data makes the kernel send a reset, which can destroy the answer
before the client reads it.

h11 owns the protocol state; this module owns the clock and the socket; handlers see only
`Request` and `Response`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from http import HTTPStatus

import h11

from seatctl.server.config import REFERENCE_SERVER_HEADER, ConnectionTimeouts, FaultKind
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Handler, Request, Response

READ_SIZE = 65536
# The request line and headers together. Node's default maximum header size is 16 KiB
# (`--max-http-header-size`, `http.maxHeaderSize`, 16384 since v13.13.0; 16384 on this
# machine's Node 20.20, which answers 431 above it). h11's own limit, passed the same value,
# only catches a head still incomplete in its buffer; a whole head that arrives in one read
# is measured here.
MAX_HEAD_BYTES = 16 * 1024
# The lingering close after an error answer: how long and how much to read and discard.
LINGER_SECONDS = 1.0
LINGER_MAX_BYTES = 4 * 1024 * 1024
SERVER_HEADER = REFERENCE_SERVER_HEADER
SOCKET_TIMEOUT_NOTE = "socket timeout"
PROXY_502_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>502 Bad Gateway</h1><p>The upstream service did not respond. This page was served "
    b"by the platform's proxy, not by the application.</p></body></html>"
)

logger = logging.getLogger("seatctl.server")


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str
    status: int | None  # None: no response was sent (reset, closed)
    milliseconds: float
    client: str
    note: str = ""  # the fault, timeout or handler error behind an unusual ending


RequestLog = Callable[[LogEntry], None]


class _Timeout(Exception):
    """The current wait's deadline passed."""


class _IdleTimeout(Exception):
    """No next request within the keep-alive timeout."""


class _SocketTimeout(Exception):
    """No I/O within the socket timeout while a request was received or answered."""


class _PeerGone(Exception):
    """The client closed or reset its side (or the socket timeout closed ours)."""


class _HeadTooLarge(Exception):
    """The request line and headers exceed MAX_HEAD_BYTES."""


class _BodyTooLarge(Exception):
    pass


class HTTPConnection:
    """One accepted connection, served until it closes."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: Handler,
        *,
        timeouts: ConnectionTimeouts,
        faults: FaultPlan,
        log: RequestLog | None,
        max_body: int,
        stopping: asyncio.Event,
        server_header: str | None = SERVER_HEADER,
    ) -> None:
        self._reader = reader
        self._server_header = server_header
        self._writer = writer
        self._handler = handler
        self._timeouts = timeouts
        self._socket_timeout = timeouts.socket_timeout
        self._keep_alive_value = _keep_alive_value(timeouts)
        self._faults = faults
        self._log = log
        self._max_body = max_body
        self._stopping = stopping
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._loop = asyncio.get_running_loop()
        peer = writer.get_extra_info("peername")
        self._client = str(peer[0]) if peer else "unknown"
        self.idle = True  # between requests: safe to close at shutdown
        self._served = 0
        # The current request: when it started (the accept, then each first byte), and its
        # method and path once the head is known ("-" before).
        self._started = self._loop.time()
        self._method = self._path = "-"
        self._client_keep_alive = True  # False: HTTP/1.0, or the client said Connection: close
        self._linger = False  # an error answer closes: drain what the client still sends
        self._timed_out = False  # the socket timeout closed the socket

    async def serve(self) -> None:
        try:
            if self._faults and self._faults.on_accept() is not None:
                self._log_entry(None, "reset-on-accept")
                self._reset()
                return
            while not self._stopping.is_set():
                if not await self._one_exchange():
                    break
        except _SocketTimeout:
            self._log_entry(None, SOCKET_TIMEOUT_NOTE)
        except _PeerGone:
            pass
        finally:
            await self._close()

    def close_if_idle(self) -> None:
        """At a graceful shutdown's end of drain: an idle connection is closed now (a FIN), a
        busy one after its response (which says `Connection: close`)."""
        if self.idle:
            self._writer.close()

    def reset(self) -> None:
        """At an abrupt shutdown: a TCP RST now, whatever the connection is doing."""
        if not self._writer.transport.is_closing():
            self._reset()

    async def _one_exchange(self) -> bool:
        """Serve one request; returns whether the connection stays open for another."""
        try:
            request_event = await self._receive_head(waiting=self._served > 0)
        except _IdleTimeout:
            return False  # the keep-alive timeout: a clean close, no response owed
        except _Timeout:
            await self._send_raw_error(408, "Request timeout: headers not received in time")
            return False
        except _HeadTooLarge:
            await self._send_raw_error(431, _HEAD_TOO_LARGE)
            return False
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint
            await self._send_raw_error(status, _HEAD_TOO_LARGE if status == 431
                                       else f"Bad request: {exc}")
            return False
        if request_event is None:
            return False
        self.idle = False
        return await self._respond_to(request_event)

    async def _receive_head(self, *, waiting: bool) -> h11.Request | None:
        """Wait (idle if `waiting`, then within the headers deadline) for the request line and
        headers, and measure them against MAX_HEAD_BYTES."""
        received = len(self._h11.trailing_data[0])  # bytes of a pipelined request, if any
        if waiting:
            self._method = self._path = "-"
            if received:  # its first byte is already here: no idle wait
                self._started = self._loop.time()
                waiting = False
        while True:
            event = self._h11.next_event()
            if isinstance(event, h11.Request):
                # Only a head of more than MAX_HEAD_BYTES bytes received can be too large.
                if (received > MAX_HEAD_BYTES
                        and received - len(self._h11.trailing_data[0]) > MAX_HEAD_BYTES):
                    self._method = event.method.decode("ascii", "replace")
                    self._path = event.target.decode("ascii", "replace").split("?", 1)[0]
                    raise _HeadTooLarge
                return event
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None
            if waiting:
                try:
                    data = await self._read(self._idle_deadline(), watched=False)
                except _Timeout:
                    raise _IdleTimeout from None
                self._started = self._loop.time()
                waiting = False
            else:
                data = await self._read(self._head_deadline())
            received += len(data)
            self._h11.receive_data(data)

    async def _respond_to(self, head: h11.Request) -> bool:
        method = self._method = head.method.decode("ascii", "replace")
        target = head.target.decode("ascii", "replace")
        self._path = target.split("?", 1)[0]
        if _frames_twice(head):
            await self._send_error_response(400, _BOTH_FRAMINGS)
            return False
        declared = 0
        self._client_keep_alive = head.http_version >= b"1.1"  # as h11: 1.0 closes
        for name, value in head.headers:
            if name == b"content-length":
                declared = int(value)
            elif name == b"connection" and b"close" in _tokens(value):
                self._client_keep_alive = False
        if declared > self._max_body:
            return await self._finish(method, Response.error(
                413, f"Request body larger than {self._max_body} bytes"), close=True)
        try:
            body = await self._receive_body()
        except _Timeout:
            await self._send_error_response(408, "Request timeout: body not received in time")
            return False
        except _BodyTooLarge:
            return await self._finish(method, Response.error(
                413, f"Request body larger than {self._max_body} bytes"), close=True)
        except h11.RemoteProtocolError as exc:
            await self._send_error_response(exc.error_status_hint, f"Bad request: {exc}")
            return False
        request = Request(method, target, _headers(head), body, self._client)
        return await self._dispatch(request)

    async def _dispatch(self, request: Request) -> bool:
        fault = self._faults.on_request(request.path) if self._faults else None
        if fault is not None and fault.kind is FaultKind.CLOSE_WITHOUT_RESPONSE:
            self._log_entry(None, fault.kind.value)
            return False
        if fault is not None and fault.kind is FaultKind.PROXY_502:
            page = Response(502, PROXY_502_PAGE, [("Content-Type", "text/html")])
            return await self._finish(request.method, page, note=fault.kind.value)
        note = fault.kind.value if fault is not None else ""
        # The socket timeout: the response must come within it (Node: no I/O that long).
        timer = (self._loop.call_later(self._socket_timeout, self._on_socket_timeout)
                 if self._socket_timeout else None)
        try:
            if fault is not None and fault.kind is FaultKind.STALL:
                await asyncio.sleep(fault.seconds)
            try:
                response = await self._handler(request)
            except Exception as exc:  # a bug in a handler must not take the server down
                failure = self._handler_failed(request, exc)
                note = f"{note}; {failure}" if note else failure
                response = Response.error(500, "Internal server error")
        finally:
            if timer is not None:
                timer.cancel()
        if self._timed_out:  # the handler finished, but its answer has nowhere to go
            raise _PeerGone
        if fault is not None and fault.kind is FaultKind.RESET_BEFORE_RESPONSE:
            self._log_entry(None, fault.kind.value)
            self._reset()
            raise _PeerGone
        return await self._finish(request.method, response, note=note)

    def _handler_failed(self, request: Request, exc: Exception) -> str:
        """The request log's note for a handler's exception; the traceback goes to the
        `seatctl.server` logger (at ERROR when there is no request log, else at DEBUG)."""
        message = " ".join(str(exc).split())
        failure = f"handler error: {type(exc).__name__}" + (f": {message}" if message else "")
        level = logging.ERROR if self._log is None else logging.DEBUG
        logger.log(level, "%s %s: %s", request.method, request.path, failure, exc_info=exc)
        return failure

    def _on_socket_timeout(self) -> None:
        """The handler (or a stall) took the whole socket timeout: close without a response,
        as Node destroys the socket; the handler runs on, its answer discarded."""
        self._timed_out = True
        self._log_entry(None, SOCKET_TIMEOUT_NOTE)
        self._writer.close()

    async def _finish(self, method: str, response: Response, *,
                      close: bool = False, note: str = "") -> bool:
        """Write the response; returns whether the connection stays open. `close`: an error
        answer, with request bytes perhaps unread (a lingering close follows)."""
        self._served += 1
        keep_alive = not close and self._keeps_alive()
        if close:
            self._linger = True
        await self._write_response(method, response, keep_alive)
        self._log_entry(response.status, note)
        if not keep_alive or self._h11.our_state is h11.MUST_CLOSE:
            return False
        try:
            self._h11.start_next_cycle()
        except h11.LocalProtocolError:
            return False
        self.idle = True
        return True

    def _keeps_alive(self) -> bool:
        limit = self._timeouts.max_requests_per_connection
        if (not self._client_keep_alive or self._stopping.is_set()
                or self._timeouts.keep_alive_timeout == 0):
            return False
        return not (limit and self._served >= limit)

    async def _write_response(self, method: str, response: Response, keep_alive: bool) -> None:
        headers = [
            ("Date", _http_date()),
            *([("Server", self._server_header)] if self._server_header else []),
            *response.headers,
            ("Content-Length", str(len(response.body))),
        ]
        if keep_alive:
            headers.append(("Connection", "keep-alive"))
            if self._keep_alive_value is not None:
                headers.append(("Keep-Alive", self._keep_alive_value))
        else:
            headers.append(("Connection", "close"))
        data = self._h11.send(h11.Response(status_code=response.status, headers=headers,
                                           reason=_reason(response.status)))
        if method != "HEAD" and response.body:
            data += self._h11.send(h11.Data(data=response.body))
        data += self._h11.send(h11.EndOfMessage())
        await self._write(data)

    async def _send_error_response(self, status: int, message: str) -> None:
        """An error once the request head is known: through h11 when it allows, else raw."""
        if self._h11.our_state is h11.SEND_RESPONSE:
            await self._finish(self._method, Response.error(status, message), close=True)
        else:
            await self._send_raw_error(status, message)

    async def _send_raw_error(self, status: int, message: str) -> None:
        """An error before h11 has a request to answer (timeouts, malformed or large heads);
        the connection then closes, lingering."""
        self._linger = True
        response = Response.error(status, message)
        server = f"Server: {self._server_header}\r\n" if self._server_header else ""
        head = (f"HTTP/1.1 {status} {_reason(status)}\r\nDate: {_http_date()}\r\n"
                f"{server}Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n")
        try:
            await self._write(head.encode("latin-1") + response.body)
        except _PeerGone:
            return
        self._log_entry(status, "" if self._method != "-" else "before a complete head")

    async def _receive_body(self) -> bytes:
        if self._h11.they_are_waiting_for_100_continue:  # as Node does, unasked
            interim = h11.InformationalResponse(status_code=100, headers=[], reason="Continue")
            await self._write(self._h11.send(interim))
        chunks: list[bytes] = []
        size = 0
        while True:
            event = self._h11.next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > self._max_body:
                    raise _BodyTooLarge
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise _PeerGone
            elif event is h11.NEED_DATA:
                self._h11.receive_data(await self._read(self._body_deadline()))

    def _idle_deadline(self) -> float | None:
        return self._loop.time() + self._timeouts.keep_alive_timeout

    def _head_deadline(self) -> float | None:
        limits = [t for t in (self._timeouts.headers_timeout, self._timeouts.request_timeout)
                  if t > 0]
        return self._started + min(limits) if limits else None

    def _body_deadline(self) -> float | None:
        timeout = self._timeouts.request_timeout
        return self._started + timeout if timeout > 0 else None

    async def _read(self, deadline: float | None, *, watched: bool = True) -> bytes:
        """The next bytes, by `deadline`; `watched`: the socket timeout applies too (a read
        that waits that long is inactivity), as it does except while idle between requests."""
        timeout = None if deadline is None else max(0.0, deadline - self._loop.time())
        inactive = watched and self._socket_timeout > 0 and (
            timeout is None or self._socket_timeout < timeout)
        if inactive:
            timeout = self._socket_timeout
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(READ_SIZE)
        except TimeoutError:
            raise (_SocketTimeout if inactive else _Timeout) from None
        except (ConnectionError, OSError):
            raise _PeerGone from None

    async def _write(self, data: bytes) -> None:
        writer = self._writer
        try:
            writer.write(data)
            if self._socket_timeout and writer.transport.get_write_buffer_size():
                await self._drain_within_socket_timeout()
            else:
                await writer.drain()
        except (ConnectionError, OSError):
            raise _PeerGone from None

    async def _drain_within_socket_timeout(self) -> None:
        """A write the client does not take within the socket timeout: the socket is closed,
        the rest of the response dropped (Node's socket timeout counts writes as I/O)."""
        try:
            async with asyncio.timeout(self._socket_timeout):
                await self._writer.drain()
        except TimeoutError:
            self._writer.transport.abort()
            raise _SocketTimeout from None

    def _reset(self) -> None:
        """Close with a TCP RST instead of a FIN: SO_LINGER on, with a zero timeout."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def _close(self) -> None:
        if self._writer.transport.is_closing():
            return
        if self._linger:
            await self._lingering_close()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def _lingering_close(self) -> None:
        """Half-close (a FIN after the answer), then read and discard what the client still
        sends, until it closes or LINGER_SECONDS / LINGER_MAX_BYTES: closing with unread
        data would make the kernel answer with a reset, and a reset can overtake the answer."""
        self.idle = True  # a shutdown need not wait for this
        drained = 0
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            if self._writer.can_write_eof():
                self._writer.write_eof()  # shutdown(SHUT_WR) once the answer is flushed
            async with asyncio.timeout(LINGER_SECONDS):
                while drained <= LINGER_MAX_BYTES:
                    data = await self._reader.read(READ_SIZE)
                    if not data:
                        return
                    drained += len(data)

    def _log_entry(self, status: int | None, note: str) -> None:
        if self._log is None:  # no log wanted: not even the entry is built
            return
        elapsed = (self._loop.time() - self._started) * 1000
        self._log(LogEntry(self._method, self._path, status, elapsed, self._client, note))


_HEAD_TOO_LARGE = (f"Request header fields too large: the request line and headers may be "
                   f"{MAX_HEAD_BYTES} bytes")


# Node (llhttp) refuses a request that both declares a Content-Length and is chunked: which of
# the two frames the body is what a request-smuggling attack plays on (RFC 9112 6.1). h11
# lets Transfer-Encoding win; this server answers 400 and closes instead, as Node does.
_BOTH_FRAMINGS = "Bad request: Content-Length can't be present with Transfer-Encoding"


def _frames_twice(head: h11.Request) -> bool:
    names = {name for name, _ in head.headers}
    return b"content-length" in names and b"transfer-encoding" in names


def _keep_alive_value(timeouts: ConnectionTimeouts) -> str | None:
    """The Keep-Alive header of kept-alive responses, as Node 20 writes it: `timeout=N`, with
    `, max=M` (the per-connection limit, the same on every response) when there is a limit."""
    if timeouts.advertised_keep_alive is None:
        return None
    value = f"timeout={timeouts.advertised_keep_alive:g}"
    if timeouts.max_requests_per_connection:
        value += f", max={timeouts.max_requests_per_connection}"
    return value


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip().lower() for token in value.split(b",")]


def _headers(head: h11.Request) -> tuple[tuple[str, str], ...]:
    return tuple((name.decode("latin-1").lower(), value.decode("latin-1"))
                 for name, value in head.headers)


@lru_cache(maxsize=2)
def _date_for(second: int) -> str:
    return formatdate(second, usegmt=True)


def _http_date() -> str:
    """The Date header, formatted once per second rather than once per response."""
    return _date_for(int(time.time()))


@lru_cache(maxsize=64)
def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
