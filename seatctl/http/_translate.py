"""The one boundary where httpx/httpcore/ssl/socket errors become seatctl errors.

The most specific class wins: the root cause (an OSError or ssl error at the bottom of the
`__cause__` chain) decides before the httpx class that wraps it. The raw-socket diagnostics
call `classify_os_error` directly, so both see the same classes and messages.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from seatctl.errors import (
    CertificateUntrusted,
    ConnectionClosed,
    ConnectionRefused,
    ConnectionReset,
    ConnectTimeout,
    DNSError,
    NetworkError,
    PoolTimeout,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    SeatctlError,
    TLSError,
    UsageError,
    WriteTimeout,
)
from seatctl.http._timeouts import Timeouts

# Where each hint points; one place to change when the commands they name arrive.
DOCTOR_HINT = ("compare the server's keep-alive timeout with its proxy's and the client's; "
               "`seatctl -v ...` shows whether the connection was reused")
LOGIN_HINT = "the token is missing, expired or invalid: run `seatctl login`"
NETWORK_HINT = "check the URL and the network path to the server, then retry"
SERVER_BUG_HINT = "the server (or a proxy) is misbehaving; `--trace` shows the exchange"
RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE})


@dataclass(frozen=True)
class Attempt:
    """What the trace saw of one attempt, so errors can say where they happened."""

    target: str  # host:port
    timeouts: Timeouts
    reused: bool | None = None
    response_started: bool = False

    @property
    def when(self) -> ResetWhen:
        return ResetWhen.MID_RESPONSE if self.response_started else ResetWhen.BEFORE_RESPONSE


def translate(exc: Exception, attempt: Attempt) -> SeatctlError:
    """Map any exception raised while sending a request to the seatctl tree."""
    if isinstance(exc, SeatctlError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return _timeout(exc, attempt)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return UsageError(f"invalid URL: {exc}", hint="check --base-url")
    if isinstance(exc, httpx.LocalProtocolError):
        # Its text quotes the offending header, which may be the Authorization header.
        return UsageError("the request could not be sent: a header value is not valid HTTP",
                          hint="check the token and other settings for stray characters")
    if isinstance(exc, httpx.RemoteProtocolError):
        return _remote_protocol(exc, attempt)
    if isinstance(exc, httpx.DecodingError):
        return ProtocolViolation(f"{attempt.target} sent a body that cannot be decoded: {exc}",
                                 hint=SERVER_BUG_HINT)
    root = root_cause(exc)
    if isinstance(root, OSError):
        return classify_os_error(root, attempt.target, when=attempt.when, reused=attempt.reused)
    if isinstance(exc, httpx.TransportError):
        detail = str(exc) or type(exc).__name__
        return NetworkError(f"network error talking to {attempt.target}: {detail}",
                            hint=NETWORK_HINT)
    raise exc


def classify_os_error(
    exc: OSError, target: str, *, when: ResetWhen = ResetWhen.BEFORE_RESPONSE,
    reused: bool | None = None,
) -> NetworkError:
    """Name a socket-level failure: DNS, refused, TLS, reset, closed, or other."""
    if isinstance(exc, socket.gaierror):
        host = target.rsplit(":", 1)[0]
        return DNSError(f"cannot resolve host {host!r} ({exc.strerror or exc})",
                        hint="check the URL's host name and your DNS")
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return ConnectionRefused(f"connection refused by {target}: nothing is listening there",
                                 hint="is the server running? check --base-url")
    # `verify_message` and `reason` are set only on errors raised by the _ssl module itself.
    reason = getattr(exc, "reason", None)
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = getattr(exc, "verify_message", None) or reason or exc
        return CertificateUntrusted(
            f"TLS certificate of {target} is not trusted: {why}",
            hint="trust its CA with `seatctl config set ca_bundle FILE.pem`",
        )
    if isinstance(exc, ssl.SSLError):
        return TLSError(f"TLS handshake with {target} failed: {reason or exc}",
                        hint="check that the URL's scheme and port speak TLS")
    if isinstance(exc, ConnectionResetError | BrokenPipeError) or exc.errno in RESET_ERRNOS:
        return _reset(target, when, reused)
    if isinstance(exc, socket.timeout | TimeoutError):
        return ReadTimeout(f"{target} did not answer in time", seconds=None,
                           hint="raise read_timeout, or retry later")
    return NetworkError(f"network error talking to {target}: {exc.strerror or exc}",
                        hint=NETWORK_HINT)


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of the `raise ... from ...` chain."""
    *_, innermost = _chain(exc)
    return innermost


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _reset(target: str, when: ResetWhen, reused: bool | None) -> ConnectionReset:
    if when is ResetWhen.MID_RESPONSE:
        return ConnectionReset(
            f"connection reset by {target} in the middle of the response (ECONNRESET)",
            when=when, reused=reused,
            hint="the server or a proxy cut the response; " + DOCTOR_HINT,
        )
    if reused:
        return ConnectionReset(
            f"connection reset by {target} before any response (ECONNRESET), "
            "on a reused keep-alive connection",
            when=when, reused=reused,
            hint="the server closed the idle connection as it was reused: its keep-alive "
                 "timeout is shorter than the client's; " + DOCTOR_HINT,
        )
    return ConnectionReset(
        f"connection reset by {target} before any response (ECONNRESET)",
        when=when, reused=reused,
        hint="a proxy or the server dropped the request; " + DOCTOR_HINT,
    )


def _remote_protocol(exc: httpx.RemoteProtocolError, attempt: Attempt) -> SeatctlError:
    text = str(exc)
    root = root_cause(exc)
    if isinstance(root, OSError) and not isinstance(root, ssl.SSLError):
        return classify_os_error(root, attempt.target, when=attempt.when, reused=attempt.reused)
    if "without sending a response" in text or "without sending complete message" in text:
        where = ("in the middle of the response" if attempt.response_started
                 else "without sending a response")
        reused = " (a reused keep-alive connection)" if attempt.reused else ""
        return ConnectionClosed(
            f"{attempt.target} closed the connection {where}{reused}",
            when=attempt.when, reused=attempt.reused, hint=DOCTOR_HINT,
        )
    return ProtocolViolation(f"{attempt.target} broke the HTTP protocol: {text}",
                             hint=SERVER_BUG_HINT)


def _timeout(exc: httpx.TimeoutException, attempt: Attempt) -> SeatctlError:
    target, timeouts = attempt.target, attempt.timeouts
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectTimeout(
            f"no connection to {target} within the connect timeout ({timeouts.connect:.3g}s)",
            seconds=timeouts.connect, hint="check the host and port, or raise connect_timeout",
        )
    if isinstance(exc, httpx.WriteTimeout):
        return WriteTimeout(
            f"could not send the request to {target} within the write timeout "
            f"({timeouts.write:.3g}s)", seconds=timeouts.write, hint="raise write_timeout",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return PoolTimeout(
            f"no free connection to {target} within the pool timeout ({timeouts.pool:.3g}s)",
            seconds=timeouts.pool, hint="raise pool_timeout",
        )
    where = "stopped sending the response" if attempt.response_started else "sent no response"
    return ReadTimeout(
        f"{target} {where} within the read timeout ({timeouts.read:.3g}s)",
        seconds=timeouts.read,
        hint="the server or a proxy is stalled; raise read_timeout, or retry later",
    )
