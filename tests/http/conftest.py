"""Loopback servers, fakes and client factories for the HTTP-core tests.

`raw_server` (tests/support/rawserver.py), `make_client` and `scripted`
(tests/support/clients.py) are registered here from the test kit; pytest-httpserver's
`httpserver` is pinned to 127.0.0.1 for every test by tests/conftest.py.

Everything binds 127.0.0.1 only. Every server thread has a bounded lifetime: handlers block
on sockets with a timeout or on the server's `stopping` event, and the fixtures stop, join
and close everything at teardown, so no thread or socket outlives its test. Tests
synchronise on `threading.Event`s, never on sleeps.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable, Iterator

import httpx
import pytest
import trustme

from seatctl.clock import ManualClock
from seatctl.errors import SeatctlError
from tests.support.clients import RecordingObserver, make_client, scripted
from tests.support.rawserver import LIFETIME, LOOPBACK, raw_server

# The fixtures registered from the kit, and the kit's names test modules still import from here
__all__ = ["make_client", "raw_server", "scripted"]  # the kit's fixtures, registered here

# --- raw socket servers -----------------------------------------------------------------


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


# --- fakes --------------------------------------------------------------------------------


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
def reset_error() -> Callable[[], httpx.ReadError]:
    """A factory of the httpx error a TCP reset produces (see `connection_reset`)."""
    return connection_reset


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
