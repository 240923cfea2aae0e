"""A doctor run made into a report: the front door identified (by headers, and by behaviour:
`identify.infer`), the rules evaluated, the verdict; and the report as a JSON document
(schema `seatctl.doctor/1`, documented in the README) and as JUnit XML (one test case per
rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seatctl.diagnostics.defaults import Documented
from seatctl.diagnostics.edge import EdgeResult, Identified, identify
from seatctl.diagnostics.findings import (
    Assumed,
    Facts,
    Finding,
    Outcome,
    Severity,
    Skipped,
    client_expiry,
    evaluate,
    proxy_idle,
    rules_for,
    verdict,
)
from seatctl.diagnostics.identify import ErrorPage, Evidence, Http2Facts, Inference, infer
from seatctl.diagnostics.results import (
    BurstResult,
    FailedTry,
    GiveUp,
    Goaway,
    GoawayRaceResult,
    Http2IdleClose,
    Http2Result,
    KeepAliveResult,
    Percentiles,
    PingResult,
    RaceResult,
    RawResponse,
    RequestsPerConnectionResult,
    RequestTally,
    SlowClientResult,
    TimingResult,
)
from seatctl.diagnostics.runs import DoctorRun, ProbeRun, cut_words
from seatctl.diagnostics.targets import parse_target
from seatctl.junit import Case, Error, Failure, Skip, Suite, suite_xml

SCHEMA = "seatctl.doctor/1"
# As the doctor's JUnit report has always ordered them.
JUNIT_ATTRIBUTES = ("name", "time", "tests", "failures", "skipped", "errors")


@dataclass(frozen=True)
class Report:
    run: DoctorRun
    edge: EdgeResult
    origin_edge: EdgeResult | None
    facts: Facts
    outcomes: tuple[Outcome, ...]
    verdict: Severity
    inference: Inference

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(o for o in self.outcomes if isinstance(o, Finding))

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(o for o in self.outcomes if isinstance(o, Skipped))

    def reaches(self, threshold: Severity) -> bool:
        return self.verdict.rank >= threshold.rank


def build_report(run: DoctorRun) -> Report:
    edge = _identify(run.keep_alive, run.first_response)
    origin_edge = _identify(run.origin) if run.origin is not None else None
    inference = infer_server(run)
    facts = Facts(run=run, edge=edge, origin_edge=origin_edge,
                  proxy_idle=proxy_idle(run.plan.lb_idle_timeout, edge),
                  client_expiry=client_expiry(run.plan.client_expiry), inference=inference)
    outcomes = evaluate(facts)
    return Report(run, edge, origin_edge, facts, outcomes, verdict(outcomes), inference)


def infer_server(run: DoctorRun) -> Inference:
    """The server and front door named from what the run measured."""
    tls = run.timing.tls_info if run.timing is not None else None
    evidence = Evidence.from_results(keep_alive=run.keep_alive,
                                     first_response=run.first_response,
                                     slow_client=run.slow_client, tls=tls,
                                     error_pages=error_pages(run.first_response),
                                     http2=http2_facts(run.http2))
    return infer(evidence)


def error_pages(*responses: RawResponse | None) -> tuple[ErrorPage, ...]:
    """The error pages the run saw (their first bytes): a proxy's or server's own page names
    who wrote it."""
    return tuple(ErrorPage(response.status, response.error_body.decode("latin-1"),
                           response.headers)
                 for response in responses
                 if response is not None and response.status >= 400 and response.error_body)


def http2_facts(result: Http2Result | None) -> Http2Facts | None:
    if result is None:
        return None
    closed = result.idle_close
    if closed is None:
        return Http2Facts(alpn=result.alpn_selected)
    goaway = closed.goaway.error_name if closed.goaway else None
    return Http2Facts(alpn=result.alpn_selected, idle_close_s=closed.seconds,
                      lower_bound=closed.lower_bound, goaway_error=goaway)


def _identify(keep_alive: KeepAliveResult | None,
              first_response: RawResponse | None = None) -> EdgeResult:
    if keep_alive is None:  # interrupted or failed: the preflight's headers still tell
        return identify(first_response.headers if first_response else ())
    closed = keep_alive.idle_close
    return identify(keep_alive.headers, advertised_keep_alive_s=keep_alive.advertised_timeout_s,
                    idle_close_s=None if closed.lower_bound else closed.seconds,
                    status=keep_alive.status)


# --- JSON -------------------------------------------------------------------------------


def report_json(report: Report) -> dict[str, Any]:
    run = report.run
    return {
        "schema": SCHEMA,
        "target": run.plan.url,
        "origin": run.plan.origin,
        "verdict": report.verdict.value,
        "complete": run.complete,
        "cut_by": run.cut_by.value if run.cut_by else None,
        "elapsed_s": _r(run.elapsed()),
        "assumptions": {
            "lb_idle_timeout": _assumed(report.facts.proxy_idle),
            "client_expiry": _assumed(report.facts.client_expiry),
        },
        "probes": {
            "timing": _timing(run.timing),
            "keepalive": _keepalive(run.keep_alive, run.requests),
            "race": _race(run.idle.race if run.idle else None,
                          run.idle.race_skipped if run.idle else None),
            "burst": _burst(run.burst),
            "slow_client": _slow_client(run.slow_client),
            "origin": _keepalive(run.origin, None),
            "http2": _http2(run.http2),
        },
        "probe_states": {probe.value: _probe_state(run, record)
                         for probe, record in run.runs.items()},
        "fresh_requests": _fresh_requests(run.fresh_requests(), run.plan.tries),
        "edge": _edge(report.edge),
        "inference": report.inference.as_dict(),
        "origin_edge": _edge(report.origin_edge) if report.origin_edge else None,
        "findings": [_finding(f) for f in report.findings],
        "skipped": [{"id": s.id, "title": s.title, "reason": s.reason}
                    for s in report.skipped],
    }


def _r(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 4)


def _probe_state(run: DoctorRun, record: ProbeRun) -> dict[str, Any]:
    tally = run.tallies.get(record.probe.value)
    return {"state": record.state.value,
            "cut_by": record.cut_by.value if record.cut_by else None,
            "error": record.error,
            "elapsed_s": _r(record.elapsed(run.clock())),
            "started_s": _since(run, record.started_at),
            "ended_s": _since(run, record.ended_at),
            "failed_tries": [_failed_try(failed) for failed in tally.failed] if tally else []}


def _since(run: DoctorRun, at: float | None) -> float | None:
    """Seconds from the run's start (the HTML timeline's axis)."""
    return None if at is None else _r(max(0.0, at - run.started_at))


def _failed_try(failed: FailedTry) -> dict[str, Any]:
    return {"try": failed.number, "at_s": _r(failed.at_s), "failure": failed.failure.value,
            "message": failed.message}


def _fresh_requests(tally: RequestTally, tries: int) -> dict[str, Any]:
    failures: dict[str, int] = {}
    for failed in tally.failed:
        failures[failed.failure.value] = failures.get(failed.failure.value, 0) + 1
    return {"sent": tally.sent, "cut": tally.cut, "failures": failures, "tries": tries}


def _assumed(value: Assumed) -> dict[str, Any]:
    return {"seconds": value.seconds, "basis": value.basis.value, "source": value.source}


def _spread(spread: Percentiles | None) -> dict[str, Any] | None:
    return None if spread is None else {"p50": _r(spread.p50), "p95": _r(spread.p95)}


def _timing(timing: TimingResult | None) -> dict[str, Any] | None:
    if timing is None:
        return None
    tls = timing.tls_info
    return {
        "samples": len(timing.samples),
        "statuses": sorted({sample.status for sample in timing.samples}),
        "address": timing.samples[0].address,
        "dns_s": _spread(timing.dns), "connect_s": _spread(timing.connect),
        "tls_s": _spread(timing.tls), "ttfb_s": _spread(timing.ttfb),
        "total_s": _spread(timing.total),
        "tls": None if tls is None else {
            "version": tls.version, "alpn": tls.alpn, "cipher": tls.cipher,
            "cert_days_left": None if tls.cert_days_left is None else round(tls.cert_days_left, 1),
        },
    }


KEEPALIVE_KEYS = ("persistent", "status", "http_version", "connection_header",
                  "keep_alive_header", "advertised_timeout_s", "advertised_max_requests",
                  "advertised_exceeds_idle_close", "idle_close_s", "idle_close_lower_bound",
                  "close_kind", "max_wait_s")


def _keepalive(keep_alive: KeepAliveResult | None,
               requests: RequestsPerConnectionResult | None) -> dict[str, Any] | None:
    if keep_alive is None and requests is None:
        return None
    if keep_alive is None:  # the count finished, the idle wait did not
        return {**dict.fromkeys(KEEPALIVE_KEYS), "requests_per_connection": _served(requests)}
    closed = keep_alive.idle_close
    return {
        "persistent": keep_alive.persistent,
        "status": keep_alive.status,
        "http_version": keep_alive.http_version,
        "connection_header": keep_alive.connection_header,
        "keep_alive_header": keep_alive.keep_alive_header,
        "advertised_timeout_s": keep_alive.advertised_timeout_s,
        "advertised_max_requests": keep_alive.advertised_max_requests,
        "advertised_exceeds_idle_close": keep_alive.advertised_exceeds_idle_close,
        "idle_close_s": _r(closed.seconds),
        "idle_close_lower_bound": closed.lower_bound,
        "close_kind": closed.kind.value if closed.kind else None,
        "max_wait_s": keep_alive.max_wait_s,
        "requests_per_connection": _served(requests),
    }


def _served(requests: RequestsPerConnectionResult | None) -> dict[str, Any] | None:
    if requests is None:
        return None
    return {"served": requests.served, "ended_by": requests.ended_by.value,
            "lower_bound": requests.lower_bound, "limit": requests.limit,
            "advertised_max_requests": requests.advertised_max_requests}


def _race(race: RaceResult | None, skipped: str | None) -> dict[str, Any] | None:
    if race is None:
        return None if skipped is None else {"skipped": skipped}
    return {
        "skipped": None,
        "idle_close_s": _r(race.idle_close_s),
        "failing_from_s": _r(race.failing_from_s),
        "ok_until_s": _r(race.ok_until_s),
        "failures": [outcome.value for outcome in race.failures],
        "attempts": [
            {"offset_s": a.offset_s, "idle_s": _r(a.idle_s), "outcome": a.outcome.value,
             "status": a.status, "fin_before_send": a.fin_before_send, "detail": a.detail}
            for a in race.attempts
        ],
    }


def _burst(burst: BurstResult | None) -> dict[str, Any] | None:
    if burst is None:
        return None
    return {
        "connections": burst.connections,
        "requests_per_connection": burst.requests_per_connection,
        "outcomes": {outcome.value: count for outcome, count in burst.outcomes.items()},
        "statuses": {str(status): count for status, count in sorted(burst.statuses.items())},
        "latency_s": _spread(burst.latency),
        "latency_max_s": _r(burst.latency_max_s),
        "connections_opened": burst.connections_opened,
        "elapsed_s": _r(burst.elapsed_s),
        "first_failure": burst.first_failure,
    }


def _http2(result: Http2Result | None) -> dict[str, Any] | None:
    """The HTTP/2 probe; `idle_close_s`, `idle_close_lower_bound` and `close_kind` as in the
    keep-alive section (the timeline marks them), the details nested."""
    if result is None:
        return None
    closed = result.idle_close
    return {
        "h2c": result.h2c,
        "alpn": {"offered": list(result.alpn_offered), "selected": result.alpn_selected},
        "speaks_h2": result.speaks_h2,
        "skipped": result.skipped,
        "settings": _settings(result),
        "idle_close_s": _r(closed.seconds) if closed else None,
        "idle_close_lower_bound": closed.lower_bound if closed else None,
        "close_kind": _h2_close_kind(closed),
        "idle_close": _h2_idle_close(closed),
        "ping": _ping(result.ping),
        "goaway_race": _goaway_race(result.goaway_race),
        "max_wait_s": result.max_wait_s,
        "connections": result.connections,
    }


def _settings(result: Http2Result) -> dict[str, Any] | None:
    settings = result.settings
    if settings is None:
        return None
    return {"max_concurrent_streams": settings.max_concurrent_streams,
            "initial_window_size": settings.initial_window_size,
            "max_frame_size": settings.max_frame_size,
            "max_header_list_size": settings.max_header_list_size,
            "connection_window": settings.connection_window}


def _h2_close_kind(closed: Http2IdleClose | None) -> str | None:
    if closed is None or closed.lower_bound:
        return None
    return "goaway" if closed.goaway is not None else (closed.end.value if closed.end else None)


def _goaway(goaway: Goaway | None, after_s: float | None) -> dict[str, Any] | None:
    if goaway is None:
        return None
    return {"error": goaway.error_name, "last_stream_id": goaway.last_stream_id,
            "after_s": _r(after_s), "debug_data": goaway.debug_data}


def _h2_idle_close(closed: Http2IdleClose | None) -> dict[str, Any] | None:
    if closed is None:
        return None
    return {"goaway": _goaway(closed.goaway, closed.goaway_after_s),
            "end": closed.end.value if closed.end else None,
            "end_after_s": _r(closed.end_after_s), "lower_bound": closed.lower_bound}


def _ping(ping: PingResult | None) -> dict[str, Any] | None:
    if ping is None:
        return None
    return {"outcome": ping.outcome.value if ping.outcome else None, "skipped": ping.skipped,
            "interval_s": _r(ping.interval_s), "pings_sent": ping.pings_sent,
            "pings_acked": ping.pings_acked, "open_for_s": _r(ping.open_for_s),
            "failure": ping.failure.message if ping.failure else None}


def _goaway_race(race: GoawayRaceResult | None) -> dict[str, Any] | None:
    if race is None:
        return None
    return {"outcome": race.outcome.value if race.outcome else None, "skipped": race.skipped,
            "safe_to_retry": race.safe_to_retry, "reset_code": race.reset_code,
            "status": race.status, "stream_id": race.stream_id,
            "goaway": _goaway(race.goaway, race.goaway_after_s),
            "failure": race.failure.message if race.failure else None}


def _give_up(give_up: GiveUp) -> dict[str, Any]:
    return {"seconds": _r(give_up.seconds), "kind": give_up.kind.value,
            "status": give_up.status, "lower_bound": give_up.lower_bound,
            "bytes_sent": give_up.bytes_sent}


def _slow_client(slow: SlowClientResult | None) -> dict[str, Any] | None:
    if slow is None:
        return None
    return {"headers": _give_up(slow.headers), "body": _give_up(slow.body),
            "interval_s": slow.interval_s, "max_wait_s": slow.max_wait_s}


def _identified(found: Identified | None) -> dict[str, Any] | None:
    if found is None:
        return None
    component = found.component
    return {"key": component.key, "name": component.name, "role": component.role.value,
            "evidence": list(found.evidence), "by": found.by,
            "documented": [_documented(d) for d in component.defaults]}


def _documented(documented: Documented) -> dict[str, Any]:
    return {"setting": documented.setting, "value": documented.value,
            "governs": documented.governs.value, "source": documented.source,
            "status": documented.status, "note": documented.note or None}


def _edge(edge: EdgeResult) -> dict[str, Any]:
    return {"front_door": _identified(edge.front_door),
            "app_server": _identified(edge.app_server),
            "layers": [layer.component.key for layer in edge.layers]}


def _finding(finding: Finding) -> dict[str, Any]:
    return {"id": finding.id, "severity": finding.severity.value, "title": finding.title,
            "detail": finding.detail, "fix": finding.fix}


# --- JUnit ------------------------------------------------------------------------------


def junit_xml(report: Report, fail_on: Severity = Severity.FAIL,
              rule_ids: Sequence[str] | None = None) -> str:
    """One test case per rule: a failure when its finding reaches `fail_on`, skipped when
    the rule could not be evaluated (or the run was interrupted before it)."""
    by_id = {outcome.id: outcome for outcome in report.outcomes}
    if rule_ids is None:
        rule_ids = [rule.id for rule in rules_for(report.run)]
    classname = f"doctor.{_host(report)}"
    cases = [_rule_case(classname, rule_id, by_id.get(rule_id), fail_on)
             for rule_id in rule_ids]
    if not report.run.complete:  # CI must not pass a run that measured nothing
        error = Error(f"{cut_words(report.run.cut_by)}: the report is partial")
        cases.append(Case(classname, "run-complete", result=error))
    suite = Suite("seatctl doctor", report.run.elapsed(), cases)
    return suite_xml(suite, attributes=JUNIT_ATTRIBUTES)


def _rule_case(classname: str, rule_id: str, outcome: Outcome | None,
               fail_on: Severity) -> Case:
    if isinstance(outcome, Finding) and outcome.severity.rank >= fail_on.rank:
        text = outcome.detail + (f"\n\nFix:\n{outcome.fix}" if outcome.fix else "")
        failure = Failure(outcome.title, outcome.severity.value, text)
        return Case(classname, rule_id, result=failure)
    if isinstance(outcome, Finding):
        return Case(classname, rule_id, output=f"{outcome.severity.value}: {outcome.detail}")
    reason = outcome.reason if outcome else "not evaluated"
    return Case(classname, rule_id, result=Skip(reason))


def _host(report: Report) -> str:
    return parse_target(report.run.plan.url).label.replace(".", "_")
