"""The doctor's rules over synthetic measurements: for every rule its ok case, each warn and
fail case, and the cases it must skip (a probe missing, --quick, a lower bound that cannot
decide). A finding rests on measured numbers, a stated value, or the documented default of
a component the headers identified; an assumption is named. No network."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from seatctl.diagnostics.edge import identify
from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.findings import (
    ASSUMED_PROXY_IDLE,
    RULES,
    Basis,
    Finding,
    Severity,
    Skipped,
    client_expiry,
    proxy_idle,
    verdict,
)
from seatctl.diagnostics.results import (
    BurstOutcome,
    CloseKind,
    ConnectionEnd,
    GiveUpKind,
    Headers,
    KeepAliveResult,
    RaceOutcome,
)
from seatctl.diagnostics.runs import CutBy, DoctorRun, Probe, ProbeState
from tests.diagnostics.factories import (
    CLOUDFLARE,
    EXPRESS,
    MAX_WAIT,
    ORIGIN,
    REFERENCE_SERVER,
    attempt,
    burst,
    cut_run,
    doctor_run,
    failed_try,
    finding_of,
    give_up,
    healthy_run,
    keep_alive,
    node_default_run,
    outcome_of,
    report_of,
    requests,
    slow_client,
    timing,
    tls,
    with_cut_tries,
    with_keep_alive,
    with_race,
)

SKIPPED = None  # the expected outcome of a case in which the rule must not decide
RULE_IDS = tuple(rule.id for rule in RULES)


# --- the key cases ------------------------------------------------------------------------


def test_a_healthy_server_has_only_ok_findings() -> None:
    report = report_of(healthy_run())
    assert report.verdict is Severity.OK
    assert [outcome.id for outcome in report.findings] == list(RULE_IDS)
    assert {finding.severity for finding in report.findings} == {Severity.OK}
    assert all(finding.fix is None for finding in report.findings)


def test_nothing_measured_decides_nothing_but_that_nothing_finished() -> None:
    report = report_of(doctor_run())
    assert [finding.id for finding in report.findings] == ["probes-finished"]
    assert report.findings[0].severity is Severity.WARN
    assert [skipped.id for skipped in report.skipped] == list(RULE_IDS[1:])
    assert all(skipped.reason for skipped in report.skipped)
    assert report.verdict is Severity.WARN


def test_node_defaults_before_an_assumed_proxy_warn_naming_the_assumption() -> None:
    report = report_of(node_default_run(REFERENCE_SERVER))
    finding = finding_of(node_default_run(REFERENCE_SERVER), "idle-close-vs-proxy")
    assert finding.severity is Severity.WARN
    assert report.facts.proxy_idle.basis is Basis.ASSUMED
    assert report.facts.proxy_idle.seconds == ASSUMED_PROXY_IDLE == 60.0
    assert "6 s" in finding.detail and "60 s" in finding.detail
    assert "assumed" in finding.detail and "--lb-idle-timeout" in finding.detail
    assert finding.fix is not None and "seatctl serve --keep-alive-timeout 65" in finding.fix
    # The only thing wrong with Node's defaults on their own is the proxy's gap.
    assert [f.id for f in report.findings if f.severity is not Severity.OK] == [finding.id]
    assert report.verdict is Severity.WARN


def test_express_defaults_get_the_node_fix() -> None:
    finding = finding_of(node_default_run(EXPRESS), "idle-close-vs-proxy")
    assert finding.severity is Severity.WARN
    assert finding.fix is not None
    assert "server.keepAliveTimeout = 65_000" in finding.fix
    assert "server.headersTimeout = 66_000" in finding.fix


def test_node_identified_by_its_one_second_buffer_gets_the_node_fix() -> None:
    report = report_of(node_default_run())  # no header names the server
    assert report.edge.app_server is not None
    assert report.edge.app_server.component.key == "node"
    finding = finding_of(node_default_run(), "idle-close-vs-proxy")
    assert finding.fix is not None and "server.keepAliveTimeout = 65_000" in finding.fix


def test_node_defaults_before_a_stated_proxy_timeout_fail() -> None:
    run = node_default_run(EXPRESS, lb_idle_timeout=60.0)
    finding = finding_of(run, "idle-close-vs-proxy")
    assert finding.severity is Severity.FAIL
    assert "stated" in finding.detail and "assumed" not in finding.detail
    assert finding.fix is not None and "server.keepAliveTimeout = 65_000" in finding.fix
    assert report_of(run).verdict is Severity.FAIL


def test_a_stated_proxy_timeout_sets_the_fix() -> None:
    finding = finding_of(node_default_run(EXPRESS, lb_idle_timeout=350.0), "idle-close-vs-proxy")
    assert finding.fix is not None and "server.keepAliveTimeout = 355_000" in finding.fix


def test_a_keep_alive_header_promising_more_than_the_close_fails() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(2.0, advertised_s=5.0))
    finding = finding_of(run, "keepalive-header")
    assert finding.severity is Severity.FAIL
    assert "timeout=5" in finding.detail and "2 s" in finding.detail
    # the reference server's own flag, advertising the real close
    assert finding.fix is not None and "--advertise-keep-alive 2 " in finding.fix


def test_client_pools_longer_than_the_close_warn_naming_them() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(3.0, advertised_s=2.0))
    finding = finding_of(run, "client-pool-expiry")
    assert finding.severity is Severity.WARN
    assert "3 s" in finding.detail and "5 s" in finding.detail
    for pool in ("httpx (5 s)", "undici", "Node http.globalAgent", "requests / urllib3"):
        assert pool in finding.detail
    assert "Ruby" not in finding.detail  # its 2 s expire before the close
    assert finding.fix is not None and "keepalive_expiry=" in finding.fix


def test_a_stated_client_expiry_above_the_close_fails() -> None:
    run = with_keep_alive(healthy_run(client_expiry=10.0), keep_alive(6.0, advertised_s=5.0))
    finding = finding_of(run, "client-pool-expiry")
    assert finding.severity is Severity.FAIL
    assert "--client-expiry" in finding.detail and "10 s" in finding.detail
    assert finding.fix is not None and "keepalive_expiry=5)" in finding.fix  # 1 s before


def test_the_client_expiry_fix_stays_below_a_short_close_and_above_zero() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(0.5, advertised_s=None))
    finding = finding_of(run, "client-pool-expiry")
    assert finding.fix is not None
    assert "keepalive_expiry=0.4)" in finding.fix
    assert "keepAliveTimeout: 400, keepAliveMaxTimeout: 400}" in finding.fix


def test_race_failures_before_the_close_fail() -> None:
    run = with_race(healthy_run(), [attempt(63.0), attempt(64.0, RaceOutcome.RESET),
                                    attempt(66.2, RaceOutcome.RESET)])
    finding = finding_of(run, "reuse-race")
    assert finding.severity is Severity.FAIL
    assert "64 s" in finding.detail and "63 s" in finding.detail and "reset" in finding.detail


def test_race_failures_only_after_the_close_are_ok() -> None:
    finding = finding_of(healthy_run(), "reuse-race")
    assert finding.severity is Severity.OK
    assert "2 of 2" in finding.detail  # both failures had the server's FIN first


def test_a_failure_within_scheduling_jitter_of_the_close_is_at_the_close() -> None:
    run = with_race(healthy_run(), [attempt(65.97, RaceOutcome.CLOSED_BEFORE_RESPONSE)])
    assert finding_of(run, "reuse-race").severity is Severity.OK


def test_a_race_without_attempts_is_not_a_finding() -> None:
    run = with_race(healthy_run(), [])
    assert isinstance(outcome_of(run, "reuse-race"), Skipped)


def test_the_headers_timeout_at_or_below_the_keep_alive_warns_with_nodes_fix() -> None:
    """Node's rule compares headersTimeout with keepAliveTimeout: the advertised value."""
    for seconds in (65.0, 60.0):
        run = healthy_run()
        run.slow_client = slow_client(headers=give_up(seconds))
        finding = finding_of(run, "headers-timeout")
        assert finding.severity is Severity.WARN
        assert f"{seconds:g} s" in finding.detail and "65 s" in finding.detail
        assert finding.fix == "seatctl serve --headers-timeout 66"  # the reference server's
    node = node_default_run(EXPRESS)
    node.slow_client = slow_client(headers=give_up(4.0))
    finding = finding_of(node, "headers-timeout")
    assert finding.fix is not None and "server.headersTimeout = 6_000" in finding.fix


def test_the_seed_fix_headers_timeout_is_above_its_keep_alive() -> None:
    """The seed's fix: keepAliveTimeout 65 s (closing at 66 s), headersTimeout 66 s."""
    run = healthy_run()
    run.slow_client = slow_client(headers=give_up(66.0))
    assert finding_of(run, "headers-timeout").severity is Severity.OK


def test_without_a_keep_alive_header_the_measured_close_is_the_reference() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(20.0, advertised_s=None))
    run.slow_client = slow_client(headers=give_up(20.0))
    finding = finding_of(run, "headers-timeout")
    assert finding.severity is Severity.WARN and "keeps idle connections 20 s" in finding.detail


def test_headers_answered_with_another_status_are_not_a_timeout() -> None:
    run = healthy_run()
    run.slow_client = slow_client(headers=give_up(70.0, GiveUpKind.ANSWERED))
    assert isinstance(outcome_of(run, "headers-timeout"), Skipped)


def _behind(front_door: Headers, origin: KeepAliveResult | None = None) -> DoctorRun:
    """A front door identified by its headers that kept the connection open through the
    wait; `origin`: what --origin measured behind it."""
    run = with_keep_alive(healthy_run(lb_idle_timeout=None, origin=ORIGIN if origin else None),
                          keep_alive(75.0, None, advertised_s=None, headers=front_door))
    run.origin = origin
    return run


@pytest.mark.parametrize("lb_idle_timeout", [None, 60.0])
def test_front_door_alone_is_never_compared_with_itself(lb_idle_timeout: float | None) -> None:
    # Cloudflare's own client-side close: not the backend's, so not compared.
    run = with_keep_alive(healthy_run(lb_idle_timeout=lb_idle_timeout),
                          keep_alive(6.0, advertised_s=None, headers=CLOUDFLARE))
    outcome = outcome_of(run, "idle-close-vs-proxy")
    assert isinstance(outcome, Skipped)
    assert "Cloudflare" in outcome.reason and "--origin" in outcome.reason


def test_express_behind_a_front_door_is_not_measured_and_says_its_documented_default() -> None:
    """A documented default is a reason to measure, not a finding (never on a guess)."""
    run = _behind((*CLOUDFLARE, EXPRESS))
    report = report_of(run)
    assert report.facts.proxy_idle.basis is Basis.DOCUMENTED
    assert report.facts.proxy_idle.seconds == 900.0
    skipped = outcome_of(run, "idle-close-vs-proxy")
    assert isinstance(skipped, Skipped)
    assert "not measured" in skipped.reason and "Cloudflare" in skipped.reason
    assert "keepAliveTimeout (5 s)" in skipped.reason and "900 s" in skipped.reason
    assert "Express" in skipped.reason and "--origin" in skipped.reason


def test_the_origin_is_compared_with_the_front_doors_documented_idle_timeout() -> None:
    run = _behind(CLOUDFLARE, keep_alive(6.0, advertised_s=5.0, headers=(EXPRESS,)))
    finding = finding_of(run, "idle-close-vs-proxy")
    assert finding.severity is Severity.FAIL
    assert "origin" in finding.detail and "6 s" in finding.detail
    assert "900 s" in finding.detail and "documented" in finding.detail
    assert finding.fix is not None and "server.keepAliveTimeout = 905_000" in finding.fix


def test_an_origin_outlasting_the_front_door_is_ok() -> None:
    run = _behind(CLOUDFLARE, keep_alive(905.0, advertised_s=None, headers=(EXPRESS,)))
    assert finding_of(run, "idle-close-vs-proxy").severity is Severity.OK


def test_an_origin_behind_an_undocumented_platform_warns_on_the_assumption() -> None:
    render = (("server", "cloudflare"), ("rndr-id", "7c1d8e2a-1b2c-4d5e"))
    run = _behind(render, keep_alive(6.0, advertised_s=5.0, headers=(EXPRESS,)))
    report = report_of(run)
    assert report.edge.front_door is not None
    assert report.edge.front_door.component.key == "render"
    assert report.facts.proxy_idle.basis is Basis.ASSUMED
    finding = finding_of(run, "idle-close-vs-proxy")
    assert finding.severity is Severity.WARN and "assumed" in finding.detail


def test_an_origin_that_does_not_keep_alive_is_not_compared() -> None:
    run = _behind(CLOUDFLARE, keep_alive(0.001, advertised_s=None, persistent=False,
                                         headers=(EXPRESS,)))
    assert isinstance(outcome_of(run, "idle-close-vs-proxy"), Skipped)


def test_open_for_exactly_the_proxy_timeout_never_says_it_closed() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(60.0, None, max_wait=60.0))
    outcome = outcome_of(run, "idle-close-vs-proxy")
    assert not (isinstance(outcome, Finding) and outcome.severity is not Severity.OK)


def test_a_promise_longer_than_the_wait_is_not_called_kept() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(75.0, None, advertised_s=100.0))
    assert isinstance(outcome_of(run, "keepalive-header"), Skipped)


# --- every rule: ok, warn or fail, skipped --------------------------------------------------


@dataclass(frozen=True)
class Case:
    rule_id: str
    expected: Severity | None  # SKIPPED: the rule must not decide
    run: Callable[[], DoctorRun]


def _kept(close_s: float, kind: CloseKind | None, *, advertised_s: float | None = 65.0,
          persistent: bool = True, headers: Headers = (REFERENCE_SERVER,),
          max_wait: float = MAX_WAIT) -> Callable[[], DoctorRun]:
    """A healthy run whose keep-alive probe measured what `keep_alive` builds of these."""
    measured = keep_alive(close_s, kind, advertised_s=advertised_s, persistent=persistent,
                          headers=headers, max_wait=max_wait)
    return lambda: with_keep_alive(healthy_run(), measured)


def _quick() -> DoctorRun:
    return healthy_run(quick=True)


def _without(probe: str) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        setattr(measured, probe, None)
        return measured
    return run


def _slow(headers: tuple[float, GiveUpKind] | None = None,
          body: tuple[float, GiveUpKind] | None = None) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        measured.slow_client = slow_client(give_up(*headers) if headers else None,
                                           give_up(*body) if body else None)
        return measured
    return run


def _bursting(**counts: int) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        measured.burst = burst(**counts)
        return measured
    return run


def _served(served: int, ended_by: ConnectionEnd) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        measured.requests = requests(served, ended_by)
        return measured
    return run


def _answering(status: int) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        assert measured.keep_alive is not None
        return with_keep_alive(measured, dataclasses.replace(measured.keep_alive, status=status))
    return run


def _certificate(days: float | None, *, with_tls: bool = True) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        measured = healthy_run()
        measured.timing = timing(tls(days) if with_tls else None)
        return measured
    return run


def _client_expiry(close_s: float, stated: float | None) -> Callable[[], DoctorRun]:
    def run() -> DoctorRun:
        return with_keep_alive(healthy_run(client_expiry=stated),
                               keep_alive(close_s, advertised_s=None))
    return run


def _failed_probe() -> DoctorRun:
    run = healthy_run()
    record = run.runs[Probe.BURST]
    record.state, record.error = ProbeState.FAILED, "connection refused"
    return run


def _cut_tries(sent: int, *failures: TryFailure, burst_resets: int = 0
               ) -> Callable[[], DoctorRun]:
    """A healthy run whose keep-alive probe sent `sent` tries, `failures` of them cut."""
    def run() -> DoctorRun:
        measured = with_cut_tries(healthy_run(), "keepalive", sent,
                                  *(failed_try(failure) for failure in failures))
        measured.burst = burst(reset=burst_resets)
        return measured
    return run


def _raced(*attempts: tuple[float, RaceOutcome]) -> Callable[[], DoctorRun]:
    return lambda: with_race(healthy_run(), [attempt(idle, outcome) for idle, outcome in attempts])


FIN, RESET = CloseKind.FIN, CloseKind.RESET
OK, WARN, FAIL = Severity.OK, Severity.WARN, Severity.FAIL
EMPTY = doctor_run

CASES: dict[str, Case] = {
    # keepalive-persistent
    "persistent": Case("keepalive-persistent", OK, healthy_run),
    "connection close on every response": Case(
        "keepalive-persistent", WARN, _kept(0.001, FIN, persistent=False)),
    "persistent, keep-alive probe missing": Case("keepalive-persistent", SKIPPED, EMPTY),
    # keepalive-header
    "promise kept": Case("keepalive-header", OK, healthy_run),
    "promise kept within jitter": Case("keepalive-header", OK, _kept(4.96, FIN, advertised_s=5.0)),
    "promise kept, open at least as long": Case(
        "keepalive-header", OK, _kept(75.0, None, advertised_s=65.0)),
    "promise broken": Case("keepalive-header", FAIL, _kept(2.0, FIN, advertised_s=5.0)),
    "no promise": Case("keepalive-header", SKIPPED, _kept(66.0, FIN, advertised_s=None)),
    "promise, not kept alive": Case("keepalive-header", SKIPPED,
                                    _kept(0.001, FIN, persistent=False)),
    "promise, keep-alive probe missing": Case("keepalive-header", SKIPPED, EMPTY),
    # idle-close-vs-proxy
    "outlasts the stated proxy": Case("idle-close-vs-proxy", OK, healthy_run),
    "open at least beyond the proxy": Case("idle-close-vs-proxy", OK, _kept(75.0, None)),
    "closes before the assumed proxy": Case("idle-close-vs-proxy", WARN,
                                            lambda: node_default_run(EXPRESS)),
    "closes before the stated proxy": Case(
        "idle-close-vs-proxy", FAIL, lambda: node_default_run(EXPRESS, lb_idle_timeout=60.0)),
    "open at least, short of the proxy": Case(
        "idle-close-vs-proxy", SKIPPED, _kept(30.0, None, max_wait=30.0)),
    "proxy, not kept alive": Case("idle-close-vs-proxy", SKIPPED,
                                  _kept(0.001, FIN, persistent=False)),
    "proxy, keep-alive probe missing": Case("idle-close-vs-proxy", SKIPPED, EMPTY),
    "front door, backend unknown": Case(
        "idle-close-vs-proxy", SKIPPED, _kept(6.0, FIN, advertised_s=None, headers=CLOUDFLARE)),
    # client-pool-expiry
    "pools expire first": Case("client-pool-expiry", OK, healthy_run),
    "pools expire first, open at least": Case("client-pool-expiry", OK, _kept(75.0, None)),
    "stated pool expires first": Case("client-pool-expiry", OK, _client_expiry(6.0, 4.0)),
    "default pools outlast the close": Case("client-pool-expiry", WARN, _client_expiry(3.0, None)),
    "default pools at the close": Case("client-pool-expiry", WARN, _client_expiry(5.0, None)),
    "stated pool outlasts the close": Case("client-pool-expiry", FAIL, _client_expiry(6.0, 10.0)),
    "pools, not kept alive": Case("client-pool-expiry", SKIPPED,
                                  _kept(0.001, FIN, persistent=False)),
    "pools, keep-alive probe missing": Case("client-pool-expiry", SKIPPED, EMPTY),
    # idle-close-kind
    "closed by a FIN": Case("idle-close-kind", OK, healthy_run),
    "closed by a reset": Case("idle-close-kind", WARN, _kept(66.0, RESET)),
    "not closed within the wait": Case("idle-close-kind", SKIPPED, _kept(75.0, None)),
    "close kind, not kept alive": Case("idle-close-kind", SKIPPED,
                                       _kept(0.001, FIN, persistent=False)),
    "close kind, keep-alive probe missing": Case("idle-close-kind", SKIPPED, EMPTY),
    # reuse-race
    "reuse fails only after the close": Case("reuse-race", OK, healthy_run),
    "reuse never fails": Case("reuse-race", OK,
                              _raced((65.8, RaceOutcome.OK), (65.99, RaceOutcome.OK))),
    "reuse cut before the close": Case(
        "reuse-race", FAIL, _raced((60.0, RaceOutcome.OK), (62.0, RaceOutcome.RESET))),
    "a 5xx on reuse is the burst rule's": Case(
        "reuse-race", OK, _raced((60.0, RaceOutcome.OK), (62.0, RaceOutcome.SERVER_ERROR))),
    "the server's own early FIN": Case("reuse-race", WARN, lambda: with_race(
        healthy_run(), [attempt(60.0), attempt(62.0, RaceOutcome.CLOSED_BEFORE_RESPONSE,
                                                fin_before_send=True)])),
    "every probe finished": Case("probes-finished", OK, healthy_run),
    "a probe failed": Case("probes-finished", WARN, _failed_probe),
    "probes interrupted": Case("probes-finished", WARN, lambda: cut_run(CutBy.INTERRUPTED)),
    "probes cut by the deadline": Case("probes-finished", WARN,
                                       lambda: cut_run(CutBy.DEADLINE)),
    # random-resets
    "no request cut": Case("random-resets", OK, healthy_run),
    "one single request cut": Case("random-resets", WARN, _cut_tries(7, TryFailure.RESET)),
    "requests cut at random": Case("random-resets", FAIL,
                                   _cut_tries(9, TryFailure.RESET, TryFailure.CLOSED)),
    "one cut, and the burst's": Case("random-resets", FAIL,
                                     _cut_tries(7, TryFailure.RESET, burst_resets=40)),
    "cut only under the burst": Case("random-resets", WARN, _bursting(reset=3)),
    "nothing sent": Case("random-resets", SKIPPED, EMPTY),
    "race, no close within the wait": Case("reuse-race", SKIPPED, _kept(75.0, None)),
    "race, not kept alive": Case("reuse-race", SKIPPED, _kept(0.001, FIN, persistent=False)),
    "race, keep-alive probe missing": Case("reuse-race", SKIPPED, EMPTY),
    # requests-per-connection
    "still open after the limit": Case("requests-per-connection", OK, healthy_run),
    "still open when the time ran out": Case(
        "requests-per-connection", OK, _served(150, ConnectionEnd.TIME_LIMIT)),
    "ended by Connection: close": Case(
        "requests-per-connection", OK, _served(100, ConnectionEnd.CLOSE_HEADER)),
    "ended by a FIN": Case("requests-per-connection", FAIL, _served(100, ConnectionEnd.FIN)),
    "ended by a reset": Case("requests-per-connection", FAIL, _served(100, ConnectionEnd.RESET)),
    "requests probe missing": Case("requests-per-connection", SKIPPED, _without("requests")),
    # headers-timeout
    "headers 408 after the idle close": Case("headers-timeout", OK, healthy_run),
    "headers still awaited": Case("headers-timeout", OK,
                                  _slow(headers=(75.0, GiveUpKind.STILL_OPEN))),
    "headers 408 at the keep-alive": Case("headers-timeout", WARN,
                                          _slow(headers=(65.0, GiveUpKind.STATUS))),
    "headers 408 before the idle close": Case("headers-timeout", WARN,
                                              _slow(headers=(60.0, GiveUpKind.STATUS))),
    "headers closed by a FIN": Case("headers-timeout", WARN,
                                    _slow(headers=(70.0, GiveUpKind.FIN))),
    "headers closed by a reset": Case("headers-timeout", WARN,
                                      _slow(headers=(70.0, GiveUpKind.RESET))),
    "headers, --quick": Case("headers-timeout", SKIPPED, _quick),
    "headers, slow-client probe missing": Case("headers-timeout", SKIPPED,
                                               _without("slow_client")),
    # request-timeout
    "body 408": Case("request-timeout", OK, healthy_run),
    "body still awaited": Case("request-timeout", OK, _slow(body=(75.0, GiveUpKind.STILL_OPEN))),
    "body closed by a FIN": Case("request-timeout", WARN, _slow(body=(72.0, GiveUpKind.FIN))),
    "body closed by a reset": Case("request-timeout", WARN, _slow(body=(72.0, GiveUpKind.RESET))),
    "body answered early": Case("request-timeout", SKIPPED,
                                _slow(body=(0.01, GiveUpKind.ANSWERED))),
    "body, --quick": Case("request-timeout", SKIPPED, _quick),
    "body, slow-client probe missing": Case("request-timeout", SKIPPED, _without("slow_client")),
    # burst
    "burst all ok": Case("burst", OK, healthy_run),
    "burst with 429s": Case("burst", WARN, _bursting(client_error=12)),
    "burst with resets": Case("burst", FAIL, _bursting(reset=3)),
    "burst with 5xx": Case("burst", FAIL, _bursting(server_error=2, client_error=5)),
    "burst with closes": Case("burst", FAIL, _bursting(closed=1)),
    "burst with timeouts": Case("burst", FAIL, _bursting(timeout=4)),
    "burst with errors": Case("burst", FAIL, _bursting(error=1)),
    "burst probe missing": Case("burst", SKIPPED, _without("burst")),
    # tls-certificate
    "probe path answers 200": Case("probe-path", OK, healthy_run),
    "probe path answers 404": Case("probe-path", WARN, _answering(404)),
    "probe path, nothing answered": Case("probe-path", SKIPPED, doctor_run),
    "certificate valid": Case("tls-certificate", OK, healthy_run),
    "certificate valid for 14 days": Case("tls-certificate", OK, _certificate(14.0)),
    "certificate expires in 5 days": Case("tls-certificate", WARN, _certificate(5.0)),
    "certificate expired": Case("tls-certificate", FAIL, _certificate(-3.0)),
    "certificate not verified": Case("tls-certificate", SKIPPED, _certificate(None)),
    "no TLS": Case("tls-certificate", SKIPPED, _certificate(None, with_tls=False)),
    "timing probe missing": Case("tls-certificate", SKIPPED, _without("timing")),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_case(name: str) -> None:
    case = CASES[name]
    outcome = outcome_of(case.run(), case.rule_id)
    if case.expected is SKIPPED:
        assert isinstance(outcome, Skipped), outcome
        assert outcome.reason and outcome.title == _title(case.rule_id)
    else:
        assert isinstance(outcome, Finding), outcome
        assert outcome.severity is case.expected, outcome
        assert outcome.title and outcome.detail
        if outcome.severity is Severity.OK:
            assert outcome.fix is None, outcome
        elif case.rule_id != "burst":  # refused burst requests name their cause, no fix
            assert outcome.fix, outcome


ALWAYS_DECIDES = {"probes-finished"}  # about the run itself: there is always a run


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_ok_problem_and_skipped_cases(rule_id: str) -> None:
    expected = {case.expected for case in CASES.values() if case.rule_id == rule_id}
    needed = {OK} if rule_id in ALWAYS_DECIDES else {OK, SKIPPED}
    assert needed <= expected and expected & {WARN, FAIL}, expected


def test_rule_ids_are_unique() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)


def _title(rule_id: str) -> str:
    return next(rule.title for rule in RULES if rule.id == rule_id)


# --- the words of some findings ------------------------------------------------------------


def test_quick_names_itself_as_the_reason_slow_clients_were_skipped() -> None:
    report = report_of(_quick())
    reasons = {s.id: s.reason for s in report.skipped}
    assert reasons == {"headers-timeout": "--quick", "request-timeout": "--quick"}


def test_a_lower_bound_short_of_the_proxy_asks_for_a_longer_wait() -> None:
    outcome = outcome_of(_kept(30.0, None, max_wait=30.0)(), "idle-close-vs-proxy")
    assert isinstance(outcome, Skipped)
    assert "at least 30 s" in outcome.reason and "--max-wait" in outcome.reason


def test_closing_connections_get_the_fix_of_the_identified_server() -> None:
    gunicorn = _kept(0.001, FIN, persistent=False, headers=(("server", "gunicorn"),))()
    finding = finding_of(gunicorn, "keepalive-persistent")
    assert finding.fix is not None and "gthread" in finding.fix


def test_connections_ended_without_warning_say_how() -> None:
    finding = finding_of(_served(100, ConnectionEnd.RESET)(), "requests-per-connection")
    assert "100 requests" in finding.detail and "reset" in finding.detail
    assert finding.fix is not None and "Connection: close" in finding.fix


def test_a_burst_with_429s_points_at_a_rate_limit() -> None:
    finding = finding_of(_bursting(client_error=12)(), "burst")
    assert "12 4xx" in finding.detail and "188 ok" in finding.detail and "429" in finding.detail


def test_a_failed_burst_counts_each_outcome_and_names_the_first_failure() -> None:
    finding = finding_of(_bursting(reset=3, server_error=2)(), "burst")
    assert "3 reset" in finding.detail and "2 5xx" in finding.detail
    assert "reset the connection" in finding.detail


def test_the_certificate_findings_count_days() -> None:
    assert "3.0 days ago" in finding_of(_certificate(-3.0)(), "tls-certificate").detail
    assert "in 5 days" in finding_of(_certificate(5.0)(), "tls-certificate").detail


def test_the_headers_timeout_closing_silently_asks_for_a_408() -> None:
    finding = finding_of(_slow(headers=(70.0, GiveUpKind.FIN))(), "headers-timeout")
    assert "closed silently" in finding.detail
    assert finding.fix is not None and "408" in finding.fix


def test_headers_after_a_lower_bound_close_warn() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(75.0, None, advertised_s=None))
    run.slow_client = slow_client(headers=give_up(60.0))
    finding = finding_of(run, "headers-timeout")
    assert finding.severity is Severity.WARN and "at least 75 s" in finding.detail


def test_burst_outcomes_cover_every_kind() -> None:
    counts = burst(reset=1).outcomes
    assert set(counts) == set(BurstOutcome)
    assert sum(counts.values()) == 200


# --- the values compared against -----------------------------------------------------------


def test_proxy_idle_stated_beats_documented_beats_assumed() -> None:
    cloudflare = identify(CLOUDFLARE)
    stated = proxy_idle(45.0, cloudflare)
    assert (stated.seconds, stated.basis) == (45.0, Basis.STATED)
    documented = proxy_idle(None, cloudflare)
    assert (documented.seconds, documented.basis) == (900.0, Basis.DOCUMENTED)
    assert "Cloudflare" in documented.source
    assumed = proxy_idle(None, identify(()))
    assert (assumed.seconds, assumed.basis) == (ASSUMED_PROXY_IDLE, Basis.ASSUMED)
    assert "--lb-idle-timeout" in assumed.source


def test_the_alb_documents_its_idle_timeout_for_both_sides() -> None:
    alb = proxy_idle(None, identify((("server", "awselb/2.0"),)))
    assert (alb.seconds, alb.basis) == (60.0, Basis.DOCUMENTED)


def test_client_expiry_stated_or_assumed() -> None:
    assert (client_expiry(2.5).seconds, client_expiry(2.5).basis) == (2.5, Basis.STATED)
    assumed = client_expiry(None)
    assert (assumed.seconds, assumed.basis) == (5.0, Basis.ASSUMED)
    assert "--client-expiry" in assumed.source


def test_the_verdict_is_the_worst_finding_and_ignores_skipped_rules() -> None:
    ok = Finding("a", Severity.OK, "t", "d")
    warn = Finding("b", Severity.WARN, "t", "d", "fix")
    fail = Finding("c", Severity.FAIL, "t", "d", "fix")
    skipped = Skipped("d", "t", "why")
    assert verdict([]) is Severity.OK
    assert verdict([skipped]) is Severity.OK
    assert verdict([ok, skipped]) is Severity.OK
    assert verdict([ok, warn, skipped]) is Severity.WARN
    assert verdict([fail, warn, ok]) is Severity.FAIL


@pytest.mark.parametrize(("closed", "said"), [
    (1.98992, "seatctl serve --advertise-keep-alive 1 "),
    (6.4, "seatctl serve --advertise-keep-alive 6 "),
    (0.5, "Drop --advertise-keep-alive"),
])
def test_the_advertised_fix_promises_whole_seconds(closed: float, said: str) -> None:
    from seatctl.diagnostics.fixes import advertised_fix

    assert said in advertised_fix("seatctl-reference", closed, 30.0)
    assert "timeout=1`" in advertised_fix("nginx", 1.98992, 30.0)
