"""`seatctl events` and `seatctl seats EVENT`: looking before booking."""


from typing import Annotated

import typer

from seatctl.cli._common import FormatOption, JsonFlag, chosen_output, get_app, sendable_text
from seatctl.cli.completers import complete_event
from seatctl.errors import UsageError
from seatctl.render.tables import OutputFormat

EventArgument = Annotated[str, typer.Argument(
    metavar="EVENT", help="An event id, a unique id prefix, or a unique part of its name.",
    show_default=False, callback=sendable_text, autocompletion=complete_event,
)]


def events(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(
        "--search", "-s", help="Only events whose name, description or venue contains TEXT.",
        metavar="TEXT", show_default=False,
    )] = None,
    page: Annotated[int, typer.Option("--page", min=1, help="Page number.")] = 1,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=100, help="Events per page (at most 100).")] = 10,
    upcoming: Annotated[bool, typer.Option(
        "--upcoming", help="Only the events that have not started. Filters the page the "
                           "server sent, so a page may list fewer than --limit.",
    )] = False,
    output: FormatOption = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only the event ids, one per line.")] = False,
    json: JsonFlag = False,
) -> None:
    """List events: venue, start, price, free seats, and the id other commands take.

    Start times are in local time with the zone; events that have started or ended are
    marked so; each event is marked as seat map or general admission. Off a terminal, one
    event per line, tab-separated: id, name, start (ISO 8601), state, venue, price, free,
    capacity, booking.

    Examples:
      seatctl events
      seatctl events --search jazz --limit 20
      seatctl events --page 2 --json
      seatctl events --upcoming -q
    """
    from seatctl.booking.events import events_page
    from seatctl.render.events import render_events

    app = get_app(ctx)
    chosen = chosen_output(app, output, json=json, quiet=quiet)
    with app.client() as client:
        listing = events_page(client, page=page, limit=limit, search=search,
                              catalog=app.catalog())
    render_events(app.streams, listing, search=search, limit=limit, output=chosen, quiet=quiet,
                  upcoming=upcoming)


def seats(
    ctx: typer.Context,
    event: EventArgument,
    available: Annotated[bool, typer.Option(
        "--available", "-a",
        help="Only the free seats: a table of their labels by section on a terminal; "
             "otherwise one seat per line, tab-separated: label, section, row, number, price.",
    )] = False,
    output: Annotated[OutputFormat | None, typer.Option(
        "--format", help="With --available: table, tsv or json (as --json). [default: table "
                         "on a terminal, tsv otherwise]",
        case_sensitive=False, show_default=False,
    )] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="With --available: only the labels, one per line.")] = False,
    json: JsonFlag = False,
) -> None:
    """Show an event's seat map: free, booked and blocked seats per section and row.

    Examples:
      seatctl seats symphony
      seatctl seats symphony --available
      seatctl seats symphony --available -q
      seatctl seats "Symphony Under the Stars" --json
    """
    from seatctl.booking.events import resolve_event, seat_map_for
    from seatctl.render.seatmap import render_seat_map

    app = get_app(ctx)
    chosen = chosen_output(app, output, json=json, quiet=quiet)
    if not available and (quiet or output is OutputFormat.TSV):
        raise UsageError(f"{'--quiet' if quiet else '--format tsv'} lists the free seats",
                         hint="add --available")
    catalog = app.catalog()
    with app.client() as client:
        found = resolve_event(client, event, catalog=catalog)
        seat_map = seat_map_for(client, found, catalog=catalog)
    render_seat_map(app.streams, seat_map, available_only=available,
                    as_json=chosen is OutputFormat.JSON, output=chosen, quiet=quiet)
