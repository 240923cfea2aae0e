"""`seatctl monitor`'s output: a line per incident (stdout), a summary line every 10 s
(stderr), JSON lines with --json, and the end report with the verdict and its fixes.

Lines are plain on a terminal too, for now; tab-separated fields: the time since the start,
the wall time, the class, and the detail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from seatctl.render.sanitize import printable

if TYPE_CHECKING:
    from seatctl.monitor.incidents import Incident
    from seatctl.monitor.run import Snapshot
    from seatctl.monitor.verdict import Verdict
    from seatctl.render.streams import IOStreams


def incident_line(incident: Incident) -> str:
    connection = ("fresh connection" if not incident.reused else
                  f"connection {incident.connection_age:.2f} s old, idle "
                  f"{incident.idle:.2f} s")
    detail = printable(f"{incident.method} {incident.path}: {incident.detail} ({connection})")
    return f"+{incident.at:.3f}s\t{incident.wall}\t{incident.kind.value}\t{detail}"


def summary_line(snapshot: Snapshot) -> str:
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(snapshot.by_class.items()))
    latency = ("" if snapshot.p50 is None or snapshot.p95 is None else
               f"; p50 {snapshot.p50 * 1000:.0f} ms, p95 {snapshot.p95 * 1000:.0f} ms")
    gap = "" if snapshot.open_gap is None else f"; a gap open for {snapshot.open_gap:.1f} s"
    return (f"monitor: {snapshot.elapsed:.0f} s, {snapshot.requests} requests, "
            f"{snapshot.answered} answered, {sum(snapshot.by_class.values())} incidents"
            f"{f' ({counts})' if counts else ''}{latency}{gap}")


def show_incident(streams: IOStreams, incident: Incident, *, as_json: bool) -> None:
    streams.write_data(json.dumps(incident.as_dict()) if as_json else incident_line(incident))


def show_summary(streams: IOStreams, snapshot: Snapshot) -> None:
    _err_line(streams, summary_line(snapshot))


def command_output(streams: IOStreams) -> Callable[[bytes], None]:
    """The command's output, passed through to our stderr (stdout carries the incidents)."""
    def write(chunk: bytes) -> None:
        streams.err.file.write(chunk.decode("utf-8", errors="replace"))
        streams.err.file.flush()

    return write


def render_end(streams: IOStreams, snapshot: Snapshot, verdict: Verdict, *,
               as_json: bool) -> None:
    if as_json:
        document = {**snapshot.as_dict(), "verdict": verdict.as_dict()}
        streams.write_data(json.dumps(document))
        return
    streams.write_data("\n".join(report_lines(snapshot, verdict)))


def report_lines(snapshot: Snapshot, verdict: Verdict) -> list[str]:
    lines = ["", summary_line(snapshot).replace("monitor: ", "monitored ", 1)]
    if snapshot.command:
        status = ("did not finish" if snapshot.command_status is None
                  else f"exited {snapshot.command_status}")
        lines.append(printable(f"command {' '.join(snapshot.command)}: {status}"))
    if snapshot.gaps or snapshot.open_gap is not None:
        gaps = ", ".join(f"{gap:.2f} s" for gap in snapshot.gaps)
        still = (f"; one still open after {snapshot.open_gap:.2f} s"
                 if snapshot.open_gap is not None else "")
        lines.append(f"gaps with nothing listening: {gaps or 'none closed'}{still}")
    lines.append(f"idle close used for the gaps: {snapshot.idle_close:g} s "
                 f"({snapshot.idle_close_source})")
    if snapshot.interrupted:
        lines.append("interrupted: what was sampled until Ctrl-C")
    shown: dict[str, str] = {}  # each fix in full once; then a pointer to it
    for item in verdict.classes:
        lines += ["", f"{item.kind.value} x{item.count}: {item.sentence}"]
        for fix in _fix_parts(item.fix):
            if fix in shown:
                lines.append(f"fix: as for {shown[fix]} above")
                continue
            shown[fix] = item.kind.value
            lines += ["fix:", *(f"  {line}" for line in fix.splitlines())]
    lines.append("")
    lines.append("verdict: " + ("pass" if verdict.passed else
                                "FAIL: " + "; ".join(verdict.reasons)))
    return lines


def _fix_parts(fix: str | None) -> list[str]:
    """A fix made of several known fixes (a gateway error's: drain and gap), one by one."""
    from seatctl.monitor.verdict import KNOWN_FIXES

    if fix is None:
        return []
    parts = [known for known in KNOWN_FIXES if known in fix]
    return parts or [fix]


def _err_line(streams: IOStreams, text: str) -> None:
    streams.err.file.write(text + "\n")
    streams.err.file.flush()
