"""`seatctl monitor`'s output.

On a terminal (both streams): a live view on stderr while it samples (a timeline with a
bar per second in the colour and glyph of the second's worst outcome, the command's start
and end marked under it, the counters, the latency of the last 10 s, the last incidents,
the command's output above it), replaced by the end report on stdout. Elsewhere: a line
per incident (stdout; tab-separated: the time since the start, the wall time, the class,
the detail), a summary line every 10 s (stderr), and the end report; with --json, JSON
lines.
"""

from __future__ import annotations

import json
import shlex
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.live import Live
from rich.text import Text

from seatctl.monitor.incidents import IncidentClass
from seatctl.monitor.run import OutcomeLevel, PerSecond
from seatctl.render.tokens import GLUE, wrap
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.monitor.incidents import Incident
    from seatctl.monitor.run import MonitorRun, Snapshot
    from seatctl.monitor.verdict import Verdict
    from seatctl.render.streams import IOStreams

REFRESH_EVERY = 0.25  # seconds between frames of the live view
RECENT_INCIDENTS = 5
MIN_VIEW_WIDTH = 20
PARTIAL_LINE_MAX = 4096  # a command's output without a line break is shown past this
# glyph, style, legend: distinct glyphs, so the timeline reads without colour too
LEVEL_LOOK: dict[OutcomeLevel, tuple[str, str, str]] = {
    OutcomeLevel.OK: ("▁", "green", "ok"),
    OutcomeLevel.SLOW: ("▄", "yellow", "slow"),
    OutcomeLevel.ERROR_STATUS: ("!", "magenta", "error status"),
    OutcomeLevel.GATEWAY: ("G", "bold magenta", "502/503/504"),
    OutcomeLevel.FAILED: ("~", "bold yellow", "timeout/TLS"),
    OutcomeLevel.CUT: ("✗", "bold red", "reset/cut"),
    OutcomeLevel.REFUSED: ("⊘", "bold red", "refused"),
}
NOTHING_SENT = ("·", "dim")
START_MARK, END_MARK = "▲", "△"
CLASS_LEVEL: dict[IncidentClass, OutcomeLevel] = {
    IncidentClass.KEEP_ALIVE_RACE: OutcomeLevel.CUT, IncidentClass.DROPPED: OutcomeLevel.CUT,
    IncidentClass.CUT: OutcomeLevel.CUT, IncidentClass.REFUSED: OutcomeLevel.REFUSED,
    IncidentClass.GAP_ENDED: OutcomeLevel.OK, IncidentClass.TLS: OutcomeLevel.FAILED,
    IncidentClass.TIMEOUT: OutcomeLevel.FAILED, IncidentClass.DNS: OutcomeLevel.FAILED,
    IncidentClass.OTHER: OutcomeLevel.FAILED, IncidentClass.GATEWAY: OutcomeLevel.GATEWAY,
    IncidentClass.ERROR_STATUS: OutcomeLevel.ERROR_STATUS,
    IncidentClass.SLOW: OutcomeLevel.SLOW,
}


def incident_line(incident: Incident) -> str:
    connection = ("fresh connection" if not incident.reused else
                  f"connection {incident.connection_age:.2f} s old, idle "
                  f"{incident.idle:.2f} s")
    detail = printable(f"{_request_words(incident)}{incident.detail} ({connection})")
    return f"+{incident.at:.3f}s\t{incident.wall}\t{incident.kind.value}\t{detail}"


def _request_words(incident: Incident) -> str:
    """"GET /health: ", or nothing for a held connection that died while idle."""
    return f"{incident.method} {incident.path}: " if incident.method else ""


def latency_words(seconds: float) -> str:
    """0.5 ms, 12 ms, 1.20 s: the same precision in the live view and the report."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    milliseconds = seconds * 1000
    return f"{milliseconds:.1f} ms" if milliseconds < 10 else f"{milliseconds:.0f} ms"


def summary_line(snapshot: Snapshot, *, at_end: bool = False) -> str:
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(snapshot.by_class.items()))
    latency = ("" if snapshot.p50 is None or snapshot.p95 is None else
               f"; p50 {latency_words(snapshot.p50)}, p95 {latency_words(snapshot.p95)}")
    gap = "" if snapshot.open_gap is None else f"; a gap open for {snapshot.open_gap:.1f} s"
    waiting = _waiting_words(snapshot.in_flight, at_end)
    return (f"monitor: {snapshot.elapsed:.0f} s, {snapshot.requests} requests, "
            f"{snapshot.answered} answered{waiting}, {sum(snapshot.by_class.values())} "
            f"incidents{f' ({counts})' if counts else ''}{latency}{gap}")


def _waiting_words(count: int, at_end: bool) -> str:
    if not count:
        return ""
    return f", {count} unanswered at the end" if at_end else f", {count} in flight"


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


# --- the live view ----------------------------------------------------------------------


def level_look(level: OutcomeLevel | None) -> tuple[str, str]:
    """A second's glyph and style: its worst outcome's, or a dot when nothing was sent."""
    if level is None:
        return NOTHING_SENT
    glyph, style, _ = LEVEL_LOOK[level]
    return glyph, style


def visible_seconds(elapsed: float, width: int, keep: int) -> range:
    """The seconds of the run the timeline shows: the last ones that fit `width` columns
    (one each), at most the `keep` the run holds, the current one included."""
    last = max(0, int(elapsed))
    count = max(1, min(width, last + 1, keep))
    return range(last - count + 1, last + 1)


def timeline_row(per_second: PerSecond, seconds: range) -> Text:
    row = Text()
    for second in seconds:
        glyph, style = level_look(per_second.worst(second))
        row.append(glyph, style)
    return row


def marker_row(seconds: range, started: float | None, ended: float | None) -> str:
    """The command's start and end under the seconds they fell in ("" when neither shows)."""
    cells = [" "] * len(seconds)
    for at, mark in ((ended, END_MARK), (started, START_MARK)):  # the start wins a tie
        if at is not None and int(at) in seconds:
            cells[int(at) - seconds.start] = mark
    return "".join(cells).rstrip()


def axis_row(seconds: range) -> str:
    """The first and the last second shown, at either end of the timeline."""
    first, last = f"{seconds.start} s", f"{seconds.stop - 1} s"
    room = len(seconds) - len(first) - len(last)
    return f"{first}{' ' * room}{last}" if room >= 1 else last


def legend(with_command: bool) -> Text:
    entries = [(glyph, style, words) for glyph, style, words in LEVEL_LOOK.values()]
    if with_command:
        entries += [(START_MARK, "bold", "command started"), (END_MARK, "bold", "ended")]
    text = Text()
    for index, (glyph, style, words) in enumerate(entries):
        text.append("  " if index else "")
        text.append(glyph, style)
        text.append(GLUE + words.replace(" ", GLUE), "dim")  # one token: never split
    return text


class MonitorView:
    """The live view: a context manager around the run, fed by its callbacks (in the
    run's event loop: frames are built there, never in a thread, while nothing changes)."""

    def __init__(self, streams: IOStreams, run: MonitorRun) -> None:
        self._streams = streams
        self._run = run
        self._recent: deque[Incident] = deque(maxlen=RECENT_INCIDENTS)
        self._partial = ""
        self._live = Live(console=streams.err, auto_refresh=False, transient=True,
                          redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> MonitorView:
        self._live.start()
        self.tick()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._partial:
            self._command_line(self._partial)
            self._partial = ""
        self._live.stop()

    def incident(self, incident: Incident) -> None:
        self._recent.append(incident)

    def tick(self, snapshot: Snapshot | None = None) -> None:
        self._live.update(self.frame(), refresh=True)

    def command_output(self, chunk: bytes) -> None:
        """The command's output, line by line above the view (stdin is not connected)."""
        lines = (self._partial + chunk.decode("utf-8", errors="replace")).split("\n")
        self._partial = lines.pop()
        if len(self._partial) > PARTIAL_LINE_MAX:
            lines.append(self._partial)
            self._partial = ""
        for line in lines:
            self._command_line(line)

    def _command_line(self, line: str) -> None:
        self._live.console.print(Text.from_ansi(line.replace("\r", "")), soft_wrap=True)

    def frame(self) -> RenderableType:
        width = max(MIN_VIEW_WIDTH, self._streams.err.width)
        run = self._run
        seconds = visible_seconds(run.elapsed(), width - 1, run.per_second.keep)
        lines = [wrap(self._title(), width, 2), timeline_row(run.per_second, seconds)]
        marks = marker_row(seconds, run.command_started, run.command_ended)
        if marks:
            lines.append(Text(marks, "bold"))
        lines += [Text(axis_row(seconds), "dim"), wrap(legend(bool(run.plan.command)), width),
                  wrap(self._numbers(), width, 2), wrap(self._counters(), width, 2)]
        used = sum(line.plain.count("\n") + 1 for line in lines)
        budget = self._streams.err.height - used - 2  # the heading, and a spare line
        return Group(*lines, *self._incident_lines(width, budget))

    def _title(self) -> Text:
        run = self._run
        title = Text.assemble(("seatctl monitor ", "bold"), printable(run.plan.url),
                              (f"  {run.elapsed():.1f} s", "dim"))
        if run.plan.command:
            title.append(f"  {_command_state(run)}", "cyan")
        return title

    def _numbers(self) -> Text:
        run = self._run
        p50, p95 = run.recent_percentiles()
        latency = ("no answer in the last 10 s" if p50 is None or p95 is None else
                   f"p50 {latency_words(p50)}, p95 {latency_words(p95)} over the last 10 s")
        waiting = _waiting_words(run.in_flight(), at_end=False)
        return Text(f"{run.requests} requests, {run.answered} answered{waiting}; {latency}")

    def _counters(self) -> Text:
        counted = sorted(self._run.by_class.items())
        text = Text("incidents: " if counted else "incidents: none")
        for index, (kind, count) in enumerate(counted):
            level = CLASS_LEVEL.get(IncidentClass(kind))
            style = "cyan" if level is None else LEVEL_LOOK[level][1]
            text.append(", " if index else "")
            text.append(f"{count}{GLUE}{kind}", style)
        return text

    def _incident_lines(self, width: int, budget: int) -> list[Text]:
        """The newest incidents that fit in `budget` lines, oldest first."""
        shown: list[Text] = []
        for incident in reversed(self._recent):
            text = wrap(_incident_text(incident), width, 4)
            budget -= text.plain.count("\n") + 1
            if budget < 0:
                break
            shown.insert(0, text)
        return [Text("last incidents:", "bold"), *shown] if shown else []


def _command_state(run: MonitorRun) -> str:
    if run.command_started is None:
        return "starting the command"
    if run.command_ended is None:
        return f"command running {run.elapsed() - run.command_started:.0f} s"
    status = "" if run.command_status is None else f" {run.command_status}"
    return f"command exited{status}, settling"


def _incident_text(incident: Incident) -> Text:
    level = CLASS_LEVEL.get(incident.kind)
    style = "cyan" if level is None else LEVEL_LOOK[level][1]
    return Text.assemble(f"+{incident.at:.1f}s ", (incident.kind.value, style),
                         " " + printable(f"{_request_words(incident)}{incident.detail}"))


# --- the end ----------------------------------------------------------------------------


def render_end(streams: IOStreams, snapshot: Snapshot, verdict: Verdict, *,
               as_json: bool) -> None:
    if as_json:
        document = {**snapshot.as_dict(), "verdict": verdict.as_dict()}
        streams.write_data(json.dumps(document))
        return
    streams.write_data("\n".join(report_lines(snapshot, verdict)))


def report_lines(snapshot: Snapshot, verdict: Verdict) -> list[str]:
    # a blank line parts the report from the incident lines above it, if any
    lines = ["" if snapshot.by_class else None,
             summary_line(snapshot, at_end=True).replace("monitor: ", "monitored ", 1)]
    if snapshot.command:
        status = ("did not finish" if snapshot.command_status is None
                  else f"exited {snapshot.command_status}")
        lines.append(printable(f"command {shlex.join(snapshot.command)}: {status}"))
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
    lines.append("verdict: " + _verdict_words(snapshot, verdict))
    return [line for line in lines if line is not None]


def _verdict_words(snapshot: Snapshot, verdict: Verdict) -> str:
    """The monitor's verdict, and the command's status when that is the exit status."""
    failed_command = snapshot.command_status or 0
    if not verdict.passed:
        words = "FAIL: " + "; ".join(verdict.reasons)
        return words + (f"; exit {failed_command} from the command" if failed_command else "")
    if failed_command:
        return f"pass (the monitor's); exit {failed_command} from the command"
    return "pass"


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
