"""`seatctl events` and `seatctl seats EVENT`: looking before booking."""


from typing import Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app, sendable_text

EventArgument = Annotated[str, typer.Argument(
    metavar="EVENT", help="An event id, a unique id prefix, or a unique part of its name.",
    show_default=False, callback=sendable_text,
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
    json: JsonFlag = False,
) -> None:
    """List events: venue, start, price, free seats, and the id other commands take.

    Start times are in local time; each event is marked as seat map or general admission.
    """
    from seatctl.api.endpoints import list_events
    from seatctl.render.events import render_events

    app = get_app(ctx)
    as_json = app.want_json(json)
    with app.client() as client:
        listing = list_events(client, page=page, limit=limit, search=search)
    if not search and page == 1 and not listing.pagination.has_next_page:
        # every event on one page: what `seats` and `book` resolve EVENT against, for free
        catalog = app.catalog()
        catalog.store_events(listing.events, complete=True)
    render_events(app.streams, listing, search=search, limit=limit, as_json=as_json)


def seats(
    ctx: typer.Context,
    event: EventArgument,
    available: Annotated[bool, typer.Option(
        "--available", "-a",
        help="Only the free seats' labels, one section per line, comma-separated.",
    )] = False,
    json: JsonFlag = False,
) -> None:
    """Show an event's seat map: free, booked and blocked seats per section and row."""
    from seatctl.booking.events import resolve_event, seat_map_for
    from seatctl.render.seatmap import render_seat_map

    app = get_app(ctx)
    as_json = app.want_json(json)
    catalog = app.catalog()
    with app.client() as client:
        found = resolve_event(client, event, catalog=catalog)
        seat_map = seat_map_for(client, found, catalog=catalog)
    render_seat_map(app.streams, seat_map, available_only=available, as_json=as_json)
