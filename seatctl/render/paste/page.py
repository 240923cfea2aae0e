"""A pasted report as one self-contained HTML page: inline CSS (light, dark and print), the
verdict, the findings and their fixes, the timeline as an inline SVG, the measurements,
what was not evaluated, and the JSON document twice: readable in a folded `<pre>`, and
for machines in a `<script type="application/json">` block (never executed; `<`, `>` and
`&` written as JSON escapes, so `</script>` in the data cannot end it).

Nothing on the page loads anything: no script to run, no font, image, stylesheet or link
outside the page (its only links are to its own sections). Every text is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence

from seatctl.render.paste.inline import Block, CodeBlock, Inline
from seatctl.render.paste.svg import timeline_svg
from seatctl.render.paste.view import (
    Guess,
    Item,
    PasteView,
    css_name,
    duration,
    rank,
    severity_label,
    when_text,
)
from seatctl.sanitize import printable

DOCUMENT_ID = "seatctl-document"  # the JSON block: document.getElementById(...).textContent

STYLE = """
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
  --fail: #cf222e; --warn: #9a6700; --ok: #1a7f37; --skip: #6e7781; --accent: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23;
    --fail: #ff7b72; --warn: #d29922; --ok: #3fb950; --skip: #8b949e; --accent: #4493f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: .88em; }
code { background: var(--panel); padding: 0 .2em; border-radius: 3px;
       overflow-wrap: anywhere; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
      padding: .6rem .8rem; overflow-x: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
th { background: var(--panel); }
tbody th { font-weight: 600; white-space: nowrap; }
td.value { overflow-wrap: anywhere; }
td a code, .nowrap { white-space: nowrap; overflow-wrap: normal; }
a { color: var(--accent); }
.verdict { border-left: 6px solid var(--skip); padding: .5rem 1rem; background: var(--panel); }
.verdict p { margin: 0; }
.muted { color: var(--muted); }
.sev { font-weight: 700; white-space: nowrap; }
.sev-fail, .sev-error { color: var(--fail); }
.sev-warn, .sev-incomplete, .sev-not-judged, .sev-interrupted, .sev-not-verified {
  color: var(--warn); }
.sev-ok, .sev-pass, .sev-done { color: var(--ok); }
.sev-skip, .sev-skipped, .sev-pending, .sev-other { color: var(--skip); }
.verdict-fail, .verdict-error { border-color: var(--fail); }
.verdict-warn, .verdict-incomplete, .verdict-not-judged { border-color: var(--warn); }
.verdict-ok, .verdict-pass { border-color: var(--ok); }
article.finding { border-left: 4px solid var(--line); padding: .1rem 0 .1rem 1rem;
                  margin: 1rem 0; }
article.finding.sev-border-fail { border-color: var(--fail); }
article.finding.sev-border-warn, article.finding.sev-border-not-verified {
  border-color: var(--warn); }
article.finding.sev-border-ok, article.finding.sev-border-pass { border-color: var(--ok); }
article.finding h3 { margin-top: .25rem; }
.fix-label { font-weight: 700; margin-bottom: .25rem; }
figure { margin: .5rem 0; }
svg.timeline { width: 100%; height: auto; max-width: 800px; font: 12px system-ui, sans-serif; }
svg.timeline text { fill: var(--fg); paint-order: stroke; stroke: var(--bg);
                    stroke-width: 3px; stroke-linejoin: round; }
svg.timeline .tl-muted, svg.timeline .tl-tick { fill: var(--muted); }
svg.timeline .tl-grid { stroke: var(--line); stroke-width: 1; }
svg.timeline .tl-axis { stroke: var(--muted); stroke-width: 1.5; }
svg.timeline .tl-bar { fill: var(--skip); }
svg.timeline .tl-bar-done, svg.timeline .tl-bar-pass { fill: var(--ok); }
svg.timeline .tl-bar-failed, svg.timeline .tl-bar-fail { fill: var(--fail); }
svg.timeline .tl-bar-interrupted, svg.timeline .tl-bar-running,
svg.timeline .tl-bar-not-verified { fill: var(--warn); }
svg.timeline .tl-cut { stroke: var(--fail); stroke-width: 2.5; fill: none; }
svg.timeline .tl-dot-ok { fill: var(--ok); }
svg.timeline .tl-dot-fail { fill: var(--fail); }
svg.timeline .tl-mark line { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 2 3; }
svg.timeline .tl-mark-close line { stroke: var(--fg); stroke-dasharray: none; }
svg.timeline .tl-mark-lower-bound line { stroke: var(--muted); stroke-dasharray: none; }
svg.timeline .tl-mark-advertised line { stroke: var(--warn); stroke-dasharray: 5 3; }
svg.timeline .tl-symbol { font-weight: 700; }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --line: #bbbbbb; --panel: #f3f3f3;
          --fail: #b00020; --warn: #8a5a00; --ok: #1a6b2f; --skip: #555555; --accent: #0b57d0;
          color-scheme: light; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  article.finding, figure, tr, pre { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  #document { display: none; }
}
"""


def render_html(view: PasteView) -> str:
    title = f"seatctl {view.command}: {view.verdict_label} {view.target}".strip()
    body = [_verdict(view), *_items(view), *_timeline(view), *_server(view),
            *_protocols(view), *_measurements(view),
            *_probes(view), *_unverified(view), _document(view)]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        *[part for part in body if part],
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


# --- escaping ---------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(printable(text), quote=True)


def html_inline(inline: Inline) -> str:
    return "".join(f"<code>{esc(segment.text)}</code>" if segment.code else esc(segment.text)
                   for segment in inline)


def html_blocks(blocks: Iterable[Block]) -> list[str]:
    return [f"<pre><code>{_esc_lines(block.text)}</code></pre>"
            if isinstance(block, CodeBlock) else f"<p>{html_inline(block.inline)}</p>"
            for block in blocks]


def _esc_lines(text: str) -> str:
    return "\n".join(esc(line) for line in text.split("\n"))


def _severity(severity: str) -> str:
    return f'<span class="sev sev-{css_name(severity)}">{esc(severity_label(severity))}</span>'


# --- sections ---------------------------------------------------------------------------


def _verdict(view: PasteView) -> str:
    took = f"{view.elapsed_s:.2f} s, " if view.elapsed_s is not None else ""
    stamp = view.when.isoformat()
    note = f'<p class="sev sev-{css_name(view.verdict)}">{esc(view.note)}</p>' if view.note else ""
    target = f"<code>{esc(view.target)}</code>" if view.target else ""
    return (f'<header class="verdict verdict-{css_name(view.verdict)}">'
            f"<h1>seatctl {esc(view.command)}: {_severity(view.verdict)}</h1>"
            f"<p>{target} {esc(view.summary)} "
            f'<span class="muted">({esc(took)}<time datetime="{esc(stamp)}">'
            f"{esc(when_text(view.when))}</time>)</span></p>{note}</header>")


def _items(view: PasteView) -> list[str]:
    if not view.items:
        return []
    heading = "title" if view.command == "doctor" else "message"
    first = "severity" if view.command == "doctor" else "status"
    rows = [(_severity(item.severity), f'<a href="#item-{index}"><code>{esc(item.id)}</code></a>',
             html_inline(item.title)) for index, item in enumerate(view.items)]
    parts = [f'<section id="findings"><h2>{esc(view.items_heading)}</h2>',
             _table((first, "id", heading), rows)]
    loud = [(index, item) for index, item in enumerate(view.items) if rank(item.severity) >= 3]
    quiet = [(index, item) for index, item in enumerate(view.items)
             if rank(item.severity) < 3 and (item.detail or item.fix or item.extras)]
    parts.extend(_item(view, index, item) for index, item in loud)
    if quiet:
        parts.append(f"<details><summary>The other {esc(view.items_heading.lower())} "
                     f"({len(quiet)})</summary>")
        parts.extend(_item(view, index, item) for index, item in quiet)
        parts.append("</details>")
    parts.append("</section>")
    return parts


def _item(view: PasteView, index: int, item: Item) -> str:
    severity = css_name(item.severity)
    if view.command == "doctor":
        heading = (f"{_severity(item.severity)} {html_inline(item.title)} "
                   f"<code>{esc(item.id)}</code>")
        lead: list[str] = []
    else:
        heading = f"{_severity(item.severity)} <code>{esc(item.id)}</code>"
        lead = [f"<p>{html_inline(item.title)}</p>"]
    parts = [f'<article class="finding sev-border-{severity}" id="item-{index}">',
             f"<h3>{heading}</h3>", *lead, *html_blocks(item.detail)]
    if item.extras:
        parts.append("<ul>" + "".join(f"<li>{esc(row.name)}: {html_inline(row.value)}</li>"
                                      for row in item.extras) + "</ul>")
    if item.fix:
        parts.append('<div class="fix"><p class="fix-label">Fix</p>')
        parts.extend(html_blocks(item.fix))
        parts.append("</div>")
    parts.append("</article>")
    return "\n".join(parts)


def _timeline(view: PasteView) -> list[str]:
    if view.timeline is None or not view.timeline.bars:
        return []
    title = (f"Timeline of seatctl {view.command} on {printable(view.target)}: each "
             f"{'probe' if view.command == 'doctor' else 'check'} from its start to its end")
    caption = ("Each bar: a probe, from its start to its end (a cross: cut short). Lines: "
               "the idle close and the timeouts it races, from the start of the idle wait.")
    if view.command != "doctor":
        caption = ("Each bar: a check, from its start to its end. Lines: the keep-alive "
                   "check's idle close, advertised timeout and bound.")
    return ['<section id="timeline"><h2>Timeline</h2><figure>',
            timeline_svg(view.timeline, title),
            f'<figcaption class="muted">{esc(caption)}</figcaption></figure></section>']


def _server(view: PasteView) -> list[str]:
    if not view.guesses and not view.guess_notes:
        return []
    parts = ['<section id="server"><h2>Server</h2>']
    parts.extend(_guess(guess) for guess in view.guesses)
    parts.extend(f'<p class="muted">{html_inline(note)}</p>' for note in view.guess_notes)
    parts.append("</section>")
    return parts


def _guess(guess: Guess) -> str:
    parts = [f'<h3>{esc(guess.name)} <span class="muted">({esc(guess.role)}, confidence: '
             f"{esc(guess.confidence)})</span></h3>"]
    if guess.basis:
        parts.append("<ul>" + "".join(f"<li>{html_inline(basis)}</li>" for basis in guess.basis)
                     + "</ul>")
    if guess.alternatives:
        parts.append("<p>Could also be: " + ", ".join(f"<code>{esc(other)}</code>"
                                                      for other in guess.alternatives) + "</p>")
    if guess.fix:
        parts.append(f'<div class="fix"><p class="fix-label">Fix ({esc(guess.role)})</p>')
        parts.extend(html_blocks(guess.fix))
        parts.append("</div>")
    return "\n".join(parts)


def _protocols(view: PasteView) -> list[str]:
    grid = view.protocols
    if grid is None:
        return []
    rows = [(f"<th>{esc(row.name)}</th>", *(html_inline(cell) for cell in row.cells))
            for row in grid.rows]
    return ['<section id="protocols">', f"<h2>{esc(grid.title)}</h2>",
            _table(grid.columns, rows, row_headers=True), "</section>"]


def _measurements(view: PasteView) -> list[str]:
    if not view.measurements:
        return []
    rows = [(esc(row.name), html_inline(row.value)) for row in view.measurements]
    return ['<section id="measurements"><h2>Measurements</h2>',
            _table(("measurement", "value"), rows), "</section>"]


def _probes(view: PasteView) -> list[str]:
    if not view.probes:
        return []
    rows = [(esc(probe.name), _severity(probe.state),
             "" if probe.seconds is None else esc(duration(probe.seconds)),
             html_inline(probe.note)) for probe in view.probes]
    return ['<section id="probes"><h2>Probes</h2>',
            _table(("probe", "state", "time", "note"), rows), "</section>"]


def _unverified(view: PasteView) -> list[str]:
    if not view.unverified:
        return []
    items = "".join(f"<li><code>{esc(entry.id)}</code> {html_inline(entry.title)}: "
                    f"{html_inline(entry.reason)}</li>" for entry in view.unverified)
    return [f'<section id="unverified"><h2>{esc(view.unverified_heading)}</h2>'
            f"<ul>{items}</ul></section>"]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *,
           row_headers: bool = False) -> str:
    """A table; with `row_headers`, each row's first cell is its `<th>` already."""
    head = "".join(f"<th>{esc(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(cell if row_headers and index == 0
                                    else f'<td class="value">{cell}</td>'
                                    for index, cell in enumerate(cells))
                   + "</tr>" for cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _document(view: PasteView) -> str:
    schema = str(view.document.get("schema") or "JSON")
    readable = json.dumps(view.document, indent=2)
    embedded = (json.dumps(view.document).replace("<", "\\u003c").replace(">", "\\u003e")
                .replace("&", "\\u0026"))
    return (f'<section id="document"><h2>JSON document</h2><details><summary>'
            f"{esc(schema)}</summary><pre><code>{html.escape(readable)}</code></pre></details>"
            f'<script type="application/json" id="{DOCUMENT_ID}">{embedded}</script>'
            "</section>")
