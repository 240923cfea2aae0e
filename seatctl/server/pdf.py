"""The printable ticket: one A4 page written with pydyf (a low-level PDF writer), in the
standard Helvetica fonts every reader has, with the QR code drawn as filled rectangles.

pydyf is imported here and nowhere else: only the reference server draws PDFs.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pydyf  # type: ignore[import-untyped]  # no type information shipped

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
QR_MODULE = 4.0  # points per QR module (a 49-module code is 196 pt, about 7 cm)
LONGEST_VALUE = 58  # characters of a field shown before "..." (Helvetica 12 pt fits the page)


@dataclass(frozen=True)
class TicketFacts:
    """What the ticket shows, formatted already (dates in the seed's words)."""

    event_name: str
    event_date: str
    event_time: str
    venue: str
    holder: str
    quantity: int
    total_price: str
    ticket_number: str
    booking_id: str
    qr_matrix: Sequence[Sequence[int]]  # rows of 0/1 modules, without the quiet zone


def ticket_pdf(ticket: TicketFacts) -> bytes:
    """The ticket as the bytes of a one-page PDF document."""
    pdf = pydyf.PDF()
    fonts = {name: _standard_font(pdf, base) for name, base in
             (("F1", "Helvetica"), ("F2", "Helvetica-Bold"))}
    content = pydyf.Stream(compress=True)
    _draw_text(content, ticket)
    _draw_qr(content, ticket.qr_matrix, x=PAGE_WIDTH - MARGIN, top=PAGE_HEIGHT - 140)
    pdf.add_object(content)
    pdf.add_page(pydyf.Dictionary({
        "Type": "/Page",
        "Parent": pdf.pages.reference,
        "MediaBox": pydyf.Array([0, 0, PAGE_WIDTH, PAGE_HEIGHT]),
        "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary(
            {name: font.reference for name, font in fonts.items()})}),
        "Contents": content.reference,
    }))
    pdf.info["Title"] = pydyf.String(f"Ticket {ticket.ticket_number}")
    pdf.info["Producer"] = pydyf.String("seatctl reference server")
    output = io.BytesIO()
    pdf.write(output)
    return output.getvalue()


def _standard_font(pdf: pydyf.PDF, base: str) -> pydyf.Dictionary:
    """One of the 14 standard Type1 fonts: nothing embedded, every reader has it."""
    font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1", "BaseFont": f"/{base}",
                             "Encoding": "/WinAnsiEncoding"})
    pdf.add_object(font)
    return font


def _draw_text(content: pydyf.Stream, ticket: TicketFacts) -> None:
    content.set_color_rgb(0, 0, 0)
    _line(content, "F2", 24, MARGIN, PAGE_HEIGHT - 90, "Event Ticket")
    _line(content, "F1", 11, MARGIN, PAGE_HEIGHT - 112, ticket.ticket_number)
    y = PAGE_HEIGHT - 370.0
    _line(content, "F2", 18, MARGIN, y, _shorten(ticket.event_name, 44))
    for label, value in _fields(ticket):
        y -= 30
        _line(content, "F2", 10, MARGIN, y, label.upper())
        _line(content, "F1", 12, MARGIN, y - 14, _shorten(value, LONGEST_VALUE))
    _line(content, "F1", 9, MARGIN, MARGIN,
          "Show this ticket (printed or on a screen) at the entrance.")


def _fields(ticket: TicketFacts) -> Iterator[tuple[str, str]]:
    yield "Date", ticket.event_date
    yield "Time", ticket.event_time
    yield "Venue", ticket.venue
    yield "Ticket holder", ticket.holder
    yield "Quantity", f"{ticket.quantity} ticket{'s' if ticket.quantity != 1 else ''}"
    yield "Total", ticket.total_price
    yield "Ticket number", ticket.ticket_number
    yield "Booking ID", ticket.booking_id


def _line(content: pydyf.Stream, font: str, size: float, x: float, y: float, text: str
          ) -> None:
    content.begin_text()
    content.set_font_size(font, size)
    content.set_text_matrix(1, 0, 0, 1, x, y)
    content.show_text_string(_win_ansi(text))
    content.end_text()


def _draw_qr(content: pydyf.Stream, matrix: Sequence[Sequence[int]], *, x: float, top: float
             ) -> None:
    """The modules as black rectangles, one per horizontal run, right-aligned at `x`
    (the white page is the quiet zone)."""
    left = x - len(matrix[0]) * QR_MODULE
    content.set_color_rgb(0, 0, 0)
    for row_index, row in enumerate(matrix):
        y = top - (row_index + 1) * QR_MODULE
        for start, length in _dark_runs(row):
            content.rectangle(left + start * QR_MODULE, y, length * QR_MODULE, QR_MODULE)
    content.fill()


def _dark_runs(row: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    start: int | None = None
    for index, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _win_ansi(text: str) -> bytes:
    """The text in the standard fonts' encoding; letters it lacks lose their accents
    (ř → r), anything else becomes "?", control characters a space."""
    encoded = bytearray()
    for char in text:
        if unicodedata.category(char).startswith("C"):
            encoded += b" "
            continue
        try:
            encoded += char.encode("cp1252")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore")
            encoded += base or b"?"
    return bytes(encoded)
