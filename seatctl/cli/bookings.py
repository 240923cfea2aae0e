"""`seatctl bookings` and `seatctl cancel BOOKING...`: what the server holds for you, and
undoing it."""


from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.booking.booking_status import BookingStatus
from seatctl.cli._common import (
    FormatOption,
    JsonFlag,
    YesFlag,
    chosen_output,
    confirm,
    get_app,
    require_confirmation,
    sendable_text,
)
from seatctl.cli.completers import complete_booking_id
from seatctl.cli.context import App
from seatctl.cli.watch import resume_for
from seatctl.errors import Reported

if TYPE_CHECKING:
    from seatctl.booking.journal import Journal
    from seatctl.booking.manage import CancelRequest, CancelResult
    from seatctl.booking.outcome import Resume
    from seatctl.http import ApiClient


def bookings(
    ctx: typer.Context,
    status: Annotated[list[BookingStatus] | None, typer.Option(
        "--status", help="Only bookings with this status; repeat it for several.",
        case_sensitive=False, show_default=False)] = None,
    upcoming: Annotated[bool, typer.Option(
        "--upcoming", help="Only bookings whose event has not started.")] = False,
    output: FormatOption = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only the booking ids, one per line.")] = False,
    json: JsonFlag = False,
) -> None:
    """Your bookings on the server: event, start, seats, total, status, and the booking id.

    One request (GET /api/bookings/my), with the token of the active profile. Start times
    are in local time with the zone. Seats are the server's labels when it names them,
    else those the journal recorded when the booking was made here, else the number of
    tickets. "ticket" says whether a ticket can be had, "cancel" whether the booking can
    still be cancelled ("started": its event has started); on a narrow terminal both fold
    into the status cell ("ticket ✓", "cancel" and a dash). Off a terminal, one booking
    per line, tab-separated: booking, event, start (ISO 8601), seats (comma-separated),
    total, status, ticket, cancel. --json: the server's records with the status
    lower-case, the seat labels, seatsFrom, started, canCancel and hasTicket, and its
    summary. Bookings the server reports cancelled are marked cancelled in the local
    journal too.

    Examples:
      seatctl bookings
      seatctl bookings --status confirmed --upcoming
      seatctl bookings --json
      seatctl bookings --status cancelled -q
    """
    from seatctl.booking.manage import BookingFilter, load_bookings
    from seatctl.render.bookings import render_bookings

    app = get_app(ctx)
    chosen = chosen_output(app, output, json=json, quiet=quiet)
    wanted = BookingFilter(frozenset(choice.value for choice in status or ()), upcoming)
    now = datetime.now(UTC)
    with app.journal(create=False) as journal, app.client() as client:
        listing = load_bookings(client, journal, base_url=app.settings.base_url, now=now)
    render_bookings(app.streams, listing, wanted=wanted, output=chosen, quiet=quiet, now=now,
                    resume=resume_for(app))


def _booking_ids(values: list[str] | None) -> list[str] | None:
    for value in values or ():
        if not value.strip():
            raise typer.BadParameter("a booking id is empty", param_hint="BOOKING")
        sendable_text(value)
    return values


def cancel(
    ctx: typer.Context,
    booking: Annotated[list[str], typer.Argument(
        metavar="BOOKING", help="Booking ids, as `seatctl bookings` shows them.",
        show_default=False, callback=_booking_ids, autocompletion=complete_booking_id)],
    yes: YesFlag = False,
    json: JsonFlag = False,
) -> None:
    """Cancel bookings (asks first on a terminal); one already cancelled is not an error.

    Lists your bookings first (one GET /api/bookings/my) and, on a terminal, shows each
    booking's event, start, seats and refund (its total) before asking, flagging an event
    that has started (the server refuses those: no refund) and an id not among your
    bookings (sent anyway: the server answers 403 or 404). Then one DELETE /api/bookings/ID
    each, sent again a few times when the server answers that the event's capacity
    changed. Nothing is sent for a booking the list shows cancelled: "already cancelled" is
    a note, exit 0. The question is asked with --json too (on stderr); where it cannot be
    asked (standard input or output not a terminal) pass --yes, or nothing is sent, not
    even the list (exit 2). Each booking is reported; the exit code is that of the first
    failure: 3 refused (event started), 5 not yours, 8 not found. Cancellations are
    recorded in the local journal. Ctrl-C stops and says which were cancelled.

    Examples:
      seatctl cancel cb0f3c2a1d9e8b7a6c5d4e3f
      seatctl cancel cb0f3c2a1d9e8b7a6c5d4e3f cb9a8b7c6d5e4f3a2b1c0d9e --yes
      seatctl cancel cb0f3c2a1d9e8b7a6c5d4e3f -p staging
      seatctl cancel cb0f3c2a1d9e8b7a6c5d4e3f --yes --json
    """
    import json as jsonlib

    from seatctl.booking.manage import first_failure, load_bookings, plan_cancellations
    from seatctl.render import bookings as render

    app = get_app(ctx)
    as_json = app.want_json(json)
    require_confirmation(app, yes=yes, action="cancel")
    resume = resume_for(app)
    now = datetime.now(UTC)
    with app.journal(create=False) as journal, app.client() as client:
        listing = load_bookings(client, journal, base_url=app.settings.base_url, now=now)
        requests = plan_cancellations(booking, listing)
        if any(request.to_send for request in requests):
            if not yes:
                render.render_preview(app.streams, requests, now)
            confirm(app, render.question(requests), yes=yes, required=True, action="cancel")
        results = _cancel_all(app, client, journal, requests, resume=resume, as_json=as_json)
    if as_json:
        app.streams.write_data(jsonlib.dumps(render.cancel_document(results)))
    else:
        render.render_summary(app.streams, results)
    code = first_failure(results)
    if code:
        raise Reported(code)  # each failure was reported as it happened


def _cancel_all(app: App, client: "ApiClient", journal: "Journal | None",
                requests: "list[CancelRequest]", *, resume: "Resume", as_json: bool
                ) -> "list[CancelResult]":
    """Each cancellation, reported as it ends. Ctrl-C with --json: the document of what was
    done, then the error."""
    import json as jsonlib

    from seatctl.booking.manage import CancelInterrupted, Canceller
    from seatctl.render import bookings as render
    from seatctl.render import messages

    streams = app.streams
    canceller = Canceller(
        client, app.clock, journal=journal, base_url=app.settings.base_url,
        deadline=app.deadline, resume=resume,
        on_retry=lambda booking, wait, error: render.retry_note(streams, booking, wait, error))

    def report(result: "CancelResult") -> None:
        render.render_result(streams, result, as_json=as_json, resume=resume)

    try:
        return canceller.cancel_all(requests, on_result=report)
    except CancelInterrupted as stop:
        if not as_json:
            raise
        streams.write_data(jsonlib.dumps(render.cancel_document(stop.done, stop)))
        messages.error(streams, stop.message, stop.hint)
        raise Reported(stop.exit_code) from None
