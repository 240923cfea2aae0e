"""Loopback servers, fakes and client factories for the HTTP-core tests.

Everything here binds 127.0.0.1 only. Every server thread has a bounded lifetime: handlers
block on sockets with a timeout or on the server's `stopping` event, and the fixtures stop,
join and close everything at teardown, so no thread or socket outlives its test. Tests
synchronise on `threading.Event`s, never on sleeps.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from pytest_httpserver import HTTPServer

from seatctl.clock import Clock, Deadline, ManualClock
from seatctl.errors import SeatctlError
from seatctl.http import ApiClient, ClientConfig, Exchange, RetryPolicy, Timeouts
from tests.support.rawserver import LIFETIME, LOOPBACK, Handler, RawServer

FAST = Timeouts(connect=0.5, read=0.5, write=0.5, pool=0.5)
"""Per-phase timeouts small enough that a hung test fails in well under a second."""


# --- raw socket servers -----------------------------------------------------------------


StartRawServer = Callable[..., RawServer]
"""`raw_server(handler, tls=None, rcvbuf=None)`: a started RawServer."""


@pytest.fixture
def raw_server() -> Iterator[StartRawServer]:
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

    def __init__(self, *steps: Step, clock: ManualClock | None = None,
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


Scripted = Callable[..., ScriptedTransport]
"""`scripted(*steps, elapse=0.0)`: see the fixture."""


def connection_reset() -> httpx.ReadError:
    """What httpx raises when the peer resets: a ReadError caused by ECONNRESET."""
    error = httpx.ReadError("[Errno 104] Connection reset by peer")
    error.__cause__ = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    return error


@pytest.fixture
def clock() -> ManualClock:
    """The clock of a test's client: at 1000.0, moved only by sleeps and `advance`."""
    return ManualClock(1000.0)


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
def scripted(clock: ManualClock) -> Scripted:
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


MakeClient = Callable[..., ApiClient]
"""`make_client(base_url, **options)`: see the fixture."""


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
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


OneLine = Callable[..., None]
"""`one_line(error, *fragments)`: see `check_message`."""


@pytest.fixture
def one_line() -> OneLine:
    """`one_line(error, *fragments)`: see `check_message`."""
    return check_message
