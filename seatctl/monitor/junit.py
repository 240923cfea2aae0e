"""A monitor run as JUnit XML, for CI test reports: one test case per incident class.

A class the run counted against it (an error class, beyond --max-errors; refused, beyond
--max-gap when that is given) is a failure carrying the count, the verdict's sentence, the
first incidents and the fix. Every other class checked is a passed case, with what was
seen of it (if anything) in system-out. With a command, a `command` case holds its exit
status; a run that failed for another reason (no answer at all) gets a failed `verdict`
case, so the report never passes a run whose exit status failed it.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from contextlib import suppress
from pathlib import Path

from seatctl.errors import UsageError
from seatctl.monitor.incidents import Incident, IncidentClass
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import Snapshot
from seatctl.monitor.verdict import ClassVerdict, Verdict
from seatctl.smoke.junit import xml_text

SUITE_NAME = "seatctl monitor"
CHECKED = tuple(kind for kind in IncidentClass if kind is not IncidentClass.GAP_ENDED)
EXAMPLES = 3  # incidents quoted in a failure


def junit_xml(snapshot: Snapshot, verdict: Verdict, plan: MonitorPlan) -> str:
    suite = ET.Element("testsuite", name=SUITE_NAME, time=f"{snapshot.elapsed:.3f}")
    _properties(suite, snapshot, plan)
    classname = f"monitor.{plan.target.label.replace('.', '_')}"
    seen = {item.kind: item for item in verdict.classes}
    failures = 0
    for kind in CHECKED:
        case = ET.SubElement(suite, "testcase", classname=classname, name=kind.value)
        item = seen.get(kind)
        if item is None:
            continue
        if counted_against(kind, snapshot, plan):
            failures += 1
            _failure(case, _failure_message(item, plan), kind.value,
                     _explained(item, snapshot))
        else:
            ET.SubElement(case, "system-out").text = xml_text(
                f"{_count_words(item)}, {_why_not_failed(kind, plan)}.\n\n{item.sentence}")
    if plan.command:
        failures += _command_case(suite, classname, snapshot)
    if not verdict.passed and not failures:
        case = ET.SubElement(suite, "testcase", classname=classname, name="verdict")
        _failure(case, "; ".join(verdict.reasons), "verdict", "\n".join(verdict.reasons))
        failures += 1
    tests = len(suite.findall("testcase"))
    for key, value in {"tests": tests, "failures": failures, "errors": 0, "skipped": 0}.items():
        suite.set(key, str(value))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def counted_against(kind: IncidentClass, snapshot: Snapshot, plan: MonitorPlan) -> bool:
    """Whether a class seen in the run is what failed it (as `judge` decides)."""
    if not kind.counts_as_error:
        return False
    if kind is IncidentClass.REFUSED and plan.max_gap is not None:
        longest = snapshot.longest_gap
        return longest is not None and longest > plan.max_gap
    return snapshot.errors > plan.max_errors


def write_junit(path: Path, text: str) -> None:
    """`text` into `path`, all or nothing: a temporary file beside it, renamed over it."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.",
                                                 suffix=".part")
    except OSError as exc:
        raise UsageError(f"cannot write the JUnit report {path}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"cannot write the JUnit report {path}: {exc.strerror}") from None
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)


def _properties(suite: ET.Element, snapshot: Snapshot, plan: MonitorPlan) -> None:
    properties = ET.SubElement(suite, "properties")
    values = {"url": plan.url, "requests": snapshot.requests, "answered": snapshot.answered,
              "errors": snapshot.errors, "max_errors": plan.max_errors,
              "interrupted": str(snapshot.interrupted).lower()}
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=xml_text(str(value)))


def _failure(case: ET.Element, message: str, kind: str, text: str) -> None:
    failure = ET.SubElement(case, "failure", message=xml_text(message), type=kind)
    failure.text = xml_text(text)


def _count_words(item: ClassVerdict) -> str:
    return f"{item.count} {item.kind.value} incident{'s' * (item.count != 1)}"


def _failure_message(item: ClassVerdict, plan: MonitorPlan) -> str:
    if item.kind is IncidentClass.REFUSED and plan.max_gap is not None:
        return f"{_count_words(item)}: a gap longer than --max-gap {plan.max_gap:g} s"
    return f"{_count_words(item)} (--max-errors {plan.max_errors})"


def _why_not_failed(kind: IncidentClass, plan: MonitorPlan) -> str:
    if not kind.counts_as_error:
        return "noted, not an error"
    if kind is IncidentClass.REFUSED and plan.max_gap is not None:
        return f"no gap longer than --max-gap {plan.max_gap:g} s"
    return f"within --max-errors {plan.max_errors}"


def _explained(item: ClassVerdict, snapshot: Snapshot) -> str:
    parts = [f"{_count_words(item)}. {item.sentence}"]
    if item.kind is IncidentClass.REFUSED:
        parts.append(_gap_words(snapshot))
    examples = [incident for incident in snapshot.incidents
                if incident.kind is item.kind][:EXAMPLES]
    if examples:
        parts.append("\n".join(_example(incident) for incident in examples))
    if item.fix:
        parts.append(f"Fix:\n{item.fix}")
    return "\n\n".join(parts)


def _gap_words(snapshot: Snapshot) -> str:
    gaps = ", ".join(f"{gap:.2f} s" for gap in snapshot.gaps) or "none closed"
    still = ("" if snapshot.open_gap is None else
             f"; one still open after {snapshot.open_gap:.2f} s")
    return f"Gaps with nothing listening: {gaps}{still}."


def _command_case(suite: ET.Element, classname: str, snapshot: Snapshot) -> int:
    case = ET.SubElement(suite, "testcase", classname=classname, name="command")
    command = " ".join(snapshot.command)
    if snapshot.command_status == 0:
        ET.SubElement(case, "system-out").text = xml_text(f"{command}: exited 0")
        return 0
    status = ("did not finish" if snapshot.command_status is None
              else f"exited {snapshot.command_status}")
    _failure(case, f"the command {status}", "command", f"{command}: {status}")
    return 1


def _example(incident: Incident) -> str:
    """One incident as a line; a held connection's death has no request to name."""
    request = f"{incident.method} {incident.path}: " if incident.method else ""
    return f"+{incident.at:.3f}s {incident.wall} {request}{incident.detail}"
