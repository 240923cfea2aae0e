"""A monitor run as JUnit XML, for CI test reports: one test case per incident class.

A class the run counted against it (an error class, beyond --max-errors; refused, beyond
--max-gap when that is given) is a failure carrying the count, the verdict's sentence, the
first incidents and the fix. Every other class checked is a passed case, with what was
seen of it (if anything) in system-out. With a command, a `command` case holds its exit
status; a run that failed for another reason (no answer at all) gets a failed `verdict`
case, so the report never passes a run whose exit status failed it.
"""

from __future__ import annotations

from pathlib import Path

from seatctl.junit import Case, Failure, Suite, suite_xml
from seatctl.monitor.incidents import Incident, IncidentClass
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import Snapshot
from seatctl.monitor.verdict import ClassVerdict, Verdict
from seatctl.reports import write_report_file

SUITE_NAME = "seatctl monitor"
CHECKED = tuple(kind for kind in IncidentClass if kind is not IncidentClass.GAP_ENDED)
EXAMPLES = 3  # incidents quoted in a failure
JUNIT_FILE_MODE = 0o644


def junit_xml(snapshot: Snapshot, verdict: Verdict, plan: MonitorPlan) -> str:
    classname = f"monitor.{plan.target.label.replace('.', '_')}"
    seen = {item.kind: item for item in verdict.classes}
    cases = [_class_case(classname, kind, seen.get(kind), snapshot, plan) for kind in CHECKED]
    if plan.command:
        cases.append(_command_case(classname, snapshot))
    if not verdict.passed and not any(isinstance(case.result, Failure) for case in cases):
        failure = Failure("; ".join(verdict.reasons), "verdict", "\n".join(verdict.reasons))
        cases.append(Case(classname, "verdict", result=failure))
    return suite_xml(Suite(SUITE_NAME, snapshot.elapsed, cases, _properties(snapshot, plan)))


def _class_case(classname: str, kind: IncidentClass, item: ClassVerdict | None,
                snapshot: Snapshot, plan: MonitorPlan) -> Case:
    """A class seen and counted against the run fails; one seen within its bounds passes,
    saying why; one not seen passes, empty."""
    if item is None:
        return Case(classname, kind.value)
    if counted_against(kind, snapshot, plan):
        failure = Failure(_failure_message(item, plan), kind.value, _explained(item, snapshot))
        return Case(classname, kind.value, result=failure)
    output = f"{_count_words(item)}, {_why_not_failed(kind, plan)}.\n\n{item.sentence}"
    return Case(classname, kind.value, output=output)


def counted_against(kind: IncidentClass, snapshot: Snapshot, plan: MonitorPlan) -> bool:
    """Whether a class seen in the run is what failed it (as `judge` decides)."""
    if not kind.counts_as_error:
        return False
    if kind is IncidentClass.REFUSED and plan.max_gap is not None:
        longest = snapshot.longest_gap
        return longest is not None and longest > plan.max_gap
    return snapshot.errors > plan.max_errors


def write_junit(path: Path, text: str) -> None:
    """`text` into `path`, all or nothing, readable by all (0o644)."""
    write_report_file(path, text, "JUnit report", mode=JUNIT_FILE_MODE)


def _properties(snapshot: Snapshot, plan: MonitorPlan) -> list[tuple[str, str]]:
    values = {"url": plan.url, "requests": snapshot.requests, "answered": snapshot.answered,
              "errors": snapshot.errors, "max_errors": plan.max_errors,
              "interrupted": str(snapshot.interrupted).lower()}
    return [(name, str(value)) for name, value in values.items()]


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


def _command_case(classname: str, snapshot: Snapshot) -> Case:
    command = " ".join(snapshot.command)
    if snapshot.command_status == 0:
        return Case(classname, "command", output=f"{command}: exited 0")
    status = ("did not finish" if snapshot.command_status is None
              else f"exited {snapshot.command_status}")
    failure = Failure(f"the command {status}", "command", f"{command}: {status}")
    return Case(classname, "command", result=failure)


def _example(incident: Incident) -> str:
    """One incident as a line; a held connection's death has no request to name."""
    request = f"{incident.method} {incident.path}: " if incident.method else ""
    return f"+{incident.at:.3f}s {incident.wall} {request}{incident.detail}"
