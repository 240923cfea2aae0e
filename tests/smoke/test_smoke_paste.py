"""`smoke --report FILE.md|FILE.html` and the GitHub Actions job summary: the report to paste,
written after the run, masked like every output; a wrong kind refused before the run."""

from __future__ import annotations

import json
from pathlib import Path

from seatctl.exit_codes import ExitCode
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.helpers import Cli

# Closes idle connections at 0.5 s after promising 3 s: smoke fails keep-alive.
LIAR = ConnectionTimeouts(keep_alive_timeout=0.5, advertised_keep_alive=3.0)


def test_the_reports_say_what_the_run_found(cli: Cli, start_server: StartServer,
                                            tmp_path: Path) -> None:
    server = start_server(timeouts=LIAR)
    markdown, page, summary = tmp_path / "smoke.md", tmp_path / "smoke.html", tmp_path / "sum"
    summary.write_text("earlier step\n")
    outcome = cli("smoke", server.url, "--max-time", "2", "--json", "--report", str(markdown),
                  "--report", str(page), env={"GITHUB_STEP_SUMMARY": str(summary),
                                              "SEATCTL_TOKEN": "secret-token-123456"})
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    document = json.loads(outcome.stdout)
    text = markdown.read_text()
    assert "keep-alive" in text and server.url in text
    assert "<svg" in page.read_text() and "keep-alive" in page.read_text()
    assert 'id="seatctl-document"' in page.read_text()
    appended = summary.read_text()
    assert appended.startswith("earlier step\n") and appended[len("earlier step\n"):] == text
    assert document["passed"] is False
    for written in (markdown, page, summary):
        assert "secret-token-123456" not in written.read_text()


def test_a_report_of_another_kind_is_refused_before_the_run(cli: Cli, tmp_path: Path) -> None:
    outcome = cli("smoke", "http://127.0.0.1:9", "--report", str(tmp_path / "smoke.pdf"))
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "give a .md or .html file" in outcome.stderr
    assert "Measuring" not in outcome.stderr and not (tmp_path / "smoke.pdf").exists()


def test_a_report_in_a_missing_folder_is_refused_before_the_run(cli: Cli,
                                                                 tmp_path: Path) -> None:
    outcome = cli("smoke", "http://127.0.0.1:9", "--report", str(tmp_path / "no" / "x.md"))
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "cannot write the report" in outcome.stderr


def test_a_job_summary_that_cannot_be_written_loses_nothing(cli: Cli,
                                                            start_server: StartServer) -> None:
    server = start_server(timeouts=LIAR)
    outcome = cli("smoke", server.url, "--max-time", "2", "--json",
                  env={"GITHUB_STEP_SUMMARY": "/nonexistent/folder/summary.md"})
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)  # the run's own verdict
    assert json.loads(outcome.stdout)["passed"] is False
    assert "warning: cannot write the GitHub job summary /nonexistent/folder/summary.md" \
        in outcome.stderr


def test_an_unreachable_server_still_gets_its_report(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "smoke.md"
    outcome = cli("smoke", "http://127.0.0.1:9", "--report", str(report),
                  env={"SEATCTL_RETRIES": "0"})
    assert outcome.exit_code == ExitCode.NETWORK, str(outcome)
    assert "FAIL" in report.read_text()
