"""The one JUnit XML writer (seatctl/junit.py): the counts are the cases', each command keeps
its attribute order, and server text is escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from seatctl.junit import Case, Error, Failure, Skip, Suite, suite_xml, xml_text

HOSTILE = "down\x1b[2J\r\nnext line"


def suite(*cases: Case, properties: tuple[tuple[str, str], ...] = ()) -> Suite:
    return Suite("seatctl test", 1.5, cases, properties)


def test_the_counts_are_the_cases() -> None:
    text = suite_xml(suite(
        Case("c", "passed", output="fine"),
        Case("c", "failed", result=Failure("broke", "fail", "details")),
        Case("c", "skipped", result=Skip("not run")),
        Case("c", "errored", result=Error("partial")),
    ))
    root = ET.fromstring(text.encode())
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4", "failures": "1", "errors": "1", "skipped": "1"}
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuite ")
    assert text.endswith("</testsuite>\n")


def test_the_suite_attributes_come_in_the_order_given() -> None:
    order = ("name", "tests", "failures", "errors", "skipped", "time")
    text = suite_xml(suite(), attributes=order)
    assert ('<testsuite name="seatctl test" tests="0" failures="0" errors="0" skipped="0" '
            'time="1.500" />') in text


def test_a_case_has_a_time_only_when_given_and_an_empty_output_is_kept() -> None:
    text = suite_xml(suite(Case("c", "timed", time=0.25, output=""), Case("c", "untimed")))
    assert '<testcase classname="c" name="timed" time="0.250"><system-out /></testcase>' in text
    assert '<testcase classname="c" name="untimed" />' in text


def test_messages_texts_and_properties_are_escaped_but_names_are_not() -> None:
    text = suite_xml(suite(Case("c", "n", result=Failure(HOSTILE, "fail", HOSTILE)),
                           properties=(("url", HOSTILE),)))
    assert "\x1b" not in text and "\r" not in text
    failure = ET.fromstring(text.encode()).find("testcase/failure")
    assert failure is not None and failure.text == xml_text(HOSTILE)
    assert failure.text.split("\n")[1] == "next line"  # line breaks are kept


def test_every_control_character_leaves_a_parseable_document() -> None:
    hostile = "".join(chr(code) for code in range(32)) + "\x7f\x9b"
    text = suite_xml(suite(Case("c", "n", result=Skip(hostile))))
    skipped = ET.fromstring(text.split("\n", 1)[1]).find("testcase/skipped")
    assert skipped is not None and "\\x1b" in skipped.get("message", "")
