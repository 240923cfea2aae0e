"""The smoke report without a server: JSON, JUnit XML, GitHub workflow commands and their
escaping, the keep-alive verdicts from synthetic probe results, the terminal display."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from seatctl.diagnostics.results import CloseKind
from seatctl.errors import ConnectionRefused
from seatctl.render.smoke import SmokeDisplay, render_check, render_report
from seatctl.render.streams import IOStreams
from seatctl.smoke import (
    CHECK_NAMES,
    CheckResult,
    CheckStatus,
    SmokeReport,
    junit_xml,
    report_json,
    workflow_commands,
)
from seatctl.smoke.annotations import escape_data, escape_property, github_actions
from seatctl.smoke.keepalive import judge
from tests.diagnostics.factories import CLOUDFLARE, keep_alive

HOSTILE = "100% down\r\n::error::forged\x1b[2J, really: yes"


def report(*checks: CheckResult, unreachable: ConnectionRefused | None = None) -> SmokeReport:
    return SmokeReport("http://127.0.0.1:9", 60.0, 1.25, checks, unreachable)


def check(name: str, status: CheckStatus, message: str = "fine", **fields: object
          ) -> CheckResult:
    return CheckResult(name, status, message, seconds=0.5, **fields)  # type: ignore[arg-type]


def test_passed_allows_skips_but_no_failure() -> None:
    assert report(check("health", CheckStatus.PASS), check("auth", CheckStatus.SKIP)).passed
    assert not report(check("health", CheckStatus.FAIL)).passed
    refused = ConnectionRefused("refused")
    assert not report(check("health", CheckStatus.PASS), unreachable=refused).passed


def test_json_round_trips() -> None:
    document = report_json(report(check("latency", CheckStatus.PASS, warnings=("slow once",),
                                        details={"samples_ms": [1.0, None]})))
    assert json.loads(json.dumps(document)) == document
    assert document["checks"][0]["warnings"] == ["slow once"]
    assert document["checks"][0]["details"] == {"samples_ms": [1.0, None]}


def test_junit_marks_failures_skips_and_warnings() -> None:
    xml = junit_xml(report(
        check("health", CheckStatus.PASS, warnings=("GET /health failed on attempt 1",)),
        check("keep-alive", CheckStatus.FAIL, "closed after 0.2 s", fix="raise it\n  to 65",
              details={"hint": "see the doctor"}),
        check("auth", CheckStatus.SKIP, "no credentials"),
    ))
    suite = ET.fromstring(xml.encode())
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"),
            suite.get("errors")) == ("3", "1", "1", "0")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["health", "keep-alive", "auth"]
    assert "warning: GET /health failed on attempt 1" in (cases[0].findtext("system-out") or "")
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "closed after 0.2 s"
    assert failure.text == "closed after 0.2 s\n\nhint: see the doctor\n\nFix:\nraise it\n  to 65"
    skipped = cases[2].find("skipped")
    assert skipped is not None and skipped.get("message") == "no credentials"


def test_junit_stays_valid_xml_whatever_the_server_said() -> None:
    xml = junit_xml(report(check("health", CheckStatus.FAIL, HOSTILE)))
    failure = ET.fromstring(xml.encode()).find("testcase/failure")
    assert failure is not None
    assert "\x1b" not in (failure.text or "") and "\\x1b" in (failure.text or "")


def test_workflow_commands_for_failures_and_warnings_of_passes() -> None:
    lines = workflow_commands(report(
        check("health", CheckStatus.PASS, warnings=("retried once", "slow once")),
        check("latency", CheckStatus.FAIL, "too slow"),
        check("auth", CheckStatus.SKIP, "no credentials"),
        check("booking", CheckStatus.FAIL, "refused", warnings=("not shown",)),
    ))
    assert lines == [
        "::warning title=seatctl smoke health::retried once",
        "::warning title=seatctl smoke health::slow once",
        "::error title=seatctl smoke latency::too slow",
        "::error title=seatctl smoke booking::refused",
    ]


def test_workflow_commands_are_escaped_so_a_server_cannot_forge_one() -> None:
    [line] = workflow_commands(report(check("health", CheckStatus.FAIL, HOSTILE)))
    assert line == ("::error title=seatctl smoke health::100%25 down%0D%0A::error::forged"
                    "\\x1b[2J, really: yes")
    assert "\n" not in line and "\r" not in line


def test_escaping_follows_the_runner() -> None:
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


@pytest.mark.parametrize(("value", "enabled"), [("true", True), ("false", False), ("1", False),
                                                ("", False), (None, False)])
def test_github_actions_means_exactly_true(value: str | None, enabled: bool) -> None:
    assert github_actions({} if value is None else {"GITHUB_ACTIONS": value}) is enabled


# --- keep-alive verdicts ------------------------------------------------------------------


def test_a_close_before_min_idle_fails_with_the_identified_servers_fix() -> None:
    result = judge(keep_alive(6.0, advertised_s=5.0, headers=(("x-powered-by", "Express"),)),
                   15.0)
    assert result.status is CheckStatus.FAIL
    assert ("closed an idle connection after 6.00 s, before --min-idle 15 s (its Keep-Alive "
            "header promised 5 s)") in result.message
    assert result.fix is not None and "server.keepAliveTimeout = 65_000" in result.fix
    assert result.details["app_server"] == "express"


def test_a_reset_before_min_idle_fails_too() -> None:
    result = judge(keep_alive(1.0, CloseKind.RESET, advertised_s=None), 15.0)
    assert result.status is CheckStatus.FAIL and "reset an idle connection" in result.message


def test_behind_a_known_front_door_the_fix_names_its_documented_timeout() -> None:
    result = judge(keep_alive(2.0, advertised_s=None, headers=CLOUDFLARE), 15.0)
    assert result.status is CheckStatus.FAIL
    assert result.details["front_door"] == "cloudflare"
    assert result.details["proxy_idle_timeout"]["basis"] == "documented"


def test_still_open_at_min_idle_passes_and_short_of_it_is_not_verified() -> None:
    at_bound = judge(keep_alive(15.0, None, advertised_s=None, max_wait=15.0), 15.0)
    assert at_bound.status is CheckStatus.PASS and at_bound.details["basis"] == "observed"
    cut_short = judge(keep_alive(4.0, None, advertised_s=None, max_wait=4.0), 15.0)
    assert cut_short.status is CheckStatus.SKIP and cut_short.not_verified
    assert cut_short.details["basis"] == "not-verified"


def test_no_keep_alive_at_all_passes_with_a_warning() -> None:
    result = judge(keep_alive(0.0, CloseKind.FIN, persistent=False), 15.0)
    assert result.status is CheckStatus.PASS
    assert result.details["basis"] == "not-persistent"
    assert "Connection: close" in result.warnings[0]


# --- the display ----------------------------------------------------------------------


def test_a_terminal_gets_a_spinner_per_check_and_a_line_when_it_ends() -> None:
    streams = IOStreams.test(tty=True)
    display = SmokeDisplay(streams, as_json=False, keep_alive_bound=15.0)
    display.started("keep-alive")
    display.finished(check("keep-alive", CheckStatus.PASS, "still open"))
    display.close()
    assert "✓ keep-alive still open" in streams.out_text()


def test_with_json_the_display_prints_nothing_on_stdout() -> None:
    streams = IOStreams.test()
    display = SmokeDisplay(streams, as_json=True, keep_alive_bound=15.0)
    display.started("health")
    display.finished(check("health", CheckStatus.PASS))
    assert streams.out_text() == ""


def test_a_long_message_wraps_under_itself_and_server_text_is_escaped() -> None:
    streams = IOStreams.test(width=60)
    render_check(streams, check("health", CheckStatus.FAIL, "word " * 20 + HOSTILE,
                                details={"hint": "check its logs"}))
    lines = streams.out_text().splitlines()
    assert lines[0].startswith("✗ health     word")
    assert all(line.startswith(" " * 13) for line in lines[1:])
    assert all(len(line) <= 60 for line in lines)
    assert "\x1b" not in streams.out_text() and lines[-1].strip() == "hint: check its logs"


def test_the_verdict_names_the_failed_checks() -> None:
    streams = IOStreams.test()
    render_report(streams, report(*(check(name, CheckStatus.FAIL if name == "latency"
                                          else CheckStatus.PASS) for name in CHECK_NAMES)),
                  as_json=False)
    assert streams.out_text() == "FAILED (latency): 4 passed, 1 failed, 0 skipped in 1.2 s\n"
