"""What a probe's or a sample's request met, as one word: the connection layer's classified
errors (seatctl.errors) mapped once, for the HTTP/2 probe and the monitor alike."""

from __future__ import annotations

from enum import StrEnum

from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    DNSError,
    PhaseTimeout,
    ProtocolViolation,
    SeatctlError,
    TLSError,
)


class FailureKind(StrEnum):
    RESET = "reset"  # TCP reset
    CLOSED = "closed"  # FIN before a complete response
    STREAM_RESET = "stream-reset"  # RST_STREAM on the request's stream (HTTP/2)
    TIMEOUT = "timeout"
    TLS = "tls"
    PROTOCOL = "protocol"  # the server broke the protocol
    REFUSED = "refused"
    DNS = "dns"
    OTHER = "other"


# In order: the first class an error is an instance of decides. A cut that is neither a TCP
# reset nor a FIN is an HTTP/2 stream's reset (Http2StreamReset, a ConnectionCut).
_KINDS: tuple[tuple[type[SeatctlError], FailureKind], ...] = (
    (ConnectionReset, FailureKind.RESET),
    (ConnectionClosed, FailureKind.CLOSED),
    (ConnectionCut, FailureKind.STREAM_RESET),
    (PhaseTimeout, FailureKind.TIMEOUT),
    (TLSError, FailureKind.TLS),
    (ProtocolViolation, FailureKind.PROTOCOL),
    (ConnectionRefused, FailureKind.REFUSED),
    (DNSError, FailureKind.DNS),
)


def failure_kind(error: SeatctlError) -> FailureKind:
    return next((kind for cls, kind in _KINDS if isinstance(error, cls)), FailureKind.OTHER)
