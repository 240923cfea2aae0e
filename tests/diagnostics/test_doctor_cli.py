"""`seatctl doctor` end to end against the reference server with known, scaled-down knobs:
the measured values, the findings (and none where nothing is wrong), the verdict's exit
code, JSON, JUnit, and bad input."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seatctl.server import ConnectionTimeouts
from seatctl.server.config import parse_fault
from tests.conftest import StartServer
from tests.diagnostics.h2servers import HypercornSettings, hypercorn_server, write_certificate
from tests.helpers import Cli, Outcome

QUICK = ("--quick", "--max-wait", "3")


def keep_alive(seconds: float, advertised: float | None = None, **knobs: Any
               ) -> ConnectionTimeouts:
    return ConnectionTimeouts(keep_alive_timeout=seconds,
                              advertised_keep_alive=seconds if advertised is None else advertised,
                              **knobs)


def doctor_json(cli: Cli, url: str, *args: str) -> tuple[Outcome, dict[str, Any]]:
    outcome = cli("doctor", url, "--json", *args)
    assert outcome.exit_code in (0, 1), str(outcome)
    return outcome, json.loads(outcome.stdout)


def severities(document: dict[str, Any]) -> dict[str, str]:
    return {finding["id"]: finding["severity"] for finding in document["findings"]}


def test_a_healthy_server_has_no_finding_and_exits_0(cli: Cli, start_server: StartServer
                                                     ) -> None:
    server = start_server(timeouts=keep_alive(1.5, headers_timeout=2.0, request_timeout=2.5))
    outcome, document = doctor_json(cli, server.url, "--max-wait", "3",
                                    "--lb-idle-timeout", "1", "--client-expiry", "0.5")
    assert outcome.exit_code == 0
    assert document["verdict"] == "ok", document["findings"]
    assert set(severities(document).values()) == {"ok"}
    keepalive = document["probes"]["keepalive"]
    assert keepalive["persistent"] and keepalive["close_kind"] == "fin"
    assert 1.5 - 0.02 <= keepalive["idle_close_s"] <= 1.5 + 0.3
    assert keepalive["advertised_timeout_s"] == 1.5
    slow = document["probes"]["slow_client"]
    assert (slow["headers"]["kind"], slow["headers"]["status"]) == ("status", 408)
    assert 2.0 - 0.02 <= slow["headers"]["seconds"] <= 2.0 + 0.6
    assert (slow["body"]["kind"], slow["body"]["status"]) == ("status", 408)
    assert 2.5 - 0.02 <= slow["body"]["seconds"] <= 2.5 + 0.6
    assert document["edge"]["app_server"]["key"] == "seatctl-reference"


@pytest.mark.parametrize("seconds", [0.3, 0.8, 1.5])
def test_the_idle_close_and_the_race_window_are_measured(
    cli: Cli, start_server: StartServer, seconds: float,
) -> None:
    server = start_server(timeouts=keep_alive(seconds))
    _, document = doctor_json(cli, server.url, *QUICK)
    keepalive = document["probes"]["keepalive"]
    assert seconds - 0.02 <= keepalive["idle_close_s"] <= seconds + 0.3
    assert keepalive["close_kind"] == "fin" and not keepalive["idle_close_lower_bound"]
    race = document["probes"]["race"]
    # Reuse works until the server's close, as measured: its timer can fire late under load.
    assert race["ok_until_s"] < keepalive["idle_close_s"] + 0.02
    assert seconds <= race["failing_from_s"] + 0.02
    assert set(race["failures"]) <= {"reset", "closed-before-response"}
    assert severities(document)["reuse-race"] == "ok"


def test_node_defaults_scaled_down_warn_about_the_proxy_with_the_assumption_said(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(0.6, advertised=0.5))
    outcome, document = doctor_json(cli, server.url, *QUICK)
    assert outcome.exit_code == 0  # warnings only; --fail-on fail is the default
    assert document["verdict"] == "warn"
    found = severities(document)
    assert found["idle-close-vs-proxy"] == "warn"
    assert found["keepalive-header"] == "ok"  # promises 0.5, keeps 0.6: Node's shape
    assert document["assumptions"]["lb_idle_timeout"]["basis"] == "assumed"
    assert document["probes"]["slow_client"] is None
    assert {s["id"] for s in document["skipped"]} >= {"headers-timeout", "request-timeout"}


def test_a_stated_load_balancer_timeout_makes_it_a_failure_with_the_fix(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(timeouts=keep_alive(0.4))
    outcome = cli("doctor", server.url, *QUICK, "--lb-idle-timeout", "1")
    assert outcome.exit_code == 1, str(outcome)
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("✗ FAIL")
    assert "closes idle connections before the proxy" in outcome.stdout
    assert "seatctl serve --keep-alive-timeout 6" in outcome.stdout  # 1 s + 5 s margin
    assert "Idle connection after a response (to scale)" in outcome.stdout


def test_fail_on_warn_turns_warnings_into_exit_1(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.6, advertised=0.5))
    assert cli("doctor", server.url, *QUICK, "--fail-on", "warn").exit_code == 1


def test_a_keep_alive_header_that_lies_fails(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.4, advertised=2.0))
    outcome, document = doctor_json(cli, server.url, *QUICK)
    assert outcome.exit_code == 1
    assert severities(document)["keepalive-header"] == "fail"


def test_no_keep_alive_is_a_warning_and_no_race(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0))
    _, document = doctor_json(cli, server.url, *QUICK)
    assert document["probes"]["keepalive"]["persistent"] is False
    assert severities(document)["keepalive-persistent"] == "warn"
    assert document["probes"]["race"]["skipped"]


def test_a_request_limit_per_connection_is_counted(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(2.0, max_requests_per_connection=7))
    _, document = doctor_json(cli, server.url, "--quick", "--max-wait", "0.5")
    served = document["probes"]["keepalive"]["requests_per_connection"]
    assert (served["served"], served["ended_by"]) == (7, "connection-close")
    assert document["probes"]["keepalive"]["idle_close_lower_bound"] is True


def test_faults_show_in_the_burst(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(2.0), faults=(parse_fault("proxy-502=0.3"),),
                          seed=7)
    outcome, document = doctor_json(cli, server.url, "--quick", "--max-wait", "0.5")
    assert outcome.exit_code in (0, 1)
    burst = document["probes"]["burst"]
    assert burst["outcomes"]["5xx"] > 0
    assert severities(document)["burst"] == "fail"


def test_quick_takes_about_one_idle_close(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(1.0))
    started = time.monotonic()
    _, document = doctor_json(cli, server.url, "--quick", "--max-wait", "5")
    assert time.monotonic() - started < 1.0 + 2.0
    assert document["complete"] is True


def test_junit_has_one_case_per_rule(cli: Cli, start_server: StartServer, tmp_path: Path
                                     ) -> None:
    server = start_server(timeouts=keep_alive(0.4))
    report = tmp_path / "doctor.xml"
    outcome = cli("doctor", server.url, *QUICK, "--lb-idle-timeout", "1",
                  "--junit", str(report))
    assert outcome.exit_code == 1
    suite = ET.parse(report).getroot()
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests", "0")) >= 10
    failed = [case.get("name") for case in cases if case.find("failure") is not None]
    assert "idle-close-vs-proxy" in failed
    assert int(suite.get("failures", "0")) == len(failed)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://"])
def test_urls_that_are_not_http_are_refused(cli: Cli, url: str) -> None:
    outcome = cli("doctor", url, "--quick")
    assert outcome.exit_code == 2, str(outcome)
    assert "error:" in outcome.stderr and "Traceback" not in outcome.stderr + outcome.stdout


def test_an_unreachable_target_is_a_network_error(cli: Cli) -> None:
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = cli("doctor", f"http://127.0.0.1:{port}", "--quick")
    assert outcome.exit_code == 6, str(outcome)
    assert "refused" in outcome.stderr


def test_bad_numbers_are_usage_errors(cli: Cli) -> None:
    outcome = cli("doctor", "http://127.0.0.1:9", "--max-wait", "0")
    assert outcome.exit_code == 2
    outcome = cli("doctor", "http://127.0.0.1:9", "--fail-on", "never")
    assert outcome.exit_code == 2


def test_ctrl_c_prints_the_partial_report_and_exits_130(start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(30.0))
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "doctor", server.url, "--json", "--max-wait", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stderr is not None
        assert "Measuring" in process.stderr.readline()  # the probes are planned
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 130
    document = json.loads(stdout)
    assert (document["complete"], document["cut_by"]) == (False, "interrupted")
    keepalive = document["probe_states"]["keepalive"]
    assert (keepalive["state"], keepalive["cut_by"]) == ("cut", "interrupted")


@pytest.mark.parametrize(("fault", "outcome"), [
    ("reset-before-response=0.3", "reset"),
    ("close-without-response=0.3", "closed"),
    ("proxy-502=0.3", "5xx"),
    ("reset-on-accept=0.3", "reset"),
])
def test_each_fault_is_classified_in_the_burst_and_found(
    cli: Cli, start_server: StartServer, fault: str, outcome: str,
) -> None:
    server = start_server(timeouts=keep_alive(2.0), faults=(parse_fault(fault),), seed=3)
    result, document = doctor_json(cli, server.url, "--quick", "--max-wait", "0.5")
    assert result.exit_code == 1  # the burst's failures are a failing finding
    burst = document["probes"]["burst"]
    assert burst["outcomes"][outcome] > 0, burst
    assert sum(burst["outcomes"].values()) == 200
    if outcome == "5xx":
        assert severities(document)["burst"] == "fail"
    else:  # single requests were cut too: random-resets fails, the burst rule defers to it
        assert severities(document)["random-resets"] == "fail"
        skipped = {entry["id"]: entry["reason"] for entry in document["skipped"]}
        assert "see random-resets" in skipped["burst"]
    assert "Traceback" not in result.stderr


def test_a_stall_shows_in_the_latency(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(2.0), faults=(parse_fault("stall=0.5:0.3"),),
                          seed=3)
    _, document = doctor_json(cli, server.url, "--quick", "--max-wait", "0.5")
    burst = document["probes"]["burst"]
    assert burst["outcomes"]["ok"] == 200
    assert burst["latency_max_s"] >= 0.3


# --- HTTP/2 and the reports to paste -------------------------------------------------------


@pytest.fixture
def hypercorn_tls_url(tls_ca: Any, tmp_path: Path) -> Iterator[str]:
    """hypercorn over TLS (h2 and http/1.1 in ALPN), idle timeout 1 s."""
    with hypercorn_server(HypercornSettings(1.0), write_certificate(tls_ca, tmp_path)) as url:
        yield url


def test_http1_and_http2_together_are_a_usage_error(cli: Cli) -> None:
    outcome = cli("doctor", "http://127.0.0.1:9", "--http1", "--http2")
    assert outcome.exit_code == 2 and "not both" in outcome.stderr
    assert cli("doctor", "https://127.0.0.1:9", "--h2c").exit_code == 2


def test_https_shows_both_protocols_side_by_side_and_the_server(
    cli: Cli, hypercorn_tls_url: str, ca_pem: Path,
) -> None:
    outcome = cli("doctor", hypercorn_tls_url, *QUICK, env={"SEATCTL_CA_BUNDLE": str(ca_pem)})
    assert outcome.exit_code in (0, 1), str(outcome)
    lines = outcome.stdout.splitlines()
    header = next(line for line in lines if "HTTP/1.1" in line and "HTTP/2" in line)
    assert header.index("HTTP/1.1") < header.index("HTTP/2")
    assert any(line.startswith("idle close") and line.count(" s") >= 2 for line in lines)
    assert any(line.startswith("ends with") and "FIN" in line for line in lines)
    assert any(line.startswith("HTTP/2") and "ALPN h2" in line for line in lines)
    assert any(line.startswith("server ") for line in lines)
    assert "[h2-goaway]" in outcome.stdout


def test_h2c_with_http2_only_writes_the_reports(cli: Cli, tmp_path: Path) -> None:
    markdown, page, summary = tmp_path / "doctor.md", tmp_path / "doctor.html", tmp_path / "s.md"
    summary.write_text("earlier step\n")
    with hypercorn_server(HypercornSettings(1.0), None) as url:
        outcome = cli("doctor", url, "--http2", "--h2c", "--max-wait", "3", "--json",
                      "--report", str(markdown), "--report", str(page),
                      env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert outcome.exit_code in (0, 1), str(outcome)
    document = json.loads(outcome.stdout)
    states = {name: state["state"] for name, state in document["probe_states"].items()}
    assert states.pop("http2") == "done" and set(states.values()) == {"skipped"}
    assert document["probes"]["http2"]["h2c"] is True
    assert markdown.read_text().startswith("## seatctl doctor: ")
    assert "h2-goaway" in markdown.read_text()
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert summary.read_text().startswith("earlier step\n## seatctl doctor: ")


def test_a_report_of_another_kind_is_refused_before_the_run(cli: Cli, tmp_path: Path) -> None:
    outcome = cli("doctor", "http://127.0.0.1:9", "--report", str(tmp_path / "doctor.txt"))
    assert outcome.exit_code == 2 and ".md or .html" in outcome.stderr


def test_the_reference_server_is_named_in_the_inference(cli: Cli, start_server: StartServer
                                                        ) -> None:
    server = start_server(timeouts=keep_alive(2.0, advertised=1.0))  # Node's 1 s buffer
    _, document = doctor_json(cli, server.url, *QUICK)
    assert document["probe_states"]["http2"]["error"] == "http:// without --h2c"
    inferred = document["inference"]["server"]
    assert inferred["component"] == "seatctl-reference", inferred
    assert inferred["confidence"] in ("certain", "likely") and inferred["basis"]
