"""One map of the connection layer's errors to failure kinds (diagnostics/failures.py): the
monitor's and HTTP/2 probe's kinds, the probes' failed tries and the burst's outcomes are all
read off it."""

from __future__ import annotations

import pytest

from seatctl.diagnostics.burst import outcome_of_failure
from seatctl.diagnostics.failures import (
    FailureKind,
    TryFailure,
    classify_failure,
    failure_kind,
    try_failure,
)
from seatctl.diagnostics.h2connection import Http2StreamReset
from seatctl.diagnostics.results import BurstOutcome, failed_try
from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    DNSError,
    NetworkError,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    ResponseError,
    SeatctlError,
    TLSError,
)

BEFORE, MID = ResetWhen.BEFORE_RESPONSE, ResetWhen.MID_RESPONSE


def stream_reset(when: ResetWhen = BEFORE) -> Http2StreamReset:
    return Http2StreamReset("stream reset", code=7, when=when, reused=False)


@pytest.mark.parametrize(("error", "kind"), [
    (ConnectionReset("reset", when=BEFORE, reused=False), FailureKind.RESET),
    (ConnectionClosed("closed", when=MID, reused=True), FailureKind.CLOSED),
    (stream_reset(), FailureKind.STREAM_RESET),
    (ReadTimeout("slow", seconds=1.0), FailureKind.TIMEOUT),
    (TLSError("handshake"), FailureKind.TLS),
    (ProtocolViolation("broken"), FailureKind.PROTOCOL),
    (ConnectionRefused("refused"), FailureKind.REFUSED),
    (DNSError("no such host"), FailureKind.DNS),
    (SeatctlError("anything else"), FailureKind.OTHER),
])
def test_each_error_has_one_kind(error: SeatctlError, kind: FailureKind) -> None:
    assert failure_kind(error) is kind
    assert classify_failure(error).kind is kind
    assert classify_failure(error).message == error.message


@pytest.mark.parametrize(("error", "failure"), [
    (ConnectionReset("reset", when=BEFORE, reused=False), TryFailure.RESET),
    (ConnectionClosed("closed", when=BEFORE, reused=False), TryFailure.CLOSED),
    (ConnectionReset("reset", when=MID, reused=False), TryFailure.MID_RESPONSE),
    (ConnectionClosed("closed", when=MID, reused=False), TryFailure.MID_RESPONSE),
    (stream_reset(), TryFailure.CLOSED),
    (stream_reset(MID), TryFailure.MID_RESPONSE),
    (ConnectionRefused("refused"), TryFailure.REFUSED),
])
def test_a_failed_try_is_refused_or_cut_before_or_in_the_response(
        error: ConnectionCut | ConnectionRefused, failure: TryFailure) -> None:
    assert try_failure(error) is failure
    assert failed_try(2, 0.5, error).failure is failure


@pytest.mark.parametrize(("error", "outcome"), [
    (ConnectionReset("reset", when=MID, reused=True), BurstOutcome.RESET),
    (ConnectionClosed("closed", when=BEFORE, reused=True), BurstOutcome.CLOSED),
    (ReadTimeout("slow", seconds=1.0), BurstOutcome.TIMEOUT),
    (ConnectionRefused("refused"), BurstOutcome.ERROR),
    (TLSError("handshake"), BurstOutcome.ERROR),
    (ProtocolViolation("broken"), BurstOutcome.ERROR),
])
def test_a_burst_request_that_failed_counts_as_reset_closed_timeout_or_error(
        error: NetworkError | ResponseError, outcome: BurstOutcome) -> None:
    assert outcome_of_failure(error) is outcome
