"""Rendering `seatctl doctor`: the live progress while it measures, then the report: the
verdict first, a table of the probes (with the server named from its behaviour), HTTP/1.1
and HTTP/2 side by side where both ran, the idle timeline to scale, the findings with fixes.

Server-supplied text (headers, evidence) goes through `printable`: a hostile server cannot
drive the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from seatctl.render.tokens import (
    block,
    fields,
    fix_line,
    say,
    whole,
    wrap,
    wrap_plain,
)
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.diagnostics.findings import Finding
    from seatctl.diagnostics.identify import Guess
    from seatctl.diagnostics.report import Report
    from seatctl.diagnostics.results import Http2IdleClose, Http2Result, Percentiles
    from seatctl.diagnostics.runs import DoctorRun, Probe, ProbeRun
    from seatctl.render.streams import IOStreams

SEVERITY_LOOK = {"info": ("i", "blue"), "ok": ("✓", "green"), "warn": ("!", "yellow"),
                 "fail": ("✗", "bold red")}
STATE_LOOK = {
    "pending": ("·", "dim"), "running": ("…", "cyan"), "done": ("✓", "green"),
    "failed": ("✗", "red"), "skipped": ("-", "dim"), "cut": ("✗", "yellow"),
}
TIMELINE_WIDTH = 40
MIN_TIMELINE_WIDTH = 16
LABEL_ROOM = 24  # columns right of the axis, on a narrow terminal
INDENT = 7  # findings' text under their title
MAX_TEXT_WIDTH = 100
REFRESH_PER_SECOND = 4


# --- live progress ----------------------------------------------------------------------


@contextmanager
def doctor_progress(streams: IOStreams, run: DoctorRun) -> Iterator[None]:
    """A live table of the probes on stderr while they run (only on a terminal)."""
    if not streams.can_animate:
        say(streams.err, Text(f"Measuring {printable(run.plan.url)} (waiting up to "
                              f"{run.plan.max_wait:g} s on idle connections)…", style="dim"))
        yield
        return
    with Live(get_renderable=lambda: progress_frame(run), console=streams.err,
              refresh_per_second=REFRESH_PER_SECOND, transient=True):
        yield


def progress_frame(run: DoctorRun) -> RenderableType:
    """One frame of the live table: each probe, what it is doing, and its clock."""
    from seatctl.diagnostics.runs import PROBE_DOING

    now = run.clock()
    table = Table.grid(padding=(0, 1))
    for record in run.runs.values():
        glyph, style = STATE_LOOK[record.state.value]
        doing = PROBE_DOING[record.probe] if record.state.value == "running" else record.state
        table.add_row(Text(glyph, style=style), Text(record.probe.value, style="bold"),
                      Text(str(doing), style="dim"), _clock(record, now))
    title = Text.assemble(("seatctl doctor ", "bold"), printable(run.plan.url),
                          (f"  {run.elapsed():.1f} s", "dim"))
    return Group(title, table)


def _clock(record: ProbeRun, now: float) -> Text:
    if record.started_at is None:
        return Text("")
    return Text(f"{record.elapsed(now):.1f} / {record.bound_s:.0f} s", style="dim")


# --- the report -------------------------------------------------------------------------


def render_report(streams: IOStreams, report: Report, *, as_json: bool) -> None:
    if as_json:
        from seatctl.diagnostics.report import report_json

        streams.write_data(json.dumps(report_json(report), indent=2))
        return
    console = streams.out
    width = min(console.width, MAX_TEXT_WIDTH)
    console.print(wrap(_verdict_line(report), width, 2), soft_wrap=True)
    console.print()
    console.print(_probe_table(report, console.width), soft_wrap=True)
    protocols = protocols_table(report, console.width)
    if protocols is not None:
        console.print()
        console.print(protocols, soft_wrap=True)
    timeline = idle_timeline(report, _timeline_width(console.width), console.width)
    if timeline is not None:
        console.print()
        console.print(timeline, soft_wrap=True)
    console.print()
    for finding in sorted(report.findings, key=lambda f: -f.severity.rank):
        console.print(_finding(finding, width), soft_wrap=True)
        console.print()
    for skipped in report.skipped:
        line = wrap_paragraphs(f"{skipped.id}: {not_evaluated(skipped.reason)}", width, 2)
        console.print(Text("-" + line[1:], style="dim"), soft_wrap=True)


def not_evaluated(reason: str) -> str:
    """"not evaluated, the probe was cut", or "not evaluated. The server kept ...": a
    reason that is a sentence of its own starts one."""
    return f"not evaluated{'.' if reason[:1].isupper() else ','} {reason}"


def _verdict_line(report: Report) -> Text:
    glyph, style = SEVERITY_LOOK[report.verdict.value]
    counts = {severity: sum(1 for f in report.findings if f.severity.value == severity)
              for severity in ("fail", "warn")}
    summary = ", ".join(f"{count} {name}{'s' if count > 1 else ''}" for name, count in
                        (("failure", counts["fail"]), ("warning", counts["warn"])) if count)
    from seatctl.diagnostics.runs import cut_words

    run = report.run
    verdict = report.verdict.value.upper()
    if not run.complete and _only_unfinished(report):
        glyph, style, verdict = "?", "yellow", "INCOMPLETE"
    found = summary or ("no problems found" if run.complete else "no problems found yet")
    undecided = len(report.skipped)
    return Text.assemble(
        (f"{glyph} {verdict}", style), "  ", (printable(run.plan.url), "bold"), f"  {found}",
        (f"; {undecided} not evaluated" if undecided else "", "dim"),
        (f"  in {run.elapsed():.1f} s", "dim"),
        ("" if run.complete else f"  ({cut_words(run.cut_by)}: a partial report)", "yellow"),
    )


def _only_unfinished(report: Report) -> bool:
    """Nothing was found above ok but that some probes did not finish."""
    return all(finding.id == "probes-finished" for finding in report.findings
               if finding.severity.value in ("warn", "fail"))


def _probe_table(report: Report, width: int) -> Text:
    """Each probe and what it measured, the values in a column beside the names."""
    rows = [(Text("probe", style="bold"), Text("measured", style="bold"))]
    retries_said: set[Probe] = set()  # the race shares the keep-alive probe's row's
    for label, probe, text in _probe_rows(report):
        record = report.run.runs.get(probe) if probe else None
        if record is not None:
            text = _state_text(record, text)
            if record.probe not in retries_said:
                text.append_text(_retried_text(report.run, record))
                retries_said.add(record.probe)
        rows.append((Text(label), text))
    return block(fields(rows, width))


def _state_text(record: ProbeRun, measured: Text) -> Text:
    """What a probe measured; for one that did not finish, its state (and what it had
    measured before a cut: an idle wait's lower bound)."""
    state = record.state.value
    if state == "done":
        return measured
    if state == "cut":
        why = Text(record.cut_description(), style="yellow")
        return Text.assemble(measured, "\n", why) if measured.plain else why
    return Text(state + (f": {record.error}" if record.error else ""), style="dim")


def _retried_text(run: DoctorRun, record: ProbeRun) -> Text:
    tally = run.tallies.get(record.probe.value)
    if tally is None or not tally.failed:
        return Text("")
    return Text(f"\n{tally.cut} of {tally.sent} tries cut before a response, tried again",
                style="yellow")


def _probe_rows(report: Report) -> list[tuple[str, Probe | None, Text]]:
    from seatctl.diagnostics.runs import Probe

    rows: list[tuple[str, Probe | None, Text]] = [
        ("timing", Probe.TIMING, _timing_text(report)),
        ("keep-alive", Probe.KEEPALIVE, _keep_alive_text(report)),
        ("reuse race", Probe.KEEPALIVE, _race_text(report)),
        ("requests/conn", Probe.REQUESTS, _requests_text(report)),
        ("burst", Probe.BURST, _burst_text(report)),
        ("slow client", Probe.SLOW_CLIENT, _slow_text(report)),
    ]
    if report.run.plan.origin is not None:
        rows.append(("origin", Probe.ORIGIN, _origin_text(report)))
    rows.append(("HTTP/2", Probe.HTTP2, http2_text(report.run.http2)))
    rows.append(("front door", None, _edge_text(report)))
    rows.append(("server", None, inference_text(report)))
    return rows


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _spread(name: str, spread: Percentiles | None) -> str:
    if spread is None:
        return ""
    return f"{name} {_ms(spread.p50)} / {_ms(spread.p95)}"


def _timing_text(report: Report) -> Text:
    timing = report.run.timing
    if timing is None:
        return Text("")
    phases = [_spread(name, spread) for name, spread in
              (("dns", timing.dns), ("connect", timing.connect), ("tls", timing.tls),
               ("first byte", timing.ttfb), ("total", timing.total)) if spread]
    lines = [f"p50 / p95 of {len(timing.samples)} fresh connections:"]
    lines += [", ".join(phases[index:index + 2]) for index in range(0, len(phases), 2)]
    text = Text("\n".join(lines))
    tls = timing.tls_info
    if tls is not None:
        days = ("certificate not verified" if tls.cert_days_left is None
                else f"certificate expires in {tls.cert_days_left:.0f} days")
        text.append(f"\n{tls.version or 'TLS'}, ALPN {tls.alpn or 'none'}, {days}")
    return text


def _keep_alive_text(report: Report) -> Text:
    from seatctl.diagnostics.runs import Probe, ProbeState

    keep_alive = report.run.keep_alive
    if keep_alive is None:
        return Text("")
    if not keep_alive.persistent:
        said = (f"`Connection: {printable(keep_alive.connection_header)}`"
                if keep_alive.connection_header else f"HTTP/{keep_alive.http_version}'s default")
        return Text(f"not kept alive: {said}", style="yellow")
    header = (f"Keep-Alive: {printable(keep_alive.keep_alive_header)}"
              if keep_alive.keep_alive_header else "no Keep-Alive header")
    closed = keep_alive.idle_close
    cut = report.run.runs[Probe.KEEPALIVE].state is ProbeState.CUT
    if closed.lower_bound:
        close = f"still open after {closed.seconds:.1f} s" + ("" if cut else " (--max-wait)")
    else:
        kind = closed.kind.value.upper() if closed.kind else "?"
        close = f"idle close after {closed.seconds:.2f} s ({kind})"
    return Text(f"HTTP/{keep_alive.http_version} {keep_alive.status}, {header}; {close}")


def _race_text(report: Report) -> Text:
    idle = report.run.idle
    if idle is None:
        return Text("")
    if idle.race is None:
        return Text(f"skipped: {idle.race_skipped}", style="dim")
    race = idle.race
    # One line per planned idle: "6.00 s: closed-before-response x2".
    by_offset: dict[float, list[str]] = {}
    for attempt in sorted(race.attempts, key=lambda a: a.idle_s):
        mark = "ok" if not attempt.outcome.failed else attempt.outcome.value
        by_offset.setdefault(attempt.offset_s, []).append(f"{attempt.idle_s:.2f} s {mark}")
    lines = ["reused after " + ", ".join(_counted(marks)) for marks in by_offset.values()]
    text = Text("\n".join(lines))
    if race.failing_from_s is not None:
        text.append(f"\nfails from {race.failing_from_s:.2f} s idle", style="yellow")
    return text


def _counted(marks: list[str]) -> list[str]:
    """["5.80 s ok", "5.80 s ok"] -> ["5.80 s ok x2"]."""
    counts = dict.fromkeys(marks, 0)
    for mark in marks:
        counts[mark] += 1
    return [mark if count == 1 else f"{mark} x{count}" for mark, count in counts.items()]


def _requests_text(report: Report) -> Text:
    served = report.run.requests
    if served is None:
        return Text("")
    plural = "s" if served.served != 1 else ""
    if served.lower_bound:
        return Text(f"at least {served.served} request{plural} on one connection "
                    f"({served.ended_by.value})")
    return Text(f"{served.served} request{plural}, then {served.ended_by.value}")


def _burst_text(report: Report) -> Text:
    burst = report.run.burst
    if burst is None:
        return Text("")
    counts = ", ".join(f"{count} {outcome.value}" for outcome, count in burst.outcomes.items()
                       if count)
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(burst.statuses.items()))
    lines = [f"{burst.connections} x {burst.requests_per_connection} requests: {counts}"]
    if statuses:
        lines.append(f"statuses: {statuses}")
    if burst.latency:
        lines.append(f"latency p50 / p95 {_spread('', burst.latency).strip()}")
    lines.append(f"{burst.connections_opened} connections in {burst.elapsed_s:.2f} s")
    return Text("\n".join(lines))


def _slow_text(report: Report) -> Text:
    slow = report.run.slow_client
    if slow is None:
        return Text("")
    parts = []
    for name, give_up in (("headers", slow.headers), ("body", slow.body)):
        if give_up.lower_bound:
            parts.append(f"{name}: still waiting after {give_up.seconds:.1f} s")
        else:
            how = (f"{give_up.status}" if give_up.status is not None
                   else give_up.kind.value.upper())
            parts.append(f"{name}: {how} after {give_up.seconds:.2f} s")
    return Text("; ".join(parts))


def _origin_text(report: Report) -> Text:
    origin = report.run.origin
    if origin is None:
        return Text("")
    closed = origin.idle_close
    if closed.lower_bound:
        return Text(f"{printable(report.run.plan.origin)}: still open after "
                    f"{closed.seconds:.1f} s")
    return Text(f"{printable(report.run.plan.origin)}: idle close after {closed.seconds:.2f} s")


def _edge_text(report: Report) -> Text:
    layers = report.edge.layers
    text = Text("" if layers else "not identified (no telling headers)")
    for index, layer in enumerate(layers):
        text.append(("" if index == 0 else "\n→ ") + layer.component.name)
        text.append(f" ({printable(', '.join(layer.evidence))})", style="dim")
    proxy = report.facts.proxy_idle
    text.append(f"\nproxy idle timeout: {proxy.seconds:g} s, {proxy.basis.value}",
                style="dim")
    return text


def http2_text(result: Http2Result | None) -> Text:
    """The HTTP/2 probe's line of the probe table (empty when it did not run)."""
    if result is None:
        return Text("")
    if not result.speaks_h2:
        return Text(printable(result.skipped or "no HTTP/2"), style="yellow")
    lines = ["h2c (prior knowledge)" if result.h2c else
             f"ALPN {printable(result.alpn_selected or 'none')} "
             f"(offered {printable(', '.join(result.alpn_offered))})"]
    settings = result.settings
    if settings is not None:
        streams = settings.max_concurrent_streams
        lines.append(f"SETTINGS: max streams {'unlimited' if streams is None else streams}, "
                     f"window {settings.initial_window_size or 65535}")
    if result.idle_close is not None:
        lines.append(f"{_goaway_words(result.idle_close)}; {_h2_end(result.idle_close)}")
    ping = result.ping
    if ping is not None and ping.outcome is not None:
        lines.append(f"PINGs: {ping.outcome.value} ({ping.pings_sent} sent)")
    race = result.goaway_race
    if race is not None and race.outcome is not None:
        safe = RETRY_WORDS.get(race.safe_to_retry, "")
        words = RACE_WORDS.get(race.outcome.value, race.outcome.value)
        lines.append(f"request crossing GOAWAY: {words}{safe}")
    return Text("\n".join(lines))


RACE_WORDS = {  # GoawayRaceOutcome values, in words
    "response": "answered",
    "refused-stream": "refused (REFUSED_STREAM)",
    "stream-reset": "stream reset",
    "connection-reset": "connection reset",
    "connection-closed": "connection closed, no answer",
    "no-answer": "no answer within the wait",
    "no-goaway": "no GOAWAY came: not measured",
    "error": "failed: not measured",
}
RETRY_WORDS: dict[bool | None, str] = {True: ", safe to retry", False: ", not safe to retry"}


def _goaway_words(closed: Http2IdleClose) -> str:
    if closed.lower_bound:
        return f"still open after {closed.end_after_s:.1f} s"
    goaway = closed.goaway
    if goaway is None:
        return "no GOAWAY"
    return (f"GOAWAY {printable(goaway.error_name)} (last stream {goaway.last_stream_id}) "
            f"after {closed.seconds:.2f} s")


def _h2_end(closed: Http2IdleClose) -> str:
    if closed.end is None:
        return "transport open" if not closed.lower_bound else "no close"
    return f"{closed.end.value.upper()} at {closed.end_after_s:.2f} s"


def inference_text(report: Report) -> Text:
    """"nginx (likely: idle close 75.0 s matches its default keepalive_timeout)"."""
    inference = report.inference
    parts = [guess_words(guess) for guess in (inference.server, inference.front_door)
             if guess is not None]
    if not parts:
        note = inference.notes[0] if inference.notes else "not identified from its behaviour"
        return Text(printable(note), style="dim")
    return Text("\n".join(parts))


def guess_words(guess: Guess) -> str:
    basis = guess.basis[0] if guess.basis else "its behaviour"
    return f"{printable(guess.name)} ({guess.confidence.value}: {printable(basis)})"


def protocols_table(report: Report, width: int) -> Text | None:
    """HTTP/1.1 and HTTP/2 side by side, where both measured an idle connection."""
    keep_alive, h2 = report.run.keep_alive, report.run.http2
    if keep_alive is None or not keep_alive.persistent or h2 is None or h2.idle_close is None:
        return None
    closed, h2_closed = keep_alive.idle_close, h2.idle_close
    header = (f"Keep-Alive: {printable(keep_alive.keep_alive_header)}"
              if keep_alive.keep_alive_header else "no Keep-Alive header")
    kind = closed.kind.value.upper() if closed.kind else "none yet"
    cells = [
        ("", "HTTP/1.1", "HTTP/2"),
        ("idle close", _close_cell(closed.seconds, closed.lower_bound),
         _close_cell(h2_closed.seconds, h2_closed.lower_bound)),
        ("announced by", header, _goaway_words(h2_closed).split(" after ")[0]),
        ("ends with", kind, _h2_end(h2_closed).split(" at ")[0]),
    ]
    first = max(len(row[1]) for row in cells) + 2
    rows = [(Text(label, style="bold" if not label else ""),
             Text(whole(http1.ljust(first)) + whole(http2),
                  style="bold" if label == "" else ""))
            for label, http1, http2 in cells]
    return block(fields(rows, width))


def _close_cell(seconds: float, lower_bound: bool) -> str:
    return f"still open at {seconds:.1f} s" if lower_bound else f"{seconds:.2f} s"


# --- the idle timeline ------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    seconds: float
    label: str
    symbol: str
    style: str


def timeline_marks(report: Report) -> list[Mark]:
    keep_alive = report.run.keep_alive
    if keep_alive is None or not keep_alive.persistent:
        return []
    closed = keep_alive.idle_close
    server = (f"server still open at {closed.seconds:.1f} s" if closed.lower_bound
              else f"server close {closed.seconds:.2f} s "
                   f"({closed.kind.value.upper() if closed.kind else '?'})")
    facts = report.facts
    marks = [
        Mark(facts.client_expiry.seconds, f"client pool expiry {facts.client_expiry.seconds:g} s"
             f" ({facts.client_expiry.basis.value})", "C", "cyan"),
        Mark(closed.seconds, server, "≥" if closed.lower_bound else "S", "bold"),
        Mark(facts.proxy_idle.seconds, f"proxy idle {facts.proxy_idle.seconds:g} s "
             f"({facts.proxy_idle.basis.value})", "P", "magenta"),
    ]
    if keep_alive.advertised_timeout_s is not None:
        marks.append(Mark(keep_alive.advertised_timeout_s,
                          f"Keep-Alive: timeout={keep_alive.advertised_timeout_s:g}",
                          "A", "dim"))
    if report.run.origin is not None:
        origin = report.run.origin.idle_close
        marks.append(Mark(origin.seconds, f"origin close {origin.seconds:.2f} s", "O", "bold"))
    return sorted(marks, key=lambda mark: mark.seconds)


def _timeline_width(line_width: int) -> int:
    """The axis: TIMELINE_WIDTH, or less on a narrow terminal (room for the labels right of
    the last mark)."""
    return max(MIN_TIMELINE_WIDTH, min(TIMELINE_WIDTH, line_width - LABEL_ROOM))


def idle_timeline(report: Report, width: int = TIMELINE_WIDTH,
                  line_width: int | None = None) -> Text | None:
    """The idle gap after a response, to scale: who closes first. The marks' labels wrap
    under themselves (beside the lines of the marks before) to fit `line_width`."""
    marks = timeline_marks(report)
    if not marks:
        return None
    span = max(mark.seconds for mark in marks) * 1.05 or 1.0
    columns = _columns([mark.seconds / span * width for mark in marks], width)
    axis = ["─"] * (width + 1)
    for column, mark in zip(columns, marks, strict=True):
        axis[column] = mark.symbol
    text = Text(style="bold")  # all of it
    text.append_text(wrap(Text("Idle connection after a response (to scale)"), line_width))
    text.append("\n")
    text.append("0 ")
    for char, column in zip(axis, range(width + 1), strict=True):
        at = next((m for c, m in zip(columns, marks, strict=True) if c == column), None)
        text.append(char, style=at.style if at else "dim")
    text.append(f"▶ {span:.3g} s\n")
    for index in range(len(marks) - 1, -1, -1):
        text.append_text(_mark_label(marks[index], columns[:index + 1], line_width))
        text.append("\n")
    text.rstrip()
    return text


def _mark_label(mark: Mark, columns: Sequence[int], line_width: int | None) -> Text:
    """"  ││└ S server close 6.00 s (FIN)": the lines of the marks before, this mark's
    corner and its label; a label too long goes on under itself, beside the same lines."""
    line = [" "] * (columns[-1] + 1)
    for column in columns[:-1]:
        line[column] = "│"
    line[columns[-1]] = "└"
    lead = "  " + "".join(line)
    wrapped = wrap(Text.assemble(whole(lead), (whole(f" {mark.symbol}"), mark.style),
                                 (f" {mark.label}", mark.style)), line_width, len(lead) + 3)
    under = "  " + "".join(line[:-1]) + " "
    parts = wrapped.split("\n")
    rest = [Text.assemble(under, part[len(under):]) for part in parts[1:]]
    return Text("\n").join([parts[0], *rest])


def _columns(positions: Sequence[float], width: int) -> list[int]:
    """Integer columns in order, each at least one apart (marks close in time stay
    distinguishable)."""
    columns: list[int] = []
    for position in positions:
        column = min(width, round(position))
        if columns and column <= columns[-1]:
            column = columns[-1] + 1
        columns.append(column)
    overflow = columns[-1] - width
    if overflow > 0:
        columns = [max(0, column - overflow) for column in columns]
    return columns


# --- findings ---------------------------------------------------------------------------


def _finding(finding: Finding, width: int) -> Text:
    glyph, style = SEVERITY_LOOK[finding.severity.value]
    lead = f"{glyph} {finding.severity.value.upper():4} "
    text = Text(lead, style=style)
    title = wrap_paragraphs(f"{finding.title}  [{finding.id}]", width, INDENT)
    text.append(title[INDENT:], style="bold")
    text.append("\n" + wrap_paragraphs(finding.detail, width, INDENT))
    if finding.fix:
        text.append("\n" + " " * INDENT + "Fix:", style="bold")
        text.append("\n" + wrap_paragraphs(finding.fix, width, INDENT + 2, fix=True),
                    style="cyan")
    return text


def wrap_paragraphs(text: str, width: int, indent: int, *, fix: bool = False) -> str:
    """Each line of `text` wrapped to `width` and indented, never inside a token (a number
    with its unit, something in backticks: `seatctl.render.tokens`); lines that start with
    four spaces stay as they are. In a fix, a command or a line of code is a token too: on
    a line of its own when it does not fit."""
    lines: list[str] = []
    pad = " " * indent
    for line in printable_block(text).split("\n"):
        if line.startswith("    ") or not line:
            lines.append(pad + line)
            continue
        lines.extend(wrap_plain(pad + (fix_line(line) if fix else line), width, indent))
    return "\n".join(lines)


def printable_block(text: str) -> str:
    """Like `printable`, but line breaks stay (our own multi-line text)."""
    return "\n".join(printable(line) for line in text.split("\n"))

