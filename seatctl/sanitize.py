"""Text from a server, made safe for a terminal: no escape sequences, no line breaks.

A hostile or broken server must not be able to move the cursor, clear the screen, set the
window title or forge extra lines of seatctl's output. Control characters (C0, DEL, C1)
are shown as Python escapes instead (`\\x1b`, `\\n`); so are lone surrogates, private-use and
unassigned code points, which no terminal can be trusted with (a surrogate cannot even be
encoded: it would stop the output with UnicodeEncodeError).
"""

from __future__ import annotations

import unicodedata


def printable(text: object) -> str:
    raw = str(text)
    if raw.isprintable():
        return raw
    return "".join(ch if ch.isprintable() or not _is_control(ch) else _escaped(ch)
                   for ch in raw)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _escaped(ch: str) -> str:
    return repr(ch)[1:-1]
