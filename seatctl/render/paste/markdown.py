"""A pasted report as GitHub-flavoured Markdown: for a ticket, a pull request or a GitHub
Actions job summary ($GITHUB_STEP_SUMMARY).

Every piece of text is escaped for where it goes: ASCII punctuation that Markdown reads
(emphasis, links, images, raw HTML, entities, tables, strikethrough) gets a backslash,
as do the `:` of `://`, the `.` of `www.` and `@` (GitHub would autolink them); code
spans and fences are one backtick longer than any run of backticks inside; a table cell
escapes its pipes even in code. A server's text cannot start a heading, a list or a
block of HTML, or end the `<details>` block around the JSON document.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence

from seatctl.render.paste.inline import Block, CodeBlock, Inline
from seatctl.render.paste.view import (
    Guess,
    Item,
    PasteView,
    duration,
    rank,
    severity_label,
    when_text,
)

_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<>&|~@!#]")
_AUTOLINK_COLON = re.compile(r":(?=//)")
_AUTOLINK_WWW = re.compile(r"(?i)(?<![\w])(www)\.")
_BLOCK_MARK = re.compile(r"^[+\-=]")  # the others are escaped wherever they are
_ORDERED_LIST = re.compile(r"^(\d+)([.)])")
_BACKTICKS = re.compile(r"`+")


def render_markdown(view: PasteView) -> str:
    sections = [
        f"## seatctl {view.command}: {view.verdict_label}",
        _verdict_line(view),
        *_items(view),
        *_server(view),
        *_protocols(view),
        *_table_section("Measurements", ("measurement", "value"),
                        [(md_text(row.name), md_inline(row.value, table=True))
                         for row in view.measurements]),
        *_table_section("Probes", ("probe", "state", "time", "note"),
                        [(md_text(probe.name), md_text(probe.state),
                          "" if probe.seconds is None else duration(probe.seconds),
                          md_inline(probe.note, table=True)) for probe in view.probes]),
        *_unverified(view),
        _document(view),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


# --- escaping ---------------------------------------------------------------------------


def md_text(text: str) -> str:
    """`text` shown literally inside a paragraph, a list item or a table cell."""
    escaped = _INLINE_SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    escaped = _AUTOLINK_COLON.sub(r"\\:", escaped)
    return _AUTOLINK_WWW.sub(r"\1\\.", escaped)


def md_code(text: str, *, table: bool = False) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    body = text.replace("|", "\\|") if table else text
    return f"{fence}{pad}{body}{pad}{fence}"


def md_inline(inline: Inline, *, table: bool = False) -> str:
    return "".join(md_code(segment.text, table=table) if segment.code else md_text(segment.text)
                   for segment in inline)


def md_fence(text: str, info: str = "") -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def md_paragraph(inline: Inline) -> str:
    """A paragraph: a first character that would start a block is escaped too."""
    rendered = md_inline(inline).lstrip()
    if _BLOCK_MARK.match(rendered):
        return "\\" + rendered
    return _ORDERED_LIST.sub(r"\1\\\2", rendered, count=1)


def md_blocks(blocks: Iterable[Block]) -> list[str]:
    return [md_fence(block.text) if isinstance(block, CodeBlock) else md_paragraph(block.inline)
            for block in blocks]


# --- sections ---------------------------------------------------------------------------


def _verdict_line(view: PasteView) -> str:
    when = when_text(view.when)
    took = f"{view.elapsed_s:.2f} s, " if view.elapsed_s is not None else ""
    line = (f"**{view.verdict_label}** {md_code(view.target) if view.target else ''}: "
            f"{md_text(view.summary)} ({took}{md_text(when)})")
    return line + (f" *{md_text(view.note)}*" if view.note else "")


def _items(view: PasteView) -> list[str]:
    if not view.items:
        return []
    heading = "title" if view.command == "doctor" else "message"
    table = _table(("severity" if view.command == "doctor" else "status", "id", heading),
                   [(f"**{md_text(severity_label(item.severity))}**" if rank(item.severity) >= 3
                     else md_text(severity_label(item.severity)),
                     md_code(item.id, table=True), md_inline(item.title, table=True))
                    for item in view.items])
    sections = [f"### {view.items_heading}", table]
    quiet = []
    for item in view.items:
        if _loud(item.severity):
            sections.extend(_item_section(view, item))
        elif item.detail or item.fix or item.extras:
            quiet.append(item)
    if quiet:
        sections.append(_quiet_items(view.items_heading, quiet))
    return sections


def _loud(severity: str) -> bool:
    return rank(severity) >= 3


def _item_section(view: PasteView, item: Item) -> list[str]:
    label = md_text(severity_label(item.severity))
    if view.command == "doctor":
        parts = [f"#### {label} {md_code(item.id)}: {md_inline(item.title)}"]
    else:
        parts = [f"#### {label} {md_code(item.id)}", md_paragraph(item.title)]
    parts.extend(_item_body(item))
    return parts


def _item_body(item: Item) -> list[str]:
    parts = md_blocks(item.detail)
    if item.extras:
        parts.append("\n".join(f"- {md_text(row.name)}: {md_inline(row.value)}"
                               for row in item.extras))
    if item.fix:
        parts.append("**Fix:**")
        parts.extend(md_blocks(item.fix))
    return parts


def _quiet_items(noun: str, items: Sequence[Item]) -> str:
    """The findings or checks that are not failures or warnings, with what they say,
    folded."""
    parts = [f"<details>\n<summary>The other {noun.lower()} ({len(items)})</summary>"]
    for item in items:
        label = md_text(severity_label(item.severity))
        parts.append(f"**{label}** {md_code(item.id)}: {md_inline(item.title)}")
        parts.extend(_item_body(item))
    parts.append("</details>")
    return "\n\n".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines.extend("| " + " | ".join(cells) + " |" for cells in rows)
    return "\n".join(lines)


def _table_section(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]
                   ) -> list[str]:
    return [f"### {title}", _table(header, rows)] if rows else []


def _server(view: PasteView) -> list[str]:
    """The server and the front door the doctor infers: how sure, on what basis, the fix."""
    if not view.guesses and not view.guess_notes:
        return []
    parts = ["### Server"]
    for guess in view.guesses:
        parts.extend(_guess(guess))
    parts.extend(md_paragraph(note) for note in view.guess_notes)
    return ["\n\n".join(parts)]


def _guess(guess: Guess) -> list[str]:
    parts = [f"**{md_text(guess.name)}** ({md_text(guess.role)}, confidence: "
             f"{md_text(guess.confidence)})"]
    if guess.basis:
        parts.append("\n".join(f"- {md_inline(basis)}" for basis in guess.basis))
    if guess.alternatives:
        parts.append("Could also be: " + ", ".join(md_code(other)
                                                   for other in guess.alternatives))
    if guess.fix:
        parts.append(f"**Fix ({md_text(guess.role)}):**")
        parts.extend(md_blocks(guess.fix))
    return parts


def _protocols(view: PasteView) -> list[str]:
    grid = view.protocols
    if grid is None:
        return []
    rows = [(md_text(row.name), *(md_inline(cell, table=True) for cell in row.cells))
            for row in grid.rows]
    return _table_section(md_text(grid.title), tuple(md_text(column)
                                                     for column in grid.columns), rows)


def _unverified(view: PasteView) -> list[str]:
    if not view.unverified:
        return []
    lines = [f"- {md_code(entry.id)} {md_inline(entry.title)}: {md_inline(entry.reason)}"
             for entry in view.unverified]
    return [f"### {view.unverified_heading}", "\n".join(lines)]


def _document(view: PasteView) -> str:
    schema = str(view.document.get("schema") or "JSON")
    body = json.dumps(view.document, indent=2)
    return (f"<details>\n<summary>JSON document ({html.escape(schema)})</summary>\n\n"
            f"{md_fence(body, 'json')}\n\n</details>")
