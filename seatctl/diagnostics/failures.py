"""What a probe's or a sample's request met, as one word: the connection layer's classified
errors (seatctl.errors) mapped once, for the probes, the HTTP/2 probe and the monitor alike.
A failed try of the probes (cut or refused before its response, then tried again) is counted
by the narrower `TryFailure`, read off the same map."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    DNSError,
    PhaseTimeout,
    ProtocolViolation,
    ResetWhen,
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


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str


def classify_failure(error: SeatctlError) -> Failure:
    """A classified error (from the connection layer) as plain data."""
    return Failure(failure_kind(error), error.message)


class TryFailure(StrEnum):
    RESET = "reset"  # reset before any response
    CLOSED = "closed"  # closed (a FIN) without a response
    MID_RESPONSE = "mid-response"  # reset or closed in the middle of the response
    REFUSED = "refused"

    @property
    def words(self) -> str:
        return {TryFailure.RESET: "reset before any response",
                TryFailure.CLOSED: "closed without a response",
                TryFailure.MID_RESPONSE: "cut in the middle of the response",
                TryFailure.REFUSED: "refused"}[self]


# Any other cut before the response (a FIN, an HTTP/2 stream's reset) counts as closed.
_TRY_FAILURES = {FailureKind.RESET: TryFailure.RESET, FailureKind.REFUSED: TryFailure.REFUSED}


def try_failure(error: ConnectionCut | ConnectionRefused) -> TryFailure:
    if isinstance(error, ConnectionCut) and error.when is ResetWhen.MID_RESPONSE:
        return TryFailure.MID_RESPONSE
    return _TRY_FAILURES.get(failure_kind(error), TryFailure.CLOSED)
