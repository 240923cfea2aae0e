"""`seatctl watch JOB_ID | --last`: follow a booking job to its end."""


from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.completers import complete_job_id
from seatctl.cli.context import App

if TYPE_CHECKING:
    from seatctl.booking.journal import Journal, JournalEntry
    from seatctl.booking.outcome import Resume
    from seatctl.booking.watch import WatchResult, WatchUpdate
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
    from seatctl.booking.journal import Journal
    from seatctl.errors import UsageError

    app = get_app(ctx)
    as_json = app.want_json(json)
    if job_id is not None and last:
        raise UsageError("give a JOB_ID or --last, not both")
    if job_id is None and not last:
        raise UsageError("which job? give a JOB_ID, or --last for the newest",
                         hint="see them with `seatctl jobs`")
    with Journal(Journal.default_path(app.env)) as journal:
        entry = journal.by_job(job_id) if job_id else _last_entry(journal, app)
        target = job_id or (entry.job_id if entry else None)
        if target is None:
            raise UsageError("the newest booking in the journal has no job id yet",
                             hint="resume it with `seatctl book --resume`")
        app, entry = _jobs_server(app, entry)
        if entry is not None and entry.job_id == target and not entry.pending:
            finish(app, _from_journal(entry), entry, target, as_json=as_json)
            return
        result = _watch(app, journal, entry, target, timeout=timeout,
                        long_poll=long_polling(app, not no_long_poll), as_json=as_json)
        entry = journal.get(entry.key) if entry is not None else None
    finish(app, result, entry, target, as_json=as_json)


def _watch(app: App, journal: "Journal", entry: "JournalEntry | None", job_id: str, *,
           timeout: float, long_poll: bool, as_json: bool) -> "WatchResult":
    from seatctl.booking.book import record_updates
    from seatctl.booking.watch import Watcher

    with app.client() as client, display_for(app, as_json, client) as display:
        sinks: list[Callable[[WatchUpdate], None]] = [display.update]
        if entry is not None:
            sinks.append(record_updates(journal, entry.key))
        display.job_id = job_id
        watcher = Watcher(client, app.clock, timeout=watch_timeout(app, timeout),
                          long_poll=long_poll, on_update=fan_out(sinks))
        return interruptible(lambda: watcher.watch(job_id), job_id, resume_for(app))


def _jobs_server(app: App, entry: "JournalEntry | None") -> "tuple[App, JournalEntry | None]":
    """A job the journal knows is asked of its own server with its own profile, when that
    profile is configured for that server: its stored token belongs there. A server or a
    profile named for this run (flag or environment) is asked as named, and a job whose
    server no profile addresses is refused with the command that would reach it."""
    if entry is None or entry.base_url == app.settings.base_url:
        return app, entry
    if any(app.loaded.sources[key].startswith(("command line", "environment"))
           for key in ("base_url", "profile")):
        return app, None  # another server's booking: this server knows nothing of it
    from dataclasses import replace

    from seatctl.booking.outcome import Resume
    from seatctl.errors import SeatctlError, UsageError
    from seatctl.render import messages

    options = replace(app.options, profile=entry.profile, base_url=None, token=None)
    env = {key: value for key, value in app.env.items() if key not in _RUN_ONLY}
    switched = App(options=options, env=env, clock=app.clock, transport=app.transport,
                   _streams=app.streams, _json_flag=app.json)
    try:
        configured = switched.settings.base_url
    except SeatctlError:
        configured = None
    if configured != entry.base_url:
        command = Resume(entry.profile, entry.base_url).command("watch", entry.job_id or "")
        raise UsageError(f"job {entry.job_id} was booked against {entry.base_url} (profile "
                         f"{entry.profile}), which no profile is configured for now",
                         hint=f"watch it there with a token for that server: `{command}`")
    messages.note(app.streams, f"job of profile {entry.profile} at {entry.base_url}: "
                               "watching it there")
    return switched, entry


_RUN_ONLY = ("SEATCTL_TOKEN", "SEATCTL_BASE_URL", "SEATCTL_PROFILE")  # this run's, not the job's


def _from_journal(entry: "JournalEntry") -> "WatchResult":
    from seatctl.api.models import JobStatus
    from seatctl.booking.journal import CANCELLED
    from seatctl.booking.status import JobState
    from seatctl.booking.watch import WatchResult

    # A cancelled booking's job did confirm it: `finish` says what became of it since.
    state = JobState.CONFIRMED if entry.state == CANCELLED else JobState(entry.state)
    status = JobStatus.model_validate({
        "success": state is JobState.CONFIRMED, "message": entry.message,
        "bookingId": entry.booking_id, "totalPrice": entry.total_price})
    return WatchResult(entry.job_id or "", state, status, polls=0, elapsed_s=0.0)


def resume_for(app: App, entry: "JournalEntry | None" = None) -> "Resume":
    """The flags that bring a resume command back to this job's server: its profile always,
    its base URL when it did not come from that profile's configuration."""
    from seatctl.booking.outcome import Resume

    profile = entry.profile if entry is not None else app.settings.profile
    base_url = entry.base_url if entry is not None else app.settings.base_url
    source = app.loaded.sources["base_url"]
    ephemeral = source.startswith(("command line", "environment"))
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


def _last_entry(journal: "Journal", app: App) -> "JournalEntry":
    from seatctl.errors import UsageError

    entry = next((entry for entry in journal.recent(limit=50, profile=app.settings.profile)
                  if entry.job_id and entry.base_url == app.settings.base_url), None)
    if entry is None:
        raise UsageError(f"no job in the journal yet for this profile at {app.settings.base_url}",
                         hint="book with `seatctl book EVENT --seat ...` first")
    return entry


def display_for(app: App, as_json: bool, client: "ApiClient | None" = None) -> "WatchDisplay":
    from seatctl.render.watch import WatchDisplay

    return WatchDisplay(app.streams, app.clock, live=app.streams.can_animate and not as_json,
                        quiet=as_json, budget=client.budget if client is not None else None)


def fan_out(sinks: "list[Callable[[WatchUpdate], None]]") -> "Callable[[WatchUpdate], None]":
    def send(update: "WatchUpdate") -> None:
        for sink in sinks:
            sink(update)

    return send


def interruptible(run: "Callable[[], WatchResult]", job_id: str, resume: "Resume"
                  ) -> "WatchResult":
    """Ctrl-C stops the watch, not the job: say so, and how to pick it up again."""
    from seatctl.errors import Interrupted

    try:
        return run()
    except KeyboardInterrupt:
        raise Interrupted(f"stopped watching; job {job_id} goes on on the server",
                          hint=f"resume with `{resume.command('watch', job_id)}`") from None


def finish(app: App, result: "WatchResult", entry: "JournalEntry | None", job_id: str, *,
           as_json: bool, resumed: bool | None = None) -> None:
    """Print the outcome, then exit with the documented code unless it was confirmed."""
    from seatctl.booking.journal import CANCELLED
    from seatctl.booking.outcome import outcome_error, watch_document
    from seatctl.errors import Reported
    from seatctl.render.messages import error_document
    from seatctl.render.watch import render_outcome

    if result.wait_ignored:
        app.catalog().remember_ignores_wait()
    document = watch_document(result, entry, job_id)
    if resumed is not None:  # `book`: whether an unfinished earlier attempt was picked up
        document["resumed"] = resumed
    error = outcome_error(result, job_id, entry, resume=resume_for(app, entry))
    if as_json and error is not None:
        document["error"] = error_document(error)
    cancelled = error is None and entry is not None and entry.state == CANCELLED
    if cancelled:  # confirmed by the job, cancelled since (`seatctl cancel`)
        document.update(state=CANCELLED, message="confirmed, then cancelled")
    render_outcome(app.streams, document, as_json=as_json)
    if error is not None:
        raise Reported(error.exit_code) if as_json else error
    if not cancelled:
        booked_next(app, document.get("bookingId"), entry)


def booked_next(app: App, booking_id: object, entry: "JournalEntry | None") -> None:
    """After a confirmed booking, on stderr: the commands for its ticket and to cancel it."""
    if not isinstance(booking_id, str) or not booking_id:
        return
    from seatctl.render import messages

    resume = resume_for(app, entry)
    messages.hint(app.streams, f"its ticket: `{resume.command('ticket', booking_id)}`; to "
                               f"cancel it: `{resume.command('cancel', booking_id)}`")
