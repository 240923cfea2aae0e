"""One raw HTTP/2 connection: TLS with ALPN offering h2 (or h2c with prior knowledge on
http://, only when asked), the sans-IO `h2` state machine on top of asyncio streams.

Two layers, as with h11 in `connection.py`: `H2Session` does no I/O (bytes in, bytes out,
and what the probes record: the server's SETTINGS, GOAWAY frames, streams, PING answers;
the frames as the plain data of `results`); `Http2Connection` reads and writes them with
the same connect path, per-phase timeouts and error classification as the HTTP/1.1
connection (`open_stream`, `classify_os_error`).

GOAWAY frames are read here and never handed to `h2`: once `h2` has seen one it refuses
every further frame and every request, and the probes must see what comes after (the
transport's end, the answer to a request that crossed the GOAWAY).

Times are the event loop's monotonic clock (`loop.time()`), in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from seatctl.diagnostics.connection import (
    READ_SIZE,
    USER_AGENT,
    close_stream,
    open_stream,
    tls_info,
    write_within,
)
from seatctl.diagnostics.results import (
    CloseKind,
    ConnectTiming,
    Goaway,
    Headers,
    Http2Response,
    Http2Settings,
    TLSInfo,
)
from seatctl.diagnostics.targets import ConnectOptions, Target
from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionReset,
    NetworkError,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    UsageError,
)
from seatctl.http import Timeouts, classify_os_error

H2_ALPN = ("h2", "http/1.1")  # what a browser offers: the edge picks
H2C = "h2c"  # the protocol name of HTTP/2 over plain TCP, with prior knowledge
FRAME_HEADER_SIZE = 9
GOAWAY_FRAME = 0x7
GOAWAY_FIXED_SIZE = 8  # last stream id and error code; debug data follows
DEBUG_DATA_LIMIT = 200  # characters of a GOAWAY's debug data kept
IDLE_FRAMES_LIMIT = 20  # frame names kept of what the server sends while idle
CLIENT_SETTINGS = {
    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
    h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
    h2.settings.SettingCodes.ENABLE_PUSH: 0,  # a probe has no use for pushed responses
}
FRAME_NAMES = {0x0: "DATA", 0x1: "HEADERS", 0x2: "PRIORITY", 0x3: "RST_STREAM",
               0x4: "SETTINGS", 0x5: "PUSH_PROMISE", 0x6: "PING", 0x7: "GOAWAY",
               0x8: "WINDOW_UPDATE", 0x9: "CONTINUATION"}


def error_name(code: int) -> str:
    """An HTTP/2 error code's name (`NO_ERROR`, `REFUSED_STREAM`), else its hex value."""
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return f"0x{code:x}"


class Http2StreamReset(ConnectionCut):
    """The server reset the request's stream (RST_STREAM) before a complete response."""

    def __init__(self, message: str, *, code: int, when: ResetWhen, reused: bool | None,
                 hint: str | None = None) -> None:
        super().__init__(message, when=when, reused=reused, hint=hint)
        self.code = code


@dataclass(frozen=True)
class TransportEnd:
    kind: CloseKind
    at: float


@dataclass
class StreamState:
    """A request's stream, as it stands."""

    stream_id: int
    sent_at: float
    status: int | None = None
    headers: Headers = ()
    first_byte_at: float | None = None
    body_bytes: int = 0
    ended_at: float | None = None
    reset_code: int | None = None
    reset_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.ended_at is not None or self.reset_code is not None

    def response(self) -> Http2Response | None:
        if self.status is None or self.ended_at is None or self.first_byte_at is None:
            return None
        return Http2Response(self.stream_id, self.status, self.headers, self.body_bytes,
                             self.sent_at, self.first_byte_at, self.ended_at)


@dataclass
class PingRecord:
    sent_at: float
    acked_at: float | None = None


@dataclass
class H2Session:
    """The client side of one HTTP/2 connection, without I/O: `preface()`, `request()` and
    `ping()` return bytes to send; `receive()` takes bytes read and returns the bytes `h2`
    answers with (SETTINGS and PING acknowledgements, WINDOW_UPDATEs)."""

    authority: str
    scheme: str
    settings: Http2Settings | None = None
    goaways: list[Goaway] = field(default_factory=list)
    streams: dict[int, StreamState] = field(default_factory=dict)
    pings: dict[bytes, PingRecord] = field(default_factory=dict)
    frames: list[tuple[str, float]] = field(default_factory=list)  # (frame name, arrival)
    _buffer: bytearray = field(default_factory=bytearray)
    _ping_ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2.local_settings = h2.settings.Settings(client=True,
                                                       initial_values=CLIENT_SETTINGS)

    @property
    def goaway(self) -> Goaway | None:
        """The first GOAWAY received."""
        return self.goaways[0] if self.goaways else None

    def preface(self) -> bytes:
        self._h2.initiate_connection()
        return self._h2.data_to_send()

    def request(self, method: str, path: str, extra: Sequence[tuple[str, str]], now: float
                ) -> tuple[int, bytes]:
        """A request without a body: its stream id and the bytes that send it."""
        stream_id = self._h2.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", self.scheme),
                   (":authority", self.authority), (":path", path),
                   ("user-agent", USER_AGENT), ("accept", "*/*"), *extra]
        self._h2.send_headers(stream_id, headers, end_stream=True)
        self.streams[stream_id] = StreamState(stream_id, sent_at=now)
        return stream_id, self._h2.data_to_send()

    def ping(self, now: float) -> bytes:
        opaque = next(self._ping_ids).to_bytes(8, "big")
        self._h2.ping(opaque)
        self.pings[opaque] = PingRecord(sent_at=now)
        return self._h2.data_to_send()

    def close(self) -> bytes:
        """A GOAWAY (NO_ERROR) that ends the connection politely."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.close_connection()
        return self._h2.data_to_send()

    def connection_window(self) -> int:
        return self._h2.outbound_flow_control_window

    def receive(self, data: bytes, now: float) -> bytes:
        """Handle bytes from the server; h2's protocol errors raise h2.exceptions.ProtocolError."""
        self._buffer += data
        for frame in self._complete_frames():
            self.frames.append((FRAME_NAMES.get(frame[3], f"0x{frame[3]:x}"), now))
            if frame[3] == GOAWAY_FRAME and len(frame) >= FRAME_HEADER_SIZE + GOAWAY_FIXED_SIZE:
                self.goaways.append(_goaway(frame[FRAME_HEADER_SIZE:], now))
            else:
                self._handle(self._h2.receive_data(frame), now)
        return self._h2.data_to_send()

    def _complete_frames(self) -> list[bytes]:
        frames: list[bytes] = []
        while len(self._buffer) >= FRAME_HEADER_SIZE:
            length = int.from_bytes(self._buffer[:3], "big")
            if length > self._h2.max_inbound_frame_size:
                # h2 would wait for all of it first: an HTTP/1.1 answer reads as a 4 MB frame.
                raise _overlong(bytes(self._buffer[:FRAME_HEADER_SIZE]), length,
                                self._h2.max_inbound_frame_size)
            if len(self._buffer) < FRAME_HEADER_SIZE + length:
                break
            frames.append(bytes(self._buffer[:FRAME_HEADER_SIZE + length]))
            del self._buffer[:FRAME_HEADER_SIZE + length]
        return frames

    def _handle(self, events: Sequence[h2.events.Event], now: float) -> None:
        for event in events:
            if isinstance(event, h2.events.RemoteSettingsChanged) and self.settings is None:
                self.settings = _settings(event, self.connection_window())
            elif isinstance(event, h2.events.ResponseReceived):
                self._on_response(event, now)
            elif isinstance(event, h2.events.DataReceived):
                self._on_data(event)
            elif isinstance(event, h2.events.StreamEnded):
                self._on_end(event, now)
            elif isinstance(event, h2.events.StreamReset):
                self._on_reset(event, now)
            elif isinstance(event, h2.events.PingAckReceived):
                record = self.pings.get(event.ping_data)
                if record is not None and record.acked_at is None:
                    record.acked_at = now
            # WINDOW_UPDATE, PING from the server (h2 acknowledges it), trailers, 1xx: nothing
            # the probes record beyond the frame itself.

    def _on_response(self, event: h2.events.ResponseReceived, now: float) -> None:
        status, headers = _split_headers(event.headers or [])

        def record(stream: StreamState) -> None:
            stream.status, stream.headers, stream.first_byte_at = status, headers, now

        self._stream(event.stream_id, record)

    def _on_data(self, event: h2.events.DataReceived) -> None:
        def count(stream: StreamState) -> None:
            stream.body_bytes += len(event.data or b"")

        self._stream(event.stream_id, count)
        if event.stream_id is not None:
            # Consumed at once: the server's window never fills (the body is counted only).
            self._h2.acknowledge_received_data(event.flow_controlled_length or 0,
                                               event.stream_id)

    def _on_end(self, event: h2.events.StreamEnded, now: float) -> None:
        def record(stream: StreamState) -> None:
            stream.ended_at = now

        self._stream(event.stream_id, record)

    def _on_reset(self, event: h2.events.StreamReset, now: float) -> None:
        def record(stream: StreamState) -> None:
            stream.reset_code, stream.reset_at = int(event.error_code), now

        self._stream(event.stream_id, record)

    def _stream(self, stream_id: int | None, update: Callable[[StreamState], None]) -> None:
        stream = self.streams.get(stream_id) if stream_id is not None else None
        if stream is not None:
            update(stream)


class _Http1Answer(h2.exceptions.ProtocolError):
    def __init__(self, version: str) -> None:
        super().__init__("it answered in HTTP/1.x on an HTTP/2 connection")
        self.version = version


class AnsweredInHttp1(ProtocolViolation):
    """The server answered an HTTP/2 connection in HTTP/1.x: after ALPN chose h2, a broken
    server; with h2c (prior knowledge), one that does not speak h2c."""

    def __init__(self, message: str, *, version: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.version = version  # "1.1", "1.0", or "1.x" when the status line said no more


def _overlong(header: bytes, length: int, limit: int) -> h2.exceptions.ProtocolError:
    if header.startswith(b"HTTP/"):
        version = header[5:8].decode("ascii", errors="replace")
        return _Http1Answer(version if version in ("1.0", "1.1") else "1.x")
    return h2.exceptions.FrameTooLargeError(
        f"received a frame of {length} bytes, more than the {limit} this client accepts")


def _goaway(payload: bytes, now: float) -> Goaway:
    last_stream_id = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
    code = int.from_bytes(payload[4:8], "big")
    debug = payload[8:].decode("utf-8", errors="replace")[:DEBUG_DATA_LIMIT] or None
    return Goaway(error_code=code, error_name=error_name(code), last_stream_id=last_stream_id,
                  debug_data=debug, received_at=now)


def _settings(event: h2.events.RemoteSettingsChanged, window: int) -> Http2Settings:
    received = {int(code): change.new_value for code, change in event.changed_settings.items()}
    codes = h2.settings.SettingCodes

    def flag(code: int) -> bool | None:
        value = received.get(code)
        return None if value is None else bool(value)

    return Http2Settings(
        max_concurrent_streams=received.get(codes.MAX_CONCURRENT_STREAMS),
        initial_window_size=received.get(codes.INITIAL_WINDOW_SIZE),
        max_frame_size=received.get(codes.MAX_FRAME_SIZE),
        max_header_list_size=received.get(codes.MAX_HEADER_LIST_SIZE),
        enable_push=flag(codes.ENABLE_PUSH),
        header_table_size=received.get(codes.HEADER_TABLE_SIZE),
        enable_connect_protocol=flag(codes.ENABLE_CONNECT_PROTOCOL),
        received=tuple(received.items()),
        connection_window=window,
    )


def _split_headers(raw: Sequence[tuple[bytes | str, bytes | str]]) -> tuple[int, Headers]:
    status = 0
    headers: list[tuple[str, str]] = []
    for name, value in raw:
        key, text = _text(name).lower(), _text(value)
        if key == ":status":
            if not (text.isdigit() and len(text) == 3):
                raise h2.exceptions.ProtocolError(f"invalid :status {text!r}")
            status = int(text)
        elif not key.startswith(":"):
            headers.append((key, text))
    return status, tuple(headers)


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class Http2Connection:
    """Open with `open_http2(target, options)`; `speaks_h2` says whether the server took
    HTTP/2 (over TLS, ALPN decides; h2c is assumed, as prior knowledge does)."""

    def __init__(self, target: Target, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, timing: ConnectTiming, started_at: float,
                 timeouts: Timeouts, *, h2c: bool) -> None:
        self.target = target
        self.timing = timing
        self.started_at = started_at  # before DNS
        self.tls: TLSInfo | None = None if h2c else tls_info(writer)
        self.alpn_offered: tuple[str, ...] = () if h2c else H2_ALPN
        self.protocol: str | None = H2C if h2c else (self.tls.alpn if self.tls else None)
        self.session = H2Session(target.authority, target.scheme)
        self.ended: TransportEnd | None = None
        self.responses = 0
        self._reader = reader
        self._writer = writer
        self._timeouts = timeouts
        self._loop = asyncio.get_running_loop()
        self._cut: ConnectionCut | None = None  # how the transport ended, as an error

    @property
    def speaks_h2(self) -> bool:
        return self.protocol in ("h2", H2C)

    @property
    def goaway(self) -> Goaway | None:
        return self.session.goaway

    @property
    def closing(self) -> bool:
        """A GOAWAY has arrived, or the transport has ended."""
        return self.goaway is not None or self.ended is not None

    async def start(self) -> None:
        """The client preface and SETTINGS; the server's SETTINGS are read with what follows."""
        await self._send(self.session.preface())

    async def request(self, method: str = "GET", path: str | None = None) -> Http2Response:
        """Send one request without a body, read its whole response (the body is counted)."""
        stream = await self.send_request(method, path)
        while not stream.finished:
            if self.ended is not None:
                raise self._ended_error(stream)
            if self.goaway is not None and stream.stream_id > self.goaway.last_stream_id:
                raise self._not_processed(stream, self.goaway)
            await self._receive(self._timeouts.read, stream)
        response = stream.response()
        if response is None:
            raise self._reset_error(stream)
        self.responses += 1
        return response

    async def send_request(self, method: str = "GET", path: str | None = None
                           ) -> StreamState:
        if self.ended is not None:
            raise self._ended_error(None)
        try:
            stream_id, data = self.session.request(method, path or self.target.path, (),
                                                   self._loop.time())
        except h2.exceptions.ProtocolError as exc:
            raise self._violation(exc) from None
        stream = self.session.streams[stream_id]
        await self._send(data)
        stream.sent_at = self._loop.time()
        return stream

    async def ping(self) -> None:
        await self._send(self.session.ping(self._loop.time()))

    async def read_until(self, deadline: float, done: Callable[[], bool],
                         wake: asyncio.Future[Any] | None = None) -> None:
        """Read and handle frames until `done()`, the transport's end, `deadline` (loop
        time) or `wake` completing, whichever comes first."""
        while not done() and self.ended is None:
            remaining = deadline - self._loop.time()
            if remaining <= 0 or (wake is not None and wake.done()):
                return
            await self._receive(remaining, None, wake=wake, idle=True)

    async def aclose(self) -> None:
        if self.ended is None and self.speaks_h2:
            with contextlib.suppress(OSError, RuntimeError):
                self._writer.write(self.session.close())
        await close_stream(self._writer)

    async def _receive(self, timeout: float, stream: StreamState | None, *,
                       wake: asyncio.Future[Any] | None = None, idle: bool = False) -> None:
        data = await self._read(timeout, stream, wake, idle)
        if data is None:
            return
        now = self._loop.time()
        try:
            answer = self.session.receive(data, now)
        except h2.exceptions.ProtocolError as exc:
            raise self._violation(exc) from None
        if answer and self.ended is None:
            # Acknowledgements only: when the transport is gone, `ended` says so (and how).
            with contextlib.suppress(ConnectionCut):
                await self._send(answer)

    async def _read(self, timeout: float, stream: StreamState | None,
                    wake: asyncio.Future[Any] | None, idle: bool) -> bytes | None:
        """Bytes read; None when the wait ended first (only for idle waits) or the transport
        ended (recorded in `ended`)."""
        try:
            data = await self._read_or_wake(timeout, wake)
        except TimeoutError:
            if idle:
                return None
            raise self._read_timeout(stream) from None
        except OSError as exc:
            error = self._classify(exc, stream)
            if not isinstance(error, ConnectionCut):
                raise error from None
            self._end(CloseKind.RESET if isinstance(error, ConnectionReset) else CloseKind.FIN,
                      error)
            return None
        if data == b"":
            self._end(CloseKind.FIN, None)
            return None
        return data  # None: `wake` came first

    async def _read_or_wake(self, timeout: float, wake: asyncio.Future[Any] | None
                            ) -> bytes | None:
        """A read within `timeout` (TimeoutError after it); b"" at EOF; None when `wake`
        completed first (the read is cancelled: unread bytes stay in the reader)."""
        if wake is None:
            async with asyncio.timeout(timeout):
                return await self._reader.read(READ_SIZE)
        read: asyncio.Future[bytes] = asyncio.ensure_future(self._reader.read(READ_SIZE))
        try:
            await asyncio.wait([read, wake], timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await read
        if read.cancelled():
            if wake.done():
                return None
            raise TimeoutError
        return read.result()

    def _end(self, kind: CloseKind, error: ConnectionCut | None) -> None:
        if self.ended is None:
            self.ended = TransportEnd(kind, self._loop.time())
            self._cut = error

    async def _send(self, data: bytes) -> None:
        try:
            await write_within(self._writer, data, self._timeouts.write,
                               f"to {self.target.label}")
        except (OSError, RuntimeError) as exc:
            # A transport closed under us (TLS closes it on the peer's FIN) fails as lost.
            if self._reader.at_eof() or isinstance(exc, RuntimeError):
                self._end(CloseKind.FIN, None)
                raise self._ended_error(None) from None
            error = classify_os_error(exc, self.target.label, reused=self.responses > 0)
            if isinstance(error, ConnectionCut):
                self._end(CloseKind.RESET if isinstance(error, ConnectionReset)
                          else CloseKind.FIN, error)
            raise error from None

    def _classify(self, exc: OSError, stream: StreamState | None) -> NetworkError:
        return classify_os_error(exc, self.target.label, when=_when(stream),
                                 reused=self.responses > 0)

    def _read_timeout(self, stream: StreamState | None) -> ReadTimeout:
        where = ("stopped sending the response" if stream is not None and stream.status
                 else "sent nothing")
        return ReadTimeout(f"{self.target.label} {where} within the read timeout "
                           f"({self._timeouts.read:.3g}s)", seconds=self._timeouts.read)

    def _ended_error(self, stream: StreamState | None) -> ConnectionCut:
        if self._cut is not None:
            return self._cut
        reused = " (a reused HTTP/2 connection)" if self.responses else ""
        where = ("in the middle of the response" if stream is not None and stream.status
                 else "without sending a response")
        after = f" after a GOAWAY ({self.goaway.error_name})" if self.goaway else ""
        return ConnectionClosed(
            f"{self.target.label} closed the connection {where}{after}{reused}",
            when=_when(stream), reused=self.responses > 0)

    def _not_processed(self, stream: StreamState, goaway: Goaway) -> ConnectionClosed:
        return ConnectionClosed(
            f"{self.target.label} sent a GOAWAY ({goaway.error_name}, last stream "
            f"{goaway.last_stream_id}) that leaves the request (stream {stream.stream_id}) "
            "unprocessed: safe to retry", when=ResetWhen.BEFORE_RESPONSE,
            reused=self.responses > 0)

    def _reset_error(self, stream: StreamState) -> Http2StreamReset:
        code = stream.reset_code if stream.reset_code is not None else 0
        where = "in the middle of the response" if stream.status else "before any response"
        retry = (" (not processed: safe to retry)"
                 if code == h2.errors.ErrorCodes.REFUSED_STREAM else "")
        return Http2StreamReset(
            f"{self.target.label} reset the HTTP/2 stream {where} with "
            f"{error_name(code)}{retry}", code=code, when=_when(stream),
            reused=self.responses > 0)

    def _violation(self, exc: h2.exceptions.ProtocolError) -> ProtocolViolation:
        if isinstance(exc, _Http1Answer):
            return AnsweredInHttp1(f"{self.target.label} broke the HTTP/2 protocol: {exc}",
                                   version=exc.version,
                                   hint="the server (or a proxy) is misbehaving")
        return ProtocolViolation(f"{self.target.label} broke the HTTP/2 protocol: {exc}",
                                 hint="the server (or a proxy) is misbehaving")


def _when(stream: StreamState | None) -> ResetWhen:
    started = stream is not None and stream.status is not None
    return ResetWhen.MID_RESPONSE if started else ResetWhen.BEFORE_RESPONSE


async def open_http2(target: Target, options: ConnectOptions | None = None, *,
                     h2c: bool = False) -> Http2Connection:
    """TCP (and TLS offering h2 and http/1.1), then the HTTP/2 preface when the server took
    h2 (or `h2c`: HTTP/2 on plain TCP, with prior knowledge). The caller closes it."""
    if h2c == target.uses_tls:
        raise UsageError("h2c (HTTP/2 with prior knowledge) is for http:// URLs only; "
                         "https:// negotiates HTTP/2 with ALPN" if h2c else
                         f"HTTP/2 on {target.scheme}:// needs h2c (prior knowledge)")
    options = options or ConnectOptions()
    started = asyncio.get_running_loop().time()
    reader, writer, timing = await open_stream(target, options, alpn=H2_ALPN)
    connection = Http2Connection(target, reader, writer, timing, started, options.timeouts,
                                 h2c=h2c)
    try:
        if connection.speaks_h2:
            await connection.start()
    except BaseException:
        await connection.aclose()
        raise
    return connection


@asynccontextmanager
async def connect_http2(target: Target, options: ConnectOptions | None = None, *,
                        h2c: bool = False) -> AsyncIterator[Http2Connection]:
    """An open Http2Connection, closed on exit."""
    connection = await open_http2(target, options, h2c=h2c)
    try:
        yield connection
    finally:
        await connection.aclose()
