"""`seatctl monitor --report` and `--metrics` through the command: the summary document is the
reports' input (schema, target, when, the command's times, the kept incidents); a bad
address or report kind is refused before any request."""

from __future__ import annotations

import json
from pathlib import Path

from seatctl.exit_codes import ExitCode
from seatctl.server.config import parse_fault
from tests.conftest import StartServer
from tests.helpers import Cli

FAST = ("--rate", "50", "--duration", "1")


def test_the_reports_are_written_from_the_summary(cli: Cli, start_server: StartServer,
                                                  tmp_path: Path) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.3"),), seed=2)
    markdown, page = tmp_path / "monitor.md", tmp_path / "monitor.html"
    outcome = cli("monitor", server.url, *FAST, "--json", "--report", str(markdown),
                  "--report", str(page), "--metrics", ":0")
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    summary = json.loads(outcome.stdout.splitlines()[-1])
    assert summary["schema"] == "seatctl.monitor/1" and summary["target"] == server.url
    assert summary["started_at"].endswith("Z") and summary["command_started_s"] is None
    assert "note: metrics: http://127.0.0.1:" in outcome.stderr
    text = markdown.read_text()
    assert text.startswith("## seatctl monitor: FAIL") and server.url in text
    assert "<svg" in page.read_text() and 'id="seatctl-document"' in page.read_text()


def test_a_bad_metrics_address_is_refused_before_any_request(cli: Cli) -> None:
    outcome = cli("monitor", "http://127.0.0.1:9", "--duration", "5", "--metrics", "nope")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "invalid --metrics 'nope'" in outcome.stderr


def test_a_report_of_another_kind_is_refused_before_any_request(cli: Cli,
                                                                tmp_path: Path) -> None:
    outcome = cli("monitor", "http://127.0.0.1:9", "--duration", "5", "--report",
                  str(tmp_path / "monitor.pdf"))
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "give a .md or .html file" in outcome.stderr
