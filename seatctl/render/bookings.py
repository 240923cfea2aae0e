"""Rendering `seatctl bookings` (a table, tab-separated rows, JSON or the ids) and
`seatctl cancel` (what is about to be cancelled, each booking's outcome, the JSON document)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.booking.booking_status import STATUSES
from seatctl.booking.manage import (
    BookingFilter,
    BookingList,
    CancelInterrupted,
    CancelOutcome,
    CancelRequest,
    CancelResult,
    ListedBooking,
    first_failure,
    tickets,
)
from seatctl.booking.outcome import Resume
from seatctl.render import messages
from seatctl.render.states import glyph_and_style
from seatctl.render.tables import (
    Column,
    OutputFormat,
    cell_width,
    fit,
    iso_time,
    laid_out,
    local_time,
    longest_line,
    packed,
    print_table,
    write_tsv,
)
from seatctl.render.tokens import say, whole
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.errors import SeatctlError
    from seatctl.render.streams import IOStreams

YES, NO, STARTED = "yes", "-", "started"  # tab-separated rows, wide tables
# A status cell that holds the ticket and cancel columns: a tick, or an en dash.
TICK, DASH = "✓", "\u2013"

# --- seatctl bookings ---------------------------------------------------------------------


def booking_record(listed: ListedBooking) -> dict[str, Any]:
    """A booking as the server sent it (every field), normalised: `status` lower-case,
    `seats` as labels (the server's, else the journal's; empty: see `quantity`), and what
    seatctl works out: `seatsFrom`, `started`, `canCancel`, `hasTicket`."""
    record = listed.booking.model_dump(mode="json", by_alias=True)
    record.update({"status": listed.status, "seats": list(listed.seats),
                   "seatsFrom": listed.seats_from.value, "started": listed.started,
                   "canCancel": listed.can_cancel, "hasTicket": listed.booking.has_ticket})
    return record


def bookings_document(listing: BookingList, shown: Sequence[ListedBooking]) -> dict[str, Any]:
    """`--json`: the caller, the bookings shown (after --status and --upcoming) and the
    server's summary of all of them."""
    user = listing.user.model_dump(mode="json", by_alias=True) if listing.user else None
    return {"user": user, "bookings": [booking_record(listed) for listed in shown],
            "summary": listing.summary}


def render_bookings(streams: IOStreams, listing: BookingList, *, wanted: BookingFilter,
                    output: OutputFormat, quiet: bool, now: datetime,
                    resume: Resume | None = None) -> None:
    """`resume`: the flags that bring a command named in a hint back to this server."""
    shown = listing.matching(wanted)
    if output is OutputFormat.JSON:
        streams.write_data(json.dumps(bookings_document(listing, shown)))
    if not shown:
        say(streams.err, Text(nothing_to_show(listing, wanted, resume or Resume())), 2)
        return
    if output is OutputFormat.JSON:
        return
    if quiet:
        for listed in shown:
            streams.write_data(printable(listed.id))
    elif output is OutputFormat.TSV:
        write_tsv(streams, (booking_fields(listed) for listed in shown))
    else:
        print_bookings_table(streams.out, shown, now)
        say(streams.out, Text(footer(listing, len(shown)), "dim"), 0)


def nothing_to_show(listing: BookingList, wanted: BookingFilter, resume: Resume) -> str:
    if listing.bookings:
        total = len(listing.bookings)
        return (f"no {wanted.describe()} bookings ({total} booking{_s(total)} in all: "
                f"`{resume.command('bookings')}` lists them)")
    who = listing.user.name or listing.user.email if listing.user else None
    return f"no bookings yet{f' for {printable(who)}' if who else ''}"


def footer(listing: BookingList, shown: int) -> str:
    """`3 bookings: 2 confirmed, 1 cancelled, 0 pending` (the server's summary)."""
    summary = listing.summary
    count = summary.get("total")
    count = count if isinstance(count, int) else len(listing.bookings)
    counts = ", ".join(whole(f"{printable(summary[status])} {status}") for status in STATUSES
                       if status in summary)
    line = whole(f"{count} booking{_s(count)}")
    if counts:
        line += f": {counts}"
    if shown != len(listing.bookings):
        line = f"{shown} shown of {line}"
    return line


# The tab-separated fields of `seatctl bookings` (README: Output for pipes). Append only.
TSV_FIELDS = ("booking", "event", "start", "seats", "total", "status", "ticket", "cancel")


def booking_fields(listed: ListedBooking) -> list[object]:
    booking = listed.booking
    return [listed.id, listed.event_name, iso_time(booking.start_time),
            ",".join(listed.seats) or tickets(booking.quantity), total(listed), listed.status,
            ticket_cell(listed), cancel_cell(listed)]


def total(listed: ListedBooking) -> str | None:
    price = listed.booking.total_price
    return None if price is None else f"{price:.2f}"


def ticket_cell(listed: ListedBooking) -> str:
    return YES if listed.booking.has_ticket else NO


def cancel_cell(listed: ListedBooking) -> str:
    """`yes`; `started` (not cancelled, but the server no longer allows it); `-`."""
    if listed.can_cancel:
        return YES
    return NO if listed.cancelled else STARTED


def status_text(status: str) -> Text:
    glyph, style = glyph_and_style(status)
    return Text(f"{glyph} {printable(status)}", style)


def print_bookings_table(console: Console, shown: Sequence[ListedBooking], now: datetime
                         ) -> None:
    """One booking per row: the event over its start (`started` when it has), the seats,
    the total, the status, whether a ticket can be had, whether it can still be cancelled,
    and the booking id (whole, never dropped). Where the ticket and cancel columns do not
    fit, they are folded into the status cell (`ticket ✓`, `cancel` and a dash); a terminal too
    narrow even then drops total, then seats, before it would cut an id or a seat label."""
    starts = [local_time(listed.booking.start_time, now) for listed in shown]
    folded = False
    columns = _columns(shown, starts, folded=folded)
    widths = fit(columns, console.width)
    if None in widths:  # the ticket column goes first: fold it and cancel into the status
        folded = True
        columns = _columns(shown, starts, folded=folded)
        widths = fit(columns, console.width)
    print_table(console, columns, widths, [
        _booking_row(listed, start, widths, folded=folded)
        for listed, start in zip(shown, starts, strict=True)])


def _columns(shown: Sequence[ListedBooking], starts: Sequence[tuple[str, str]], *,
             folded: bool) -> list[Column]:
    """The columns of `print_bookings_table`, in the order of `_booking_row`'s cells."""
    labels = [label for listed in shown for label in _seat_items(listed)]
    event = Column.prose(
        "event / start", [f"{printable(listed.event_name or '-')}\n{day} {clock}"
                          for listed, (day, clock) in zip(shown, starts, strict=True)],
        least=longest_line([part for start in starts for part in start]))
    seats = Column.prose("seats", [", ".join(_seat_items(listed)) for listed in shown],
                         least=max((cell_width(label) + 1 for label in labels), default=0),
                         drop=2 if folded else 4)
    total_ = Column.fixed("total", [total(listed) or "-" for listed in shown],
                          drop=1 if folded else 3, justify="right")
    status = Column.fixed("status", [status_cell(listed, folded=folded).plain
                                     for listed in shown])
    booking = Column.fixed("booking", [printable(listed.id) for listed in shown])
    if folded:
        return [event, seats, total_, status, booking]
    return [event, seats, total_, status,
            Column.fixed("ticket", [ticket_cell(listed) for listed in shown], drop=1),
            Column.fixed("cancel", [cancel_cell(listed) for listed in shown], drop=2),
            booking]


def _booking_row(listed: ListedBooking, start: tuple[str, str], widths: Sequence[int | None],
                 *, folded: bool) -> list[Text]:
    width = widths[0] or 0
    day, clock = start
    when = f"{day} {clock}".strip()
    event = Text.assemble((laid_out(printable(listed.event_name or "-"), width), "bold"), "\n",
                          when if cell_width(when) <= width else f"{day}\n{clock}".strip())
    if listed.started and not listed.cancelled:
        event.append(" started" if cell_width(when) + 8 <= width else "\nstarted", "yellow")
    cells = [
        event,
        Text("\n".join(packed(_seat_items(listed), widths[1] or 0))),
        Text(total(listed) or "-"),
        status_cell(listed, folded=folded),
    ]
    if not folded:
        cancel = cancel_cell(listed)
        cells += [Text(ticket_cell(listed)), Text(cancel, "yellow" if cancel == STARTED else "")]
    return [*cells, Text(printable(listed.id))]


def status_cell(listed: ListedBooking, *, folded: bool) -> Text:
    """The status; `folded`: over whether a ticket can be had and whether the booking can
    still be cancelled (`ticket ✓`; `cancel` and a dash: yellow when its event has started)."""
    status = status_text(listed.status)
    if not folded:
        return status
    return Text.assemble((status.plain, status.style),
                         f"\nticket {_mark(listed.booking.has_ticket)}",
                         (f"\ncancel {_mark(listed.can_cancel)}",
                          "yellow" if cancel_cell(listed) == STARTED else ""))


def _mark(yes: bool) -> str:
    return TICK if yes else DASH


def _seat_items(listed: ListedBooking) -> list[str]:
    if listed.seats:
        return [printable(label) for label in listed.seats]
    return [tickets(listed.booking.quantity) or "-"]


def _s(count: object) -> str:
    return "" if count == 1 else "s"


# --- seatctl cancel -----------------------------------------------------------------------


def render_preview(streams: IOStreams, requests: Sequence[CancelRequest], now: datetime
                   ) -> None:
    """What a "yes" would cancel, on stderr before the question: each booking's event,
    start, seats and refund; a started event (no refund: the server refuses it) and an id
    not in the list are flagged."""
    sending = [request for request in requests if request.to_send]
    say(streams.err, Text(f"About to cancel {len(sending)} booking{_s(len(sending))}:",
                          "bold"), 2)
    for request in sending:
        say(streams.err, Text.assemble("  ", preview_line(request, now)), 4)
    for request in requests:
        if request.already_cancelled:
            messages.note(streams, f"{request.booking_id} is already cancelled: nothing to "
                                   "send")


def preview_line(request: CancelRequest, now: datetime) -> Text:
    listed = request.listed
    booking = whole(printable(request.booking_id))
    if listed is None:
        return Text.assemble(whole(f"booking {booking}:") + " ",
                             ("not among your bookings; the server decides", "yellow"))
    day, clock = local_time(listed.booking.start_time, now)
    refund = total(listed)
    line = Text.assemble((printable(listed.event_name or "an event"), "bold"),
                         f", {whole(f'{day} {clock}'.strip())}: {printable(listed.seat_text)}")
    if refund is not None and not listed.started:
        line.append("; " + whole(f"refund {refund}"))
    line.append(" " + whole(f"(booking {booking})"))
    if listed.started:
        line.append("; its event has started: the server will refuse, no refund", "yellow")
    return line


def question(requests: Sequence[CancelRequest]) -> str:
    count = sum(request.to_send for request in requests)
    return "Cancel this booking?" if count == 1 else f"Cancel these {count} bookings?"


def render_result(streams: IOStreams, result: CancelResult, *, as_json: bool,
                  resume: Resume | None = None) -> None:
    """One booking's outcome as it happens: a cancellation on stdout (on stderr with
    --json), a note or an error with its hint on stderr (`resume`: the flags that bring
    the hint's command back to this server)."""
    event = f" ({printable(result.event_name)})" if result.event_name else ""
    if result.outcome is CancelOutcome.CANCELLED:
        refund = f"; refund {result.refund:.2f}" if result.refund is not None else ""
        line = Text.assemble(("✓ ", "green"), f"cancelled {printable(result.booking_id)}"
                                              f"{event}{refund}")
        say(streams.err if as_json else streams.out, line, 2)
    elif result.outcome is CancelOutcome.ALREADY_CANCELLED:
        messages.note(streams, f"{result.booking_id}{event} was already cancelled")
    else:
        messages.error(streams, *failure_text(result, resume or Resume()))
    if result.journal_error:
        messages.warning(streams, f"the journal did not record the cancellation of "
                                  f"{result.booking_id}: {result.journal_error}")


def failure_text(result: CancelResult, resume: Resume) -> tuple[str, str | None]:
    """The error line and its hint for a booking that was not cancelled."""
    booking = result.booking_id
    said = printable(result.message)
    if result.outcome is CancelOutcome.REFUSED:
        return f"{booking} not cancelled: {said}", None
    if result.outcome is CancelOutcome.NOT_FOUND:
        return (f"{booking}: no such booking (404: {said})",
                f"check the id: `{resume.command('bookings', '-q')}` lists yours")
    if result.outcome is CancelOutcome.FORBIDDEN:
        return (f"{booking} is not yours to cancel (403: {said})",
                f"`{resume.command('bookings')}` lists the bookings of this login")
    error: SeatctlError | None = result.error
    message = error.message if error is not None else said
    return f"{booking} not cancelled: {message}", result.hint


def render_summary(streams: IOStreams, results: Sequence[CancelResult]) -> None:
    """`2 cancelled, 1 already cancelled, 1 not cancelled` after several bookings."""
    if len(results) < 2:
        return
    counts = {
        "cancelled": sum(result.outcome is CancelOutcome.CANCELLED for result in results),
        "already cancelled": sum(result.outcome is CancelOutcome.ALREADY_CANCELLED
                                 for result in results),
        "not cancelled": sum(not result.ok for result in results),
    }
    say(streams.err, Text(", ".join(f"{count} {what}" for what, count in counts.items()
                                    if count), "dim"), 2)


def cancel_document(results: Sequence[CancelResult],
                    interrupted: CancelInterrupted | None = None) -> dict[str, Any]:
    """`--json`: each booking's outcome (`bookingId`, `outcome`, `message`, `refund`,
    `event`, `exitCode`), the run's exit code (that of its first failure), and, after
    Ctrl-C, the booking whose DELETE was under way and those not sent."""
    code = first_failure(results)
    if interrupted is not None:
        code = interrupted.exit_code
    return {"bookings": [result.as_dict() for result in results], "exitCode": int(code),
            "interrupted": interrupted is not None,
            "inFlight": interrupted.in_flight if interrupted else None,
            "notSent": list(interrupted.not_sent) if interrupted else []}


def retry_note(streams: IOStreams, booking_id: str, wait: float, error: SeatctlError) -> None:
    said = getattr(error, "server_message", None) or error.message
    messages.note(streams, f"{booking_id}: {said}; sending the cancellation again in "
                           f"{wait:.1f} s")
