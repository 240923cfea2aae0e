"""`seatctl jobs`: recent bookings from the local journal, newest first."""


from typing import Annotated

import typer

from seatctl.cli._common import FormatOption, JsonFlag, chosen_output, get_app
from seatctl.render.tables import OutputFormat


def jobs(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option(
        "--pending", help="Only bookings still pending (to resume them).")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", help="Show at most this many bookings.", min=1, max=1000)] = 20,
    output: FormatOption = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only the job ids (the booking key of a booking that has no "
                              "job id), one per line.")] = False,
    json: JsonFlag = False,
) -> None:
    """Recent bookings of the active profile, from the local journal.

    Each with its state, job and booking ids and the server's last message; the pending
    ones with the command that resumes them (on stderr). Off a terminal, one booking per
    line, tab-separated: job, state, created (ISO 8601), event, seats, booking, key, message.

    Examples:
      seatctl jobs
      seatctl jobs --pending
      seatctl jobs --limit 50 --json
      seatctl jobs --pending -q
    """
    from seatctl.booking.journal import Journal
    from seatctl.render.jobs import render_jobs

    app = get_app(ctx)
    chosen = chosen_output(app, output, json=json, quiet=quiet)
    profile = app.settings.profile
    path = Journal.default_path(app.env)
    entries = []
    if path.exists():  # listing creates no journal
        with Journal(path) as journal:
            entries = journal.recent(limit=limit, pending_only=pending, profile=profile)
    command = ["seatctl", "--profile", profile]  # a resume hint names the job's profile
    render_jobs(app.streams, entries, as_json=chosen is OutputFormat.JSON, profile=profile,
                pending_only=pending, command=command, base_url=app.settings.base_url,
                output=chosen, quiet=quiet)
