"""translate() fed the httpx exceptions directly.

Every class below is also produced for real on loopback in the other files (connect, write
and pool timeouts included); these cover the mapping table itself, the branches no loopback
server can reach (an unclassified socket error, a transport error with no OS cause) and
the pass-through rules.
"""

from __future__ import annotations

import errno
import socket
import ssl

import httpx
import pytest

from seatctl.errors import (
    CertificateUntrusted,
    ConnectionRefused,
    ConnectionReset,
    ConnectTimeout,
    DNSError,
    NetworkError,
    NotFound,
    Phase,
    PhaseTimeout,
    PoolTimeout,
    ReadTimeout,
    ResetWhen,
    SeatctlError,
    TLSError,
    WriteTimeout,
)
from seatctl.http import Attempt, Timeouts, classify_os_error, translate
from tests.http.conftest import OneLine

TIMEOUTS = Timeouts(connect=0.25, read=2.0, write=3.0, pool=0.5)
ATTEMPT = Attempt("api.test:443", TIMEOUTS)


def caused_by(wrapper: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    wrapper.__cause__ = cause
    return wrapper


@pytest.mark.parametrize(("exc", "error_class", "phase", "seconds", "fragment"), [
    (httpx.ConnectTimeout("x"), ConnectTimeout, Phase.CONNECT, 0.25, "connect timeout (0.25s)"),
    (httpx.ReadTimeout("x"), ReadTimeout, Phase.READ, 2.0, "read timeout (2s)"),
    (httpx.WriteTimeout("x"), WriteTimeout, Phase.WRITE, 3.0, "write timeout (3s)"),
    (httpx.PoolTimeout("x"), PoolTimeout, Phase.POOL, 0.5, "pool timeout (0.5s)"),
])
def test_each_httpx_timeout_becomes_the_timeout_of_its_phase(
    exc: httpx.TimeoutException, error_class: type[PhaseTimeout], phase: Phase, seconds: float,
    fragment: str, one_line: OneLine,
) -> None:
    error = translate(exc, ATTEMPT)

    assert type(error) is error_class
    assert error.phase is phase and error.seconds == seconds
    one_line(error, "api.test:443", fragment)


def test_a_read_timeout_after_the_headers_says_the_response_stalled(one_line: OneLine) -> None:
    error = translate(httpx.ReadTimeout("x"), Attempt("api.test:443", TIMEOUTS,
                                                       response_started=True))

    one_line(error, "stopped sending the response within the read timeout")


@pytest.mark.parametrize(("cause", "error_class"), [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), DNSError),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), ConnectionRefused),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), CertificateUntrusted),
    (ssl.SSLError(1, "wrong version number"), TLSError),
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), ConnectionReset),
    (ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"),
     ConnectionReset),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), ConnectionReset),
    (OSError(errno.EHOSTUNREACH, "No route to host"), NetworkError),
])
def test_the_root_os_error_decides_the_class(
    cause: OSError, error_class: type[SeatctlError], one_line: OneLine,
) -> None:
    error = translate(caused_by(httpx.ConnectError("x"), cause), ATTEMPT)

    assert type(error) is error_class
    one_line(error, "api.test")


def test_an_unclassified_socket_error_is_a_plain_network_error_naming_it(one_line: OneLine) -> None:
    error = classify_os_error(OSError(errno.EHOSTUNREACH, "No route to host"), "api.test:443")

    assert type(error) is NetworkError and error.retryable is True
    one_line(error, "network error talking to api.test:443: No route to host")


def test_a_transport_error_without_an_os_cause_is_a_plain_network_error(one_line: OneLine) -> None:
    error = translate(httpx.ProxyError("proxy said no"), ATTEMPT)

    assert type(error) is NetworkError
    one_line(error, "network error talking to api.test:443: proxy said no")


def test_a_reset_keeps_when_and_reused_from_the_attempt() -> None:
    attempt = Attempt("api.test:443", TIMEOUTS, reused=True, response_started=True)
    cause = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")

    error = translate(caused_by(httpx.ReadError("x"), cause), attempt)

    assert isinstance(error, ConnectionReset)
    assert error.when is ResetWhen.MID_RESPONSE and error.reused is True


def test_a_seatctl_error_passes_through_unchanged() -> None:
    original = NotFound("not found (404): /x", status_code=404)

    assert translate(original, ATTEMPT) is original


def test_a_foreign_bug_is_not_disguised_as_a_network_error() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("bug"), ATTEMPT)
