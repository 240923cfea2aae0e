"""`seatctl book EVENT --seat A12 ... | --quantity N | --resume`."""


from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, YesFlag, confirm, get_app, sendable_text
from seatctl.cli.completers import complete_event
from seatctl.cli.context import App
from seatctl.cli.watch import (
    NoLongPoll,
    WatchTimeout,
    booked_next,
    display_for,
    finish,
    long_polling,
    resume_for,
    watch_timeout,
)
from seatctl.errors import BookingFailed, Reported, UsageError
from seatctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from seatctl.booking.book import BookingFlow, BookingOutcome
    from seatctl.booking.journal import Journal, JournalEntry
    from seatctl.booking.target import BookingRequest, BookingTarget, PlannedBooking
    from seatctl.http import ApiClient
    from seatctl.render.watch import WatchDisplay


def book(
    ctx: typer.Context,
    event: Annotated[str | None, typer.Argument(
        metavar="EVENT", help="An event id, a unique id prefix, or a unique name match.",
        show_default=False, callback=sendable_text,
        autocompletion=complete_event)] = None,
    seat: Annotated[list[str] | None, typer.Option(
        "--seat", "-s", metavar="SEAT",
        help="A seat: A12, SECTION:A12, or a seat id. Repeatable.",
        show_default=False)] = None,
    seats: Annotated[str | None, typer.Option(
        "--seats", metavar="SEATS", help="Seats as a comma list: A12,A13.",
        show_default=False)] = None,
    quantity: Annotated[int | None, typer.Option(
        "--quantity", "-n", metavar="N", min=1, max=10,
        help="Tickets of a general-admission event (1-10).", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Send even if the seat map shows a seat as booked or blocked, or the "
                        "event has started.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be sent and what it costs, then stop: nothing "
                          "is sent and nothing is written to the journal.")] = False,
    yes: YesFlag = False,
    no_wait: Annotated[bool, typer.Option(
        "--no-wait", help="Print the job id and stop; watch later with `seatctl watch`.",
    )] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Finish the newest unfinished booking of the active profile.",
    )] = False,
    no_retry_contended: Annotated[bool, typer.Option(
        "--no-retry-contended",
        help="Do not re-send when another user held the seat lock (exit 3 instead).")] = False,
    timeout: WatchTimeout = 120.0,
    no_long_poll: NoLongPoll = False,
    json: JsonFlag = False,
) -> None:
    """Book seats (or general-admission tickets) and watch the booking to its end.

    First it shows what it will send: the event, its start, each seat with its section
    and price, and the total. On a terminal it then asks before sending, unless --yes; off
    a terminal, or with --json, it does not ask and the plan goes to stderr. --dry-run
    shows the plan and sends nothing. An event that has started is refused (exit 3) unless
    --force; --dry-run shows its plan first, then says so (exit 3). Resuming an unfinished
    booking does not ask again.

    The booking key is kept in the journal before anything is sent, and the POST is
    retried with it after a reset, a timeout or a 502/503/504: never lost, never doubled.

    Examples:
      seatctl book symphony --seats Orchestra:A12,Orchestra:A13 --dry-run
      seatctl book symphony --seat Orchestra:A12 --yes --no-wait
      seatctl book "indie night" --quantity 2
      seatctl book --resume
    """
    from seatctl.booking.labels import split_labels
    from seatctl.booking.target import BookingRequest

    app = get_app(ctx)
    as_json = app.want_json(json)
    if resume and (event or seat or seats or quantity or dry_run):
        raise UsageError("--resume takes no EVENT, seats, quantity or --dry-run",
                         hint="see what it would resume with `seatctl jobs --pending`")
    labels = split_labels([*(seat or []), *([seats] if seats else [])])
    request = BookingRequest(event, tuple(labels), quantity, force)
    # A dry run writes nothing: not even a new, empty journal.
    with app.journal(create=not dry_run) as journal, \
            app.client() as client:
        planned = None if resume else _planned(app, client, journal, request)
        if planned is not None and dry_run:
            _dry_run(app, planned, as_json=as_json)
            return
        assert journal is not None  # only a dry run goes without
        what = (_resumable(app, journal) if planned is None
                else _go_ahead(app, planned, yes=yes))
        with display_for(app, as_json, client) as display:
            flow = _flow(app, client, journal, display, timeout=timeout,
                         long_poll=long_polling(app, not no_long_poll),
                         retry_contended=0 if no_retry_contended else None)
            outcome = _run(app, flow, what, wait=not no_wait)
    _report(app, outcome, as_json=as_json, waited=not no_wait)


def _planned(app: App, client: "ApiClient", journal: "Journal | None",
             request: "BookingRequest") -> "PlannedBooking":
    from seatctl.booking.target import plan_booking

    return plan_booking(client, request, profile=app.settings.profile,
                        base_url=app.settings.base_url, catalog=app.catalog(), journal=journal)


def _resumable(app: App, journal: "Journal") -> "JournalEntry":
    """`--resume`: the newest unfinished booking of the active profile on its server."""
    from seatctl.render.watch import resuming_line

    entry = journal.last_unfinished(app.settings.profile, app.settings.base_url)
    if entry is None:
        raise UsageError("nothing to resume: no unfinished booking in the journal",
                         hint="see them with `seatctl jobs`")
    resuming_line(app.streams, entry)
    return entry


def _dry_run(app: App, planned: "PlannedBooking", *, as_json: bool) -> None:
    """The plan, and that nothing was sent; exit 3 when booking it would be refused (the
    event has started), the plan shown all the same."""
    from seatctl.render.plan import render_dry_run
    from seatctl.render.tables import wall_now

    now = wall_now()
    refused = planned.refused(now)
    earlier = planned.earlier
    render_dry_run(app.streams, planned.plan, now, as_json=as_json, refused=refused,
                   earlier_key=earlier.key if earlier is not None else None)
    if refused:
        raise Reported(ExitCode.REJECTED)  # said by render_dry_run


def _go_ahead(app: App, planned: "PlannedBooking", *, yes: bool) -> "BookingTarget":
    """Refuse an event that has started; say what is about to be sent, and on a terminal
    ask. An earlier unfinished attempt of the same booking is resumed, without asking."""
    from seatctl.render.plan import STARTED_HINT, question, show_plan, started_message
    from seatctl.render.tables import wall_now
    from seatctl.render.watch import resuming_line

    now = wall_now()
    if planned.refused(now):
        raise BookingFailed(started_message(planned.plan, now), hint=STARTED_HINT)
    if planned.earlier is not None:
        resuming_line(app.streams, planned.earlier)
    else:
        show_plan(app.streams, planned.plan, wall_now())
        confirm(app, question(planned.plan), yes=yes, required=False)
    return planned.target


def _flow(app: App, client: "ApiClient", journal: "Journal", display: "WatchDisplay", *,
          timeout: float, long_poll: bool, retry_contended: int | None) -> "BookingFlow":
    from seatctl.booking.book import CONTENDED_RESENDS, BookingFlow
    from seatctl.booking.watch import Watcher
    from seatctl.render.watch import submitted_line

    watcher = Watcher(client, app.clock, timeout=watch_timeout(app, timeout),
                      long_poll=long_poll, on_update=display.update)
    resends = CONTENDED_RESENDS if retry_contended is None else retry_contended

    def sending(entry: "JournalEntry") -> None:
        display.sending = True

    def submitted(entry: "JournalEntry") -> None:
        display.sending = False
        display.job_id = entry.job_id or ""
        submitted_line(app.streams, entry)

    return BookingFlow(client, journal, app.clock, watcher, retry_contended=resends,
                       on_sending=sending, on_submitted=submitted)


def _run(app: App, flow: "BookingFlow", what: "BookingTarget | JournalEntry", *, wait: bool
         ) -> "BookingOutcome":
    """Book the target, or finish the unfinished booking; Ctrl-C says what it left."""
    from seatctl.booking.journal import JournalEntry

    try:
        if isinstance(what, JournalEntry):
            return flow.resume(what, wait=wait)
        return flow.book(what, wait=wait)
    except KeyboardInterrupt:
        raise flow.interrupted(resume_for(app, flow.current)) from None


def _report(app: App, outcome: "BookingOutcome", *, as_json: bool, waited: bool) -> None:
    from seatctl.booking.journal_states import JournalState
    from seatctl.booking.outcome import entry_document
    from seatctl.render.jobs import render_job_id
    from seatctl.render.watch import render_outcome

    entry = outcome.entry
    if outcome.watch is not None:
        finish(app, outcome.watch, entry, entry.job_id or "", as_json=as_json,
               resumed=outcome.resumed)
    elif not waited and entry.quantity is None:  # --no-wait
        render_job_id(app.streams, entry, as_json=as_json)
    else:
        render_outcome(app.streams, entry_document(entry), as_json=as_json)
        if entry.state == JournalState.CONFIRMED:
            booked_next(app, entry.booking_id, entry)
