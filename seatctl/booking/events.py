"""EVENT on the command line to an event, and an event to its seat map. No printing here.

EVENT is, in this order of preference:

1. an event id, exactly (`GET /api/events/:id`; a 404 falls through to the next rules);
2. an event's name, whole, case-insensitive (when one event has it);
3. a unique id prefix, or a unique case-insensitive substring of a name: the two rules
   together must name exactly one event.

Events are listed page by page (at most MAX_PAGES pages of PAGE_LIMIT). When that bound
cuts the listing short, the API's `search` (which matches names) finds name matches
beyond it; id prefixes are then looked for in the listed events only.
An ambiguous EVENT is a UsageError (exit 2) naming the candidates; none is NotFound (exit 8).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from seatctl.api.endpoints import get_event, list_events, seat_map
from seatctl.api.models import Event, SeatMap
from seatctl.errors import NotFound, RequestRejected, UsageError
from seatctl.http import ApiClient

MAX_PAGES = 20
PAGE_LIMIT = 100  # the most the reference server gives per page
MAX_CANDIDATES = 8  # named in an "ambiguous" message


def resolve_event(client: ApiClient, text: str, *, max_pages: int = MAX_PAGES) -> Event:
    """The one event that EVENT names; see the module docstring for the rules."""
    wanted = text.strip()
    if not wanted:
        raise UsageError("EVENT is empty", hint="give an event id or name: seatctl events")
    try:
        return get_event(client, wanted)
    except NotFound:
        pass
    except RequestRejected as exc:  # a backend that cannot parse the id may say 400
        if exc.status_code != 400:
            raise
    listed, complete = _list_all(client, None, max_pages)
    if not complete:
        searched, _ = _list_all(client, wanted, max_pages)
        listed = _unique([*listed, *searched])
    folded = wanted.casefold()
    whole = [event for event in listed if event.name.strip().casefold() == folded]
    if len(whole) == 1:
        return whole[0]
    candidates = whole or [event for event in listed
                           if event.id.startswith(wanted) or folded in event.name.casefold()]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        shown = ", ".join(f"{event.name} ({event.id})" for event in candidates[:MAX_CANDIDATES])
        if len(candidates) > MAX_CANDIDATES:
            shown += f" and {len(candidates) - MAX_CANDIDATES} more"
        raise UsageError(f"{wanted!r} matches {len(candidates)} events: {shown}",
                         hint="give more of the name, or the event's id")
    scope = "" if complete else f" among the first {len(listed)} events and a name search"
    raise NotFound(f"no event matches {wanted!r}{scope}", status_code=404,
                   hint=f"list them with: seatctl events --search {shlex.quote(wanted)}")


def seat_map_for(client: ApiClient, event: Event) -> SeatMap:
    """The event's seat map; a general-admission event has none (UsageError, exit 2)."""
    if not event.seat_level_booking:
        raise general_admission(event)
    try:
        return seat_map(client, event.id)
    except (NotFound, RequestRejected) as exc:  # the contract: 404 / 400 without a venue
        if exc.status_code in (400, 404):
            raise general_admission(event) from exc
        raise


def general_admission(event: Event) -> UsageError:
    return UsageError(
        f"{event.name} is general admission: it has no seat map",
        hint=f"book it by quantity: seatctl book {shlex.quote(event.id)} --quantity N",
    )


def _list_all(client: ApiClient, search: str | None, max_pages: int) -> tuple[list[Event], bool]:
    """Events page by page, up to max_pages; and whether that was all of them."""
    events: list[Event] = []
    for page_number in range(1, max_pages + 1):
        page = list_events(client, page=page_number, limit=PAGE_LIMIT, search=search)
        events.extend(page.events)
        if not page.events or not page.pagination.has_next_page:
            return _unique(events), True
    return _unique(events), False


def _unique(events: Iterable[Event]) -> list[Event]:
    return list({event.id: event for event in events}.values())
