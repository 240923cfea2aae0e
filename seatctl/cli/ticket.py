"""`seatctl ticket BOOKING [--download]`, and at the door `seatctl verify` / `seatctl checkin`."""


import os
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app, sendable_text
from seatctl.cli.completers import complete_booking_id
from seatctl.cli.context import App
from seatctl.errors import Reported, SeatctlError, UsageError

if TYPE_CHECKING:
    from seatctl.booking.outcome import Resume


def booking_id(value: str | None) -> str | None:
    """A booking id as typed, without surrounding spaces; an empty one is refused."""
    value = sendable_text(value)
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty: give a booking id")
    return None if value is None else value.strip()


BookingArgument = Annotated[str, typer.Argument(
    metavar="BOOKING", help="A booking id (as `seatctl bookings` lists it, or as the ticket "
                            "shows it).",
    show_default=False, callback=booking_id, autocompletion=complete_booking_id,
)]


def ticket(
    ctx: typer.Context,
    booking: BookingArgument,
    file: Annotated[str | None, typer.Argument(
        metavar="FILE", help="With --download: where to save the PDF (as -o FILE); it comes "
                            "after BOOKING.",
        show_default=False)] = None,
    download: Annotated[bool, typer.Option(
        "--download", "-d",
        help="Save the ticket's PDF instead of showing the ticket: as FILE when one follows, "
             "else under the server's file name (made safe) or ticket-BOOKING.pdf.")] = False,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Save the PDF as FILE, or into FILE when it is a folder (implies --download); "
             "- writes it to stdout (not to a terminal).", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", "-f", help="Replace an existing file with the downloaded PDF.")] = False,
    json: JsonFlag = False,
) -> None:
    """Show a booking's ticket and its QR code; --download saves the PDF.

    Two requests: your bookings (GET /api/bookings/my), then the ticket's details (GET
    /api/tickets/BOOKING/details), not asked for when your list shows the booking cancelled
    or pending (it has no valid ticket: exit 3). Shows the event, date, time, venue,
    holder, quantity, total, ticket number and booking id, and the QR code drawn on the
    terminal for the door's scanner (in black and white; with NO_COLOR or --no-color in
    characters only). The date and time are local, with the zone, from your list's start
    time; else the server's, labelled "as the server states it" (its own zone). Off a
    terminal, one `label:<TAB>value` line each: event, date and time (the server's),
    starts (ISO 8601, when your list gives it), venue, holder, quantity, total, ticket,
    booking, and qr (the QR code's payload, as text). --json: the details as the server
    sent them, the ticket number, `qrCodeData` (the payload) and `startTime` (or null).

    --download [FILE] (or -o FILE) fetches only the PDF (one request: the server refuses an
    unconfirmed booking's) and writes it atomically; an existing file is not replaced
    without --force, checked before the request for FILE, or for the names the PDF is
    expected to get (ticket-EVT-XXXXXXXX.pdf, ticket-BOOKING.pdf), and again when writing.
    The path goes to stdout off a terminal, for scripts.

    Exit codes:

    \b
      0  shown, or saved
      2  usage: no BOOKING, FILE before BOOKING, the file exists (without --force), the
         folder is not writable, -o - with stdout a terminal
      3  the booking is cancelled or pending: it has no valid ticket (nor PDF)
      5  not logged in (401), or not your booking (403)
      7  server error, or the download is not a PDF (an HTML page, say): nothing is saved
      8  no such booking (404)

    Examples:
      seatctl ticket cmg4k2x7h0001
      seatctl ticket cmg4k2x7h0001 --download
      seatctl ticket cmg4k2x7h0001 --download ticket.pdf --force
      seatctl ticket cmg4k2x7h0001 -o - > ticket.pdf
    """
    from seatctl.booking.tickets import fetch_ticket
    from seatctl.render.tickets import render_ticket

    app = get_app(ctx)
    as_json = app.want_json(json)
    if file is not None:
        output = _file_argument(app, booking, file, download=download, output=output)
    if download or output is not None:
        _download(app, booking, output, force=force, as_json=as_json)
        return
    if force:
        raise UsageError("--force replaces a downloaded file", hint="add --download")
    resume = _resume(app)
    with app.client() as client:
        shown = fetch_ticket(client, booking, resume=resume)
    render_ticket(app.streams, shown.details, as_json=as_json, listed=shown.listed,
                  download_command=resume.command("ticket", booking, "--download"))


def _file_argument(app: App, booking: str, file: str, *, download: bool,
                   output: str | None) -> str:
    """FILE, checked: after BOOKING (`--download x.pdf ID` reads x.pdf as the booking),
    with --download, and not as well as -o."""
    if _looks_like_a_file(booking) and not _looks_like_a_file(file):
        raise UsageError(f"{booking!r} looks like FILE and {file!r} like BOOKING: BOOKING "
                         "comes first",
                         hint=_resume(app).command("ticket", file, "--download", booking))
    if output is not None:
        raise UsageError(f"unexpected argument {file!r}: give FILE or -o FILE, not both")
    if not download:
        raise UsageError(f"unexpected argument {file!r}: FILE goes with --download",
                         hint=_resume(app).command("ticket", booking, "--download", file))
    return file


def _looks_like_a_file(text: str) -> bool:
    return text.lower().endswith(".pdf") or any(sep in text for sep in {"/", os.sep})


def _resume(app: App) -> "Resume":
    """The flags that bring a suggested command back to this server (as `book`'s hints)."""
    from seatctl.booking.outcome import Resume
    from seatctl.cli.watch import resume_for

    try:
        return resume_for(app)
    except SeatctlError:  # the settings' own error is reported when the request is made
        return Resume()


def _download(app: App, booking: str, output: str | None, *, force: bool,
              as_json: bool) -> None:
    """Every check that needs no answer is made before the request is sent."""
    from seatctl.booking.tickets import check_destination, output_path, save_ticket
    from seatctl.render.tickets import render_saved

    if output == "-":
        _download_to_stdout(app, booking, as_json=as_json)
        return
    path = output_path(output)
    check_destination(path, booking, force=force)
    with app.client() as client:
        saved = save_ticket(client, booking, path, force=force)
    render_saved(app.streams, saved, as_json=as_json)


def _download_to_stdout(app: App, booking: str, *, as_json: bool) -> None:
    from seatctl.booking.tickets import fetch_pdf
    from seatctl.render.tickets import write_pdf

    if as_json:
        raise UsageError("-o - writes the PDF to stdout, where --json writes its document",
                         hint="give -o FILE with --json")
    if app.streams.stdout_is_tty:
        raise UsageError("not writing a PDF to a terminal",
                         hint="redirect stdout (`> ticket.pdf`), or give -o FILE")
    with app.client() as client:
        content, _ = fetch_pdf(client, booking)
    write_pdf(app.streams, content)


def verify(ctx: typer.Context, booking: BookingArgument, json: JsonFlag = False) -> None:
    """Venue staff: check that a ticket is valid for check-in now, without checking in.

    One request (GET /api/tickets/verify/BOOKING). Shows the event, venue, start and end,
    the holder and the quantity. A refusal has a stable reason (`reason` in --json):
    not_found, not_confirmed, too_early (check-in opens 2 hours before the start), ended,
    already_checked_in, forbidden, or refused (another; the server's message says why).
    Off a terminal, `label:<TAB>value` lines: status, event, venue, starts, ends (ISO 8601),
    holder, quantity, booking.

    Exit codes:

    \b
      0  valid for check-in now
      3  not admitted: not_confirmed, too_early, ended, already_checked_in, refused
      5  not logged in (401), or not allowed to verify tickets (403: forbidden)
      8  no such booking (not_found, a 400 or a 404)

    Examples:
      seatctl verify cmg4k2x7h0001
      seatctl verify cmg4k2x7h0001 --json
    """
    _at_the_door(ctx, booking, as_json=json, check_in=False)


def checkin(ctx: typer.Context, booking: BookingArgument, json: JsonFlag = False) -> None:
    """Venue staff: verify a ticket, then check it in.

    Verifies first (GET /api/tickets/verify/BOOKING) and posts the check-in (POST
    /api/tickets/checkin/BOOKING) only when the ticket is valid: a refused ticket is never
    checked in. Shows the event, venue, start and end, holder, quantity, and when it was
    checked in (local time). Refusals and their reasons as for `seatctl verify`; a server
    that records check-ins refuses a second one (already_checked_in). Off a terminal,
    `label:<TAB>value` lines as `verify` prints, and checked_in_at.

    Exit codes:

    \b
      0  checked in
      3  not admitted: not_confirmed, too_early, ended, already_checked_in, refused
      5  not logged in (401), or not allowed to check tickets in (403: forbidden)
      8  no such booking (not_found, a 400 or a 404)

    Examples:
      seatctl checkin cmg4k2x7h0001
      seatctl checkin cmg4k2x7h0001 --json
    """
    _at_the_door(ctx, booking, as_json=json, check_in=True)


def _at_the_door(ctx: typer.Context, booking: str, *, as_json: bool, check_in: bool) -> None:
    """A refusal with --json: its document (with the reason) on stdout, then the exit code
    the reason has; without: the error, as any other."""
    from seatctl.booking.tickets import TicketRefused, admit
    from seatctl.booking.tickets import verify as verify_ticket
    from seatctl.render.tickets import for_people, render_admission, render_refusal

    app = get_app(ctx)
    as_json = app.want_json(as_json)
    try:
        with app.client() as client:
            admission = (admit if check_in else verify_ticket)(client, booking)
    except TicketRefused as refused:
        if not as_json:
            raise for_people(refused) from None
        render_refusal(app.streams, refused)
        raise Reported(refused.exit_code) from None
    render_admission(app.streams, admission, as_json=as_json)
