"""Rendering `seatctl events`: one page of events as a table, tab-separated rows or JSON,
and where the next page is."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.clock import parse_iso_time
from seatctl.render.tables import (
    Column,
    OutputFormat,
    fit,
    iso_time,
    laid_out,
    local_time,
    longest_line,
    print_table,
    wall_now,
    write_tsv,
)
from seatctl.render.tokens import whole, wrap
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.api.models import Event, EventPage
    from seatctl.render.streams import IOStreams

SEAT_MAP = "seat map"
GENERAL_ADMISSION = "general admission"
UPCOMING, STARTED, ENDED = "upcoming", "started", "ended"


def events_document(page: EventPage, events: Sequence[Event] | None = None) -> dict[str, Any]:
    """`--json`: the events as the server sent them (every field; only `events` of them
    when given: `--upcoming`) and the server's pagination."""
    shown = page.events if events is None else events
    return {
        "events": [event.model_dump(mode="json", by_alias=True) for event in shown],
        "pagination": page.pagination.model_dump(mode="json", by_alias=True),
    }


def render_events(streams: IOStreams, page: EventPage, *, search: str | None, limit: int,
                  as_json: bool = False, output: OutputFormat = OutputFormat.TABLE,
                  quiet: bool = False, upcoming: bool = False,
                  now: datetime | None = None) -> None:
    """One page of events as `output` (the ids alone when `quiet`); with `upcoming`, only
    those that have not started at `now`."""
    now = now or wall_now()
    shown = [event for event in page.events
             if not upcoming or event_state(event, now) not in (STARTED, ENDED)]
    if as_json or output is OutputFormat.JSON:
        streams.write_data(json.dumps(events_document(page, shown)))
        return
    if not shown:
        _say_none(streams, page, search=search, hidden=len(page.events))
        return
    line = footer(page, search=search, limit=limit, upcoming=upcoming,
                  hidden=len(page.events) - len(shown))
    if quiet:
        for event in shown:
            streams.write_data(printable(event.id))
    elif output is OutputFormat.TSV:  # records on stdout; where the rest is, on stderr
        write_tsv(streams, (event_fields(event, now) for event in shown))
        if page.pagination.has_next_page:
            streams.err.print(wrap(line, None), soft_wrap=True)
    else:
        print_events_table(streams.out, shown, now)
        width = streams.out.width if streams.stdout_is_tty else None
        streams.out.print(wrap(line, width), soft_wrap=True)


def _say_none(streams: IOStreams, page: EventPage, *, search: str | None, hidden: int) -> None:
    pagination = page.pagination
    if hidden:
        streams.err.print(f"no upcoming events on page {pagination.current_page} ({hidden} "
                          f"started)", soft_wrap=True)
    elif pagination.total_count and pagination.current_page > pagination.total_pages:
        streams.err.print(f"page {pagination.current_page} is past the last page "
                          f"({pagination.total_pages})", soft_wrap=True)
    else:
        matching = f" matching {printable(search)!r}" if search else ""
        streams.err.print(f"no events{matching}", soft_wrap=True)


# The tab-separated fields of `seatctl events` (README: Output for pipes). Append only.
TSV_FIELDS = ("id", "name", "start", "state", "venue", "price", "free", "capacity", "booking")


def event_fields(event: Event, now: datetime) -> list[object]:
    return [event.id, event.name, iso_time(event.start_time), event_state(event, now),
            event.venue_name, None if event.price is None else f"{event.price:.2f}",
            event.available_capacity, event.capacity,
            SEAT_MAP if event.seat_level_booking else GENERAL_ADMISSION]


def event_state(event: Event, now: datetime) -> str:
    """`upcoming`, `started` or `ended` at `now`; empty when the start is not known."""
    start, end = parse_iso_time(event.start_time), parse_iso_time(event.end_time)
    if end is not None and end <= now:
        return ENDED
    if start is None:
        return ""
    return STARTED if start <= now else UPCOMING


# --- the table ----------------------------------------------------------------------------


def print_events_table(console: Console, events: Sequence[Event], now: datetime) -> None:
    """Each event's name over its id (whole, never wrapped: it is what other commands
    take), the day over the time (and `started` or `ended`), the price, free/capacity,
    seat map or general admission. Too narrow a terminal drops the booking kind, the
    price, the venue, in that order, before it would cut an id."""
    names = [printable(event.name) for event in events]
    ids = [printable(event.id) for event in events]
    starts = [_starts(event, now) for event in events]
    columns = [
        Column.prose("event / id", names, least=longest_line(ids)),
        Column.prose("venue", [printable(event.venue_name) or "-" for event in events],
                     drop=3),
        Column.fixed("starts", [start.plain for start in starts], drop=5),
        Column.fixed("price", [_price(event) for event in events], drop=2, justify="right"),
        Column.fixed("free/cap", [capacity(event) for event in events], drop=4,
                     justify="right"),
        Column.fixed("booking", ["general\nadmission"], drop=1),
    ]
    widths = fit(columns, console.width)
    rows = [_event_row(event, start, widths) for event, start in zip(events, starts,
                                                                     strict=True)]
    print_table(console, columns, widths, rows)


def _event_row(event: Event, start: Text, widths: Sequence[int | None]) -> list[Text]:
    name = laid_out(printable(event.name), widths[0] or 0)
    venue = laid_out(printable(event.venue_name) or "-", widths[1] or 0)
    seating = (Text(SEAT_MAP, "cyan") if event.seat_level_booking
               else Text(GENERAL_ADMISSION.replace(" ", "\n"), "magenta"))
    return [Text.assemble((name, "bold"), "\n", (printable(event.id), "dim")), Text(venue),
            start, Text(_price(event)), Text(capacity(event)), seating]


def _starts(event: Event, now: datetime) -> Text:
    day, clock = local_time(event.start_time, now)
    text = Text("\n".join(part for part in (day, clock) if part))
    state = event_state(event, now)
    if state in (STARTED, ENDED):
        text.append(f"\n{state}", "yellow" if state == STARTED else "dim")
    return text


def _price(event: Event) -> str:
    return "-" if event.price is None else f"{event.price:.2f}"


def footer(page: EventPage, *, search: str | None, limit: int, upcoming: bool = False,
           hidden: int = 0) -> Text:
    """`page 1 of 2 (14 events); next: seatctl events --page 2`: the command whole."""
    pagination = page.pagination
    count = pagination.total_count
    described = whole(f"{count} event{'' if count == 1 else 's'}")
    if search:
        described += f" matching {printable(search)!r}"
    if hidden:
        described += f", {whole(f'{hidden} started')} not shown"
    line = Text(f"page {pagination.current_page} of {pagination.total_pages} ({described})",
                "dim")
    if pagination.has_next_page:
        args = ["seatctl", "events"]
        if search:
            args += ["--search", printable(search)]
        if upcoming:
            args.append("--upcoming")
        args += ["--page", str(pagination.current_page + 1)]
        if limit != 10:
            args += ["--limit", str(limit)]
        line.append(f"; next: {whole(shlex.join(args))}", "dim")
    return line


def capacity(event: Event) -> str:
    if event.available_capacity is None and event.capacity is None:
        return "-"
    available = "?" if event.available_capacity is None else str(event.available_capacity)
    total = "?" if event.capacity is None else str(event.capacity)
    return f"{available}/{total}"
