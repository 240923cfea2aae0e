"""Loopback servers, fakes and client factories for the HTTP-core tests.

Everything here binds 127.0.0.1 only. Every server thread has a bounded lifetime: handlers
block on sockets with a timeout or on the server's `stopping` event, and the fixtures stop,
join and close everything at teardown, so no thread or socket outlives its test. Tests
synchronise on `threading.Event`s, never on sleeps.
"""

from __future__ import annotations

import errno
import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from pytest_httpserver import HTTPServer

from seatctl.clock import Clock, Deadline
from seatctl.errors import SeatctlError
from seatctl.http import ApiClient, ClientConfig, Exchange, RetryPolicy, Timeouts

LOOPBACK = "127.0.0.1"
LIFETIME = 5.0
"""Upper bound, in seconds, of any blocking wait in a server thread or a test."""

FAST = Timeouts(connect=0.5, read=0.5, write=0.5, pool=0.5)
"""Per-phase timeouts small enough that a hung test fails in well under a second."""


# --- raw socket servers -----------------------------------------------------------------


class Connection:
    """One accepted connection, as a scripted handler drives it."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.server = server
        self._buffer = b""

    def read_request(self) -> bytes:
        """The next request (head and Content-Length body); b"" if the client closed first."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self._buffer += chunk
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        request, self._buffer = head + b"\r\n\r\n" + rest[:length], rest[length:]
        self.server.record(request)
        return request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(
        self, status: str = "200 OK", body: bytes = b'{"status": "success"}',
        headers: Iterable[tuple[str, str]] = (("Content-Type", "application/json"),),
    ) -> None:
        """A complete keep-alive HTTP/1.1 response."""
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.send("\r\n".join(lines).encode() + b"\r\n\r\n" + body)

    def reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER on with a zero timeout, then close."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close_cleanly(self) -> None:
        """Send FIN, then wait (bounded) for the client's own close before closing."""
        self.sock.shutdown(socket.SHUT_WR)
        while self.sock.recv(65536):
            pass
        self.sock.close()

    def hang(self) -> None:
        """Keep the connection open, answering nothing, until the server stops."""
        self.server.stopping.wait(LIFETIME)


Handler = Callable[[Connection], None]


class RawServer:
    """A TCP (optionally TLS) server on 127.0.0.1 that runs `handler` per connection.

    `accepted` counts TCP connections, `handled` those whose handler has finished;
    `requests` holds what `read_request` read; `request_seen` is set on the first request.
    OSErrors in handlers (the client went away, a failed handshake) are collected in
    `socket_errors`; anything else fails the test at teardown.
    """

    def __init__(
        self, handler: Handler, *, tls: ssl.SSLContext | None = None,
        rcvbuf: int | None = None,
    ) -> None:
        self._handler = handler
        self._tls = tls
        self.accepted = 0
        self.requests: list[bytes] = []
        self.socket_errors: list[OSError] = []
        self.failures: list[BaseException] = []
        self.stopping = threading.Event()
        self.request_seen = threading.Event()
        self._lock = threading.Lock()
        self._handled = threading.Condition(self._lock)
        self.handled = 0
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # inherited by accepted sockets: a small receive window
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"raw-{self.port}")
        self._acceptor.start()

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def record(self, request: bytes) -> None:
        with self._lock:
            self.requests.append(request)
        self.request_seen.set()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping.is_set():
                for key, _ in selector.select(timeout=LIFETIME):
                    if key.fileobj is self._wake_r:
                        return
                    sock, _ = self._listener.accept()
                    with self._lock:
                        self.accepted += 1
                    thread = threading.Thread(target=self._serve, args=(sock,),
                                              name=f"raw-{self.port}-{self.accepted}")
                    self._threads.append(thread)
                    thread.start()

    def _serve(self, sock: socket.socket) -> None:
        current = sock
        try:
            sock.settimeout(LIFETIME)
            if self._tls is not None:
                current = self._tls.wrap_socket(sock, server_side=True)
            self._handler(Connection(current, self))
        except OSError as exc:  # includes ssl.SSLError and socket timeouts
            with self._lock:
                self.socket_errors.append(exc)
        except BaseException as exc:
            with self._lock:
                self.failures.append(exc)
        finally:
            current.close()
            sock.close()
            with self._handled:
                self.handled += 1
                self._handled.notify_all()

    def wait_handled(self, count: int = 1) -> bool:
        """Wait (bounded) until `count` connections have been handled and closed."""
        with self._handled:
            return self._handled.wait_for(lambda: self.handled >= count, LIFETIME)

    def stop(self) -> None:
        self.stopping.set()
        self._wake_w.send(b"x")
        self._acceptor.join(LIFETIME)
        for thread in self._threads:
            thread.join(LIFETIME)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        alive = [t.name for t in [self._acceptor, *self._threads] if t.is_alive()]
        assert not alive, f"server threads outlived the test: {alive}"
        if self.failures:
            raise self.failures[0]


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    """A factory: `raw_server(handler, tls=None, rcvbuf=None)` starts a RawServer."""
    servers: list[RawServer] = []

    def start(handler: Handler, **kwargs: Any) -> RawServer:
        server = RawServer(handler, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on: bound to learn a free port, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def full_backlog_port() -> Iterator[int]:
    """A listening port whose accept queue is full, so a new SYN goes unanswered.

    listen(0) leaves room for one queued connection; a blocking connect fills it (it
    returns once the handshake is done), and a few non-blocking ones pile up behind it.
    The kernel drops further SYNs instead of refusing them, so connect() hangs.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.create_connection((LOOPBACK, port), timeout=LIFETIME)]
    for _ in range(3):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        result = filler.connect_ex((LOOPBACK, port))
        assert result in (0, errno.EINPROGRESS, errno.EAGAIN), errno.errorcode.get(result)
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


# --- TLS ----------------------------------------------------------------------------------


def _server_context(tls_ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.fixture(scope="session")
def server_tls(tls_ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate names 127.0.0.1 and localhost."""
    return _server_context(tls_ca, LOOPBACK, "localhost")


@pytest.fixture(scope="session")
def server_tls_other_name(tls_ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate (from the same CA) names another host."""
    return _server_context(tls_ca, "booking.example")


# --- pytest-httpserver ------------------------------------------------------------------


@pytest.fixture
def httpserver(httpserver_ipv4: HTTPServer) -> HTTPServer:
    """pytest-httpserver's server, pinned to 127.0.0.1 (its default host may be ::1)."""
    assert httpserver_ipv4.host == LOOPBACK
    return httpserver_ipv4


# --- fakes --------------------------------------------------------------------------------


class FakeClock:
    """A Clock whose time moves only when something sleeps (or a test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingObserver:
    """An Observer that keeps every exchange and every retry notice."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.retries: list[tuple[int, float, BaseException]] = []

    def exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        self.retries.append((attempt, wait, error))


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class ScriptedTransport(httpx.MockTransport):
    """A MockTransport that plays `steps` in order (a response, an exception to raise, or a
    callable) and records every request; running out of steps fails the test."""

    def __init__(self, *steps: Step, clock: FakeClock | None = None,
                 elapse: float = 0.0) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self._clock, self._elapse = clock, elapse
        super().__init__(self._play)

    def _play(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._clock is not None:
            self._clock.advance(self._elapse)
        assert self.steps, f"unexpected extra request: {request.method} {request.url}"
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


def connection_reset() -> httpx.ReadError:
    """What httpx raises when the peer resets: a ReadError caused by ECONNRESET."""
    error = httpx.ReadError("[Errno 104] Connection reset by peer")
    error.__cause__ = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    return error


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
def scripted(clock: FakeClock) -> Callable[..., ScriptedTransport]:
    """`scripted(*steps, elapse=0.0)`: a ScriptedTransport; each request advances the test's
    fake clock by `elapse` seconds (a slow server, without waiting)."""

    def build(*steps: Step, elapse: float = 0.0) -> ScriptedTransport:
        return ScriptedTransport(*steps, clock=clock, elapse=elapse)

    return build


@pytest.fixture
def reset_error() -> Callable[[], httpx.ReadError]:
    """A factory of the httpx error a TCP reset produces (see `connection_reset`)."""
    return connection_reset


# --- clients ------------------------------------------------------------------------------


@pytest.fixture
def make_client() -> Iterator[Callable[..., ApiClient]]:
    """A factory of ApiClients, all closed at teardown.

    `make_client(base_url, retries=0, timeouts=FAST, policy=None, token=None,
    ca_bundle=None, clock=None, deadline=None, observer=None, transport=None)`.
    """
    clients: list[ApiClient] = []

    def build(
        base_url: str = "http://seatctl.test", *, retries: int = 0,
        timeouts: Timeouts = FAST, policy: RetryPolicy | None = None,
        token: str | None = None, ca_bundle: Path | None = None, verify_tls: bool = True,
        clock: Clock | None = None, deadline: Deadline | None = None,
        observer: RecordingObserver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> ApiClient:
        config = ClientConfig(
            base_url=base_url, timeouts=timeouts, retry=policy or RetryPolicy(retries=retries),
            token=token, ca_bundle=ca_bundle, verify_tls=verify_tls,
        )
        client = ApiClient(config, clock=clock, deadline=deadline, observer=observer,
                           transport=transport)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def check_message(error: SeatctlError, *fragments: str) -> None:
    """The error reads as one helpful line: non-empty, no line breaks, names `fragments`."""
    text = str(error)
    assert error.message.strip(), "empty message"
    assert "\n" not in text and "\r" not in text, f"not one line: {text!r}"
    assert "Traceback" not in text and "httpx." not in text and "httpcore." not in text, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


@pytest.fixture
def one_line() -> Callable[..., None]:
    """`one_line(error, *fragments)`: see `check_message`."""
    return check_message
