"""Rendering a booking plan (`seatctl book` before it sends, and `book --dry-run`): the
event, its start in local time, each seat with its section and price, and the total.

On a terminal a small table; elsewhere plain `name: value` lines, one fact each:

    book: Symphony Under the Stars (event cevt1)
    starts: Sat 12 Dec 19:30 CET
    seat: Orchestra:A12  Orchestra  120.00  (seat id cs12)
    total: 1 seat, 120.00

Prices have two decimals (`?` when unknown); ids and labels are never broken.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from seatctl.render.tables import Column, fit, local_time, print_table
from seatctl.render.tokens import say
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.booking.plan import BookingPlan
    from seatctl.render.streams import IOStreams


def price_text(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def amount(plan: BookingPlan) -> str:
    """`2 seats`, `1 seat`, `3 tickets`."""
    noun = "ticket" if plan.general_admission else "seat"
    return f"{plan.count} {noun}{'' if plan.count == 1 else 's'}"


def question(plan: BookingPlan) -> str:
    """The confirmation prompt: `Book 2 seats for 240.00?`."""
    total = plan.total
    cost = " (total unknown)" if total is None else f" for {price_text(total)}"
    return f"Book {amount(plan)}{cost}?"


def start_text(plan: BookingPlan, now: datetime) -> str:
    """`Sat 12 Dec 19:30 CET`, with `(started 2 h ago)` once it has; `unknown` without one."""
    if not plan.start_time:
        return "unknown"
    text = _start_time(plan, now)
    start = plan.starts_at
    if start is not None and start <= now:
        text += f" (started {ago(now - start)})"
    return text


def _start_time(plan: BookingPlan, now: datetime) -> str:
    day, clock = local_time(plan.start_time, now)
    return f"{day} {clock}".strip()


def ago(elapsed: timedelta) -> str:
    """`5 min ago`, `3 h ago`, `2 days ago`."""
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


STARTED_HINT = "book it anyway with --force (the server decides)"


def started_message(plan: BookingPlan, now: datetime, *, dry_run: bool = False) -> str:
    """Why a booking of a started event is not sent (`plan.started(now)`): `Late Show
    started 60 min ago (Sat 12 Dec 19:30 CET): nothing sent`; a dry run says that booking
    it would be refused."""
    start = plan.starts_at
    assert start is not None, "only an event whose start is known has started"
    refused = "booking it would be refused; " if dry_run else ""
    return (f"{printable(plan.event_name)} started {ago(now - start)} "
            f"({_start_time(plan, now)}): {refused}nothing sent")


def plan_lines(plan: BookingPlan, now: datetime) -> list[str]:
    """The plan as plain lines (off a terminal)."""
    lines = [f"book: {printable(plan.event_name)} (event {printable(plan.event_id)})",
             f"starts: {start_text(plan, now)}"]
    if plan.general_admission:
        lines.append(f"tickets: {plan.count} x {price_text(plan.unit_price)} = "
                     f"{price_text(plan.total)}")
        return lines
    lines.extend(f"seat: {printable(seat.label)}  {printable(seat.section)}  "
                 f"{price_text(seat.price)}  (seat id {printable(seat.id)})"
                 for seat in plan.seats)
    lines.append(f"total: {amount(plan)}, {price_text(plan.total)}")
    return lines


def print_plan(console: Console, plan: BookingPlan, now: datetime) -> None:
    """The plan for a terminal: the event and its start, then the seats as a table with
    the total as its last row (the id column goes first when the terminal is narrow)."""
    say(console, Text.assemble((printable(plan.event_name), "bold"),
                               f"  (event {printable(plan.event_id)})"))
    say(console, Text(f"starts {start_text(plan, now)}"))
    if plan.general_admission:
        say(console, Text.assemble(f"{amount(plan)} x {price_text(plan.unit_price)} = ",
                                   (price_text(plan.total), "bold")))
        return
    labels = [printable(seat.label) for seat in plan.seats] + ["total"]
    sections = [printable(seat.section) for seat in plan.seats] + [amount(plan)]
    prices = [price_text(seat.price) for seat in plan.seats] + [price_text(plan.total)]
    ids = [printable(seat.id) for seat in plan.seats] + [""]
    columns = [Column.fixed("seat", labels), Column.prose("section", sections, drop=2),
               Column.fixed("price", prices, justify="right"),
               Column.fixed("seat id", ids, drop=1)]
    widths = fit(columns, console.width)
    rows = [[Text(label), Text(section), Text(price), Text(seat_id, "dim")]
            for label, section, price, seat_id in zip(labels, sections, prices, ids,
                                                      strict=True)]
    rows[-1] = [Text(cell.plain, "bold") for cell in rows[-1]]
    console.print()
    print_table(console, columns, widths, rows)


def show_plan(streams: IOStreams, plan: BookingPlan, now: datetime) -> None:
    """Before the booking is sent, on stderr: a table on a terminal, plain lines off one."""
    if streams.stderr_is_tty:
        print_plan(streams.err, plan, now)
        return
    for line in plan_lines(plan, now):
        streams.err.print(line, soft_wrap=True)


def render_dry_run(streams: IOStreams, plan: BookingPlan, now: datetime, *, as_json: bool,
                   earlier_key: str | None = None, refused: bool = False) -> None:
    """`book --dry-run`: the plan on stdout (one JSON document with --json), and on stderr
    that nothing was sent; or, when the booking would be `refused` (the event has
    started), why (the error, also as the document's `refused`)."""
    refusal = started_message(plan, now, dry_run=True) if refused else None
    if as_json:
        streams.write_data(json.dumps(plan.as_dict(sent=False, refused=refusal)))
    elif streams.stdout_is_tty:
        print_plan(streams.out, plan, now)
    else:
        for line in plan_lines(plan, now):
            streams.write_data(line)
    if refusal is not None:
        from seatctl.render.messages import error

        error(streams, refusal, STARTED_HINT)
        return
    note = "dry run: nothing sent"
    if earlier_key is not None:
        note += (f"; booking now would resume the unfinished earlier attempt with key "
                 f"{earlier_key}")
    say(streams.err, Text(note), indent=2)
