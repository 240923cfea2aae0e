"""One raw HTTP/1.1 connection (asyncio streams + h11, TLS through `ssl`), every phase timed.

httpx hides the connection; the diagnostics must see it: how long DNS, TCP and TLS took,
whether the server keeps the socket after a response, and when and how (FIN or reset) it
closes it. Times are the event loop's monotonic clock (`loop.time()`), in seconds; what is
measured comes back as the plain data of `results` (RawResponse, IdleClose, ConnectTiming).

Socket failures become seatctl errors through the HTTP core's `classify_os_error`, so the
diagnostics and every other command name a failure alike.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import h11

from seatctl import __version__
from seatctl.diagnostics.results import (
    CloseKind,
    ConnectTiming,
    Headers,
    IdleClose,
    RawResponse,
    TLSInfo,
)

# Re-exported (`as`): commands and other packages still import them from here.
from seatctl.diagnostics.targets import ConnectOptions, Target, default_timeouts
from seatctl.errors import (
    ConnectionClosed,
    ConnectionReset,
    ConnectTimeout,
    NetworkError,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    UsageError,
    WriteTimeout,
)
from seatctl.http import Timeouts, classify_os_error

DEFAULT_TIMEOUTS = default_timeouts()
USER_AGENT = f"seatctl-doctor/{__version__}"
READ_SIZE = 65536
ERROR_BODY_KEPT = 2048  # bytes of an error page kept, enough to name who wrote it
# A TLS close waits for the peer's close_notify (asyncio's default: 30 s); a diagnosis
# must not hang on a peer that never sends it.
CLOSE_WAIT = 1.0
SECONDS_PER_DAY = 86400.0
HTTP1_ALPN = ("http/1.1",)  # what the HTTP/1.1 probes offer: they speak nothing else


class RawConnection:
    """Open with `connect(target)` (or `await RawConnection.open(target)` and `aclose()`)."""

    def __init__(self, target: Target, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, timing: ConnectTiming, started_at: float,
                 timeouts: Timeouts) -> None:
        self.target = target
        self.timing = timing
        self.started_at = started_at  # before DNS
        self.tls = tls_info(writer) if target.uses_tls else None
        self.responses = 0
        self.last_response: RawResponse | None = None
        self._reader = reader
        self._writer = writer
        self._timeouts = timeouts
        self._h11 = h11.Connection(h11.CLIENT)
        self._loop = asyncio.get_running_loop()
        self._response_started = False

    @classmethod
    async def open(cls, target: Target, options: ConnectOptions | None = None
                   ) -> RawConnection:
        options = options or ConnectOptions()
        started = asyncio.get_running_loop().time()
        reader, writer, timing = await open_stream(target, options)
        return cls(target, reader, writer, timing, started, options.timeouts)

    @property
    def reusable(self) -> bool:
        """Whether HTTP allows another request (the server did not say `Connection: close`)."""
        return self._h11.our_state is h11.IDLE and self._h11.their_state is h11.IDLE

    @property
    def fin_received(self) -> bool:
        """The server's FIN has arrived and nothing unread precedes it."""
        return self._reader.at_eof() and self._reader.exception() is None

    async def request(self, method: str = "GET", path: str | None = None,
                      headers: Sequence[tuple[str, str]] = (), body: bytes = b""
                      ) -> RawResponse:
        """Send one request (with `body`, its Content-Length in `headers`) and read its
        whole response (the body is counted, not kept)."""
        if not self.reusable:
            raise ConnectionClosed(
                f"{self.target.label} announced it closes this connection",
                when=ResetWhen.BEFORE_RESPONSE, reused=True)
        self._response_started = False
        sent_at = await self._send_request(method, path or self.target.path, headers, body)
        response = await self._read_response(sent_at)
        self.responses += 1
        self.last_response = response
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        return response

    async def wait_for_close(self, max_wait: float) -> IdleClose:
        """After a complete response, read (and discard) until the server closes, for at most
        `max_wait` seconds from the end of that response."""
        if self.last_response is None:
            raise ValueError("wait_for_close needs a complete response first")
        since = self.last_response.ended_at
        while True:
            try:
                async with asyncio.timeout(max(0.0, since + max_wait - self._loop.time())):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                return self._idle_close(since, None)
            except OSError as exc:
                error = self._classify(exc)
                if not isinstance(error, ConnectionReset):
                    raise error from None
                return self._idle_close(since, CloseKind.RESET)
            if not data:
                return self._idle_close(since, CloseKind.FIN)

    def _idle_close(self, since: float, kind: CloseKind | None) -> IdleClose:
        return IdleClose(seconds=self._loop.time() - since, kind=kind, lower_bound=kind is None)

    async def aclose(self) -> None:
        await close_stream(self._writer)

    async def _send_request(self, method: str, path: str, extra: Sequence[tuple[str, str]],
                            body: bytes = b"") -> float:
        headers = [("Host", self.target.authority), ("User-Agent", USER_AGENT),
                   ("Accept", "*/*"), *extra]
        request = h11.Request(method=method, target=path, headers=headers)
        data = self._h11.send(request) or b""
        if body:
            data += self._h11.send(h11.Data(data=body)) or b""
        data += self._h11.send(h11.EndOfMessage()) or b""
        try:
            await write_within(self._writer, data, self._timeouts.write,
                               f"the request to {self.target.label}")
        except OSError as exc:
            # Over TLS a FIN closes the transport, and writing then fails as a lost
            # connection: what the client meets is still a close before any response.
            if self.fin_received:
                raise self._closed_error() from None
            raise self._classify(exc) from None
        return self._loop.time()

    async def _read_response(self, sent_at: float) -> RawResponse:
        head: h11.Response | None = None
        first_byte_at: float | None = None
        body_bytes = 0
        kept = bytearray()
        while True:
            event = self._next_event()
            if event is h11.NEED_DATA:
                data = await self._read_some()
                if data and first_byte_at is None:
                    first_byte_at = self._loop.time()
                self._h11.receive_data(data)
            elif isinstance(event, h11.Response):
                head = event
                self._response_started = True
            elif isinstance(event, h11.Data):
                body_bytes += len(event.data)
                if head is not None and head.status_code >= 400 \
                        and len(kept) < ERROR_BODY_KEPT:
                    kept += event.data[:ERROR_BODY_KEPT - len(kept)]
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None and first_byte_at is not None  # h11's order
                return self._response(head, body_bytes, sent_at, first_byte_at, bytes(kept))
            elif isinstance(event, h11.ConnectionClosed):
                raise self._closed_error()
            elif event is h11.PAUSED:  # a protocol switch, which was never asked for
                raise ProtocolViolation(f"{self.target.label} switched protocols unasked")
            # InformationalResponse (1xx): the real response follows.

    def _response(self, head: h11.Response, body_bytes: int, sent_at: float,
                  first_byte_at: float, error_body: bytes) -> RawResponse:
        return RawResponse(
            status=head.status_code, http_version=head.http_version.decode("ascii"),
            headers=_decode_headers(head.headers), body_bytes=body_bytes, sent_at=sent_at,
            first_byte_at=first_byte_at, ended_at=self._loop.time(),
            keeps_alive=self._h11.their_state is not h11.MUST_CLOSE, error_body=error_body,
        )

    def _next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        try:
            return self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            if self._h11.their_state is h11.ERROR and self._reader.at_eof():
                raise self._closed_error() from None
            raise ProtocolViolation(f"{self.target.label} broke the HTTP protocol: {exc}",
                                    hint="the server (or a proxy) is misbehaving") from None

    async def _read_some(self) -> bytes:
        try:
            async with asyncio.timeout(self._timeouts.read):
                return await self._reader.read(READ_SIZE)
        except TimeoutError:
            where = "stopped sending the response" if self._response_started else "sent nothing"
            raise ReadTimeout(
                f"{self.target.label} {where} within the read timeout "
                f"({self._timeouts.read:.3g}s)", seconds=self._timeouts.read,
            ) from None
        except OSError as exc:
            raise self._classify(exc) from None

    @property
    def _when(self) -> ResetWhen:
        return ResetWhen.MID_RESPONSE if self._response_started else ResetWhen.BEFORE_RESPONSE

    def _classify(self, exc: OSError) -> NetworkError:
        return classify_os_error(exc, self.target.label, when=self._when,
                                 reused=self.responses > 0)

    def _closed_error(self) -> ConnectionClosed:
        where = ("in the middle of the response" if self._response_started
                 else "without sending a response")
        reused = " (a reused keep-alive connection)" if self.responses else ""
        return ConnectionClosed(f"{self.target.label} closed the connection {where}{reused}",
                                when=self._when, reused=self.responses > 0)


async def open_stream(target: Target, options: ConnectOptions | None = None, *,
                      alpn: tuple[str, ...] = HTTP1_ALPN,
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, ConnectTiming]:
    """TCP (and TLS for https, offering the protocols `alpn`), each phase timed, without an
    HTTP client on top: for probes that write bytes no complete request is made of, or that
    speak another protocol. The caller closes the writer."""
    options = options or ConnectOptions()
    loop = asyncio.get_running_loop()
    context = (_ssl_context(options.verify_tls, options.ca_bundle, alpn)
               if target.uses_tls else None)
    timeout = options.timeouts.connect
    started = loop.time()
    addresses = await _resolve(target, timeout)
    resolved = loop.time()
    reader, writer, address = await _connect_first(target, addresses, timeout)
    connected = loop.time()
    try:
        if context is not None:
            await _handshake(writer, target, context, timeout)
    except BaseException:
        writer.transport.abort()
        raise
    handshaken = loop.time()
    timing = ConnectTiming(dns_s=resolved - started, connect_s=connected - resolved,
                           tls_s=handshaken - connected if context else None, address=address)
    return reader, writer, timing


async def write_within(writer: asyncio.StreamWriter, data: bytes, seconds: float,
                       what: str) -> None:
    """Send `data`, drained within the write timeout, else WriteTimeout naming `what`."""
    try:
        async with asyncio.timeout(seconds):
            writer.write(data)
            await writer.drain()
    except TimeoutError:
        raise WriteTimeout(f"could not send {what} within the write timeout ({seconds:.3g}s)",
                           seconds=seconds) from None


async def close_stream(writer: asyncio.StreamWriter) -> None:
    """Close, waiting at most CLOSE_WAIT for TLS's close_notify, then abort."""
    writer.close()
    try:
        async with asyncio.timeout(CLOSE_WAIT):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        pass


@asynccontextmanager
async def connect(target: Target, options: ConnectOptions | None = None
                  ) -> AsyncIterator[RawConnection]:
    """An open RawConnection, closed on exit."""
    connection = await RawConnection.open(target, options)
    try:
        yield connection
    finally:
        await connection.aclose()


Address = tuple[int, int, int, str, tuple[Any, ...]]  # as getaddrinfo returns it


async def _resolve(target: Target, timeout: float) -> Sequence[Address]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            return await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise ConnectTimeout(f"host {target.host!r} did not resolve within the connect "
                             f"timeout ({timeout:.3g}s)", seconds=timeout,
                             hint="check the URL's host name and your DNS") from None
    except OSError as exc:
        raise classify_os_error(exc, target.label) from None


async def _connect_first(
    target: Target, addresses: Sequence[Address], timeout: float,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    """TCP to each resolved address in turn until one answers, all within `timeout`."""
    failure: OSError | None = None
    try:
        async with asyncio.timeout(timeout):
            for family, kind, proto, _, sockaddr in addresses:
                try:
                    sock = await _tcp_connect(family, kind, proto, sockaddr)
                except OSError as exc:
                    failure = exc
                    continue
                reader, writer = await asyncio.open_connection(sock=sock)
                return reader, writer, str(sockaddr[0])
    except TimeoutError:
        raise ConnectTimeout(
            f"no connection to {target.label} within the connect timeout ({timeout:.3g}s)",
            seconds=timeout, hint="check the host and port, or raise the connect timeout",
        ) from None
    assert failure is not None  # getaddrinfo returns at least one address or raises
    raise classify_os_error(failure, target.label) from None


async def _tcp_connect(family: int, kind: int, proto: int,
                       sockaddr: tuple[Any, ...]) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


async def _handshake(writer: asyncio.StreamWriter, target: Target, context: ssl.SSLContext,
                     timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await writer.start_tls(context, server_hostname=target.host)
    except TimeoutError:
        raise ConnectTimeout(
            f"no TLS handshake with {target.label} within the connect timeout "
            f"({timeout:.3g}s)", seconds=timeout,
            hint="check that the URL's scheme and port speak TLS") from None
    except OSError as exc:
        raise classify_os_error(exc, target.label) from None


@lru_cache(maxsize=8)
def _ssl_context(verify: bool, ca_bundle: Path | None,
                 alpn: tuple[str, ...] = HTTP1_ALPN) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot read the CA bundle {ca_bundle}: {exc}") from None
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(list(alpn))
    return context


def tls_info(writer: asyncio.StreamWriter) -> TLSInfo:
    """The TLS session of an open stream, as negotiated (all None without TLS)."""
    tls: ssl.SSLObject | None = writer.get_extra_info("ssl_object")
    if tls is None:
        return TLSInfo(None, None, None, None)
    cipher = tls.cipher()
    return TLSInfo(version=tls.version(), alpn=tls.selected_alpn_protocol(),
                   cipher=cipher[0] if cipher else None, cert_days_left=_days_left(tls))


def _days_left(tls: ssl.SSLObject) -> float | None:
    certificate = tls.getpeercert()
    not_after = certificate.get("notAfter") if certificate else None
    if not isinstance(not_after, str):
        return None
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / SECONDS_PER_DAY


def _decode_headers(raw: Sequence[tuple[bytes, bytes]]) -> Headers:
    return tuple((name.decode("latin-1").lower(), value.decode("latin-1"))
                 for name, value in raw)

