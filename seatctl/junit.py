"""JUnit XML, as CI test reports read it: one `<testsuite>` of `<testcase>`s, each passed
(what was seen in `<system-out>`), failed, skipped or in error. The one writer of
`smoke --junit`, `monitor --junit` and `doctor --junit`; each builds a `Suite` of its own.

    suite = Suite("seatctl smoke", time=1.25, cases=(
        Case("smoke.host", "health", time=0.5, output="200 in 12 ms"),
        Case("smoke.host", "auth", result=Skip("no credentials")),
    ))
    text = suite_xml(suite)  # the counts are the cases'
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from seatctl.sanitize import printable

# The order of the <testsuite> attributes (insignificant to XML): each command keeps the
# order its reports have always had, so that a report's bytes do not change.
SUITE_ATTRIBUTES = ("name", "time", "tests", "failures", "errors", "skipped")


@dataclass(frozen=True)
class Failure:
    message: str
    type: str
    text: str


@dataclass(frozen=True)
class Skip:
    message: str
    text: str | None = None


@dataclass(frozen=True)
class Error:
    message: str


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    time: float | None = None  # seconds; None: no time attribute
    result: Failure | Skip | Error | None = None  # None: passed
    output: str | None = None  # <system-out>, of a passed case


@dataclass(frozen=True)
class Suite:
    name: str
    time: float  # seconds
    cases: Sequence[Case]
    properties: Sequence[tuple[str, str]] = ()  # (name, value), before the cases

    def count(self, kind: type[Failure | Skip | Error]) -> int:
        return sum(isinstance(case.result, kind) for case in self.cases)


def xml_text(text: str) -> str:
    """Server text may hold control characters, which XML 1.0 cannot carry at all: they are
    shown escaped (`\\x1b`); line breaks are kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def suite_xml(suite: Suite, *, attributes: Sequence[str] = SUITE_ATTRIBUTES) -> str:
    """The document, its declaration first. Messages, texts and property values go through
    `xml_text` (names and types are the caller's own words, never escaped)."""
    text: Callable[[str], str] = xml_text
    values = {"name": suite.name, "time": f"{suite.time:.3f}", "tests": str(len(suite.cases)),
              "failures": str(suite.count(Failure)), "errors": str(suite.count(Error)),
              "skipped": str(suite.count(Skip))}
    root = ET.Element("testsuite", {key: values[key] for key in attributes})
    if suite.properties:
        properties = ET.SubElement(root, "properties")
        for name, value in suite.properties:
            ET.SubElement(properties, "property", name=name, value=text(value))
    for case in suite.cases:
        _testcase(root, case, text)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(root: ET.Element, case: Case, text: Callable[[str], str]) -> None:
    element = ET.SubElement(root, "testcase", classname=case.classname, name=case.name)
    if case.time is not None:
        element.set("time", f"{case.time:.3f}")
    result = case.result
    if isinstance(result, Failure):
        failure = ET.SubElement(element, "failure", message=text(result.message),
                                type=result.type)
        failure.text = text(result.text)
    elif isinstance(result, Skip):
        skipped = ET.SubElement(element, "skipped", message=text(result.message))
        if result.text is not None:
            skipped.text = text(result.text)
    elif isinstance(result, Error):
        ET.SubElement(element, "error", message=text(result.message))
    if case.output is not None:
        ET.SubElement(element, "system-out").text = text(case.output)
