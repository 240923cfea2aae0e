"""Connection diagnostics (`seatctl doctor`): raw HTTP/1.1 connections and the probes that
measure a server's keep-alive, timing and reuse behaviour. A library: nothing here prints.

    from seatctl.diagnostics import keep_alive_probe

    result = await keep_alive_probe("https://api.example.com", max_wait=75)
"""

from seatctl.diagnostics.connection import (
    DEFAULT_PATH,
    DEFAULT_TIMEOUTS,
    CloseKind,
    ConnectOptions,
    ConnectTiming,
    IdleClose,
    RawConnection,
    RawResponse,
    Target,
    TLSInfo,
    connect,
    parse_target,
)
from seatctl.diagnostics.probes import (
    ConnectionEnd,
    KeepAliveHint,
    KeepAliveResult,
    Percentiles,
    RaceAttempt,
    RaceOutcome,
    RaceResult,
    RequestsPerConnectionResult,
    TimingResult,
    TimingSample,
    keep_alive_probe,
    parse_keep_alive,
    percentiles,
    requests_per_connection_probe,
    reuse_race_probe,
    timing_probe,
)

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_TIMEOUTS",
    "CloseKind",
    "ConnectOptions",
    "ConnectTiming",
    "ConnectionEnd",
    "IdleClose",
    "KeepAliveHint",
    "KeepAliveResult",
    "Percentiles",
    "RaceAttempt",
    "RaceOutcome",
    "RaceResult",
    "RawConnection",
    "RawResponse",
    "RequestsPerConnectionResult",
    "TLSInfo",
    "Target",
    "TimingResult",
    "TimingSample",
    "connect",
    "keep_alive_probe",
    "parse_keep_alive",
    "parse_target",
    "percentiles",
    "requests_per_connection_probe",
    "reuse_race_probe",
    "timing_probe",
]
