"""Builders of synthetic probe results for the doctor's rules and report: frozen results as
the probes make them, with defaults that describe a healthy server (the seed's fix behind a
60 s load balancer), so that a test states only what it changes. No network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.findings import Finding, Outcome
from seatctl.diagnostics.report import Report, build_report
from seatctl.diagnostics.results import (
    BurstOutcome,
    BurstResult,
    CloseKind,
    ConnectionEnd,
    ConnectTiming,
    FailedTry,
    GiveUp,
    GiveUpKind,
    Goaway,
    GoawayRaceOutcome,
    GoawayRaceResult,
    Headers,
    Http2IdleClose,
    Http2Result,
    Http2Settings,
    IdleClose,
    IdleRaceResult,
    KeepAliveResult,
    Percentiles,
    PingOutcome,
    PingResult,
    RaceAttempt,
    RaceOutcome,
    RaceResult,
    RequestsPerConnectionResult,
    RequestTally,
    SlowClientResult,
    TimingResult,
    TimingSample,
    TLSInfo,
    promises_longer,
    race_result,
)
from seatctl.diagnostics.runs import CutBy, DoctorPlan, DoctorRun, Probe, ProbeState

URL = "http://127.0.0.1:9"
ORIGIN = "http://127.0.0.1:10"
STARTED_AT = 100.0  # the frozen clock's reading when a synthetic run started
ELAPSED = 12.5  # seconds every synthetic run took
MAX_WAIT = 75.0

REFERENCE_SERVER = ("server", "seatctl-reference/0.1.0")
EXPRESS = ("x-powered-by", "Express")
CLOUDFLARE: Headers = (("server", "cloudflare"), ("cf-ray", "8a1b2c3d4e5f6a7b-FRA"))


def doctor_run(*, lb_idle_timeout: float | None = None, client_expiry: float | None = None,
               quick: bool = False, origin: str | None = None) -> DoctorRun:
    """A run with nothing measured, on a frozen clock: it has taken ELAPSED seconds."""
    plan = DoctorPlan(url=URL, origin=origin, quick=quick, lb_idle_timeout=lb_idle_timeout,
                      client_expiry=client_expiry)
    return DoctorRun(plan=plan, clock=lambda: STARTED_AT + ELAPSED, started_at=STARTED_AT)


def finished(run: DoctorRun) -> DoctorRun:
    """`run` with every probe not skipped by its plan done, and the run ended."""
    for record in run.runs.values():
        if record.state is ProbeState.PENDING:
            record.state, record.started_at = ProbeState.DONE, STARTED_AT
            record.ended_at = STARTED_AT + ELAPSED
    run.ended_at = STARTED_AT + ELAPSED
    return run


def keep_alive(close_s: float = 66.0, kind: CloseKind | None = CloseKind.FIN, *,
               advertised_s: float | None = 65.0, persistent: bool = True,
               headers: Headers = (REFERENCE_SERVER,), max_wait: float = MAX_WAIT
               ) -> KeepAliveResult:
    """One response, then an idle close after `close_s` by `kind`; `kind` None: still open
    after `close_s` (a lower bound). `headers` come after the connection headers."""
    idle_close = IdleClose(seconds=close_s, kind=kind, lower_bound=kind is None)
    keep_alive_header = (f"timeout={advertised_s:g}"
                         if persistent and advertised_s is not None else None)
    connection = "keep-alive" if persistent else "close"
    all_headers: Headers = (
        ("connection", connection),
        *((("keep-alive", keep_alive_header),) if keep_alive_header else ()),
        *headers,
    )
    advertised = advertised_s if keep_alive_header else None
    return KeepAliveResult(
        persistent=persistent, status=200, http_version="1.1", connection_header=connection,
        keep_alive_header=keep_alive_header, headers=all_headers,
        advertised_timeout_s=advertised, advertised_max_requests=None, idle_close=idle_close,
        max_wait_s=max_wait,
        advertised_exceeds_idle_close=promises_longer(advertised, idle_close),
    )


def attempt(idle_s: float, outcome: RaceOutcome = RaceOutcome.OK, *,
            fin_before_send: bool = False) -> RaceAttempt:
    failed = outcome.failed
    return RaceAttempt(offset_s=0.0, planned_idle_s=idle_s, idle_s=idle_s, outcome=outcome,
                       status=None if failed else 200, fin_before_send=fin_before_send)


def race(idle_close_s: float, attempts: Sequence[RaceAttempt] | None = None) -> RaceResult:
    """The reuse race around `idle_close_s`, its window derived as the probe derives it; by
    default: reuse works just before the close and fails at and after it."""
    if attempts is None:
        attempts = (attempt(idle_close_s - 0.2),
                    attempt(idle_close_s + 0.01, RaceOutcome.CLOSED_BEFORE_RESPONSE,
                            fin_before_send=True),
                    attempt(idle_close_s + 0.2, RaceOutcome.RESET, fin_before_send=True))
    return race_result(idle_close_s, attempts)


def idle(result: KeepAliveResult, race_result: RaceResult | None = None) -> IdleRaceResult:
    """The keep-alive probe with its reuse race; skipped as the probe skips it (no keep-alive,
    or no close within the wait), raced with `race_result` or the default race otherwise."""
    if not result.persistent:
        return IdleRaceResult(result, None, "the server does not keep connections alive")
    if result.idle_close.lower_bound:
        return IdleRaceResult(result, None, "no idle close within the wait")
    return IdleRaceResult(result, race_result or race(result.idle_close.seconds), None)


def requests(served: int = 200, ended_by: ConnectionEnd = ConnectionEnd.LIMIT
             ) -> RequestsPerConnectionResult:
    return RequestsPerConnectionResult(served=served, ended_by=ended_by, limit=200,
                                       advertised_max_requests=None)


def burst(connections: int = 10, requests_per_connection: int = 20,
          **counts: int) -> BurstResult:
    """`counts` by outcome name (reset=3, client_error=5, ...); the rest answered ok."""
    outcomes = {outcome: counts.pop(outcome.name.lower(), 0) for outcome in BurstOutcome}
    assert not counts, f"unknown outcomes: {counts}"
    outcomes[BurstOutcome.OK] = connections * requests_per_connection - sum(outcomes.values())
    statuses = {200: outcomes[BurstOutcome.OK]}
    if outcomes[BurstOutcome.CLIENT_ERROR]:
        statuses[429] = outcomes[BurstOutcome.CLIENT_ERROR]
    if outcomes[BurstOutcome.SERVER_ERROR]:
        statuses[502] = outcomes[BurstOutcome.SERVER_ERROR]
    failed = any(count for outcome, count in outcomes.items() if outcome is not BurstOutcome.OK)
    return BurstResult(
        connections=connections, requests_per_connection=requests_per_connection,
        outcomes=outcomes, statuses=statuses, latency=Percentiles(0.002, 0.008),
        latency_max_s=0.011, connections_opened=connections, elapsed_s=0.4,
        first_failure="127.0.0.1:9 reset the connection" if failed else None,
    )


def give_up(seconds: float, kind: GiveUpKind = GiveUpKind.STATUS) -> GiveUp:
    status = {GiveUpKind.STATUS: 408, GiveUpKind.ANSWERED: 431}.get(kind)
    return GiveUp(seconds=seconds, kind=kind, status=status, bytes_sent=140)


def slow_client(headers: GiveUp | None = None, body: GiveUp | None = None) -> SlowClientResult:
    """By default: 408s, the headers timeout (70 s) above the seed fix's 66 s idle close."""
    return SlowClientResult(headers=headers or give_up(70.0), body=body or give_up(72.0),
                            interval_s=0.5, max_wait_s=MAX_WAIT)


def tls(cert_days_left: float | None = 90.0) -> TLSInfo:
    """`cert_days_left` None: not verified (--insecure)."""
    return TLSInfo(version="TLSv1.3", alpn="http/1.1", cipher="TLS_AES_256_GCM_SHA384",
                   cert_days_left=cert_days_left)


def timing(tls_info: TLSInfo | None = None) -> TimingResult:
    sample = TimingSample(dns_s=0.001, connect_s=0.002, tls_s=0.01 if tls_info else None,
                          ttfb_s=0.004, total_s=0.02, status=200, address="127.0.0.1")
    spread = Percentiles(0.002, 0.003)
    return TimingResult(samples=(sample, sample), dns=spread, connect=spread,
                        tls=spread if tls_info else None, ttfb=spread, total=spread,
                        tls_info=tls_info)


def failed_try(failure: TryFailure = TryFailure.RESET, number: int = 1,
               at_s: float = 0.002) -> FailedTry:
    return FailedTry(number=number, at_s=at_s, failure=failure,
                     message="127.0.0.1:9 reset the connection before any response")


def tally(sent: int, *failed: FailedTry) -> RequestTally:
    """`sent` tries, of which `failed` were cut (each counted in `sent`)."""
    assert sent >= len(failed)
    return RequestTally(sent=sent, failed=list(failed))


# A healthy run's requests on fresh connections: the preflight, 5 timing samples, the
# keep-alive connection and 6 race connections, the requests-per-connection count's first.
HEALTHY_TALLIES = {"preflight": 1, "timing": 5, "keepalive": 7, "requests_per_connection": 1}


def with_cut_tries(run: DoctorRun, probe: str, sent: int, *failed: FailedTry) -> DoctorRun:
    """`run` whose `probe` (a tally name) sent `sent` tries, `failed` of them cut."""
    run.tallies[probe] = tally(sent, *failed)
    return run


def cut_run(by: CutBy, *, waited_s: float | None = 3.0) -> DoctorRun:
    """A run cut during the keep-alive probe's idle wait (None: before it began): the
    timing and the requests count done, the rest cut; the wait a lower bound of
    `waited_s` ended by the cut, not by --max-wait."""
    run = doctor_run(quick=True)
    run.timing = timing()
    run.requests = requests()
    for probe in (Probe.TIMING, Probe.REQUESTS):
        record = run.runs[probe]
        record.state, record.started_at, record.ended_at = (ProbeState.DONE, STARTED_AT,
                                                            STARTED_AT + 1.0)
    for probe in (Probe.KEEPALIVE, Probe.BURST):
        run.runs[probe].state, run.runs[probe].started_at = ProbeState.RUNNING, STARTED_AT
    if waited_s is not None:
        why = "interrupted" if by is CutBy.INTERRUPTED else "cut by the --timeout deadline"
        run.idle = IdleRaceResult(keep_alive(waited_s, None, advertised_s=65.0), None,
                                  f"{why} before the idle close")
    run.mark_cut(by, "interrupted" if by is CutBy.INTERRUPTED
                 else "cut by the --timeout deadline")
    return run


def healthy_run(*, lb_idle_timeout: float | None = 60.0, client_expiry: float | None = None,
                quick: bool = False, origin: str | None = None) -> DoctorRun:
    """The seed's fix behind a load balancer whose 60 s idle timeout is stated: keep-alive
    closed at 66 s by a FIN after promising 65, 200 requests on one connection and still
    open, a clean burst, 408s for slow clients after the idle close (none with `quick`), a
    valid certificate. An `origin` is planned, not measured."""
    run = doctor_run(lb_idle_timeout=lb_idle_timeout, client_expiry=client_expiry,
                     quick=quick, origin=origin)
    run.timing = timing(tls())
    run.idle = idle(keep_alive())
    run.requests = requests()
    run.burst = burst()
    run.slow_client = None if quick else slow_client()
    for name, sent in HEALTHY_TALLIES.items():
        run.tallies[name] = tally(sent)
    return finished(run)


def node_default_run(*headers: tuple[str, str], lb_idle_timeout: float | None = None
                     ) -> DoctorRun:
    """Node's defaults (and the reference server's): `Keep-Alive: timeout=5`, an idle close
    at 6.0 s by a FIN, headers timeout 60 s; `headers` name the server, if any."""
    run = healthy_run(lb_idle_timeout=lb_idle_timeout)
    run.idle = idle(keep_alive(6.0, advertised_s=5.0, headers=headers))
    run.slow_client = slow_client(give_up(60.0), give_up(75.0, GiveUpKind.STILL_OPEN))
    return run


def with_keep_alive(run: DoctorRun, result: KeepAliveResult) -> DoctorRun:
    """`run` with its keep-alive probe (and race) replaced by `result`."""
    run.idle = idle(result)
    return run


def with_race(run: DoctorRun, attempts: Sequence[RaceAttempt]) -> DoctorRun:
    assert run.idle is not None
    run.idle = replace(run.idle, race=race(run.idle.keep_alive.idle_close.seconds, attempts))
    return run


def outcome_of(run: DoctorRun, rule_id: str) -> Outcome:
    outcomes = {outcome.id: outcome for outcome in build_report(run).outcomes}
    return outcomes[rule_id]


def finding_of(run: DoctorRun, rule_id: str) -> Finding:
    outcome = outcome_of(run, rule_id)
    assert isinstance(outcome, Finding), outcome
    return outcome


def report_of(run: DoctorRun) -> Report:
    return build_report(run)


# --- HTTP/2 ------------------------------------------------------------------------------

HTTPS_URL = "https://127.0.0.1:9"


def https_run(*, lb_idle_timeout: float | None = 60.0, http1: bool = True) -> DoctorRun:
    """A healthy run of an https URL: the HTTP/2 probe planned (nothing measured yet)."""
    plan = DoctorPlan(url=HTTPS_URL, quick=True, lb_idle_timeout=lb_idle_timeout, http1=http1)
    run = DoctorRun(plan=plan, clock=lambda: STARTED_AT + ELAPSED, started_at=STARTED_AT)
    if http1:
        run.timing = timing(tls())
        run.idle = idle(keep_alive())
        run.requests = requests()
        run.burst = burst()
        for name, sent in HEALTHY_TALLIES.items():
            run.tallies[name] = tally(sent)
    return run


def goaway(last_stream_id: int = 1, error: str = "NO_ERROR") -> Goaway:
    return Goaway(error_code=0 if error == "NO_ERROR" else 2, error_name=error,
                  last_stream_id=last_stream_id, debug_data=None, received_at=0.0)


def h2_idle(close_s: float = 66.0, *, with_goaway: bool = True,
            end: CloseKind | None = CloseKind.FIN, error: str = "NO_ERROR") -> Http2IdleClose:
    """An idle close announced by GOAWAY at `close_s` (or not), then `end` 10 ms later;
    `end` None and no GOAWAY: still open after `close_s`."""
    return Http2IdleClose(goaway=goaway(error=error) if with_goaway else None,
                          goaway_after_s=close_s if with_goaway else None, end=end,
                          end_after_s=close_s + (0.01 if end else 0.0),
                          frames=("GoAwayFrame",) if with_goaway else ())


def ping(outcome: PingOutcome = PingOutcome.NOT_KEPT_ALIVE, *,
         end: CloseKind | None = CloseKind.FIN) -> PingResult:
    return PingResult(outcome=outcome, skipped=None, failure=None, reference_close_s=66.0,
                      interval_s=None, pings_sent=30, pings_acked=30, longest_gap_s=2.0,
                      ack_rtt_s=0.001, open_for_s=66.0, goaway=goaway(), end=end)


def goaway_race(outcome: GoawayRaceOutcome = GoawayRaceOutcome.REFUSED_STREAM, *,
                safe_to_retry: bool | None = True, reset_code: str | None = "REFUSED_STREAM"
                ) -> GoawayRaceResult:
    return GoawayRaceResult(
        outcome=outcome, skipped=None, failure=None, goaway=goaway(), goaway_after_s=66.0,
        stream_id=3, sent_after_goaway_s=0.0, answered_after_s=0.001, status=None,
        reset_code=reset_code, safe_to_retry=safe_to_retry, end=CloseKind.FIN,
        end_after_s=66.01)


H2_CONNECT = ConnectTiming(dns_s=0.001, connect_s=0.002, tls_s=0.01, address="127.0.0.1")
H2_SETTINGS = Http2Settings(max_concurrent_streams=100, initial_window_size=65535,
                            max_frame_size=16384, max_header_list_size=None, enable_push=None,
                            header_table_size=None, enable_connect_protocol=None,
                            received=((3, 100),), connection_window=65535)


def http2(idle_close: Http2IdleClose | None = None, *, ping_result: PingResult | None = None,
          race: GoawayRaceResult | None = None, h2c: bool = False) -> Http2Result:
    """The HTTP/2 probe against a server that speaks h2: by default GOAWAY NO_ERROR at
    66 s, PINGs that do not keep the connection alive, REFUSED_STREAM for the racing
    request."""
    return Http2Result(
        h2c=h2c, alpn_offered=() if h2c else ("h2", "http/1.1"),
        alpn_selected=None if h2c else "h2", speaks_h2=True, skipped=None,
        tls=None if h2c else replace(tls(), alpn="h2"), connect=H2_CONNECT,
        settings=H2_SETTINGS, response=None, idle_close=idle_close or h2_idle(),
        ping=ping_result or ping(), goaway_race=race or goaway_race(), max_wait_s=MAX_WAIT,
        connections=3)


def http2_without_h2() -> Http2Result:
    """ALPN offered h2 and http/1.1; the edge chose http/1.1."""
    return Http2Result(
        h2c=False, alpn_offered=("h2", "http/1.1"), alpn_selected="http/1.1", speaks_h2=False,
        skipped="the edge does not speak HTTP/2 to this client: ALPN selected http/1.1 "
                "(offered h2, http/1.1)", tls=tls(), connect=H2_CONNECT, settings=None,
        response=None, idle_close=None, ping=None, goaway_race=None, max_wait_s=MAX_WAIT,
        connections=1)


def with_http2(run: DoctorRun, result: Http2Result | None) -> DoctorRun:
    """`run` with its HTTP/2 probe done (`result`), and every planned probe finished."""
    run.http2 = result
    return finished(run)
