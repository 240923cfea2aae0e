"""`seatctl book EVENT --seat A12 ... | --quantity N | --resume`."""


import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, YesFlag, confirm, get_app, sendable_text
from seatctl.cli.completers import complete_event
from seatctl.cli.context import App
from seatctl.cli.watch import NoLongPoll, WatchTimeout, long_polling

if TYPE_CHECKING:
    from datetime import datetime

    from seatctl.booking.book import BookingFlow, BookingOutcome, BookingTarget
    from seatctl.booking.journal import Journal, JournalEntry
    from seatctl.booking.labels import ResolvedSeat
    from seatctl.booking.plan import BookingPlan
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
    from contextlib import ExitStack

    from seatctl.booking.journal import Journal

    app = get_app(ctx)
    as_json = app.want_json(json)
    if resume and (event or seat or seats or quantity or dry_run):
        from seatctl.errors import UsageError

        raise UsageError("--resume takes no EVENT, seats, quantity or --dry-run",
                         hint="see what it would resume with `seatctl jobs --pending`")
    path = Journal.default_path(app.env)
    with ExitStack() as stack:
        # A dry run writes nothing: not even a new, empty journal.
        journal = (stack.enter_context(Journal(path)) if not dry_run or path.exists()
                   else None)
        client = stack.enter_context(app.client())
        entry = None
        target = None
        if resume:
            assert journal is not None
            from seatctl.render.watch import resuming_line

            entry = _unfinished(journal, app)
            resuming_line(app.streams, entry)
        else:
            target, plan, earlier = _target(app, client, journal, event,
                                            [*(seat or []), *([seats] if seats else [])],
                                            quantity, force)
            now = _now()
            # A resumed attempt may have been sent in time.
            refused = earlier is None and not force and plan.started(now)
            if dry_run:
                _dry_run(app, plan, earlier, now, as_json=as_json, refused=refused)
                return
            if refused:
                _refuse_started(plan, now)
            _announce(app, plan, earlier, yes=yes)
        assert journal is not None
        from seatctl.cli.watch import display_for

        with display_for(app, as_json, client) as display:
            flow = _flow(app, client, journal, display, timeout=timeout,
                         long_poll=long_polling(app, not no_long_poll),
                         retry_contended=0 if no_retry_contended else None)
            outcome = _run(app, flow, target, entry, wait=not no_wait)
    _report(app, outcome, as_json=as_json, waited=not no_wait)


def _dry_run(app: App, plan: "BookingPlan", earlier: "JournalEntry | None",
             now: "datetime", *, as_json: bool, refused: bool) -> None:
    """The plan, and that nothing was sent; exit 3 when booking it would be refused (the
    event has started), the plan shown all the same."""
    from seatctl.render.plan import render_dry_run

    render_dry_run(app.streams, plan, now, as_json=as_json, refused=refused,
                   earlier_key=earlier.key if earlier is not None else None)
    if refused:
        from seatctl.errors import Reported
        from seatctl.exit_codes import ExitCode

        raise Reported(ExitCode.REJECTED)  # said by render_dry_run


def _announce(app: App, plan: "BookingPlan", earlier: "JournalEntry | None", *, yes: bool
              ) -> None:
    """Say what is about to be sent, and on a terminal ask; an earlier unfinished attempt
    of the same booking is resumed instead, without asking again."""
    if earlier is not None:
        from seatctl.render.watch import resuming_line

        resuming_line(app.streams, earlier)
        return
    from seatctl.render.plan import question, show_plan

    show_plan(app.streams, plan, _now())
    confirm(app, question(plan), yes=yes, required=False)


def _now() -> "datetime":
    """The wall-clock time a start is compared with (and shown against)."""
    from seatctl.render.tables import wall_now

    return wall_now()


def _target(app: App, client: "ApiClient", journal: "Journal | None", event_text: str | None,
            seat_texts: list[str], quantity: int | None, force: bool
            ) -> "tuple[BookingTarget, BookingPlan, JournalEntry | None]":
    """What to book, what it will cost, and the unfinished earlier attempt of the same
    booking that sending it would resume (None: a new booking). A new booking of seats the
    seat map shows taken is refused unless `force` (of an event that has started: by the
    caller, after a dry run has shown its plan)."""
    from dataclasses import replace

    from seatctl.booking.book import BookingTarget
    from seatctl.booking.events import general_admission, resolve_event, seat_map_for
    from seatctl.booking.labels import ensure_available, resolve_labels, split_labels
    from seatctl.booking.plan import quantity_plan, seat_plan
    from seatctl.errors import UsageError

    if event_text is None:
        raise UsageError("which event? give EVENT (or --resume)",
                         hint="list them with `seatctl events`")
    labels = split_labels(seat_texts)
    if labels and quantity is not None:
        raise UsageError("give seats (--seat/--seats) or --quantity, not both")
    if not labels and quantity is None:
        raise UsageError("which seats? give --seat A12 (or --seats A12,A13), or --quantity N "
                         "for a general-admission event",
                         hint=f"see them with `seatctl seats {event_text}`")
    catalog = app.catalog()
    event = resolve_event(client, event_text, catalog=catalog)
    target = BookingTarget(profile=app.settings.profile, base_url=app.settings.base_url,
                           event_id=event.id, event_name=event.name)
    resolved: list[ResolvedSeat] = []
    if quantity is not None:
        if event.seat_level_booking:
            raise UsageError(f"{event.name} has a seat map: choose seats with --seat",
                             hint=f"see them with `seatctl seats {event.id}`")
        target, plan = replace(target, quantity=quantity), quantity_plan(event, quantity)
    else:
        if not event.seat_level_booking:
            raise general_admission(event)
        # The seat map fresh (seats are taken all the time), and forgotten from the cache:
        # this booking is about to change it.
        with _naming_the_event(event.id):
            seat_map = seat_map_for(client, event, catalog=catalog, fresh=True)
            resolved = resolve_labels(seat_map, labels)
        catalog.forget_seat_map(event.id)
        target = replace(target, seat_ids=tuple(s.id for s in resolved),
                         seat_labels=tuple(s.display for s in resolved))
        plan = seat_plan(event, seat_map, resolved)
    earlier = None if journal is None else journal.find_unfinished(
        profile=target.profile, base_url=target.base_url, event_id=target.event_id,
        seat_ids=list(target.seat_ids), quantity=target.quantity)
    if earlier is None and not force:  # a resumed attempt may have been sent in time
        with _naming_the_event(event.id):
            ensure_available(resolved)
    return target, plan, earlier


def _refuse_started(plan: "BookingPlan", now: "datetime") -> None:
    from seatctl.errors import BookingFailed
    from seatctl.render.plan import STARTED_HINT, started_message

    raise BookingFailed(started_message(plan, now), hint=STARTED_HINT)


@contextmanager
def _naming_the_event(event_id: str) -> Iterator[None]:
    """The seat hints say `seatctl seats EVENT`: here the event is known, so they name it
    and can be pasted as they are."""
    from seatctl.errors import SeatctlError

    try:
        yield
    except SeatctlError as error:
        if error.hint:
            error.hint = error.hint.replace("seatctl seats EVENT",
                                            f"seatctl seats {shlex.quote(event_id)}")
        raise


def _unfinished(journal: "Journal", app: App) -> "JournalEntry":
    from seatctl.errors import UsageError

    entries = [entry for entry in journal.recent(limit=50, pending_only=True,
                                                 profile=app.settings.profile)
               if entry.base_url == app.settings.base_url]
    if not entries:
        raise UsageError("nothing to resume: no unfinished booking in the journal",
                         hint="see them with `seatctl jobs`")
    return entries[0]


def _flow(app: App, client: "ApiClient", journal: "Journal", display: "WatchDisplay", *,
          timeout: float, long_poll: bool, retry_contended: int | None) -> "BookingFlow":
    from seatctl.booking.book import CONTENDED_RESENDS, BookingFlow
    from seatctl.booking.watch import Watcher
    from seatctl.cli.watch import watch_timeout
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


def _run(app: App, flow: "BookingFlow", target: "BookingTarget | None",
         entry: "JournalEntry | None", *, wait: bool) -> "BookingOutcome":
    from seatctl.cli.watch import resume_for
    from seatctl.errors import Interrupted

    try:
        if entry is not None:
            return flow.resume(entry, wait=wait)
        assert target is not None
        return flow.book(target, wait=wait)
    except KeyboardInterrupt:
        job_id = flow.current.job_id if flow.current else None
        resume = resume_for(app, flow.current)
        if job_id is not None and not flow.submitting:
            raise Interrupted(f"stopped watching; job {job_id} goes on on the server",
                              hint=f"resume with `{resume.command('watch', job_id)}`") from None
        raise Interrupted(
            "interrupted before the server answered; the booking key is kept in the journal",
            hint=f"run the same `seatctl book` again, or `{resume.command('book', '--resume')}`"
                 ": the same key makes at most one booking") from None


def _report(app: App, outcome: "BookingOutcome", *, as_json: bool, waited: bool) -> None:
    import json as jsonlib

    from seatctl.cli.watch import booked_next, finish
    from seatctl.render.watch import render_outcome

    entry = outcome.entry
    if outcome.watch is not None:
        finish(app, outcome.watch, entry, entry.job_id or "", as_json=as_json,
               resumed=outcome.resumed)
        return
    if not waited and entry.quantity is None:  # --no-wait: the job id, for scripts
        if as_json:
            app.streams.write_data(jsonlib.dumps({"jobId": entry.job_id, "key": entry.key,
                                                  "state": entry.state}))
        else:
            app.streams.write_data(entry.job_id or "")
        return
    render_outcome(app.streams, {
        "jobId": entry.job_id, "bookingId": entry.booking_id, "state": entry.state,
        "message": entry.message, "seats": None, "quantity": entry.quantity,
        "totalPrice": entry.total_price, "key": entry.key}, as_json=as_json)
    if entry.state == "confirmed":
        booked_next(app, entry.booking_id, entry)
