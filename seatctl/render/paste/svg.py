"""The timeline as an inline SVG: each probe (or check) a bar from its start to its end on
the run's time axis, cut ones crossed at the cut; below, vertical lines at the moments that
decide resets: the server's idle close, what its Keep-Alive header advertised, the proxy's
and the client's timeouts, a bound; dots for the reuse race's attempts. Colours come from
the page's CSS (light, dark, print); every label is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator

from seatctl.render.paste.view import Bar, Mark, Timeline, css_name
from seatctl.sanitize import printable

WIDTH = 800
LABEL_WIDTH = 140  # probe names, right-aligned left of the plot
RIGHT_MARGIN = 16
TOP = 30  # room for the marks' symbols
ROW_HEIGHT = 24
BAR_HEIGHT = 12
TICK_LABELS = 20
LEGEND_LINE = 17
CHAR_WIDTH = 6.6  # an estimate at 12 px, to keep a note inside the picture
TICKS = 6
OFF_AXIS_FACTOR = 20.0  # an advertised timeout this far beyond the rest is not to scale
SYMBOL_ROOM = 12  # marks closer than this share no row of symbols
HEADROOM = 1.05
PLOT_LEFT = LABEL_WIDTH + 10
PLOT_RIGHT = WIDTH - RIGHT_MARGIN


def timeline_svg(timeline: Timeline, title: str) -> str:
    span, off_axis = _span(timeline)
    rows = len(timeline.bars) + (1 if timeline.dots else 0)
    axis_y = TOP + rows * ROW_HEIGHT + 4
    height = axis_y + TICK_LABELS + len(timeline.marks) * LEGEND_LINE + 8
    parts = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'height="{height}" role="img" aria-labelledby="timeline-title">',
             f'<title id="timeline-title">{_escape(title)}</title>',
             *_ticks(span, axis_y),
             *_bars(timeline, span),
             *_dots(timeline, span),
             *_marks(timeline.marks, span, off_axis, axis_y),
             f'<line class="tl-axis" x1="{PLOT_LEFT}" y1="{axis_y}" x2="{PLOT_RIGHT}" '
             f'y2="{axis_y}"/>',
             "</svg>"]
    return "\n".join(parts)


def _escape(text: str) -> str:
    return html.escape(printable(text), quote=True)


def _span(timeline: Timeline) -> tuple[float, set[int]]:
    """The axis' length in seconds, and the marks beyond it (by index): an advertised
    timeout far beyond everything else (a hostile header) would squash the rest."""
    ends = [bar.end_s for bar in timeline.bars if bar.end_s is not None]
    ends += [dot.seconds for dot in timeline.dots]
    ends += [mark.seconds for mark in timeline.marks if mark.kind != "advertised"]
    base = max(ends, default=0.0)
    off_axis = {index for index, mark in enumerate(timeline.marks)
                if base > 0 and mark.seconds > base * OFF_AXIS_FACTOR}
    on_axis = [mark.seconds for index, mark in enumerate(timeline.marks)
               if index not in off_axis]
    span = max([base, *on_axis]) * HEADROOM
    return (span if span > 0 else 1.0), off_axis


def _x(seconds: float, span: float) -> float:
    share = min(max(seconds / span, 0.0), 1.0)
    return round(PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT), 1)


def _row_y(index: int) -> float:
    return TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2


def _ticks(span: float, axis_y: float) -> Iterator[str]:
    step = _tick_step(span / TICKS)
    count = int(span / step) + 1
    for index in range(count):
        seconds = index * step
        x = _x(seconds, span)
        yield (f'<line class="tl-grid" x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{axis_y + 4}"/>')
        yield (f'<text class="tl-tick" x="{x}" y="{axis_y + 16}" text-anchor="middle">'
               f"{_seconds_label(seconds, step)}</text>")


def _tick_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten, at least `rough`."""
    magnitude = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1.0
    return next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= rough)


def _seconds_label(seconds: float, step: float) -> str:
    if step < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:g} s"


def _bars(timeline: Timeline, span: float) -> Iterator[str]:
    for index, bar in enumerate(timeline.bars):
        y = _row_y(index)
        yield (f'<text class="tl-label" x="{LABEL_WIDTH}" y="{y + 4}" text-anchor="end">'
               f"{_escape(bar.label)}</text>")
        if bar.start_s is None or bar.end_s is None:
            yield (f'<text class="tl-note tl-muted" x="{PLOT_LEFT + 4}" y="{y + 4}">'
                   f"{_escape(bar.note)}</text>")
            continue
        yield from _bar(bar, y, span)


def _bar(bar: Bar, y: float, span: float) -> Iterator[str]:
    start, end = _x(bar.start_s or 0.0, span), _x(bar.end_s or 0.0, span)
    width = max(end - start, 2.0)
    state = css_name(bar.state)
    yield (f'<rect class="tl-bar tl-bar-{state}" x="{start}" y="{y - BAR_HEIGHT / 2}" '
           f'width="{round(width, 1)}" height="{BAR_HEIGHT}" rx="2">'
           f"<title>{_escape(bar.label + ': ' + bar.note)}</title></rect>")
    right = start + width
    if bar.cut:
        size = BAR_HEIGHT / 2 + 2
        yield (f'<path class="tl-cut" d="M{right - size} {y - size}L{right + size} {y + size}'
               f'M{right - size} {y + size}L{right + size} {y - size}"/>')
        right += size
    # The note right of the bar; inside its right end when the picture ends first.
    fits = right + 6 + len(bar.note) * CHAR_WIDTH <= WIDTH
    x, anchor = (right + 6, "start") if fits else (right - 6, "end")
    yield (f'<text class="tl-note" x="{x}" y="{y + 4}" text-anchor="{anchor}">'
           f"{_escape(bar.note)}</text>")


def _dots(timeline: Timeline, span: float) -> Iterator[str]:
    if not timeline.dots:
        return
    y = _row_y(len(timeline.bars))
    yield (f'<text class="tl-label" x="{LABEL_WIDTH}" y="{y + 4}" text-anchor="end">'
           f"{_escape(timeline.dots_label)}</text>")
    for dot in timeline.dots:
        outcome = "ok" if dot.ok else "fail"
        yield (f'<circle class="tl-dot tl-dot-{outcome}" cx="{_x(dot.seconds, span)}" '
               f'cy="{y}" r="4"><title>{_escape(dot.label)}</title></circle>')


def _marks(marks: tuple[Mark, ...], span: float, off_axis: set[int], axis_y: float
           ) -> Iterator[str]:
    symbol_rows: list[float] = []  # the x of the last symbol in each row
    middle = (PLOT_LEFT + PLOT_RIGHT) / 2
    for index, mark in enumerate(marks):
        beyond = index in off_axis
        x = PLOT_RIGHT if beyond else _x(mark.seconds, span)
        kind = css_name(mark.kind)
        row = next((number for number, last in enumerate(symbol_rows)
                    if x - last >= SYMBOL_ROOM), len(symbol_rows))
        if row == len(symbol_rows):
            symbol_rows.append(x)
        symbol_rows[row] = x
        symbol_y = TOP - 8 - row * 11
        label = mark.label + (" (beyond the axis, not to scale)" if beyond else "")
        legend_y = axis_y + TICK_LABELS + (index + 1) * LEGEND_LINE - 4
        yield (f'<g class="tl-mark tl-mark-{kind}"><title>{_escape(label)}</title>'
               f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{legend_y - 12}"/>'
               f'<text class="tl-symbol" x="{x}" y="{max(symbol_y, 9)}" '
               f'text-anchor="middle">{_escape(mark.symbol)}</text></g>')
        anchor = "end" if x > middle else "start"
        text = f"{mark.symbol} {label}" if anchor == "start" else f"{label} {mark.symbol}"
        yield (f'<text class="tl-legend tl-legend-{kind}" x="{x}" y="{legend_y}" '
               f'text-anchor="{anchor}">{_escape(text)}</text>')
