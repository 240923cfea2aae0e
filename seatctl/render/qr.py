"""A QR code drawn in the terminal, two modules to a character cell, for a phone to scan.

In colour each cell is "▀" with the upper module as its foreground and the lower one as its
background, both explicit (pure black, pure white: 256-colour and truecolor terminals do not
theme those, as they do the 16 ANSI colours), so the code reads alike on a dark and a light
terminal. Without colour the cell is chosen from " ▀▄█" as `qrencode -t UTF8` does: the
light modules are drawn (the ink of a light-on-dark terminal), the dark ones left blank.

The quiet zone is 4 modules, as the standard asks; 2 when only that fits the terminal (the
seed's own PNG has a margin of 2). As the seed's `qrcode` npm package does by default: error
correction M, not raised (segno would raise it when it fits), and text as UTF-8 bytes.

    modules = qr_modules('{"bookingId":"b1"}')  # rows of bools, True = dark, quiet zone in
    lines = plain_lines(modules)  # what NO_COLOR gets
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

QUIET_ZONE = 4
LEAST_QUIET_ZONE = 2
ERROR_CORRECTION = "m"
ENCODING = "utf-8"  # the npm package's bytes (segno would pick ISO 8859-1 when it fits)
UPPER_HALF = "▀"
DARK = "#000000"
LIGHT = "#ffffff"
# qrencode's UTF8 characters, indexed by (upper is light, lower is light)
_PLAIN = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}

Modules = Sequence[Sequence[bool]]


class PayloadTooLarge(ValueError):
    """More data than the largest QR code (version 40) holds at error correction M."""


def qr_modules(payload: str, *, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The QR code of `payload` (error correction M, UTF-8, no Micro QR), with a quiet zone of
    `border` modules: rows of modules, True where dark. PayloadTooLarge when no QR code
    holds it."""
    import segno

    try:
        code = segno.make(payload, error=ERROR_CORRECTION, boost_error=False, micro=False,
                          encoding=ENCODING)
    except segno.DataOverflowError:
        raise PayloadTooLarge(f"{len(payload.encode(ENCODING)):,} bytes is more than a QR "
                              "code holds") from None
    return [[bool(module) for module in row] for row in code.matrix_iter(border=border)]


def _pairs(modules: Modules) -> list[list[tuple[bool, bool]]]:
    """Each pair of rows as one line of (upper, lower) dark flags; an odd last row gets a
    light row under it (more quiet zone)."""
    rows = [list(row) for row in modules]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [list(zip(rows[index], rows[index + 1], strict=True))
            for index in range(0, len(rows), 2)]


def colour_lines(modules: Modules) -> list[Text]:
    """One Text per pair of rows: "▀" with explicit black and white."""
    lines = []
    for line in _pairs(modules):
        text = Text(no_wrap=True, overflow="ignore", end="")
        for (upper, lower), run in groupby(line):
            style = Style(color=DARK if upper else LIGHT, bgcolor=DARK if lower else LIGHT)
            text.append(UPPER_HALF * len(list(run)), style)
        lines.append(text)
    return lines


def plain_lines(modules: Modules) -> list[str]:
    """One string per pair of rows, characters only (light modules drawn)."""
    return ["".join(_PLAIN[(not upper, not lower)] for upper, lower in line)
            for line in _pairs(modules)]


def fitting_modules(payload: str, width: int) -> list[list[bool]] | None:
    """The code with the widest quiet zone (4, else 2) that fits `width` columns; None when
    not even that fits; PayloadTooLarge when no QR code holds the payload."""
    for border in (QUIET_ZONE, LEAST_QUIET_ZONE):
        modules = qr_modules(payload, border=border)
        if len(modules[0]) <= width:
            return modules
    return None


def print_qr(console: Console, modules: Modules) -> None:
    """The code on `console`, in colour when it has colour; never wrapped or cropped."""
    if console.color_system is None or console.no_color:
        for line in plain_lines(modules):
            console.print(line, soft_wrap=True, style=None, markup=False, highlight=False)
        return
    for text in colour_lines(modules):
        console.print(text, soft_wrap=True)
