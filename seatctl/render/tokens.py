"""Wrapping that never breaks a token.

Prose is wrapped at spaces, and only at spaces that are not inside a token: an id, a URL,
a seat label (none of which has a space), a number with its unit (`65 s`, `1.2 ms`,
`2 seat(s)`), an option with its value (`--db PATH`), anything in backticks, and a line of
code or a command in a fix. A token wider than the line gets a line of its own, unwrapped:
the terminal folds it for the eye, but copying the line copies all of it.

Inside a token the spaces are replaced by GLUE while the lines are laid out, and put back in
the output. GLUE is a private-use character: `printable` escapes those in a server's text,
so one in the text is always ours.

    wrap(Text("error: see `seatctl doctor URL --lb-idle-timeout 60`"), 40, 7)
    wrap(Text(whole("seatctl serve --keep-alive-timeout 65")), 30)  # one token
    fields([(Text("status"), Text("ok"))], 80, indent=2)  # "  status  ok"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

GLUE = "\ue000"
MIN_WIDTH = 20  # narrower than this, a line holds a word or two: wrap as if this wide

UNITS = (r"ms|µs|us|ns|s|min|h|days?|seconds?|minutes?|hours?|bytes?|B|KB|KiB|MB|MiB|GB"
         r"|seats?|seat\(s\)|tickets?|ticket\(s\)|attempts?|requests?|connections?")
_BACKTICKED = re.compile(r"`[^`\n]+`")
_QUANTITY = re.compile(rf"(?<![\w.])\d+(?:[.,_]\d+)* (?:{UNITS})(?![\w(])")
# `--port 0`, `--db PATH`, `--db :memory:`: not `--keep-alive and` (prose after an option)
_OPTION_VALUE = re.compile(r"(?<!\S)--?[A-Za-z][\w-]* (?:[A-Z][A-Z_]*|\d[\w.]*|:\w+:)"
                           r"(?=[\s,.;:)`]|$)")
_WORD = re.compile(r"\S+")
# Prose in a fix: a sentence or a heading (ends with "." or ":"), a parenthesised remark,
# or a capitalised word followed by a lower-case one ("Raise the", "In nginx's").
_PROSE = re.compile(r"[.:]$|^\(.*\)$|^[A-Z][a-z']+ (?:[a-z]|--?[a-z])")
_TRAILING_NOTE = re.compile(r"^(?P<code>\S.*?) (?P<note>\([^()]*\))$")


def whole(text: str) -> str:
    """`text` as one token: its spaces never break a line."""
    return text.replace(" ", GLUE)


def glued(plain: str) -> str:
    """`plain` with the spaces inside its tokens replaced by GLUE (the same length)."""
    chars = list(plain)
    for pattern in (_BACKTICKED, _QUANTITY, _OPTION_VALUE):
        for match in pattern.finditer(plain):
            for index in range(match.start(), match.end()):
                if chars[index] == " ":
                    chars[index] = GLUE
    return "".join(chars)


def fix_line(line: str) -> str:
    """A line of a fix, marked: code or a command is one token (an indented line always
    is), prose stays wrappable; "CMD (a remark)" keeps CMD whole, the remark wraps."""
    if line.startswith("    ") or not line.strip():
        return whole(line)
    if _PROSE.search(line):
        return line
    note = _TRAILING_NOTE.match(line)
    if note is not None:
        return f"{whole(note['code'])} {note['note']}"
    return whole(line)


def terminal_width(console: Console) -> int | None:
    """The width to wrap to: the terminal's; None (do not wrap) when the output is not a
    terminal, so that a pipe or a log gets one line per message."""
    return console.width if console.is_terminal else None


def wrap(text: Text, width: int | None, indent: int = 0) -> Text:
    """`text` wrapped to `width` at the spaces between tokens, each line after the first
    (its own or one that `text` starts with a line break) indented by `indent` spaces.
    None: one line per line of `text`, as it is."""
    result = Text(end=text.end)
    for number, line in enumerate(text.split("\n", allow_blank=True)):
        if number:
            result.append("\n" + " " * indent)
        first = 0 if number == 0 else indent
        pieces = line.divide(_breaks(line.plain, width, first, indent)) if width else [line]
        for index, piece in enumerate(pieces):
            if index:
                result.append("\n" + " " * indent)
            piece.rstrip()
            result.append_text(piece)
    result.plain = result.plain.replace(GLUE, " ")
    return result


def wrap_plain(line: str, width: int | None, indent: int = 0) -> list[str]:
    """`wrap` for a string: its lines."""
    return wrap(Text(line), width, indent).plain.split("\n")


def _breaks(plain: str, width: int | None, first: int, indent: int) -> list[int]:
    """The offsets in `plain` where a new line starts: before a token that would end past
    `width`, unless it is the first on its line (then it overflows, whole)."""
    if width is None:
        return []
    width = max(width, MIN_WIDTH)
    breaks: list[int] = []
    column, end, words = first, 0, 0
    for match in _WORD.finditer(glued(plain)):
        gap = cell_len(plain[end:match.start()])
        size = cell_len(match.group())
        if words and column + gap + size > width:
            breaks.append(match.start())
            column, words = indent + size, 1
        else:
            column, words = column + gap + size, words + 1
        end = match.end()
    return breaks


def fields(rows: Iterable[tuple[Text, Text]], width: int | None, *, gap: int = 2,
           indent: int = 0) -> list[Text]:
    """Labels in a column, each value beside its label (its lines, wrapped, under one
    another): a table without borders whose values never break a token."""
    rows = list(rows)
    label_width = max((cell_len(label.plain) for label, _ in rows), default=0)
    lines: list[Text] = []
    under = indent + label_width + gap
    for label, value in rows:
        lead = Text.assemble(" " * indent, label, " " * (under - indent - label.cell_len))
        lines.append(wrap(Text.assemble(lead, value), width, under))
    return lines


def block(lines: Sequence[Text]) -> Text:
    """Lines as one Text, for one print."""
    return Text("\n").join(lines)


def say(console: Console, text: Text, indent: int = 2) -> None:
    """`text` on `console`: one line, or on a terminal as many as it takes, wrapped under
    itself (`indent` spaces in)."""
    console.print(wrap(text, terminal_width(console), indent), soft_wrap=True)
