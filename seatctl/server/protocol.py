"""HTTP/1.1 connections on asyncio streams + h11, with the timing of Node's http.Server.

Theory of operation. A connection alternates between two waits, each with its own clock:

* idle: after a response has been written, the server waits `keep_alive_timeout` for the
  first byte of the next request, then closes with a FIN. This is the race behind the
  client-side ECONNRESET: a client that reuses the connection just as the server closes
  it sends its request into a dying socket.
* receiving: from the moment a request starts (the accept for the first request, the first
  byte for later ones), the headers must be complete within `headers_timeout` and the whole
  request within `request_timeout`, or the server answers 408 and closes.

A value of 0 disables a timeout, as in Node; `keep_alive_timeout = 0` disables keep-alive
(every response says `Connection: close`). h11 owns the protocol state; this module owns
the clock and the socket; handlers see only `Request` and `Response`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from http import HTTPStatus

import h11

from seatctl import __version__
from seatctl.server.config import ConnectionTimeouts, FaultKind
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Handler, Request, Response

READ_SIZE = 65536
SERVER_HEADER = f"seatctl-reference/{__version__}"
PROXY_502_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>502 Bad Gateway</h1><p>The upstream service did not respond. This page was served "
    b"by the platform's proxy, not by the application.</p></body></html>"
)


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str
    status: int | None  # None: no response was sent (reset, closed)
    milliseconds: float
    client: str
    note: str = ""  # the fault or timeout behind an unusual ending


RequestLog = Callable[[LogEntry], None]


class _Timeout(Exception):
    """The current wait's deadline passed."""


class _IdleTimeout(Exception):
    """No next request within the keep-alive timeout."""


class _PeerGone(Exception):
    """The client closed or reset its side."""


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
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._handler = handler
        self._timeouts = timeouts
        self._faults = faults
        self._log = log
        self._max_body = max_body
        self._stopping = stopping
        self._h11 = h11.Connection(h11.SERVER)
        self._loop = asyncio.get_running_loop()
        peer = writer.get_extra_info("peername")
        self._client = str(peer[0]) if peer else "unknown"
        self.idle = True  # between requests: safe to close at shutdown
        self._served = 0

    async def serve(self) -> None:
        try:
            if self._faults and self._faults.on_accept() is not None:
                self._log_entry("-", "-", None, self._loop.time(), "reset-on-accept")
                self._reset()
                return
            while not self._stopping.is_set():
                if not await self._one_exchange():
                    break
        except _PeerGone:
            pass
        finally:
            await self._close()

    def close_if_idle(self) -> None:
        """At shutdown: an idle connection is closed now, a busy one after its response."""
        if self.idle:
            self._writer.close()

    async def _one_exchange(self) -> bool:
        """Serve one request; returns whether the connection stays open for another."""
        started = self._loop.time() if self._served == 0 else None
        try:
            request_event, started = await self._receive_head(started)
        except _IdleTimeout:
            return False  # the keep-alive timeout: a clean close, no response owed
        except _Timeout:
            await self._send_raw_error(408, "Request timeout: headers not received in time")
            return False
        except h11.RemoteProtocolError as exc:
            await self._send_raw_error(exc.error_status_hint, f"Bad request: {exc}")
            return False
        if request_event is None:
            return False
        self.idle = False
        return await self._respond_to(request_event, started)

    async def _receive_head(self, started: float | None) -> tuple[h11.Request | None, float]:
        """Wait (idle, then within the headers deadline) for the request line and headers."""
        while True:
            event = self._h11.next_event()
            if isinstance(event, h11.Request):
                return event, started if started is not None else self._loop.time()
            if isinstance(event, h11.ConnectionClosed):
                return None, started or 0.0
            if event is h11.PAUSED:
                return None, started or 0.0
            if started is None:
                try:
                    data = await self._read(self._idle_deadline())
                except _Timeout:
                    raise _IdleTimeout from None
                started = self._loop.time()
            else:
                data = await self._read(self._head_deadline(started))
            self._h11.receive_data(data)

    async def _respond_to(self, head: h11.Request, started: float) -> bool:
        method = head.method.decode("ascii", "replace")
        target = head.target.decode("ascii", "replace")
        path = target.split("?", 1)[0]
        too_large = self._declared_length(head) > self._max_body
        if too_large:
            return await self._finish(method, path, started, Response.error(
                413, f"Request body larger than {self._max_body} bytes"), close=True)
        try:
            body = await self._receive_body(started)
        except _Timeout:
            await self._send_error_response(method, path, started, 408,
                                            "Request timeout: body not received in time")
            return False
        except _BodyTooLarge:
            return await self._finish(method, path, started, Response.error(
                413, f"Request body larger than {self._max_body} bytes"), close=True)
        except h11.RemoteProtocolError as exc:
            await self._send_error_response(method, path, started, exc.error_status_hint,
                                            f"Bad request: {exc}")
            return False
        request = Request(method, target, _headers(head), body, self._client)
        return await self._dispatch(request, started)

    async def _dispatch(self, request: Request, started: float) -> bool:
        fault = self._faults.on_request(request.path) if self._faults else None
        if fault is not None and fault.kind is FaultKind.CLOSE_WITHOUT_RESPONSE:
            self._log_entry(request.method, request.path, None, started, fault.kind.value)
            return False
        if fault is not None and fault.kind is FaultKind.PROXY_502:
            page = Response(502, PROXY_502_PAGE, [("Content-Type", "text/html")])
            return await self._finish(request.method, request.path, started, page,
                                      note=fault.kind.value)
        if fault is not None and fault.kind is FaultKind.STALL:
            await asyncio.sleep(fault.seconds)
        response = await self._call_handler(request)
        if fault is not None and fault.kind is FaultKind.RESET_BEFORE_RESPONSE:
            self._log_entry(request.method, request.path, None, started, fault.kind.value)
            self._reset()
            raise _PeerGone
        note = fault.kind.value if fault is not None else ""
        return await self._finish(request.method, request.path, started, response, note=note)

    async def _call_handler(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except Exception:  # a bug in a handler must not take the server down
            import traceback

            traceback.print_exc()
            return Response.error(500, "Internal server error")

    async def _finish(self, method: str, path: str, started: float, response: Response, *,
                      close: bool = False, note: str = "") -> bool:
        """Write the response; returns whether the connection stays open."""
        self._served += 1
        keep_alive = not close and self._keeps_alive()
        await self._write_response(method, response, keep_alive)
        self._log_entry(method, path, response.status, started, note)
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
        if self._stopping.is_set() or self._timeouts.keep_alive_timeout == 0:
            return False
        return not (limit and self._served >= limit)

    async def _write_response(self, method: str, response: Response, keep_alive: bool) -> None:
        headers = [
            ("Date", _http_date()),
            ("Server", SERVER_HEADER),
            *response.headers,
            ("Content-Length", str(len(response.body))),
        ]
        if keep_alive:
            headers.append(("Connection", "keep-alive"))
            advertised = self._timeouts.advertised_keep_alive
            if advertised is not None:
                headers.append(("Keep-Alive", f"timeout={advertised:g}"))
        else:
            headers.append(("Connection", "close"))
        data = self._h11.send(h11.Response(status_code=response.status, headers=headers,
                                           reason=_reason(response.status)))
        if method != "HEAD" and response.body:
            data += self._h11.send(h11.Data(data=response.body))
        data += self._h11.send(h11.EndOfMessage())
        await self._write(data)

    async def _send_error_response(self, method: str, path: str, started: float, status: int,
                                   message: str) -> None:
        """An error once the request head is known: through h11 when it allows, else raw."""
        if self._h11.our_state is h11.SEND_RESPONSE:
            await self._finish(method, path, started, Response.error(status, message),
                               close=True)
        else:
            await self._send_raw_error(status, message)
            self._log_entry(method, path, status, started, "")

    async def _send_raw_error(self, status: int, message: str) -> None:
        """An error before h11 has a request to answer (timeouts, malformed heads)."""
        response = Response.error(status, message)
        head = (f"HTTP/1.1 {status} {_reason(status)}\r\nDate: {formatdate(usegmt=True)}\r\n"
                f"Server: {SERVER_HEADER}\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n")
        try:
            await self._write(head.encode("latin-1") + response.body)
        except _PeerGone:
            return
        self._log_entry("-", "-", status, self._loop.time(), "before a complete head")

    async def _receive_body(self, started: float) -> bytes:
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
                self._h11.receive_data(await self._read(self._body_deadline(started)))

    def _declared_length(self, head: h11.Request) -> int:
        for name, value in head.headers:
            if name == b"content-length":
                return int(value)
        return 0

    def _idle_deadline(self) -> float | None:
        return self._loop.time() + self._timeouts.keep_alive_timeout

    def _head_deadline(self, started: float) -> float | None:
        limits = [t for t in (self._timeouts.headers_timeout, self._timeouts.request_timeout)
                  if t > 0]
        return started + min(limits) if limits else None

    def _body_deadline(self, started: float) -> float | None:
        timeout = self._timeouts.request_timeout
        return started + timeout if timeout > 0 else None

    async def _read(self, deadline: float | None) -> bytes:
        timeout = None if deadline is None else max(0.0, deadline - self._loop.time())
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(READ_SIZE)
        except TimeoutError:
            raise _Timeout from None
        except (ConnectionError, OSError):
            raise _PeerGone from None

    async def _write(self, data: bytes) -> None:
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError):
            raise _PeerGone from None

    def _reset(self) -> None:
        """Close with a TCP RST instead of a FIN: SO_LINGER on, with a zero timeout."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def _close(self) -> None:
        if self._writer.transport.is_closing():
            return
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    def _log_entry(self, method: str, path: str, status: int | None, started: float,
                   note: str) -> None:
        if self._log is None:  # no log wanted: not even the entry is built
            return
        elapsed = (self._loop.time() - started) * 1000
        self._log(LogEntry(method, path, status, elapsed, self._client, note))


class _BodyTooLarge(Exception):
    pass


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

