"""The doctor's report as JSON (the stable keys of schema `seatctl.doctor/1`, their types)
and as JUnit XML (one test case per rule; failures from `fail_on`), from synthetic runs. No
network."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from seatctl.diagnostics.findings import RULES, Finding, Severity
from seatctl.diagnostics.report import SCHEMA, Report, junit_xml, report_json
from seatctl.diagnostics.results import CloseKind, ConnectionEnd, GiveUpKind
from seatctl.diagnostics.runs import DoctorRun, Probe, ProbeState
from tests.diagnostics.factories import (
    CLOUDFLARE,
    ELAPSED,
    EXPRESS,
    ORIGIN,
    URL,
    burst,
    doctor_run,
    give_up,
    healthy_run,
    keep_alive,
    node_default_run,
    report_of,
    requests,
    slow_client,
    with_keep_alive,
)

RULE_IDS = [rule.id for rule in RULES]
FINDING_KEYS = {"id", "severity", "title", "detail", "fix"}
SEVERITIES = {"ok", "warn", "fail"}


def mixed_run() -> DoctorRun:
    """Node's defaults before a stated 60 s proxy (a fail), a reset idle close (a warn), and
    a run that stopped before the slow-client and burst probes (skipped rules)."""
    run = with_keep_alive(node_default_run(EXPRESS, lb_idle_timeout=60.0),
                          keep_alive(6.0, CloseKind.RESET, advertised_s=5.0, headers=(EXPRESS,)))
    run.slow_client = None
    run.burst = None
    return run


def as_json(run: DoctorRun) -> dict[str, Any]:
    """The report's JSON document as a consumer reads it back."""
    document = report_json(report_of(run))
    decoded: dict[str, Any] = json.loads(json.dumps(document, allow_nan=False))
    assert decoded == document, "the document is plain JSON: no tuples, no non-string keys"
    return decoded


# --- JSON ------------------------------------------------------------------------------------


def test_the_json_has_the_stable_keys_with_their_types() -> None:
    document = as_json(healthy_run())
    assert document["schema"] == SCHEMA
    assert document["target"] == URL
    assert document["verdict"] == "ok"
    probes = document["probes"]
    keep_alive_probe = probes["keepalive"]
    assert keep_alive_probe["persistent"] is True
    assert keep_alive_probe["advertised_timeout_s"] == 65.0
    assert keep_alive_probe["idle_close_s"] == 66.0
    assert keep_alive_probe["idle_close_lower_bound"] is False
    assert keep_alive_probe["close_kind"] == "fin"
    assert keep_alive_probe["requests_per_connection"] == {
        "served": 200, "ended_by": "limit", "lower_bound": True, "limit": 200,
        "advertised_max_requests": None}
    for probe in ("timing", "race", "burst", "slow_client"):
        assert isinstance(probes[probe], dict), probe
    assert probes["timing"]["tls"]["cert_days_left"] == 90.0
    assert probes["race"]["idle_close_s"] == 66.0 and probes["race"]["skipped"] is None
    assert probes["burst"]["outcomes"]["ok"] == 200
    assert probes["slow_client"]["headers"] == {
        "seconds": 70.0, "kind": "status", "status": 408, "lower_bound": False,
        "bytes_sent": 140}
    assert set(document["edge"]) >= {"front_door", "app_server", "layers"}
    assert document["edge"]["app_server"]["key"] == "seatctl-reference"
    assert [finding["id"] for finding in document["findings"]] == RULE_IDS


@pytest.mark.parametrize("make_run", [healthy_run, mixed_run, doctor_run],
                         ids=["healthy", "mixed", "empty"])
def test_every_finding_has_exactly_the_stable_keys(make_run: Callable[[], DoctorRun]) -> None:
    document = as_json(make_run())
    assert document["verdict"] in SEVERITIES
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["id"] in RULE_IDS and finding["severity"] in SEVERITIES
        assert isinstance(finding["title"], str) and isinstance(finding["detail"], str)
        assert finding["fix"] is None or isinstance(finding["fix"], str)
    listed = [f["id"] for f in document["findings"]] + [s["id"] for s in document["skipped"]]
    assert sorted(listed) == sorted(RULE_IDS)


def test_the_json_findings_and_verdict_are_the_reports() -> None:
    report = report_of(mixed_run())
    document = as_json(mixed_run())
    assert document["verdict"] == report.verdict.value == "fail"
    assert document["findings"] == [
        {"id": f.id, "severity": f.severity.value, "title": f.title, "detail": f.detail,
         "fix": f.fix} for f in report.findings]
    severities = {f["id"]: f["severity"] for f in document["findings"]}
    assert severities["idle-close-vs-proxy"] == "fail"
    assert severities["idle-close-kind"] == "warn"
    assert {s["id"] for s in document["skipped"]} == {"headers-timeout", "request-timeout",
                                                      "burst"}


def test_nothing_measured_is_null_not_invented() -> None:
    document = as_json(doctor_run())
    assert document["verdict"] == "warn"  # nothing finished: the one finding
    assert [finding["id"] for finding in document["findings"]] == ["probes-finished"]
    assert set(document["probes"]) >= {"timing", "keepalive", "race", "burst", "slow_client"}
    assert all(value is None for value in document["probes"].values())
    assert document["edge"] == {"front_door": None, "app_server": None, "layers": []}


def test_a_reset_close_and_a_lower_bound_in_the_json() -> None:
    reset = as_json(with_keep_alive(healthy_run(), keep_alive(6.0, CloseKind.RESET)))
    assert reset["probes"]["keepalive"]["close_kind"] == "reset"
    still_open = as_json(with_keep_alive(healthy_run(), keep_alive(75.0, None)))
    keep_alive_probe = still_open["probes"]["keepalive"]
    assert keep_alive_probe["close_kind"] is None
    assert keep_alive_probe["idle_close_lower_bound"] is True
    assert keep_alive_probe["idle_close_s"] == 75.0
    assert still_open["probes"]["race"] == {"skipped": "no idle close within the wait"}


def test_a_server_without_keep_alive_in_the_json() -> None:
    run = with_keep_alive(healthy_run(), keep_alive(0.001, CloseKind.FIN, persistent=False,
                                                    advertised_s=None))
    run.requests = requests(1, ConnectionEnd.CLOSE_HEADER)
    keep_alive_probe = as_json(run)["probes"]["keepalive"]
    assert keep_alive_probe["persistent"] is False
    assert keep_alive_probe["advertised_timeout_s"] is None
    assert keep_alive_probe["requests_per_connection"]["ended_by"] == "connection-close"


def test_the_front_door_in_the_json_carries_its_documented_values() -> None:
    run = with_keep_alive(healthy_run(lb_idle_timeout=None, origin=ORIGIN),
                          keep_alive(75.0, None, advertised_s=None, headers=CLOUDFLARE))
    run.origin = keep_alive(6.0, advertised_s=5.0, headers=(EXPRESS,))
    document = as_json(run)
    front_door = document["edge"]["front_door"]
    assert front_door["key"] == "cloudflare" and front_door["by"] == "header"
    assert "server: cloudflare" in front_door["evidence"]
    documented = {d["setting"]: d for d in front_door["documented"]}
    upstream = documented["Proxy Idle Timeout (Cloudflare <-> origin)"]
    assert upstream["value"] == 900.0 and upstream["source"]
    assert document["assumptions"]["lb_idle_timeout"]["basis"] == "documented"
    assert document["assumptions"]["lb_idle_timeout"]["seconds"] == 900.0
    assert document["origin"] == ORIGIN
    assert document["probes"]["origin"]["idle_close_s"] == 6.0
    assert document["origin_edge"]["app_server"]["key"] == "express"


def test_assumptions_say_where_the_compared_values_come_from() -> None:
    assumed = as_json(node_default_run())["assumptions"]
    assert assumed["lb_idle_timeout"]["basis"] == "assumed"
    assert assumed["lb_idle_timeout"]["seconds"] == 60.0
    assert assumed["client_expiry"] == {
        "seconds": 5.0, "basis": "assumed",
        "source": assumed["client_expiry"]["source"]}
    stated = as_json(healthy_run(client_expiry=3.0))["assumptions"]
    assert stated["lb_idle_timeout"] == {"seconds": 60.0, "basis": "stated",
                                         "source": "--lb-idle-timeout"}
    assert stated["client_expiry"]["basis"] == "stated"


def test_probe_states_and_elapsed_time_are_reported() -> None:
    document = as_json(healthy_run(quick=True))
    assert document["complete"] is True
    assert document["elapsed_s"] == ELAPSED
    states = {name: state["state"] for name, state in document["probe_states"].items()}
    assert states == {"timing": "done", "keepalive": "done", "requests_per_connection": "done",
                      "burst": "done", "slow_client": "skipped", "origin": "skipped",
                      "http2": "skipped"}
    assert document["probes"]["slow_client"] is None
    assert document["probes"]["http2"] is None
    timing = document["probe_states"]["timing"]  # seconds from the run's start
    assert (timing["started_s"], timing["ended_s"]) == (0.0, ELAPSED)
    assert document["probe_states"]["http2"]["started_s"] is None


def test_an_interrupted_run_is_reported_incomplete() -> None:
    run = doctor_run()
    run.runs[Probe.TIMING].state = ProbeState.DONE
    run.mark_interrupted()
    document = as_json(run)
    assert (document["complete"], document["cut_by"]) == (False, "interrupted")
    keepalive = document["probe_states"]["keepalive"]
    assert (keepalive["state"], keepalive["cut_by"]) == ("cut", "interrupted")
    timing = document["probe_states"]["timing"]
    assert (timing["state"], timing["cut_by"]) == ("done", None)


def test_burst_statuses_are_string_keys() -> None:
    run = healthy_run()
    run.burst = burst(client_error=12, server_error=3)
    document = as_json(run)
    assert document["probes"]["burst"]["statuses"] == {"200": 185, "429": 12, "502": 3}
    assert document["probes"]["burst"]["outcomes"]["5xx"] == 3


# --- JUnit -----------------------------------------------------------------------------------


def parse(report: Report, fail_on: Severity = Severity.FAIL) -> ET.Element:
    """The JUnit document as CI reads it: the file's bytes, parsed."""
    return ET.fromstring(junit_xml(report, fail_on).encode("utf-8"))


@pytest.mark.parametrize("fail_on", [Severity.FAIL, Severity.WARN])
@pytest.mark.parametrize("make_run", [healthy_run, mixed_run, doctor_run],
                         ids=["healthy", "mixed", "empty"])
def test_junit_counts_match_its_test_cases(make_run: Callable[[], DoctorRun],
                                           fail_on: Severity) -> None:
    report = report_of(make_run())
    suite = parse(report, fail_on)
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    incomplete = [] if report.run.complete else ["run-complete"]  # an error CI cannot miss
    assert [case.get("name") for case in cases] == RULE_IDS + incomplete
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
    assert suite.get("skipped") == str(len(suite.findall("testcase/skipped")))
    assert suite.get("errors") == str(len(incomplete)) == str(len(suite.findall("testcase/error")))
    assert suite.get("time") == f"{ELAPSED:.3f}"
    reaching = [f.id for f in report.findings if f.severity.rank >= fail_on.rank]
    assert [case.get("name") for case in cases if case.find("failure") is not None] == reaching
    skipped = [s.id for s in report.skipped]
    assert [case.get("name") for case in cases if case.find("skipped") is not None] == skipped


def test_junit_failures_follow_fail_on() -> None:
    report = report_of(mixed_run())
    at_fail = parse(report, Severity.FAIL)
    assert at_fail.get("failures") == "1"
    failure = at_fail.find("testcase[@name='idle-close-vs-proxy']/failure")
    assert failure is not None
    finding = _finding(report, "idle-close-vs-proxy")
    assert failure.get("message") == finding.title and failure.get("type") == "fail"
    assert failure.text is not None and finding.detail in failure.text
    assert finding.fix is not None and finding.fix in failure.text
    # Below the threshold a warning is reported, not failed.
    warned = at_fail.find("testcase[@name='idle-close-kind']")
    assert warned is not None and warned.find("failure") is None
    output = warned.find("system-out")
    assert output is not None and output.text is not None and output.text.startswith("warn:")

    at_warn = parse(report, Severity.WARN)
    assert at_warn.get("failures") == "2"
    warn_failure = at_warn.find("testcase[@name='idle-close-kind']/failure")
    assert warn_failure is not None and warn_failure.get("type") == "warn"


def test_junit_skips_carry_the_reason() -> None:
    report = report_of(healthy_run(quick=True))
    suite = parse(report)
    skipped = suite.find("testcase[@name='headers-timeout']/skipped")
    assert skipped is not None and skipped.get("message") == "--quick"
    assert suite.get("failures") == "0" and suite.get("skipped") == "2"


def test_a_healthy_run_has_no_junit_failures_even_at_warn() -> None:
    suite = parse(report_of(healthy_run()), Severity.WARN)
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        str(len(RULE_IDS)), "0", "0")


def test_a_rule_without_an_outcome_is_skipped_as_not_evaluated() -> None:
    report = report_of(healthy_run())
    suite = ET.fromstring(junit_xml(report, rule_ids=("burst", "a-future-rule")).encode())
    assert suite.get("tests") == "2" and suite.get("skipped") == "1"
    skipped = suite.find("testcase[@name='a-future-rule']/skipped")
    assert skipped is not None and skipped.get("message") == "not evaluated"


def test_the_verdict_reaches_a_threshold() -> None:
    warned = report_of(node_default_run(EXPRESS))
    assert warned.verdict is Severity.WARN
    assert warned.reaches(Severity.WARN) and not warned.reaches(Severity.FAIL)
    failed = report_of(mixed_run())
    assert failed.reaches(Severity.WARN) and failed.reaches(Severity.FAIL)
    healthy = report_of(healthy_run())
    assert not healthy.reaches(Severity.WARN) and healthy.reaches(Severity.OK)


def test_slow_client_give_ups_in_the_json() -> None:
    run = healthy_run()
    run.slow_client = slow_client(give_up(70.0, GiveUpKind.RESET),
                                  give_up(75.0, GiveUpKind.STILL_OPEN))
    slow = as_json(run)["probes"]["slow_client"]
    assert slow["headers"]["kind"] == "reset" and slow["headers"]["status"] is None
    assert slow["body"]["kind"] == "still-open" and slow["body"]["lower_bound"] is True
    assert slow["interval_s"] == 0.5 and slow["max_wait_s"] == 75.0


def _finding(report: Report, rule_id: str) -> Finding:
    return next(f for f in report.findings if f.id == rule_id)
