"""The view of a monitor summary document (schema `seatctl.monitor/1`, the `--json` run's
last line): the verdict and its reasons, each incident class with its sentence and fix,
the measurements (requests, gaps, latency p50/p95, the idle close, the command and its
status), the first kept incidents as a table, and, in HTML, a timeline picture: incidents
as ticks per class, gaps as bands, the command's start and end as lines.

    monitor_markdown(document)    # -> str
    monitor_html(document)        # one self-contained page

Read defensively as the other views: a missing key leaves its part out, an unknown key is
shown generically, every text from the document is escaped where it is drawn.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seatctl.render.paste.inline import Inline, code, fix_blocks, plain, prose
from seatctl.render.paste.markdown import render_markdown
from seatctl.render.paste.page import render_html
from seatctl.render.paste.view import (
    Grid,
    GridRow,
    Item,
    PasteView,
    Row,
    css_name,
    duration,
    flatten,
    mapping,
    number,
    resolve_when,
    scalar,
    sentence_count,
    sequence,
    text,
)
from seatctl.sanitize import printable

MONITOR_SCHEMA = "seatctl.monitor/"
INCIDENTS_SHOWN = 50
NOTED_CLASSES = ("slow", "server-changed", "gap-ended")  # noted, not errors
KNOWN_KEYS = ("schema", "type", "target", "started_at", "finished_at", "elapsed_s",
              "requests", "answered", "incidents", "errors", "gaps_s", "open_gap_s", "p50_s",
              "p95_s", "idle_close_s", "idle_close_source", "unanswered_at_end", "command",
              "command_status", "command_started_s", "command_ended_s", "interrupted",
              "verdict", "kept_incidents")

# The picture (colours from the page's CSS: the classes of svg.py).
WIDTH, LABEL_WIDTH, RIGHT_MARGIN, TOP = 800, 140, 16, 24
ROW_HEIGHT, TICK_HEIGHT, TICKS = 22, 14, 6
PLOT_LEFT, PLOT_RIGHT = LABEL_WIDTH + 10, WIDTH - RIGHT_MARGIN
GAP_SECTION_BEFORE = ('<section id="protocols">', '<section id="measurements">',
                      '<section id="document">')


def monitor_markdown(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    return render_markdown(monitor_view(document, when))


def monitor_html(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    """The page of the other reports, with the monitor's own timeline after the classes."""
    page = render_html(monitor_view(document, when))
    figure = timeline_section(document)
    if figure is None:
        return page
    anchor = next(marker for marker in GAP_SECTION_BEFORE if marker in page)
    return page.replace(anchor, figure + "\n" + anchor, 1)


def monitor_view(document: Mapping[str, Any], when: datetime | None = None) -> PasteView:
    verdict = mapping(document.get("verdict"))
    reasons = [str(reason) for reason in sequence(verdict.get("reasons"))]
    passed = verdict.get("passed")
    judged = "pass" if passed is True else "fail" if passed is False else "not-judged"
    notes = reasons + (["interrupted: what was sampled until Ctrl-C"]
                       if document.get("interrupted") is True else [])
    return PasteView(
        command="monitor", verdict=judged, target=printable(text(document.get("target")) or ""),
        summary=_summary(document), when=resolve_when(document, when),
        items_heading="Incident classes", items=_classes(document, verdict),
        document=document, elapsed_s=number(document.get("elapsed_s")),
        note="; ".join(notes) or None, measurements=_measurements(document),
        protocols=_incident_table(document))


def _summary(document: Mapping[str, Any]) -> str:
    requests, answered = number(document.get("requests")), number(document.get("answered"))
    counts = _counts(document)
    parts = []
    if requests is not None:
        parts.append(sentence_count(int(requests), "request"))
    if answered is not None:
        parts.append(f"{answered:.0f} answered")
    parts.append(sentence_count(sum(counts.values()), "incident"))
    gaps = len(sequence(document.get("gaps_s"))) + (number(document.get("open_gap_s"))
                                                     is not None)
    if gaps:
        parts.append(sentence_count(gaps, "gap"))
    return ", ".join(parts)


def _counts(document: Mapping[str, Any]) -> dict[str, int]:
    return {str(kind): int(count) for kind, count in mapping(document.get("incidents")).items()
            if number(count) is not None}


def _classes(document: Mapping[str, Any], verdict: Mapping[str, Any]) -> tuple[Item, ...]:
    """The verdict's classes with their sentence and fix; then any class only counted."""
    items, seen = [], set()
    for entry in map(mapping, sequence(verdict.get("classes"))):
        kind = text(entry.get("class")) or "?"
        seen.add(kind)
        count = number(entry.get("count"))
        items.append(Item(id=printable(kind), severity=_severity(kind),
                          title=plain(f"x{count:.0f}: " if count is not None else "")
                          + prose(str(entry.get("explanation") or "")),
                          fix=fix_blocks(text(entry.get("fix")))))
    for kind, count in _counts(document).items():
        if kind not in seen and kind != "gap-ended":
            items.append(Item(id=printable(kind), severity=_severity(kind),
                              title=plain(f"x{count}")))
    return tuple(items)


def _severity(kind: str) -> str:
    return "warn" if kind in NOTED_CLASSES else "fail"


# --- measurements -----------------------------------------------------------------------


def _measurements(document: Mapping[str, Any]) -> tuple[Row, ...]:
    rows = [row for row in (_requests_row(document), _gaps_row(document),
                            _latency_row(document), _idle_close_row(document))
            if row is not None]
    rows.extend(_command_rows(document))
    unanswered = number(document.get("unanswered_at_end"))
    if unanswered:
        rows.append(Row("unanswered at the end", plain(f"{unanswered:.0f}")))
    for key, value in document.items():
        if key not in KNOWN_KEYS:
            rows.extend(flatten(value, str(key)))
    return tuple(rows)


def _requests_row(document: Mapping[str, Any]) -> Row | None:
    requests = number(document.get("requests"))
    if requests is None:
        return None
    answered, errors = number(document.get("answered")), number(document.get("errors"))
    words = f"{requests:.0f} sent"
    words += f", {answered:.0f} answered" if answered is not None else ""
    words += f", {errors:.0f} error incidents" if errors is not None else ""
    return Row("requests", plain(words))


def _gaps_row(document: Mapping[str, Any]) -> Row | None:
    gaps = [seconds for seconds in map(number, sequence(document.get("gaps_s")))
            if seconds is not None]
    still = number(document.get("open_gap_s"))
    if not gaps and still is None:
        return None
    words = ", ".join(f"{gap:.2f} s" for gap in gaps) or "none closed"
    if still is not None:
        words += f"; one still open after {still:.2f} s"
    return Row("gaps with nothing listening", plain(words))


def _latency_row(document: Mapping[str, Any]) -> Row | None:
    p50, p95 = number(document.get("p50_s")), number(document.get("p95_s"))
    if p50 is None or p95 is None:
        return None
    return Row("latency", plain(f"p50 {duration(p50)}, p95 {duration(p95)}"))


def _idle_close_row(document: Mapping[str, Any]) -> Row | None:
    seconds = number(document.get("idle_close_s"))
    if seconds is None:
        return None
    source = text(document.get("idle_close_source"))
    return Row("idle close", plain(f"{seconds:g} s" + (f" ({source})" if source else "")))


def _command_rows(document: Mapping[str, Any]) -> list[Row]:
    command = [scalar(part) for part in sequence(document.get("command"))]
    if not command:
        return []
    status = number(document.get("command_status"))
    rows = [Row("command", code(" ".join(command))),
            Row("command status", plain("did not finish" if status is None
                                        else f"exited {status:.0f}"))]
    started, ended = (number(document.get("command_started_s")),
                      number(document.get("command_ended_s")))
    if started is not None:
        rows.append(Row("command ran", plain(f"from +{started:.2f} s" + (
            f" to +{ended:.2f} s" if ended is not None else ""))))
    return rows


# --- the kept incidents -----------------------------------------------------------------


def _incidents(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [mapping(entry) for entry in sequence(document.get("kept_incidents"))]


def _incident_table(document: Mapping[str, Any]) -> Grid | None:
    kept = _incidents(document)
    if not kept:
        return None
    counted = sum(_counts(document).values())
    shown = kept[:INCIDENTS_SHOWN]
    title = (f"Incidents (the first {len(shown)} of {max(counted, len(kept))})"
             if max(counted, len(kept)) > len(shown) else "Incidents")
    return Grid(title, ("at", "class", "time", "request", "connection", "detail"),
                tuple(_incident_row(entry) for entry in shown))


def _incident_row(entry: Mapping[str, Any]) -> GridRow:
    at = number(entry.get("at_s"))
    request = f"{scalar(entry.get('method'))} {scalar(entry.get('path'))}".strip()
    return GridRow("" if at is None else f"+{at:.3f} s",
                   (code(scalar(entry.get("class"))), plain(scalar(entry.get("time"))),
                    code(request), _connection(entry), plain(scalar(entry.get("detail")))))


def _connection(entry: Mapping[str, Any]) -> Inline:
    age, idle = number(entry.get("connection_age_s")), number(entry.get("idle_s"))
    if entry.get("reused") is not True or age is None or idle is None:
        return plain("fresh")
    return plain(f"reused: {age:.2f} s old, idle {idle:.2f} s")


# --- the timeline picture ---------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    start: float
    end: float
    label: str


def timeline_section(document: Mapping[str, Any]) -> str | None:
    svg = timeline_svg(document)
    if svg is None:
        return None
    caption = ("Each tick: an incident, in its class's row (red: counts as an error). Bands: "
               "gaps with nothing listening. Dashed lines: the command's start and end.")
    return ('<section id="timeline"><h2>Timeline</h2><figure>' + svg
            + f'<figcaption class="muted">{_escape(caption)}</figcaption></figure></section>')


def timeline_svg(document: Mapping[str, Any]) -> str | None:
    """None when there is nothing to draw: no length, or no incident, gap nor command."""
    kept = _incidents(document)
    span = number(document.get("elapsed_s"))
    bands = _bands(kept, document)
    command = _command_times(document)
    if span is None or span <= 0 or not (kept or bands or command):
        return None
    classes = list(dict.fromkeys(text(entry.get("class")) or "?" for entry in kept))
    axis_y = TOP + max(1, len(classes)) * ROW_HEIGHT + 4
    height = axis_y + 24
    title = f"Timeline of seatctl monitor on {text(document.get('target')) or 'the target'}"
    parts = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'height="{height}" role="img" aria-labelledby="monitor-timeline-title">',
             f'<title id="monitor-timeline-title">{_escape(title)}</title>',
             *_ticks(span, axis_y),
             *(_band(band, span, axis_y) for band in bands),
             *_rows(classes, kept, span),
             *_command_lines(command, span, axis_y),
             f'<line class="tl-axis" x1="{PLOT_LEFT}" y1="{axis_y}" x2="{PLOT_RIGHT}" '
             f'y2="{axis_y}"/>', "</svg>"]
    return "\n".join(parts)


def _bands(kept: list[Mapping[str, Any]], document: Mapping[str, Any]) -> list[Band]:
    """Gaps by their end (a gap-ended incident, with its length); the one still open at
    the end of the run."""
    bands = []
    for entry in kept:
        at, length = number(entry.get("at_s")), number(entry.get("gap_s"))
        if entry.get("class") == "gap-ended" and at is not None and length is not None:
            bands.append(Band(at - length, at, f"gap of {length:.2f} s"))
    elapsed, still = number(document.get("elapsed_s")), number(document.get("open_gap_s"))
    if elapsed is not None and still is not None:
        bands.append(Band(elapsed - still, elapsed, f"gap still open after {still:.2f} s"))
    return bands


def _command_times(document: Mapping[str, Any]) -> list[tuple[float, str]]:
    marks = []
    for key, words in (("command_started_s", "command started"),
                       ("command_ended_s", "command ended")):
        seconds = number(document.get(key))
        if seconds is not None:
            marks.append((seconds, f"{words} at +{seconds:.2f} s"))
    return marks


def _x(seconds: float, span: float) -> float:
    share = min(max(seconds / span, 0.0), 1.0)
    return round(PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT), 1)


def _ticks(span: float, axis_y: float) -> Iterator[str]:
    rough = span / TICKS
    step = next(factor * 10 ** power for power in range(-3, 5) for factor in (1, 2, 5)
                if factor * 10 ** power >= rough)
    for index in range(int(span / step) + 1):
        x = _x(index * step, span)
        yield f'<line class="tl-grid" x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{axis_y + 4}"/>'
        yield (f'<text class="tl-tick" x="{x}" y="{axis_y + 16}" text-anchor="middle">'
               f"{index * step:g} s</text>")


def _band(band: Band, span: float, axis_y: float) -> str:
    start, end = _x(band.start, span), _x(band.end, span)
    return (f'<rect class="tl-bar tl-bar-fail" fill-opacity="0.18" x="{start}" y="{TOP - 4}" '
            f'width="{round(max(end - start, 2.0), 1)}" height="{axis_y - TOP + 4}">'
            f"<title>{_escape(band.label)}</title></rect>")


def _rows(classes: list[str], kept: list[Mapping[str, Any]], span: float) -> Iterator[str]:
    for index, kind in enumerate(classes):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2
        yield (f'<text class="tl-label" x="{LABEL_WIDTH}" y="{y + 4}" text-anchor="end">'
               f"{_escape(kind)}</text>")
        state = "not-verified" if _severity(kind) == "warn" else "fail"
        for entry in kept:
            at = number(entry.get("at_s"))
            if (text(entry.get("class")) or "?") != kind or at is None:
                continue
            label = f"+{at:.3f} s {kind}: {scalar(entry.get('detail'))}"
            yield (f'<rect class="tl-bar tl-bar-{css_name(state)}" x="{_x(at, span) - 1}" '
                   f'y="{y - TICK_HEIGHT / 2}" width="2" height="{TICK_HEIGHT}">'
                   f"<title>{_escape(label)}</title></rect>")


def _command_lines(marks: list[tuple[float, str]], span: float, axis_y: float
                   ) -> Iterator[str]:
    for seconds, label in marks:
        x = _x(seconds, span)
        yield (f'<g class="tl-mark"><title>{_escape(label)}</title>'
               f'<line x1="{x}" y1="{TOP - 8}" x2="{x}" y2="{axis_y}"/>'
               f'<text class="tl-legend" x="{x}" y="{TOP - 10}" text-anchor="middle">'
               f"{_escape(label.split(' at ')[0])}</text></g>")


def _escape(value: str) -> str:
    return html.escape(printable(value), quote=True)
