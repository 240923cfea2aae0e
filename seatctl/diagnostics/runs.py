"""The state of one doctor run as plain data: the plan (what to measure, every probe's bound),
each probe's state (pending, running, done, failed, skipped, cut) and the results as they
arrive. Sans-IO, like the rules that read it (`findings`): `doctor` runs the probes and fills
it in; the report and the live display read it.

A probe can be cut short: by Ctrl-C (`DoctorRun.mark_interrupted`), by the run's deadline
(`DoctorPlan.time_limit`, the global --timeout) or by its own bound. A cut probe is
`ProbeState.CUT` with `cut_by` and the time it had run, never a failure: the report must not
take a cut for something the server did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from seatctl.diagnostics.bounds import (
    BURST_TIME_LIMIT,
    DEFAULT_RACE_OFFSETS,
    HTTP2_SLACK_S,
    MAX_TRIES,
    MAX_WAIT_CEILING,
    PROBE_TRIES,
    REQUESTS_TIME_LIMIT,
)
from seatctl.diagnostics.results import (
    BurstResult,
    Http2Result,
    IdleClose,
    IdleRaceResult,
    KeepAliveResult,
    RawResponse,
    RequestsPerConnectionResult,
    RequestTally,
    SlowClientResult,
    TimingResult,
    keep_alive_result,
)
from seatctl.diagnostics.targets import ConnectOptions, parse_target
from seatctl.errors import UsageError

DEFAULT_MAX_WAIT = 75.0
SLOW_CLIENT_INTERVAL = 0.5  # seconds between trickled bytes
MIN_SLOW_CLIENT_INTERVAL = 0.02
RACE_STAGGER = max(DEFAULT_RACE_OFFSETS)  # the keep-alive connection starts this much later
BOUND_SLACK = 5.0  # seconds a probe may run past its own wait: connects, requests, closes


@dataclass(frozen=True)
class DoctorPlan:
    """What to measure, and the bounds of every probe."""

    url: str
    origin: str | None = None
    path: str | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    quick: bool = False
    lb_idle_timeout: float | None = None  # stated by the user; None: documented or assumed
    client_expiry: float | None = None  # stated by the user; None: the common default
    samples: int = 5
    requests_limit: int = 200
    burst_connections: int = 10
    burst_requests: int = 20
    connect: ConnectOptions = field(default_factory=ConnectOptions)
    time_limit: float | None = None  # seconds the whole run may take (--timeout); None: any
    tries: int = PROBE_TRIES  # of a probe's request cut before its response
    http1: bool = True  # the HTTP/1.1 probes (False: --http2)
    http2: bool = True  # the HTTP/2 probe, where it can run (False: --http1)
    h2c: bool = False  # HTTP/2 with prior knowledge on http:// (--h2c)

    def __post_init__(self) -> None:
        for url in (self.url, self.origin):
            if url is not None:
                _check_url(url, self.path)
        self._check_protocols()
        if not 0 < self.max_wait <= MAX_WAIT_CEILING:
            raise UsageError(f"--max-wait must be more than 0 and at most "
                             f"{MAX_WAIT_CEILING:g} seconds")
        for name, value in (("--lb-idle-timeout", self.lb_idle_timeout),
                            ("--client-expiry", self.client_expiry)):
            if value is not None and not 0 < value <= 86400:
                raise UsageError(f"{name} must be more than 0 and at most 86400 seconds")
        if self.time_limit is not None and not self.time_limit > 0:
            raise UsageError("the run's time limit (--timeout) must be more than 0 seconds")
        if not 1 <= self.tries <= MAX_TRIES:
            raise UsageError(f"tries must be within 1..{MAX_TRIES}")

    def _check_protocols(self) -> None:
        if not (self.http1 or self.http2):
            raise UsageError("give --http1 or --http2, not both: together they leave no probe")
        if self.h2c and not self.http2:
            raise UsageError("--h2c is an HTTP/2 probe: it cannot go with --http1")
        if self.h2c and _is_https(self.url):
            raise UsageError("--h2c is for http:// URLs: over https HTTP/2 is negotiated "
                             "with ALPN", hint="drop --h2c")

    @property
    def http2_skip_reason(self) -> str | None:
        """Why the HTTP/2 probe does not run; None: it runs."""
        if not self.http2:
            return "--http1"
        if not _is_https(self.url) and not self.h2c:
            return "http:// without --h2c"
        return None

    @property
    def burst_time_limit(self) -> float:
        return min(BURST_TIME_LIMIT, self.max_wait + BOUND_SLACK)

    @property
    def options(self) -> ConnectOptions:
        """The connect options, no phase waiting longer than `max_wait`."""
        return replace(self.connect, timeouts=self.connect.timeouts.clipped(self.max_wait))

    @property
    def slow_client_interval(self) -> float:
        """A byte at least every half second, and at least 20 bytes within the wait."""
        return max(MIN_SLOW_CLIENT_INTERVAL, min(SLOW_CLIENT_INTERVAL, self.max_wait / 20))


def _check_url(url: str, path: str | None) -> None:
    parse_target(url, path)  # refuses what is not http(s)
    if urlsplit(url.strip()).username is not None:
        raise UsageError("the URL carries credentials; the doctor sends none: remove them",
                         hint="diagnosing connections needs no login")


def _is_https(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() == "https"


class Probe(StrEnum):
    TIMING = "timing"
    KEEPALIVE = "keepalive"  # with the reuse race, in the same idle wait
    REQUESTS = "requests_per_connection"
    BURST = "burst"
    SLOW_CLIENT = "slow_client"
    ORIGIN = "origin"
    HTTP2 = "http2"  # ALPN, SETTINGS, the h2 idle close, PINGs, the GOAWAY race


HTTP1_PROBES = (Probe.TIMING, Probe.KEEPALIVE, Probe.REQUESTS, Probe.BURST, Probe.SLOW_CLIENT,
                Probe.ORIGIN)


class ProbeState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CUT = "cut"  # stopped from outside before it finished: see `cut_by`


class CutBy(StrEnum):
    INTERRUPTED = "interrupted"  # Ctrl-C
    DEADLINE = "deadline"  # the run's --timeout, or the probe's own bound


def cut_words(cut_by: CutBy | None) -> str:
    """How a run that did not finish ended, in a few words for a report."""
    if cut_by is CutBy.INTERRUPTED:
        return "interrupted"
    if cut_by is CutBy.DEADLINE:
        return "cut by the --timeout deadline"
    return "not finished"


PROBE_NAMES: dict[Probe, str] = {  # as the report's probe table names them
    Probe.TIMING: "timing", Probe.KEEPALIVE: "keep-alive",
    Probe.REQUESTS: "requests per connection", Probe.BURST: "burst",
    Probe.SLOW_CLIENT: "slow client", Probe.ORIGIN: "origin", Probe.HTTP2: "HTTP/2",
}


PROBE_DOING: dict[Probe, str] = {
    Probe.TIMING: "timing fresh connections (DNS, connect, TLS, first byte)",
    Probe.KEEPALIVE: "waiting for the server to close an idle connection; racing reuse",
    Probe.REQUESTS: "counting requests one connection serves",
    Probe.BURST: "bursting concurrent requests",
    Probe.SLOW_CLIENT: "trickling headers and a body to find the server's timeouts",
    Probe.ORIGIN: "waiting for the origin to close an idle connection",
    Probe.HTTP2: "HTTP/2: waiting for GOAWAY on an idle connection; PINGs; racing GOAWAY",
}


@dataclass
class ProbeRun:
    probe: Probe
    state: ProbeState = ProbeState.PENDING
    bound_s: float = 0.0  # the longest it may take
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None  # FAILED: the classified error; SKIPPED: why; CUT: what cut it
    cut_by: CutBy | None = None  # CUT only

    def elapsed(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at if self.ended_at is not None else now) - self.started_at

    def cut(self, by: CutBy, why: str, now: float) -> None:
        self.state, self.cut_by, self.error = ProbeState.CUT, by, why
        self.ended_at = now if self.ended_at is None else self.ended_at

    def cut_description(self) -> str:
        """"interrupted after 3.2 s", "cut by the --timeout deadline before it started":
        what cut the probe, and when."""
        why = self.error or (self.cut_by.value if self.cut_by else "cut")
        if self.started_at is None:
            return f"{why} before it started"
        return f"{why} after {self.elapsed(self.ended_at or self.started_at):.1f} s"


@dataclass
class DoctorRun:
    """Filled in as probes finish; readable at any moment (the live display reads it)."""

    plan: DoctorPlan
    clock: Callable[[], float] = time.monotonic
    started_at: float = 0.0
    ended_at: float | None = None
    timing: TimingResult | None = None
    idle: IdleRaceResult | None = None
    requests: RequestsPerConnectionResult | None = None
    burst: BurstResult | None = None
    slow_client: SlowClientResult | None = None
    origin: KeepAliveResult | None = None
    http2: Http2Result | None = None
    # The HTTP/2 result so far, once its idle wait has begun: kept when the probe is cut.
    http2_so_far: Callable[[], Http2Result] | None = None
    first_response: RawResponse | None = None  # the preflight's: headers for the edge
    keep_alive_response: RawResponse | None = None  # the idle wait has begun after it
    runs: dict[Probe, ProbeRun] = field(default_factory=dict)
    # Requests on fresh connections, each try counted: "preflight" and per probe (by value).
    tallies: dict[str, RequestTally] = field(default_factory=dict)
    cut_by: CutBy | None = None  # the whole run was cut short (Ctrl-C, --timeout)

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self.clock()
        if not self.runs:
            _plan_runs(self)
        for name in TALLIED:
            self.tallies.setdefault(name, RequestTally())

    @property
    def keep_alive(self) -> KeepAliveResult | None:
        return self.idle.keep_alive if self.idle else None

    @property
    def complete(self) -> bool:
        """Every probe ended by itself (done, failed, skipped, or cut by its own bound) and
        the run was not cut short."""
        return self.cut_by is None and all(
            run.state not in (ProbeState.PENDING, ProbeState.RUNNING)
            for run in self.runs.values())

    def elapsed(self) -> float:
        return (self.ended_at if self.ended_at is not None else self.clock()) - self.started_at

    def fresh_requests(self) -> RequestTally:
        """The tallies of the target's requests on fresh connections (the origin's apart:
        another server)."""
        merged = RequestTally()
        for name, tally in self.tallies.items():
            if name != Probe.ORIGIN.value:
                merged.sent += tally.sent
                merged.failed.extend(tally.failed)
        return merged

    def mark_interrupted(self) -> None:
        """After Ctrl-C: see `mark_cut`."""
        self.mark_cut(CutBy.INTERRUPTED, "interrupted")

    def mark_cut(self, by: CutBy, why: str) -> None:
        """Unfinished probes marked cut by `by`; an idle wait already begun counts as a
        lower bound."""
        keep_idle_lower_bound(self, f"{why} before the idle close")
        keep_http2_so_far(self)
        now = self.clock()
        for run in self.runs.values():
            if run.state in (ProbeState.PENDING, ProbeState.RUNNING):
                run.cut(by, why, now)
        self.cut_by = self.cut_by or by
        if self.ended_at is None:
            self.ended_at = now


TALLIED = ("preflight", "timing", "keepalive", "requests_per_connection", "origin", "http2")


def keep_idle_lower_bound(run: DoctorRun, why: str) -> None:
    """The keep-alive probe cut during its idle wait: the time waited is a lower bound."""
    waited = run.keep_alive_response
    if run.idle is not None or waited is None:
        return
    # RawResponse times are the event loop's clock: time.monotonic.
    open_for = IdleClose(seconds=time.monotonic() - waited.ended_at, kind=None,
                         lower_bound=True)
    run.idle = IdleRaceResult(keep_alive_result(waited, open_for, run.plan.max_wait),
                              None, why)


def keep_http2_so_far(run: DoctorRun) -> None:
    """The HTTP/2 probe cut during its idle wait: ALPN, SETTINGS and the first response are
    kept, the time waited a lower bound of its idle close (a GOAWAY already seen, kept)."""
    if run.http2 is None and run.http2_so_far is not None:
        run.http2 = run.http2_so_far()


def _plan_runs(run: DoctorRun) -> None:
    plan = run.plan
    bounds = {
        Probe.TIMING: plan.max_wait,
        Probe.KEEPALIVE: plan.max_wait + RACE_STAGGER,  # the race's stagger first
        Probe.REQUESTS: min(REQUESTS_TIME_LIMIT, plan.max_wait),
        Probe.BURST: plan.burst_time_limit,
        Probe.SLOW_CLIENT: plan.max_wait,
        Probe.ORIGIN: plan.max_wait,
        Probe.HTTP2: plan.max_wait + HTTP2_SLACK_S,  # the PING connection's watch past it
    }
    for probe in Probe:
        run.runs[probe] = ProbeRun(probe, bound_s=bounds[probe])
    skips = {Probe.SLOW_CLIENT: "--quick" if plan.quick else None,
             Probe.ORIGIN: "no --origin" if plan.origin is None else None,
             Probe.HTTP2: plan.http2_skip_reason}
    if not plan.http1:
        skips.update(dict.fromkeys(HTTP1_PROBES, "--http2"))
    for probe, why in skips.items():
        if why is not None:
            run.runs[probe].state, run.runs[probe].error = ProbeState.SKIPPED, why
