"""The doctor's HTTP/2 probe in the run, the report and the rules: against hypercorn (TLS with
ALPN, and h2c), which no one here wrote, and over recorded results for each rule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.findings import HTTP2_RULES, Severity, Skipped
from seatctl.diagnostics.report import build_report, junit_xml, report_json
from seatctl.diagnostics.results import CloseKind, GoawayRaceOutcome, PingOutcome
from seatctl.diagnostics.runs import HTTP1_PROBES, CutBy, DoctorPlan, DoctorRun, Probe, ProbeState
from seatctl.diagnostics.targets import ConnectOptions
from seatctl.errors import UsageError
from tests.diagnostics.factories import (
    doctor_run,
    finding_of,
    goaway_race,
    h2_idle,
    healthy_run,
    http2,
    http2_without_h2,
    https_run,
    keep_alive,
    outcome_of,
    ping,
    report_of,
    with_http2,
    with_keep_alive,
)
from tests.diagnostics.h2servers import HypercornSettings, hypercorn_server, write_certificate

KEEP_ALIVE = 1.0  # hypercorn's idle timeout in these tests, seconds
MAX_WAIT = 3.0
H2_RULE_IDS = [rule.id for rule in HTTP2_RULES]


def as_json(run: DoctorRun) -> dict[str, Any]:
    document = report_json(build_report(run))
    decoded: dict[str, Any] = json.loads(json.dumps(document, allow_nan=False))
    assert decoded == document
    return decoded


def measure(url: str, ca_pem: Path | None = None, **plan: Any) -> DoctorRun:
    options = ConnectOptions(ca_bundle=ca_pem)
    run = DoctorRun(DoctorPlan(url, quick=True, max_wait=MAX_WAIT, connect=options, **plan))
    return asyncio.run(run_doctor(run))


@pytest.fixture
def hypercorn_tls(tls_ca: trustme.CA, tmp_path: Path) -> Iterator[str]:
    certificate = write_certificate(tls_ca, tmp_path)
    with hypercorn_server(HypercornSettings(KEEP_ALIVE), certificate) as url:
        yield url


@pytest.fixture
def hypercorn_h2c() -> Iterator[str]:
    with hypercorn_server(HypercornSettings(KEEP_ALIVE), None) as url:
        yield url


# --- against hypercorn ----------------------------------------------------------------


def test_hypercorn_over_tls_reports_http2_beside_http1(hypercorn_tls: str, ca_pem: Path
                                                       ) -> None:
    run = measure(hypercorn_tls, ca_pem, lb_idle_timeout=0.5)
    assert run.runs[Probe.HTTP2].state is ProbeState.DONE, run.runs[Probe.HTTP2]
    document = as_json(run)
    section = document["probes"]["http2"]
    assert section["alpn"] == {"offered": ["h2", "http/1.1"], "selected": "h2"}
    assert section["speaks_h2"] and section["skipped"] is None
    assert section["settings"]["max_concurrent_streams"] == 100
    closed = section["idle_close"]  # hypercorn closes idle h2 connections without GOAWAY
    assert closed["goaway"] is None and closed["end"] == "fin"
    assert KEEP_ALIVE - 0.05 <= closed["end_after_s"] <= KEEP_ALIVE + 0.5
    assert section["close_kind"] == "fin" and section["idle_close_lower_bound"] is False
    assert section["goaway_race"]["outcome"] == "no-goaway"
    found = {f["id"]: f["severity"] for f in document["findings"]}
    assert found["alpn"] == "ok" and found["h2-goaway"] == "warn"
    assert found["h2-idle-close-vs-proxy"] == "ok"  # 1 s outlasts the stated 0.5 s
    assert set(H2_RULE_IDS) <= set(found) | {s["id"] for s in document["skipped"]}
    states = document["probe_states"]["http2"]
    assert states["state"] == "done" and 0 <= states["started_s"] <= states["ended_s"]
    # Within the keep-alive probe's wait: the run takes about one idle close.
    assert document["elapsed_s"] < MAX_WAIT + 4


def test_h2c_is_probed_only_when_asked(hypercorn_h2c: str) -> None:
    run = measure(hypercorn_h2c, h2c=True, http1=False)
    section = as_json(run)["probes"]["http2"]
    assert section["h2c"] is True and section["alpn"] == {"offered": [], "selected": None}
    assert section["idle_close"]["end"] == "fin"
    assert finding_outcomes(run)["alpn"] == "ok"

    without = DoctorRun(DoctorPlan(hypercorn_h2c, quick=True))
    record = without.runs[Probe.HTTP2]
    assert (record.state, record.error) == (ProbeState.SKIPPED, "http:// without --h2c")


def finding_outcomes(run: DoctorRun) -> dict[str, str]:
    return {f.id: f.severity.value for f in build_report(run).findings}


def test_http2_alone_runs_only_the_http2_probe(hypercorn_tls: str, ca_pem: Path) -> None:
    run = measure(hypercorn_tls, ca_pem, http1=False)
    assert run.first_response is not None  # the preflight still checks the URL answers
    for probe in HTTP1_PROBES:
        assert run.runs[probe].state is ProbeState.SKIPPED
    assert run.runs[Probe.HTTP2].state is ProbeState.DONE
    assert run.keep_alive is None and run.timing is None
    ids = [outcome.id for outcome in build_report(run).outcomes]
    assert ids == ["probes-finished", "probe-path", *H2_RULE_IDS]


def test_http1_alone_runs_no_http2_probe(hypercorn_tls: str, ca_pem: Path) -> None:
    run = measure(hypercorn_tls, ca_pem, http2=False)
    assert run.runs[Probe.HTTP2].state is ProbeState.SKIPPED
    assert run.runs[Probe.HTTP2].error == "--http1" and run.http2 is None
    assert not set(H2_RULE_IDS) & {outcome.id for outcome in build_report(run).outcomes}


def test_https_without_h2_reports_the_alpn_finding(tls_server: str, ca_pem: Path) -> None:
    run = measure(tls_server, ca_pem)
    section = as_json(run)["probes"]["http2"]
    assert section["speaks_h2"] is False and section["alpn"]["selected"] == "http/1.1"
    alpn = finding_of(run, "alpn")
    assert alpn.severity is Severity.INFO and "ALPN selected http/1.1" in alpn.detail
    assert isinstance(outcome_of(run, "h2-goaway"), Skipped)


def test_a_deadline_cuts_the_http2_probe_and_says_so(tls_ca: trustme.CA, tmp_path: Path,
                                                     ca_pem: Path) -> None:
    certificate = write_certificate(tls_ca, tmp_path)
    with hypercorn_server(HypercornSettings(5.0), certificate) as url:
        run = measure(url, ca_pem, time_limit=1.0)
    assert run.cut_by is CutBy.DEADLINE
    record = run.runs[Probe.HTTP2]
    assert (record.state, record.cut_by) == (ProbeState.CUT, CutBy.DEADLINE)
    document = as_json(run)
    assert document["probe_states"]["http2"]["cut_by"] == "deadline"
    skipped = {s["id"]: s["reason"] for s in document["skipped"]}
    assert "cut by the --timeout deadline" in skipped["h2-goaway"]
    assert "--max-wait" not in skipped["h2-goaway"]


def test_usage_errors_of_the_protocol_flags() -> None:
    with pytest.raises(UsageError, match="not both"):
        DoctorPlan("https://127.0.0.1:9", http1=False, http2=False)
    with pytest.raises(UsageError, match="http:// URLs"):
        DoctorPlan("https://127.0.0.1:9", h2c=True)
    with pytest.raises(UsageError, match="--http1"):
        DoctorPlan("http://127.0.0.1:9", h2c=True, http2=False)


# --- the rules, over recorded results ---------------------------------------------------


def test_a_healthy_http2_edge_has_ok_and_info_findings() -> None:
    report = report_of(with_http2(https_run(), http2()))
    found = {f.id: f.severity for f in report.findings}
    assert {found[rule] for rule in H2_RULE_IDS} <= {Severity.OK, Severity.INFO}
    assert found["h2-ping-keepalive"] is Severity.INFO
    assert report.verdict is Severity.OK  # info is never the verdict


def test_h2_idle_close_before_the_proxy_fails_with_the_guessed_fix() -> None:
    """No header names the server; its 2 s close is gunicorn's default."""
    run = with_keep_alive(https_run(lb_idle_timeout=60.0),
                          keep_alive(2.0, advertised_s=None, headers=()))
    finding = finding_of(with_http2(run, http2(h2_idle(2.0))), "h2-idle-close-vs-proxy")
    assert finding.severity is Severity.FAIL
    assert "Over HTTP/2 the server closed an idle connection after 2 s" in finding.detail
    assert "The server may be gunicorn (possible: " in finding.detail
    assert finding.fix is not None and finding.fix.startswith("gunicorn --keep-alive 65")
    http1 = finding_of(run, "idle-close-vs-proxy")
    assert http1.fix == finding.fix  # the HTTP/1.1 rule uses the same guess


def test_several_fitting_stacks_each_get_the_fix() -> None:
    run = with_keep_alive(https_run(lb_idle_timeout=100.0),
                          keep_alive(5.0, advertised_s=None, headers=()))
    fix = finding_of(with_http2(run, http2(h2_idle(5.0))), "h2-idle-close-vs-proxy").fix
    assert fix is not None
    assert "If it is Hypercorn:\nhypercorn --keep-alive 105" in fix
    assert "If it is uvicorn:\nuvicorn app:app --timeout-keep-alive 105" in fix


def test_a_close_without_goaway_warns() -> None:
    run = with_http2(https_run(), http2(h2_idle(6.0, with_goaway=False)))
    finding = finding_of(run, "h2-goaway")
    assert finding.severity is Severity.WARN and "no GOAWAY" in finding.detail
    still_open = with_http2(https_run(), http2(h2_idle(3.0, with_goaway=False, end=None)))
    assert isinstance(outcome_of(still_open, "h2-goaway"), Skipped)


def test_goaway_with_an_error_code_warns() -> None:
    run = with_http2(https_run(), http2(h2_idle(6.0, error="PROTOCOL_ERROR")))
    assert finding_of(run, "h2-goaway").severity is Severity.WARN


@pytest.mark.parametrize(("outcome", "end", "severity"), [
    (PingOutcome.NOT_KEPT_ALIVE, CloseKind.FIN, Severity.INFO),
    (PingOutcome.NOT_KEPT_ALIVE, CloseKind.RESET, Severity.INFO),  # GOAWAY came first
    (PingOutcome.KEPT_ALIVE, None, Severity.INFO),
])
def test_ping_keepalive(outcome: PingOutcome, end: CloseKind | None, severity: Severity
                        ) -> None:
    run = with_http2(https_run(), http2(ping_result=ping(outcome, end=end)))
    finding = finding_of(run, "h2-ping-keepalive")
    assert finding.severity is severity and "AWS ALB" in finding.detail


@pytest.mark.parametrize(("race", "severity"), [
    (goaway_race(), Severity.OK),
    (goaway_race(GoawayRaceOutcome.CONNECTION_CLOSED, safe_to_retry=True, reset_code=None),
     Severity.OK),  # a stream above the last stream id
    (goaway_race(GoawayRaceOutcome.STREAM_RESET, safe_to_retry=False,
                 reset_code="INTERNAL_ERROR"), Severity.FAIL),
    (goaway_race(GoawayRaceOutcome.CONNECTION_RESET, safe_to_retry=False, reset_code=None),
     Severity.FAIL),
])
def test_goaway_race(race: Any, severity: Severity) -> None:
    finding = finding_of(with_http2(https_run(), http2(race=race)), "h2-goaway-race")
    assert finding.severity is severity
    if severity is Severity.FAIL:
        assert "lost" in finding.title and finding.fix


def test_alpn_without_h2_is_info_and_the_other_rules_skip() -> None:
    run = with_http2(https_run(), http2_without_h2())
    assert finding_of(run, "alpn").severity is Severity.INFO
    for rule in H2_RULE_IDS[1:]:
        assert isinstance(outcome_of(run, rule), Skipped)


def test_http2_rules_are_not_evaluated_for_http_without_h2c() -> None:
    report = report_of(healthy_run())
    assert not set(H2_RULE_IDS) & {outcome.id for outcome in report.outcomes}
    cases = junit_xml(report)
    assert "h2-goaway" not in cases


# --- JSON -----------------------------------------------------------------------------


def test_the_http2_section_and_inference_in_json() -> None:
    document = as_json(with_http2(https_run(), http2()))
    section = document["probes"]["http2"]
    assert section["idle_close"] == {
        "goaway": {"error": "NO_ERROR", "last_stream_id": 1, "after_s": 66.0,
                   "debug_data": None},
        "end": "fin", "end_after_s": 66.01, "lower_bound": False}
    assert section["ping"]["outcome"] == "not-kept-alive"
    assert set(section["ping"]) >= {"interval_s", "pings_sent", "open_for_s"}
    assert section["goaway_race"]["outcome"] == "refused-stream"
    assert section["goaway_race"]["safe_to_retry"] is True
    assert section["goaway_race"]["reset_code"] == "REFUSED_STREAM"
    assert (section["idle_close_s"], section["close_kind"]) == (66.0, "goaway")
    assert set(document["inference"]) == {"front_door", "server", "notes"}


def test_the_inference_names_a_node_like_server() -> None:
    """Advertised 5 s, closed at 6 s, no telling header: Node's default."""
    run = with_keep_alive(healthy_run(), keep_alive(6.0, advertised_s=5.0, headers=()))
    server = as_json(run)["inference"]["server"]
    assert (server["component"], server["confidence"]) == ("node", "likely")
    assert any("1 s" in basis for basis in server["basis"])


def test_an_interrupted_run_marks_the_http2_probe_cut() -> None:
    run = https_run()
    run.runs[Probe.HTTP2].state = ProbeState.RUNNING
    run.runs[Probe.HTTP2].started_at = run.started_at
    run.mark_interrupted()
    state = as_json(run)["probe_states"]["http2"]
    assert (state["state"], state["cut_by"]) == ("cut", "interrupted")
    assert state["started_s"] == 0.0
    assert doctor_run().runs[Probe.HTTP2].error == "http:// without --h2c"
