"""Rendering `seatctl seats`: the seat map as a picture, the free labels, or JSON.

The picture: per section a heading (name, price, counts), a ruler of seat numbers, then one
line per row with a cell per seat. Free, booked and blocked seats differ in glyph as well
as colour, so the picture reads without colour. Seats sit at the column of their number,
so gaps in a row stay visible. It fits MAX_WIDTH columns (or a narrower console): a row
too wide for two-column cells gets one-column cells; wider still, the section is drawn in
blocks of seat numbers, one under the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text

from seatctl.booking.labels import ResolvedSeat, SeatIndex, SeatState
from seatctl.render.tables import (
    Column,
    OutputFormat,
    cell_width,
    fit,
    laid_out,
    packed,
    print_table,
    write_tsv,
)
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.api.models import SeatMap, Section
    from seatctl.render.streams import IOStreams

MAX_WIDTH = 80
MIN_WIDTH = 30
INDENT = 2
GLYPHS: dict[SeatState, tuple[str, str]] = {
    SeatState.FREE: ("○", "green"),
    SeatState.BOOKED: ("●", "red"),
    SeatState.BLOCKED: ("\u00d7", "dim"),  # the multiplication sign
}
MAX_ROW_LABEL = 8  # a longer row name is shortened in the picture (not in --available)
_NUMBER = re.compile(r"[0-9]{1,9}")
_LETTERS = re.compile(r"[A-Za-z]+")
_LETTERS_DIGITS = re.compile(r"([A-Za-z]+)(\d+)")


def render_seat_map(streams: IOStreams, seat_map: SeatMap, *, available_only: bool,
                    as_json: bool, output: OutputFormat = OutputFormat.TABLE,
                    quiet: bool = False) -> None:
    """The picture, or with `available_only` the free seats as `output` (their labels
    alone when `quiet`)."""
    index = SeatIndex(seat_map)
    if as_json or output is OutputFormat.JSON:
        streams.write_data(json.dumps(seat_map_document(index, available_only=available_only)))
    elif available_only:
        render_available(streams, index, output, quiet=quiet)
    else:
        width = max(MIN_WIDTH, min(MAX_WIDTH, streams.out.width))
        for line in picture_lines(index, width):
            streams.out.print(line, width=width)


# --- the picture ----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    free: int = 0
    booked: int = 0
    blocked: int = 0

    @classmethod
    def of(cls, seats: Sequence[ResolvedSeat]) -> Counts:
        states = [seat.state for seat in seats]
        return cls(states.count(SeatState.FREE), states.count(SeatState.BOOKED),
                   states.count(SeatState.BLOCKED))

    @property
    def total(self) -> int:
        return self.free + self.booked + self.blocked

    def describe(self) -> str:
        return (f"{self.free} free, {self.booked} booked, {self.blocked} blocked "
                f"of {self.total}")

    def as_dict(self) -> dict[str, int]:
        return {"free": self.free, "booked": self.booked, "blocked": self.blocked,
                "total": self.total}


def picture_lines(index: SeatIndex, width: int = MAX_WIDTH) -> list[Text]:
    seat_map = index.seat_map
    title = Text(printable(seat_map.event.name), "bold")
    if seat_map.venue.name:
        title.append(f" · {printable(seat_map.venue.name)}")
    lines = [title, legend(), Text()]
    for section, seats in sections(index):
        lines.append(section_heading(section.name, seats))
        lines.extend(section_picture(seats, width))
        lines.append(Text())
    if not index.seats:
        lines.append(Text("this seat map has no seats", "dim"))
    lines.append(Text.assemble(("total: ", "bold"), f"{Counts.of(index.seats).describe()} "
                               "seats"))
    return lines


def legend() -> Text:
    text = Text()
    for state, (glyph, style) in GLYPHS.items():
        if text:
            text.append("   ")
        text.append(glyph, style)
        text.append(f" {state}")
    return text


def section_heading(name: str, seats: Sequence[ResolvedSeat]) -> Text:
    return Text.assemble((printable(name), "bold"), "  ", (price_text(seats), "cyan"), "  ",
                         (Counts.of(seats).describe(), "dim"))


def price_text(seats: Sequence[ResolvedSeat]) -> str:
    prices = sorted({seat.price for seat in seats if seat.price is not None})
    if not prices:
        return "price unknown"
    if len(prices) == 1:
        return f"{prices[0]:.2f} a seat"
    return f"{prices[0]:.2f}-{prices[-1]:.2f} a seat"


def section_picture(seats: Sequence[ResolvedSeat], width: int) -> list[Text]:
    rows: dict[str, list[ResolvedSeat]] = {}
    for seat in seats:
        rows.setdefault(seat.row, []).append(seat)
    ordered = sorted(rows, key=row_key)
    # A seat sits at the column of its number, when numbers are numbers, unique in their
    # row, and not so sparse that the picture would be mostly gaps.
    low, numbered = 0, all(_NUMBER.fullmatch(seat.number) for seat in seats)
    if numbered:
        low = min(int(seat.number) for seat in seats)
        high = max(int(seat.number) for seat in seats)
        numbered = (high - low < 2 * max(len(row) for row in rows.values()) + 10
                    and all(len({s.number for s in row}) == len(row) for row in rows.values()))
    columns: dict[str, dict[int, ResolvedSeat]] = {}
    for row in ordered:
        row_seats = sorted(rows[row], key=lambda seat: number_key(seat.number))
        columns[row] = ({int(seat.number) - low: seat for seat in row_seats} if numbered
                        else dict(enumerate(row_seats)))
    span = max((max(cells) + 1 for cells in columns.values() if cells), default=0)
    labels = {row: _row_label(row) for row in ordered}
    label_width = max(cell_len(label) for label in labels.values())
    room = max(1, width - INDENT - label_width - 2)
    cell = 2 if span * 2 <= room else 1
    per_block = span if span * cell <= room else room // cell
    lines: list[Text] = []
    for start in range(0, span, per_block):
        stop = min(span, start + per_block)
        if start:
            lines.append(Text())
        if numbered:
            ruler = _ruler([low + column for column in range(start, stop)], cell, room)
            lines.append(Text(" " * (INDENT + label_width + 2) + ruler, "dim"))
        for row in ordered:
            line = Text(" " * (INDENT + label_width - cell_len(labels[row])) + labels[row]
                        + "  ")
            for column in range(start, stop):
                placed = columns[row].get(column)
                glyph, style = GLYPHS[placed.state] if placed else (" ", "")
                line.append(glyph, style)
                if cell == 2 and column < stop - 1:
                    line.append(" ")
            line.rstrip()
            lines.append(line)
    return lines


def _ruler(numbers: list[int], cell: int, room: int) -> str:
    """Seat numbers over their columns: the first, then every 5th (every 10th when dense),
    each where it fits without touching its neighbour or passing `room` columns."""
    every = 5 if cell == 2 else 10
    text = ""
    for position, number in enumerate(numbers):
        column, label = position * cell, str(number)
        if position and number % every:
            continue
        if (text and len(text) >= column) or column + len(label) > room:
            continue
        text = text.ljust(column) + label
    return text


def row_key(row: str) -> tuple[int, str, int, str]:
    """A, B, ..., Z, AA, ..., then R27, R28 (the seed's rows past Z), then anything else."""
    if _LETTERS.fullmatch(row):
        return 0, f"{len(row):03d}{row.upper()}", 0, row
    parts = _LETTERS_DIGITS.fullmatch(row)
    if parts:
        return 1, parts[1].upper(), int(parts[2]), row
    return 2, "", 0, row


def number_key(number: str) -> tuple[int, str]:
    return (int(number), "") if _NUMBER.fullmatch(number) else (1 << 30, number)


def _row_label(row: str) -> str:
    label = printable(row)
    return label if cell_len(label) <= MAX_ROW_LABEL else label[:MAX_ROW_LABEL - 1] + "\u2026"


def sections(index: SeatIndex) -> list[tuple[Section, list[ResolvedSeat]]]:
    """The sections that have seats, in the seat map's order, with their seats."""
    grouped: dict[str, list[ResolvedSeat]] = {}
    for seat in index.seats:
        grouped.setdefault(seat.section_id, []).append(seat)
    return [(section, grouped[section.id]) for section in index.seat_map.sections
            if grouped.get(section.id)]


# --- --available and --json -----------------------------------------------------------


def free_seats(index: SeatIndex) -> list[tuple[Section, list[ResolvedSeat]]]:
    """The sections with free seats, and those seats in row and number order."""
    found = []
    for section, seats in sections(index):
        free = sorted((seat for seat in seats if seat.free),
                      key=lambda seat: (row_key(seat.row), number_key(seat.number)))
        if free:
            found.append((section, free))
    return found


def render_available(streams: IOStreams, index: SeatIndex, output: OutputFormat, *,
                     quiet: bool) -> None:
    """`--available`: one free seat a line (its label as `--seat` takes it: bare where it
    is unique, qualified where not), tab-separated; or a table of the labels by section."""
    found = free_seats(index)
    if not found:
        streams.err.print("no free seats", soft_wrap=True)
    elif quiet:
        for _, seats in found:
            for seat in seats:
                streams.write_data(printable(seat.display))
    elif output is OutputFormat.TSV:
        write_tsv(streams, (seat_fields(seat) for _, seats in found for seat in seats))
    else:
        print_available_table(streams.out, found)


# The tab-separated fields of `seatctl seats --available` (README: Output for pipes).
TSV_FIELDS = ("label", "section", "row", "number", "price")


def seat_fields(seat: ResolvedSeat) -> list[object]:
    return [seat.display, seat.section, seat.row, seat.number,
            None if seat.price is None else f"{seat.price:.2f}"]


def print_available_table(console: Console,
                          found: Sequence[tuple[Section, Sequence[ResolvedSeat]]]) -> None:
    """Per section its price, how many seats are free and their labels, a list that wraps
    between labels, never inside one."""
    labels = [[printable(seat.display) for seat in seats] for _, seats in found]
    columns = [
        # A section's name is what --seat takes: whole, or the column goes (the labels name
        # their section too).
        Column.fixed("section", [printable(section.name) for section, _ in found], drop=2),
        Column.fixed("price", [price_text(seats).removesuffix(" a seat")
                               for _, seats in found], drop=1, justify="right"),
        Column.fixed("free", [str(len(seats)) for _, seats in found], drop=3,
                     justify="right"),
        Column("labels", max(cell_width(", ".join(row)) for row in labels),
               max(cell_width(label) + 1 for row in labels for label in row)),
    ]
    widths = fit(columns, console.width)
    rows = [[Text(laid_out(printable(section.name), widths[0] or 0), "bold"),
             Text(price_text(seats).removesuffix(" a seat"), "cyan"), Text(str(len(seats))),
             Text("\n".join(packed(row, widths[3] or 0)))]
            for (section, seats), row in zip(found, labels, strict=True)]
    print_table(console, columns, widths, rows)


def seat_map_document(index: SeatIndex, *, available_only: bool = False) -> dict[str, Any]:
    """`--json`: sections with their counts and seats (only the free ones with
    `--available`), and the totals."""
    seat_map = index.seat_map
    documents = []
    for section, seats in sections(index):
        shown = [seat for seat in seats if seat.free or not available_only]
        documents.append({
            "id": section.id, "name": section.name, "price": section.section_price,
            "counts": Counts.of(seats).as_dict(),
            "seats": [{"id": seat.id, "label": seat.label, "qualified": seat.qualified,
                       "display": seat.display, "row": seat.row, "number": seat.number,
                       "state": str(seat.state), "price": seat.price} for seat in shown],
        })
    return {
        "event": {"id": seat_map.event.id, "name": seat_map.event.name},
        "venue": {"id": seat_map.venue.id, "name": seat_map.venue.name},
        "sections": documents,
        "totals": Counts.of(index.seats).as_dict(),
    }
