"""`seatctl watch JOB_ID | --last`: follow a booking job to its end."""


from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.completers import complete_job_id
from seatctl.cli.context import App
from seatctl.errors import Reported, UsageError

if TYPE_CHECKING:
    from seatctl.booking.journal import Journal, JournalEntry
    from seatctl.booking.outcome import Resume
    from seatctl.booking.watch import WatchResult
    from seatctl.http import ApiClient
    from seatctl.render.watch import WatchDisplay

WatchTimeout = Annotated[float, typer.Option(
    "--timeout", metavar="SECONDS",
    help="Give up watching after this many seconds (exit 4; the job goes on).",
    min=0.1, max=86400)]
NoLongPoll = Annotated[bool, typer.Option(
    "--no-long-poll", help="Poll on a schedule even if the server offers long polling.")]


def watch(
    ctx: typer.Context,
    job_id: Annotated[str | None, typer.Argument(
        metavar="JOB_ID", help="The job to watch (see `seatctl jobs`).",
        show_default=False, autocompletion=complete_job_id)] = None,
    last: Annotated[bool, typer.Option(
        "--last", help="Watch the newest job of the active profile.")] = False,
    timeout: WatchTimeout = 120.0,
    no_long_poll: NoLongPoll = False,
    json: JsonFlag = False,
) -> None:
    """Watch a booking job until it is confirmed or fails (exit 3), or the wait ends (4).

    A job the journal knows is watched on its own server and profile; one the journal
    already knows as final is answered from the journal, without a request.

    Examples:
      seatctl watch --last
      seatctl watch booking-1795971433147-823a4de9 --timeout 600
      seatctl watch --last --json
    """
    from seatctl.booking.outcome import journal_result

    app = get_app(ctx)
    as_json = app.want_json(json)
    if job_id is not None and last:
        raise UsageError("give a JOB_ID or --last, not both")
    if job_id is None and not last:
        raise UsageError("which job? give a JOB_ID, or --last for the newest",
                         hint="see them with `seatctl jobs`")
    with app.journal() as journal:
        entry, job_id = (journal.by_job(job_id), job_id) if job_id else _newest(journal, app)
        app, entry = _jobs_server(app, entry)
        if entry is not None and entry.job_id == job_id and not entry.pending:
            finish(app, journal_result(entry), entry, job_id, as_json=as_json)
            return
        result = _watch(app, journal, entry, job_id, timeout=timeout,
                        long_poll=long_polling(app, not no_long_poll), as_json=as_json)
        entry = journal.get(entry.key) if entry is not None else None
    finish(app, result, entry, job_id, as_json=as_json)


def _newest(journal: "Journal", app: App) -> "tuple[JournalEntry, str]":
    """`--last`: the newest job of the active profile on the active server."""
    entry = journal.last(app.settings.profile, base_url=app.settings.base_url)
    if entry is None or entry.job_id is None:
        raise UsageError(f"no job in the journal yet for this profile at {app.settings.base_url}",
                         hint="book with `seatctl book EVENT --seat ...` first")
    return entry, entry.job_id


def _watch(app: App, journal: "Journal", entry: "JournalEntry | None", job_id: str, *,
           timeout: float, long_poll: bool, as_json: bool) -> "WatchResult":
    from seatctl.booking.book import record_updates
    from seatctl.booking.outcome import watch_interrupted
    from seatctl.booking.watch import Watcher, fan_out

    with app.client() as client, display_for(app, as_json, client) as display:
        recording = [record_updates(journal, entry.key)] if entry is not None else []
        display.job_id = job_id
        watcher = Watcher(client, app.clock, timeout=watch_timeout(app, timeout),
                          long_poll=long_poll, on_update=fan_out(display.update, *recording))
        try:
            return watcher.watch(job_id)
        except KeyboardInterrupt:  # it stops the watch, not the job
            raise watch_interrupted(job_id, resume_for(app)) from None


def _jobs_server(app: App, entry: "JournalEntry | None") -> "tuple[App, JournalEntry | None]":
    """A job the journal knows is asked of its own server with its own profile, when that
    profile is configured for that server: its stored token belongs there. A server or a
    profile named for this run (flag or environment) is asked as named, and a job whose
    server no profile addresses is refused with the command that would reach it."""
    if entry is None or entry.base_url == app.settings.base_url:
        return app, entry
    if app.loaded.given_for_this_run("base_url") or app.loaded.given_for_this_run("profile"):
        return app, None  # another server's booking: this server knows nothing of it
    from seatctl.booking.outcome import Resume
    from seatctl.render import messages

    switched = app.as_profile(entry.profile)
    if switched is None or switched.settings.base_url != entry.base_url:
        command = Resume(entry.profile, entry.base_url).command("watch", entry.job_id or "")
        raise UsageError(f"job {entry.job_id} was booked against {entry.base_url} (profile "
                         f"{entry.profile}), which no profile is configured for now",
                         hint=f"watch it there with a token for that server: `{command}`")
    messages.note(app.streams, f"job of profile {entry.profile} at {entry.base_url}: "
                               "watching it there")
    return switched, entry


def resume_for(app: App, entry: "JournalEntry | None" = None) -> "Resume":
    """The flags that bring a resume command back to this job's server: its profile always,
    its base URL when it did not come from that profile's configuration."""
    from seatctl.booking.outcome import Resume

    profile = entry.profile if entry is not None else app.settings.profile
    base_url = entry.base_url if entry is not None else app.settings.base_url
    ephemeral = app.loaded.given_for_this_run("base_url")
    foreign = base_url != app.settings.base_url or profile != app.settings.profile
    return Resume(profile=profile, base_url=base_url if ephemeral or foreign else None)


def long_polling(app: App, wanted: bool) -> bool:
    """Long polls unless --no-long-poll, or a watch found that this server answers `?wait=`
    at once (the seed's backend): then its first poll would be a request spent for nothing."""
    return wanted and not app.catalog().ignores_wait()


def watch_timeout(app: App, timeout: float) -> float:
    """The watch's own limit, cut short by the command's overall --timeout if that is less
    (then the watch ends pending, exit 4, instead of failing requests)."""
    remaining = app.deadline.remaining()
    return timeout if remaining is None else max(0.0, min(timeout, remaining - 0.5))


def display_for(app: App, as_json: bool, client: "ApiClient | None" = None) -> "WatchDisplay":
    from seatctl.render.watch import WatchDisplay

    return WatchDisplay(app.streams, app.clock, live=app.streams.can_animate and not as_json,
                        quiet=as_json, budget=client.budget if client is not None else None)


def finish(app: App, result: "WatchResult", entry: "JournalEntry | None", job_id: str, *,
           as_json: bool, resumed: bool | None = None) -> None:
    """Print the outcome, then exit with the documented code unless it was confirmed."""
    from seatctl.booking.outcome import finished
    from seatctl.render.watch import render_outcome

    if result.wait_ignored:
        app.catalog().remember_ignores_wait()
    done = finished(result, entry, job_id, resume=resume_for(app, entry), resumed=resumed)
    render_outcome(app.streams, done.document, as_json=as_json)
    if done.error is not None:
        raise Reported(done.error.exit_code) if as_json else done.error
    if not done.cancelled:
        booked_next(app, done.document.get("bookingId"), entry)


def booked_next(app: App, booking_id: object, entry: "JournalEntry | None") -> None:
    """After a confirmed booking, on stderr: the commands for its ticket and to cancel it."""
    if not isinstance(booking_id, str) or not booking_id:
        return
    from seatctl.render import messages

    resume = resume_for(app, entry)
    messages.hint(app.streams, f"its ticket: `{resume.command('ticket', booking_id)}`; to "
                               f"cancel it: `{resume.command('cancel', booking_id)}`")
