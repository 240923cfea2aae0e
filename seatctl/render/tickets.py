"""Rendering `seatctl ticket`, `verify` and `checkin`.

On a terminal: the ticket's details as labelled lines and its QR code drawn (`render.qr`);
a verification as a ✓ line and the ticket's facts. Times in local time with the zone, as
`seatctl bookings` shows them; the ticket's own `eventTime` is the server's wall clock in
the server's zone, so it is shown as such when the booking list gave no start time. Off a
terminal: `label:<TAB>value` lines (gh's convention for one record), the QR code's payload
as text on its `qr:` line. `--json`: one document. Server text is made printable; no id,
payload or path is ever wrapped.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.clock import parse_iso_time
from seatctl.render import messages
from seatctl.render.tables import iso_time, local_time, tsv_line, wall_now
from seatctl.render.tokens import block, fields, terminal_width
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.api.models import Booking, TicketDetails, VerifiedBooking
    from seatctl.booking.tickets import Admission, SavedTicket, TicketRefused
    from seatctl.render.streams import IOStreams

Rows = Sequence[tuple[str, str]]
MISSING = "-"
AS_THE_SERVER_STATES_IT = "(as the server states it)"


def ticket_number(details: TicketDetails) -> str:
    """The server's `ticketNumber` when it sends one; else the seed's rule: `EVT-` and the
    booking id's first 8 characters, upper-cased."""
    sent = (details.model_extra or {}).get("ticketNumber")
    return sent if isinstance(sent, str) and sent else "EVT-" + details.booking_id[:8].upper()


def venue_name(venue: Any) -> str:
    if isinstance(venue, dict):
        return str(venue.get("name") or "")
    return "" if venue is None else str(venue)


# --- seatctl ticket -------------------------------------------------------------------


def ticket_document(details: TicketDetails, listed: Booking | None = None) -> dict[str, Any]:
    """`--json`: the details as the contract names them (the venue as its name; the date and
    time as the server states them), the ticket number, the QR code's payload (`qrCodeData`,
    null when not sent) and the event's start as the booking list gives it (`startTime`,
    ISO 8601; null when the list does not name the booking)."""
    return {**details.model_dump(mode="json", by_alias=True),
            "venue": venue_name(details.venue) or None,
            "ticketNumber": ticket_number(details),
            "qrCodeData": details.qr_code_data or None,
            "startTime": listed.start_time if listed is not None else None}


def ticket_rows(details: TicketDetails, listed: Booking | None, *, on_terminal: bool,
                now: datetime) -> list[tuple[str, str]]:
    """On a terminal the date and time are local, from the booking list's start time, or
    the server's labelled as such; off a terminal the server's as sent, and `starts` (ISO
    8601) when the list gives it."""
    start = listed.start_time if listed is not None else None
    date, time = details.event_date or MISSING, details.event_time or MISSING
    starts: list[tuple[str, str]] = []
    if not on_terminal:
        starts = [("starts", iso_time(start))] if start else []
    elif parse_iso_time(start) is not None:
        date, time = local_time(start, now)
    elif details.event_time:
        time = f"{details.event_time} {AS_THE_SERVER_STATES_IT}"
    total = details.total_price
    return [
        ("event", details.event_name or MISSING),
        ("date", date),
        ("time", time),
        *starts,
        ("venue", venue_name(details.venue) or MISSING),
        ("holder", details.user_name or MISSING),
        ("quantity", MISSING if details.ticket_quantity is None else str(details.ticket_quantity)),
        ("total", MISSING if total is None else f"{total:.2f}"),
        ("ticket", ticket_number(details)),
        ("booking", details.booking_id),
    ]


def render_ticket(streams: IOStreams, details: TicketDetails, *, as_json: bool,
                  listed: Booking | None = None, download_command: str | None = None,
                  now: datetime | None = None) -> None:
    """`listed`: the booking as the caller's list has it (its event's start time);
    `download_command`: the `seatctl ticket ID --download` to suggest when the code cannot
    be drawn, with the flags that reach this server."""
    payload = details.qr_code_data or None
    now = now or wall_now()
    if as_json:
        streams.write_data(json.dumps(ticket_document(details, listed)))
    elif not streams.stdout_is_tty:
        rows = ticket_rows(details, listed, on_terminal=False, now=now)
        plain_lines(streams, [*rows, *([("qr", payload)] if payload else [])])
    else:
        labelled(streams, ticket_rows(details, listed, on_terminal=True, now=now))
        if payload:
            _draw(streams, payload, download_command or shlex.join(
                ["seatctl", "ticket", details.booking_id, "--download"]))
    if payload is None:
        messages.note(streams, "the server sent no QR code data for this ticket "
                               "(`qrCodeData`): there is no code to show")


def _draw(streams: IOStreams, payload: str, download_command: str) -> None:
    """The QR code; or its payload as text and why: too narrow a terminal, or more data
    than a QR code holds."""
    from seatctl.render.qr import PayloadTooLarge, fitting_modules, print_qr

    try:
        modules = fitting_modules(payload, streams.out.width)
        why = f"the terminal is too narrow ({streams.out.width} columns) to draw the QR code"
        remedy = "widen the terminal, or save the PDF"
    except PayloadTooLarge as too_large:
        modules = None
        why = f"the ticket's payload cannot be drawn as a QR code ({too_large})"
        remedy = "save the PDF"
    streams.out.print()
    if modules is not None:
        print_qr(streams.out, modules)
        return
    streams.out.print(printable(payload), soft_wrap=True)
    messages.note(streams, f"{why}: its payload is printed instead; {remedy} with "
                           f"`{download_command}`")


# --- the PDF --------------------------------------------------------------------------


def saved_document(saved: SavedTicket) -> dict[str, Any]:
    return {"bookingId": saved.booking_id, "path": str(saved.path), "bytes": saved.size,
            "contentType": saved.content_type, "filename": saved.sent_name}


def render_saved(streams: IOStreams, saved: SavedTicket, *, as_json: bool) -> None:
    """Where it went: the path and size on stderr; the path alone on stdout for a script
    (not on a terminal, where it would say the same twice); --json: a document."""
    path = printable(saved.path)
    messages.success(streams, f"saved {path} ({saved.size:,} bytes)")
    if as_json:
        streams.write_data(json.dumps(saved_document(saved)))
    elif not streams.stdout_is_tty:
        streams.write_data(path)


def write_pdf(streams: IOStreams, content: bytes) -> None:
    """The PDF's bytes on stdout (`-o -`), past the text layers (and the redaction: this is
    binary, no token is in it)."""
    from seatctl.errors import UsageError

    if not streams.write_binary(content):
        raise UsageError("stdout cannot take binary data here", hint="use -o FILE")
    messages.success(streams, f"wrote the ticket PDF to stdout ({len(content):,} bytes)")


# --- seatctl verify / checkin ---------------------------------------------------------


def admission_document(admission: Admission) -> dict[str, Any]:
    """`--json` of a ticket that admits: `valid`, whether it was checked in and when, the
    server's message and its booking (event, holder, quantity)."""
    done = admission.check_in
    booking = (done.booking if done and done.booking else admission.verified.booking)
    return {"bookingId": admission.booking_id, "valid": True, "reason": None,
            "checkedIn": done is not None, "checkedInAt": done.checked_in_at if done else None,
            "message": done.message if done else admission.verified.message,
            "booking": booking.model_dump(mode="json", by_alias=True)}


def refusal_document(refused: TicketRefused) -> dict[str, Any]:

    return {"bookingId": refused.booking_id, "valid": False, "reason": str(refused.reason),
            "step": str(refused.step), "checkedIn": False, "checkedInAt": None,
            "message": refused.detail, "booking": None,
            "error": refused.as_dict()}


def render_admission(streams: IOStreams, admission: Admission, *, as_json: bool,
                     now: datetime | None = None) -> None:
    if as_json:
        streams.write_data(json.dumps(admission_document(admission)))
        return
    now = now or wall_now()
    done = admission.check_in
    booking = admission.verified.booking
    if not streams.stdout_is_tty:
        at = [("checked_in_at", iso_time(done.checked_in_at))] if done else []
        plain_lines(streams, [("status", "checked in" if done else "valid"),
                              *_booking_rows(booking, iso_time), *at])
        return
    status = "valid for check-in now"
    if done is not None:
        status = "checked in" + (f" at {_local(done.checked_in_at, now)}"
                                 if done.checked_in_at else "")
    streams.out.print(Text.assemble(("✓ ", "green"), (status, "bold")), soft_wrap=True)
    labelled(streams, _booking_rows(booking, lambda value: _local(value, now)), indent=2)


def render_refusal(streams: IOStreams, refused: TicketRefused) -> None:
    """--json: the error on stderr (times in local time), the document (with its `reason`,
    times as the server sent them) on stdout."""
    shown = for_people(refused)
    messages.error(streams, shown.message, shown.hint)
    streams.write_data(json.dumps(refusal_document(refused)))


def for_people(refused: TicketRefused, now: datetime | None = None) -> TicketRefused:
    """The refusal with its check-in time (if it names one) in local time with the zone."""
    if not refused.checked_in_at or parse_iso_time(refused.checked_in_at) is None:
        return refused
    return refused.with_check_in_time(_local(refused.checked_in_at, now or wall_now()))


def _booking_rows(booking: VerifiedBooking, when: Callable[[str | None], str]
                  ) -> list[tuple[str, str]]:
    event, user = booking.event, booking.user
    holder = " ".join(part for part in (
        user.name if user else None, f"<{user.email}>" if user and user.email else None)
        if part)
    return [
        ("event", (event.name if event else None) or MISSING),
        ("venue", (venue_name(event.venue) if event else "") or MISSING),
        ("starts", when(event.start_time if event else None) or MISSING),
        ("ends", when(event.end_time if event else None) or MISSING),
        ("holder", holder or MISSING),
        ("quantity", MISSING if booking.quantity is None else str(booking.quantity)),
        ("booking", booking.id),
    ]


def _local(value: str | None, now: datetime) -> str:
    day, clock = local_time(value, now)
    return f"{day} {clock}".strip()


# --- labelled lines -------------------------------------------------------------------


def plain_lines(streams: IOStreams, rows: Rows) -> None:
    """`label:<TAB>value`, one a line; tabs and line breaks in a value escaped."""
    for label, value in rows:
        streams.write_data(tsv_line([f"{label}:", value]))


def labelled(streams: IOStreams, rows: Rows, *, indent: int = 0) -> None:
    """Labels in a column, values beside them, wrapped only between words; an id or a
    payload (no spaces) never breaks."""
    lines = fields(((Text(label, "dim"), Text(printable(value))) for label, value in rows),
                   terminal_width(streams.out), indent=indent)
    streams.out.print(block(lines), soft_wrap=True)
