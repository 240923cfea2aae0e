"""`seatctl monitor` through the real root command: global options, `--`, the help."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from seatctl.cli.app import COMMANDS
from seatctl.monitor.junit import junit_xml
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import Snapshot
from seatctl.monitor.verdict import judge
from seatctl.server import parse_fault
from tests.conftest import StartServer
from tests.helpers import Cli

SUMMARY = "Watch a deployment through a deploy: every reset, refusal and 502, classified."


def test_the_command_is_registered_with_its_summary() -> None:
    assert COMMANDS["monitor"].summary == SUMMARY


def test_the_help_starts_with_the_summary_and_ends_with_examples(cli: Cli) -> None:
    outcome = cli.ok("monitor", "--help")
    assert SUMMARY in outcome.stdout
    assert "seatctl monitor https://api.example.com --max-gap 2 -- ./deploy.sh" in outcome.stdout


def test_a_command_after_dashes_keeps_its_own_options(start_server: StartServer,
                                                      cli: Cli) -> None:
    server = start_server()
    outcome = cli("monitor", server.url, "--rate", "50", "--settle", "0.2",
                  "--json", "--", "sh", "-c", "exit 4", "--json")
    assert outcome.exit_code == 4, str(outcome)
    assert json.loads(outcome.stdout.splitlines()[-1])["type"] == "summary"


def test_out_of_bounds_options_are_usage_errors(cli: Cli) -> None:
    assert cli("monitor", "http://127.0.0.1:1", "--connections", "65").exit_code == 2
    assert cli("monitor", "http://127.0.0.1:1", "--rate", "500").exit_code == 2


def junit_cases(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    suite = ET.parse(path).getroot()
    return suite, {case.get("name", ""): case for case in suite.iter("testcase")}


def test_junit_fails_the_classes_seen_with_the_fix_and_passes_the_others(
        start_server: StartServer, cli: Cli, tmp_path: Path) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.2"),), seed=7)
    report = tmp_path / "monitor.xml"
    outcome = cli("monitor", server.url, "--rate", "50", "--duration", "1.5",
                  "--junit", str(report))
    assert outcome.exit_code == 1, str(outcome)
    suite, cases = junit_cases(report)
    assert suite.get("name") == "seatctl monitor"
    assert "gap-ended" not in cases and "refused" in cases and "gateway" in cases
    assert suite.get("tests") == str(len(cases))
    cut = cases["cut"].find("failure")
    assert cut is not None and cut.get("type") == "cut"
    assert cut.get("message", "").endswith("cut incidents (--max-errors 0)")
    assert "a process going away" in (cut.text or "")
    assert "seatctl serve --shutdown graceful" in (cut.text or "")
    assert int(suite.get("failures", "0")) == sum(
        case.find("failure") is not None for case in cases.values())
    assert list(cases["refused"]) == [] and list(cases["gateway"]) == []  # passed
    assert not list(tmp_path.glob(".monitor.xml.*"))  # no temporary file left


def test_junit_with_a_command_has_its_case_and_a_steady_run_passes_the_classes(
        start_server: StartServer, cli: Cli, tmp_path: Path) -> None:
    server = start_server()
    report = tmp_path / "monitor.xml"
    outcome = cli("monitor", server.url, "--rate", "50", "--settle", "0.3", "--junit",
                  str(report), "--", "sh", "-c", "exit 3")
    assert outcome.exit_code == 3, str(outcome)
    suite, cases = junit_cases(report)
    command = cases["command"].find("failure")
    assert command is not None and command.get("message") == "the command exited 3"
    assert suite.get("failures") == "1"
    assert all(list(case) == [] for name, case in cases.items() if name != "command")


def test_junit_to_a_folder_that_does_not_exist_is_refused_before_the_run(
        cli: Cli, tmp_path: Path) -> None:
    outcome = cli("monitor", "http://127.0.0.1:1", "--junit", str(tmp_path / "no" / "x.xml"))
    assert outcome.exit_code == 2
    assert "no writable folder" in outcome.stderr


def test_junit_passes_incidents_within_the_bounds_and_says_why() -> None:
    plan = MonitorPlan(url="http://127.0.0.1:8080", max_errors=5, max_gap=2.0)
    snapshot = Snapshot(
        elapsed=3.0, requests=30, answered=25, by_class={"cut": 2, "refused": 1, "slow": 1},
        errors=2, gaps=(1.5,), open_gap=None, p50=0.01, p95=0.02, idle_close=5.0,
        idle_close_source="assumed", incidents=())
    suite, cases = junit_cases_of(junit_xml(snapshot, judge(snapshot, plan), plan))
    assert suite.get("failures") == "0"
    assert "within --max-errors 5" in (cases["cut"].findtext("system-out") or "")
    assert "no gap longer than --max-gap 2 s" in (cases["refused"].findtext("system-out") or "")
    assert "noted, not an error" in (cases["slow"].findtext("system-out") or "")


def junit_cases_of(text: str) -> tuple[ET.Element, dict[str, ET.Element]]:
    suite = ET.fromstring(text.split("\n", 1)[1])  # past the XML declaration
    return suite, {case.get("name", ""): case for case in suite.iter("testcase")}
