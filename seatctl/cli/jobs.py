"""`seatctl jobs`: recent bookings from the local journal, newest first."""


from typing import Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app


def jobs(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option(
        "--pending", help="Only bookings still pending (to resume them).")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", help="Show at most this many bookings.", min=1, max=1000)] = 20,
    json: JsonFlag = False,
) -> None:
    """Recent bookings of the active profile, from the local journal.

    Each with its state, job and booking ids and the server's last message; the pending
    ones with the command that resumes them.
    """
    from seatctl.booking.journal import Journal
    from seatctl.render.jobs import render_jobs

    app = get_app(ctx)
    as_json = app.want_json(json)
    profile = app.settings.profile
    path = Journal.default_path(app.env)
    entries = []
    if path.exists():  # listing creates no journal
        with Journal(path) as journal:
            entries = journal.recent(limit=limit, pending_only=pending, profile=profile)
    command = ["seatctl"] if app.options.profile is None else ["seatctl", "--profile", profile]
    render_jobs(app.streams, entries, as_json=as_json, profile=profile, pending_only=pending,
                command=command, base_url=app.settings.base_url)
