"""The QR code drawn in the terminal reads back as its payload, as a phone camera reads it:
the drawn characters are parsed back into modules, scaled into a grey image, and decoded
with zxing-cpp."""

from __future__ import annotations

import re

import pytest
import segno
import zxingcpp

from seatctl.render.qr import (
    LEAST_QUIET_ZONE,
    QUIET_ZONE,
    UPPER_HALF,
    PayloadTooLarge,
    colour_lines,
    fitting_modules,
    plain_lines,
    print_qr,
    qr_modules,
)
from seatctl.render.streams import IOStreams

BOOKING = "cmg4k2x7h0001abcdefgh1234"
# The seed's payload, as its backend writes it (JSON.stringify), with its deployed URL.
PAYLOAD = ('{"bookingId":"' + BOOKING + '","timestamp":1761852600000,"checkInUrl":'
           '"https://event-booking-backend.onrender.com/api/tickets/verify/' + BOOKING + '"}')
PIXELS_PER_MODULE = 4
SGR = re.compile(r"\x1b\[([0-9;]*)m")
BLACK, WHITE = (0, 0, 0), (255, 255, 255)
Matrix = list[list[bool]]


def decode(modules: Matrix) -> list[str]:
    """What a scanner reads from `modules` (True = dark) drawn 4x4 pixels each."""
    height, width = len(modules) * PIXELS_PER_MODULE, len(modules[0]) * PIXELS_PER_MODULE
    pixels = bytearray()
    for row in modules:
        line = b"".join((b"\x00" if dark else b"\xff") * PIXELS_PER_MODULE for dark in row)
        pixels += line * PIXELS_PER_MODULE
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", (height, width)))
    return [barcode.text for barcode in found]


def from_plain(lines: list[str]) -> Matrix:
    """`qrencode -t UTF8` characters back to modules: ink is light."""
    light = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
    modules: Matrix = []
    for line in lines:
        pairs = [light[char] for char in line]
        modules.append([not upper for upper, _ in pairs])
        modules.append([not lower for _, lower in pairs])
    return modules


def from_ansi(text: str) -> Matrix:
    """Truecolour "▀" cells back to modules: the foreground is the upper module, the
    background the lower one; dark where black."""
    modules: Matrix = []
    for line in text.splitlines():
        upper: list[bool] = []
        lower: list[bool] = []
        colours: dict[str, tuple[int, ...]] = {}
        at = 0
        for match in [*SGR.finditer(line), None]:
            for char in line[at:match.start() if match else len(line)]:
                assert char == UPPER_HALF, repr(char)
                assert colours["fg"] in (BLACK, WHITE) and colours["bg"] in (BLACK, WHITE)
                upper.append(colours["fg"] == BLACK)
                lower.append(colours["bg"] == BLACK)
            if match is not None:
                colours = _apply(colours, match.group(1))
                at = match.end()
        modules += [upper, lower]
    return modules


def _apply(colours: dict[str, tuple[int, ...]], params: str) -> dict[str, tuple[int, ...]]:
    codes = [int(code) for code in params.split(";") if code] or [0]
    colours = dict(colours)
    while codes:
        code = codes.pop(0)
        if code == 0:
            colours = {}
        elif code in (38, 48) and codes[0] == 2:
            colours["fg" if code == 38 else "bg"] = tuple(codes[1:4])
            del codes[:4]
        else:
            raise AssertionError(f"unexpected SGR code {code}")
    return colours


def segno_matrix(payload: str, border: int) -> Matrix:
    code = segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8")
    return [[bool(module) for module in row] for row in code.matrix_iter(border=border)]


def padded(modules: Matrix) -> Matrix:
    """An odd number of rows gets a light row under it, as the drawing does."""
    return [*modules, [False] * len(modules[0])] if len(modules) % 2 else modules


def test_the_modules_are_segnos_at_error_correction_m_with_a_quiet_zone() -> None:
    modules = qr_modules(PAYLOAD)
    assert modules == segno_matrix(PAYLOAD, QUIET_ZONE)
    code = segno.make(PAYLOAD, error="m", boost_error=False)
    assert code.error == "M"
    size = len(code.matrix)
    assert len(modules) == size + 2 * QUIET_ZONE
    for ring in range(QUIET_ZONE):
        assert not any(modules[ring]) and not any(modules[-1 - ring])
        assert not any(row[ring] or row[-1 - ring] for row in modules)
    assert decode(modules) == [PAYLOAD]


def test_the_characters_only_drawing_reads_back_as_the_payload() -> None:
    modules = qr_modules(PAYLOAD)
    lines = plain_lines(modules)
    assert len(lines) == (len(modules) + 1) // 2
    assert {len(line) for line in lines} == {len(modules[0])}
    assert lines[0] == "█" * len(modules[0])  # the quiet zone: light, so drawn
    parsed = from_plain(lines)
    assert parsed == padded(modules)
    assert decode(parsed) == [PAYLOAD]


def test_the_colour_drawing_reads_back_as_the_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")  # the test environment's; Rich reads it too
    modules = qr_modules(PAYLOAD)
    streams = IOStreams.test(tty=True, color=True, width=200)
    print_qr(streams.out, modules)
    parsed = from_ansi(streams.out_text())
    assert parsed == padded(modules)
    assert decode(parsed) == [PAYLOAD]


@pytest.mark.parametrize("color", [False, True], ids=["no colour", "NO_COLOR"])
def test_without_colour_the_console_gets_characters_only(color: bool) -> None:
    modules = qr_modules(PAYLOAD)
    streams = IOStreams.test(tty=True, color=color, width=200)  # NO_COLOR=1 is set
    print_qr(streams.out, modules)
    text = streams.out_text()
    assert "\x1b" not in text
    assert text.splitlines() == plain_lines(modules)


def test_every_colour_cell_is_black_and_white_explicitly() -> None:
    for line in colour_lines(qr_modules("x")):
        assert set(line.plain) == {UPPER_HALF}
        for span in line.spans:
            style = span.style
            assert not isinstance(style, str)
            assert style.color is not None and style.bgcolor is not None
            assert {style.color.name, style.bgcolor.name} <= {"#000000", "#ffffff"}


def test_the_seeds_payload_fits_an_80_column_terminal_with_the_full_quiet_zone() -> None:
    modules = fitting_modules(PAYLOAD, 80)
    assert modules is not None and modules == segno_matrix(PAYLOAD, QUIET_ZONE)


def test_a_narrower_terminal_gets_the_least_quiet_zone_then_nothing() -> None:
    size = len(segno_matrix(PAYLOAD, 0))
    narrow = fitting_modules(PAYLOAD, size + 2 * LEAST_QUIET_ZONE)
    assert narrow == segno_matrix(PAYLOAD, LEAST_QUIET_ZONE)
    assert decode(narrow) == [PAYLOAD]
    assert fitting_modules(PAYLOAD, size + 2 * LEAST_QUIET_ZONE - 1) is None


@pytest.mark.parametrize("payload", ["b1", "é" * 40, PAYLOAD * 3])
def test_other_payloads_read_back_too(payload: str) -> None:
    assert decode(from_plain(plain_lines(qr_modules(payload)))) == [payload]


def test_a_payload_no_qr_code_holds_is_refused_in_seatctls_own_terms() -> None:
    # This used to be segno's DataOverflowError, which `seatctl ticket` reported as a bug.
    with pytest.raises(PayloadTooLarge, match="3,000 bytes"):
        fitting_modules("x" * 3000, 200)
    assert fitting_modules("x" * 2331, 200) is not None  # version 40-M holds 2331 bytes
