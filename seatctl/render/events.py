"""Rendering `seatctl events`: a table of one page of events, and where the next page is."""

from __future__ import annotations

import json
import shlex
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from seatctl.render.sanitize import printable

if TYPE_CHECKING:
    from seatctl.api.models import Event, EventPage
    from seatctl.render.streams import IOStreams

SEAT_MAP = "seat map"
GENERAL_ADMISSION = "general admission"


def events_document(page: EventPage) -> dict[str, Any]:
    """`--json`: the events as the server sent them (every field) and the pagination."""
    return {
        "events": [event.model_dump(mode="json", by_alias=True) for event in page.events],
        "pagination": page.pagination.model_dump(mode="json", by_alias=True),
    }


def render_events(streams: IOStreams, page: EventPage, *, search: str | None, limit: int,
                  as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps(events_document(page)))
        return
    pagination = page.pagination
    if not page.events:
        if pagination.total_count and pagination.current_page > pagination.total_pages:
            streams.err.print(f"page {pagination.current_page} is past the last page "
                              f"({pagination.total_pages})", soft_wrap=True)
        else:
            matching = f" matching {printable(search)!r}" if search else ""
            streams.err.print(f"no events{matching}", soft_wrap=True)
        return
    table = events_table(page.events, streams.out.width)
    if table_width(table) <= streams.out.width:
        streams.out.print(table)
    else:  # too narrow for the table without cutting ids: a block per event
        for event in page.events:
            name, id_line, details = event_block(event)
            streams.out.print(name)
            streams.out.print(id_line, soft_wrap=True)
            streams.out.print(details)
    streams.out.print(footer(page, search=search, limit=limit), soft_wrap=True)


def events_table(events: list[Event], width: int) -> Table:
    """Every row is two lines: the name over the id (whole, never folded or cut: it is what
    other commands take), the date over the time, "general" over "admission". Column widths
    are set here, so that only the name and the venue wrap, and the table fits `width`."""
    rows = []
    for event in events:
        seating = (Text(SEAT_MAP, "cyan") if event.seat_level_booking
                   else Text(GENERAL_ADMISSION.replace(" ", "\n"), "magenta"))
        rows.append((
            Text.assemble((printable(event.name), "bold"), "\n", (printable(event.id), "dim")),
            Text(printable(event.venue_name) or "-"),
            Text(local_time(event.start_time).replace(" ", "\n")),
            Text("-" if event.price is None else f"{event.price:.2f}"),
            Text(capacity(event)),
            seating,
        ))
    headers = ("event / id", "venue", "starts", "price", "free/cap", "booking")
    natural = [max([len(header), *(_longest_line(row[i]) for row in rows)])
               for i, header in enumerate(headers)]
    id_width = max(len(printable(event.id)) for event in events)
    # Each column but the last is followed by one space of padding and one of rule.
    room = width - sum(natural[2:]) - 2 * (len(headers) - 1)
    venue_least = min(natural[1], 8)
    name_width = max(id_width, min(natural[0], room - venue_least))
    venue_width = max(venue_least, min(natural[1], room - name_width))
    widths = [name_width, venue_width, *natural[2:]]
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False,
                  header_style="bold")
    for header, column_width in zip(headers, widths, strict=True):
        right = header in ("price", "free/cap")
        table.add_column(header, width=column_width, justify="right" if right else "left",
                         overflow="fold")  # a long word is broken, never cut
    for row in rows:
        table.add_row(*row)
    return table


def event_block(event: Event) -> tuple[Text, Text, Text]:
    """The name, the id (printed whole, however narrow the terminal), the details."""
    seating = SEAT_MAP if event.seat_level_booking else GENERAL_ADMISSION
    price = "-" if event.price is None else f"{event.price:.2f}"
    details = ", ".join([printable(event.venue_name) or "-", local_time(event.start_time),
                         price, f"{capacity(event)} free", seating])
    return (Text(printable(event.name), "bold"), Text(f"  id {printable(event.id)}"),
            Text(f"  {details}"))


def table_width(table: Table) -> int:
    widths = [column.width or 0 for column in table.columns]
    return sum(widths) + 2 * (len(widths) - 1)


def _longest_line(text: Text) -> int:
    return max(cell_len(line) for line in text.plain.split("\n"))


def footer(page: EventPage, *, search: str | None, limit: int) -> Text:
    pagination = page.pagination
    count = pagination.total_count
    line = Text(f"page {pagination.current_page} of {pagination.total_pages} "
                f"({count} event{'' if count == 1 else 's'}"
                + (f" matching {printable(search)!r}" if search else "") + ")", "dim")
    if pagination.has_next_page:
        args = ["seatctl", "events"]
        if search:
            args += ["--search", printable(search)]
        args += ["--page", str(pagination.current_page + 1)]
        if limit != 10:
            args += ["--limit", str(limit)]
        line.append(f"; next: {shlex.join(args)}", "dim")
    return line


def local_time(value: str | None) -> str:
    """An ISO 8601 time from the server, in the local time zone: `2026-12-13 19:30`."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return printable(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def capacity(event: Event) -> str:
    if event.available_capacity is None and event.capacity is None:
        return "-"
    available = "?" if event.available_capacity is None else str(event.available_capacity)
    total = "?" if event.capacity is None else str(event.capacity)
    return f"{available}/{total}"
