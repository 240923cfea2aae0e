"""`seatctl jobs`: recent bookings from the local journal, newest first, the unfinished ones
refreshed from the server first (`seatctl.booking.refresh`)."""


from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import FormatOption, JsonFlag, chosen_output, get_app
from seatctl.cli.context import App
from seatctl.errors import UsageError
from seatctl.render.tables import OutputFormat

if TYPE_CHECKING:
    from seatctl.booking.journal import Journal, JournalEntry


def jobs(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option(
        "--pending", help="Only bookings still pending (to resume them).")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", help="Show at most this many bookings.", min=1, max=1000)] = 20,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Ask the server about every unfinished booking listed (up to 20), "
                          "and whether confirmed ones were cancelled since (one more "
                          "request), with the usual timeouts; may spend the rate limit's "
                          "reserve.")] = False,
    offline: Annotated[bool, typer.Option(
        "--no-refresh", "--offline",
        help="Send nothing: the bookings as the journal has them.")] = False,
    output: FormatOption = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only the job ids (the booking key of a booking that has no "
                              "job id), one per line.")] = False,
    json: JsonFlag = False,
) -> None:
    """Recent bookings of the active profile, from the local journal.

    Each with its state, job and booking ids and the server's last message; the pending
    ones with the command that resumes them (on stderr). Off a terminal, one booking per
    line, tab-separated: job, state, created (ISO 8601), event, seats, booking, key,
    message, base URL. The table gets a server column when bookings of more than one
    server are listed (on a narrow terminal host:port, or a number keyed under the table).

    Unfinished bookings (queued, processing, pending) of the active server are first asked
    about, newest first, when logged in: at most 3 status requests (1 while nothing is
    known of the rate limit), none that would spend the limit's reserve, each given 2 s at
    most. A refresh that fails leaves the journal's states, with a note; bookings of other
    servers are listed as the journal has them.

    Examples:
      seatctl jobs
      seatctl jobs --pending -q
      seatctl jobs --refresh
      seatctl jobs --offline --limit 50 --json
    """
    from seatctl.render.jobs import render_jobs

    app = get_app(ctx)
    chosen = chosen_output(app, output, json=json, quiet=quiet)
    if refresh and offline:
        raise UsageError("--refresh and --no-refresh (--offline) ask for opposite things",
                         hint="give one of them")
    profile = app.settings.profile
    command = ["seatctl", "--profile", profile]  # a hint names the job's profile
    entries = []
    with app.journal(create=False) as journal:
        if journal is not None:  # a listing creates none
            entries = journal.recent(limit=limit, pending_only=pending, profile=profile)
            if not offline and _refreshed(app, journal, entries, forced=refresh,
                                          command=command):
                entries = journal.recent(limit=limit, pending_only=pending, profile=profile)
    render_jobs(app.streams, entries, as_json=chosen is OutputFormat.JSON, profile=profile,
                pending_only=pending, command=command, base_url=app.settings.base_url,
                output=chosen, quiet=quiet)


def _refreshed(app: App, journal: "Journal", entries: "list[JournalEntry]", *, forced: bool,
               command: list[str]) -> bool:
    """Refresh what the active server can be asked about; True when the journal changed.
    Entries of other servers are left as they are (this profile's token is not theirs)."""
    from seatctl.booking.refresh import (
        UNASKED_PATIENCE_S,
        RefreshPolicy,
        asking,
        elsewhere,
        refresh,
    )
    from seatctl.render.jobs import not_refreshed_note, refresh_notes, refreshing

    base_url = app.settings.base_url
    others = elsewhere(entries, base_url) if forced else 0
    if not _may_refresh(app, entries, forced=forced, others=others):
        return False
    policy = RefreshPolicy(forced=forced)
    # Unasked for, before a listing: one short try each, no backoff to wait out.
    with app.client(retries=None if forced else 0,
                    patience=None if forced else UNASKED_PATIENCE_S) as client:
        statuses, confirmed = asking(client, entries, base_url, policy)
        with refreshing(app.streams, base_url=base_url, statuses=statuses,
                        confirmed=confirmed, announce=forced):
            result = refresh(client, journal, entries, base_url=base_url, policy=policy)
    refresh_notes(app.streams, result, base_url=base_url, forced=forced, command=command)
    not_refreshed_note(app.streams, others=others, logged_out=None)
    return bool(result.changed)


def _may_refresh(app: App, entries: "list[JournalEntry]", *, forced: bool, others: int
                 ) -> bool:
    """Whether there is anything to ask the active server, and a token that may go there;
    when not, a note says why."""
    from seatctl.booking.refresh import refreshable
    from seatctl.render.jobs import not_refreshed_note

    base_url = app.settings.base_url
    if not refreshable(entries, base_url, forced=forced):
        not_refreshed_note(app.streams, others=others, logged_out=None)
        return False
    if app.settings.token is None:
        not_refreshed_note(app.streams, others=others,
                           logged_out=base_url if forced else None)
        return False
    return app.token_for(base_url) is not None  # a note says why not
