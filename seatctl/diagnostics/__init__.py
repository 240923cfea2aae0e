"""Connection diagnostics (`seatctl doctor`): raw HTTP/1.1 connections, the probes that
measure a server's keep-alive, timing, reuse, slow-client and burst behaviour, the front door
identified with its documented defaults, and the rules that turn measurements into findings.
A library: nothing here prints.

    from seatctl.diagnostics import keep_alive_probe

    result = await keep_alive_probe("https://api.example.com", max_wait=75)

    run = await run_doctor(DoctorRun(DoctorPlan("https://api.example.com", quick=True)))
    run = diagnose(DoctorRun(...))  # blocking, on a loop of its own; Ctrl-C: the partial run
    report = build_report(run)

Modules: connection (the raw connection), probes, slow_client, burst, h2connection and h2probe
(HTTP/2: ALPN, SETTINGS, the GOAWAY idle close, PINGs, the GOAWAY race), bounds and tasks (what
the probes share: their argument bounds, their concurrent connections), results (what the
probes measure, as plain data; no I/O), targets (where the probes go and how they connect;
no I/O), failures (errors mapped to failure kinds), edge and defaults (who is in front, and what
is documented of it), identify (the server named from its behaviour), runs (a run's plan and
each probe's state; no I/O), doctor (the workflow), findings and fixes (the rules), report (JSON
and JUnit).
"""

from seatctl.diagnostics.burst import burst_probe
from seatctl.diagnostics.connection import DEFAULT_TIMEOUTS, RawConnection, connect
from seatctl.diagnostics.doctor import diagnose, run_doctor
from seatctl.diagnostics.edge import EdgeResult, Identified, identify
from seatctl.diagnostics.findings import Finding, Severity, Skipped
from seatctl.diagnostics.h2probe import http2_probe
from seatctl.diagnostics.identify import Guess, Inference, infer
from seatctl.diagnostics.probes import (
    keep_alive_probe,
    keep_alive_race_probe,
    requests_per_connection_probe,
    reuse_race_probe,
    timing_probe,
)
from seatctl.diagnostics.report import (
    Report,
    build_report,
    infer_server,
    junit_xml,
    report_json,
)
from seatctl.diagnostics.results import (
    BurstOutcome,
    BurstResult,
    CloseKind,
    ConnectionEnd,
    ConnectTiming,
    GiveUp,
    GiveUpKind,
    Http2Result,
    IdleClose,
    IdleRaceResult,
    KeepAliveHint,
    KeepAliveResult,
    Percentiles,
    RaceAttempt,
    RaceOutcome,
    RaceResult,
    RawResponse,
    RequestsPerConnectionResult,
    SlowClientResult,
    TimingResult,
    TimingSample,
    TLSInfo,
    parse_keep_alive,
    percentiles,
)
from seatctl.diagnostics.runs import DoctorPlan, DoctorRun
from seatctl.diagnostics.slow_client import slow_client_probe
from seatctl.diagnostics.targets import DEFAULT_PATH, ConnectOptions, Target, parse_target

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_TIMEOUTS",
    "BurstOutcome",
    "BurstResult",
    "CloseKind",
    "ConnectOptions",
    "ConnectTiming",
    "ConnectionEnd",
    "DoctorPlan",
    "DoctorRun",
    "EdgeResult",
    "Finding",
    "GiveUp",
    "GiveUpKind",
    "Guess",
    "Http2Result",
    "Identified",
    "IdleClose",
    "IdleRaceResult",
    "Inference",
    "KeepAliveHint",
    "KeepAliveResult",
    "Percentiles",
    "RaceAttempt",
    "RaceOutcome",
    "RaceResult",
    "RawConnection",
    "RawResponse",
    "Report",
    "RequestsPerConnectionResult",
    "Severity",
    "Skipped",
    "SlowClientResult",
    "TLSInfo",
    "Target",
    "TimingResult",
    "TimingSample",
    "build_report",
    "burst_probe",
    "connect",
    "diagnose",
    "http2_probe",
    "identify",
    "infer",
    "infer_server",
    "junit_xml",
    "keep_alive_probe",
    "keep_alive_race_probe",
    "parse_keep_alive",
    "parse_target",
    "percentiles",
    "report_json",
    "requests_per_connection_probe",
    "reuse_race_probe",
    "run_doctor",
    "slow_client_probe",
    "timing_probe",
]
