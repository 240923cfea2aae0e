"""Text in a pasted report, kept apart by where it comes from until it is rendered.

`Inline` is a run of segments: plain text or code. Our own sentences mark code with
backticks (`prose` splits them); a value from the server is one segment (`plain` or
`code`) whatever it contains, so no backtick, pipe or `<script>` in it can change what
the rest of the line means. The renderers (Markdown, HTML) escape every segment; this
module decides nothing about either syntax.

`Block` is a paragraph or a block of code: a finding's detail and a fix are split into
those, a fix's commands and config lines going into code blocks.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from seatctl.sanitize import printable


@dataclass(frozen=True)
class Segment:
    text: str
    code: bool = False


Inline = tuple[Segment, ...]


@dataclass(frozen=True)
class Paragraph:
    inline: Inline


@dataclass(frozen=True)
class CodeBlock:
    text: str


Block = Paragraph | CodeBlock
LineSplit = Callable[[str], tuple[str | None, str | None]]

_BACKTICKED = re.compile(r"`([^`\n]+)`")
# A line of a fix that is prose: a sentence or a heading (ends with "." or ":"), a remark in
# parentheses, or a capitalised word followed by a lower-case one or an option ("Raise the",
# "In nginx's", "Drop --advertise-keep-alive: ..."). Anything else is a command or a line of
# config (the rule of seatctl.render.tokens.fix_line).
_PROSE_LINE = re.compile(r"[.:]$|^\(.*\)$|^[A-Z][a-z']+ (?:[a-z]|--?[a-z])")
# A prose line that ends its sentence (or is a whole remark in parentheses).
_FINISHED_LINE = re.compile(r"[.:!?]$|^\(.*\)$")
_TRAILING_NOTE = re.compile(r"^(?P<code>\S.*?) (?P<note>\([^()]*\))$")


def plain(text: object) -> Inline:
    """Text shown as it is (escaped by the renderer), one line: control characters and line
    breaks are shown as escapes."""
    value = printable(text)
    return (Segment(value),) if value else ()


def code(text: object) -> Inline:
    value = printable(text)
    return (Segment(value, code=True),) if value else ()


def prose(text: str) -> Inline:
    """One line of our own text: what is in backticks is code, the rest plain."""
    segments: list[Segment] = []
    position = 0
    for match in _BACKTICKED.finditer(text):
        segments.extend(plain(text[position:match.start()]))
        segments.extend(code(match.group(1)))
        position = match.end()
    segments.extend(plain(text[position:]))
    return tuple(segments)


def joined(parts: Iterable[Inline], separator: str = ", ") -> Inline:
    result: list[Segment] = []
    for index, part in enumerate(parts):
        if index and separator:
            result.append(Segment(separator))
        result.extend(part)
    return tuple(result)


def detail_blocks(text: str | None) -> tuple[Block, ...]:
    """A finding's detail: a paragraph per line; lines indented four spaces are code."""
    return _blocks(text, _indented)


def fix_blocks(text: str | None) -> tuple[Block, ...]:
    """A fix: its sentences as paragraphs, its commands and config lines as code blocks
    (consecutive ones together, their common indentation removed). "CMD (a remark)" is the
    command in a code block, then the remark. A hard-wrapped sentence is one paragraph: a
    line that goes on from an unfinished prose line is prose, whatever it looks like, and
    consecutive prose lines join (a heading, ending with ":", stays a paragraph of its own)."""
    return _blocks(text, _command_or_config, join_prose=True)


def _indented(line: str) -> tuple[str | None, str | None]:
    return (line, None) if line.startswith("    ") else (None, line)


def _command_or_config(line: str) -> tuple[str | None, str | None]:
    """(the code in `line`, the prose in it): either may be None."""
    if line.startswith("    "):
        return line, None
    if _PROSE_LINE.search(line.strip()):
        return None, line
    note = _TRAILING_NOTE.match(line)
    if note is not None:
        return note["code"], note["note"]
    return line, None


def _unfinished(prose_line: str) -> bool:
    """A prose line whose sentence goes on on the next line."""
    return not _FINISHED_LINE.search(prose_line.strip())


def _blocks(text: str | None, split: LineSplit, *, join_prose: bool = False
            ) -> tuple[Block, ...]:
    blocks: list[Block] = []
    code_lines: list[str] = []
    prose_lines: list[str] = []

    def end_code() -> None:
        if code_lines:
            blocks.append(CodeBlock(textwrap.dedent("\n".join(code_lines)).strip("\n")))
            code_lines.clear()

    def end_prose() -> None:
        if prose_lines:
            blocks.append(Paragraph(prose(" ".join(prose_lines))))
            prose_lines.clear()

    for line in (text or "").split("\n"):
        if not line.strip():
            end_code()
            end_prose()
            continue
        goes_on = join_prose and bool(prose_lines) and _unfinished(prose_lines[-1])
        code_part, prose_part = ((None, line) if goes_on and not line.startswith(" ")
                                 else split(line.rstrip()))
        if code_part is not None:
            end_prose()
            code_lines.append(printable(code_part))
        if prose_part is not None:
            end_code()
            if not join_prose or (prose_lines and prose_lines[-1].endswith(":")):
                end_prose()
            prose_lines.append(prose_part.strip())
    end_code()
    end_prose()
    return tuple(blocks)
