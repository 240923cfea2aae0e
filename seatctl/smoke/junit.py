"""The smoke report as JUnit XML: one test case per check (a failure, skipped, or passed
with its warnings in system-out), for CI test reports. What could not be verified within
--max-time is `<skipped>` with its reason (a `<failure type="not-verified">` with
--strict), never a passed case."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from seatctl.diagnostics.connection import parse_target
from seatctl.sanitize import printable
from seatctl.smoke.report import CheckResult, CheckStatus, SmokeReport

SUITE_NAME = "seatctl smoke"


def junit_xml(report: SmokeReport) -> str:
    suite = ET.Element("testsuite", name=SUITE_NAME, tests=str(len(report.checks)),
                       failures=str(report.count(CheckStatus.FAIL)), errors="0",
                       skipped=str(report.count(CheckStatus.SKIP)),
                       time=f"{report.elapsed_s:.3f}")
    classname = f"smoke.{parse_target(report.target).label.replace('.', '_')}"
    for check in report.checks:
        _testcase(suite, classname, check)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, classname: str, check: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=check.name,
                         time=f"{check.seconds:.3f}")
    if check.status is CheckStatus.FAIL:
        kind = "not-verified" if check.not_verified else "fail"
        failure = ET.SubElement(case, "failure", message=xml_text(check.message), type=kind)
        failure.text = xml_text(failure_text(check))
    elif check.status is CheckStatus.SKIP:
        skipped = ET.SubElement(case, "skipped", message=xml_text(check.message))
        if check.not_verified and check.hint:
            skipped.text = xml_text(f"hint: {check.hint}")
    else:
        lines = [check.message, *(f"warning: {warning}" for warning in check.warnings)]
        ET.SubElement(case, "system-out").text = xml_text("\n".join(lines))


def failure_text(check: CheckResult) -> str:
    parts = [check.message]
    if check.hint:
        parts.append(f"hint: {check.hint}")
    if check.fix:
        parts.append(f"Fix:\n{check.fix}")
    return "\n\n".join(parts)


def xml_text(text: str) -> str:
    """Server text may hold control characters, which XML 1.0 cannot carry at all: they are
    shown escaped (`\\x1b`); line breaks are kept."""
    return "\n".join(printable(line) for line in text.split("\n"))
