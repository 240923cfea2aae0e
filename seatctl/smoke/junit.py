"""The smoke report as JUnit XML: one test case per check (a failure, skipped, or passed
with its warnings in system-out), for CI test reports. What could not be verified within
--max-time is `<skipped>` with its reason (a `<failure type="not-verified">` with
--strict), never a passed case."""

from __future__ import annotations

from seatctl.diagnostics.targets import parse_target
from seatctl.junit import Case, Failure, Skip, Suite, suite_xml
from seatctl.smoke.report import CheckResult, CheckStatus, SmokeReport

SUITE_NAME = "seatctl smoke"
# As the smoke report has always ordered them.
SUITE_ATTRIBUTES = ("name", "tests", "failures", "errors", "skipped", "time")


def junit_xml(report: SmokeReport) -> str:
    classname = f"smoke.{parse_target(report.target).label.replace('.', '_')}"
    cases = [_testcase(classname, check) for check in report.checks]
    return suite_xml(Suite(SUITE_NAME, report.elapsed_s, cases), attributes=SUITE_ATTRIBUTES)


def _testcase(classname: str, check: CheckResult) -> Case:
    if check.status is CheckStatus.FAIL:
        kind = "not-verified" if check.not_verified else "fail"
        failure = Failure(check.message, kind, failure_text(check))
        return Case(classname, check.name, check.seconds, failure)
    if check.status is CheckStatus.SKIP:
        reason = f"hint: {check.hint}" if check.not_verified and check.hint else None
        return Case(classname, check.name, check.seconds, Skip(check.message, reason))
    lines = [check.message, *(f"warning: {warning}" for warning in check.warnings)]
    return Case(classname, check.name, check.seconds, output="\n".join(lines))


def failure_text(check: CheckResult) -> str:
    parts = [check.message]
    if check.hint:
        parts.append(f"hint: {check.hint}")
    if check.fix:
        parts.append(f"Fix:\n{check.fix}")
    return "\n\n".join(parts)
