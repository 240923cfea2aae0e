"""EVENT on the command line to an event, and an event to its seat map. No printing here.

EVENT is, in this order of preference:

1. an event id, exactly;
2. an event's name, whole, case-insensitive (when one event has it);
3. a unique id prefix, or a unique case-insensitive substring of a name: the two rules
   together must name exactly one event.

Every request counts against the deployment's rate limit, so EVENT is never probed as an
id first. The rules are applied to what costs least, in this order:

a. a fresh events listing from the Catalog, when one is given: no request. A complete
   listing answers by all the rules (an ambiguity there is final); a partial one only by
   exact id.
b. the first page of the listing (`GET /api/events?limit=100`), one request: when it holds
   every event (most deployments have fewer than a hundred), it is stored in the Catalog
   and answers by all the rules, so the next lookups cost nothing.
c. otherwise `GET /api/events?search=EVENT&limit=100`, one request. The API's search may
   match descriptions and venues too, so only ids and names count in its answer: an exact
   id is taken at once; one whole name, else one name containing EVENT, only when the search
   fit on one page and EVENT starts no returned event's id (EVENT may then be an id prefix,
   which only the full listing can settle).
d. the rest of the listing page by page (at most MAX_PAGES pages of PAGE_LIMIT) together
   with what the search found, by all the rules; the listing is stored in the Catalog. When
   the bound cuts the listing short, id prefixes are looked for in the listed events only.
e. only when the bound cut the listing short and nothing matched: `GET /api/events/:id`.

An ambiguous EVENT is a UsageError (exit 2) naming the candidates; none is NotFound (exit 8),
whose hint names the listed events closest to EVENT (a typo: `symphny`), if any are close.
A seat map comes from the Catalog while fresh, unless the caller asks for a fresh one.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Iterable

from seatctl.api.endpoints import get_event, list_events, seat_map
from seatctl.api.models import Event, EventPage, SeatMap
from seatctl.booking.catalog import CachedEvents, Catalog
from seatctl.errors import NotFound, RequestRejected, UsageError
from seatctl.http import ApiClient

MAX_PAGES = 20
PAGE_LIMIT = 100  # the most the reference server gives per page
MAX_CANDIDATES = 8  # named in an "ambiguous" message
MAX_SUGGESTED = 3  # closest names in a "did you mean" hint
CLOSE = 0.7  # difflib's ratio: 'symphny' ~ 'symphony' 0.93, 'opera' ~ 'open' 0.67


def resolve_event(client: ApiClient, text: str, *, catalog: Catalog | None = None,
                  max_pages: int = MAX_PAGES) -> Event:
    """The one event that EVENT names; see the module docstring for the rules."""
    wanted = text.strip()
    if not wanted:
        raise UsageError("EVENT is empty", hint="give an event id or name: seatctl events")
    cached = catalog.events() if catalog is not None else None
    if cached is not None and (found := _from_cache(cached, wanted)) is not None:
        return found
    first, everything = _fetch_page(client, None)
    if everything:
        if catalog is not None:
            catalog.store_events(first, complete=True)
        return _the_one(_candidates(first, wanted), wanted, first)
    searched, search_complete = _fetch_page(client, wanted)
    if (found := _from_search(searched, search_complete, wanted)) is not None:
        return found
    listed, complete = _list_all(client, max_pages, first)
    if catalog is not None:
        catalog.store_events(listed, complete=complete)
    candidates = _candidates(_unique([*listed, *searched]), wanted)
    if candidates:
        return _the_one(candidates, wanted)
    if complete:
        raise _no_match(wanted, listed=[*listed, *searched])
    return _beyond_the_listing(client, wanted, [*listed, *searched], listed_count=len(listed))


def events_page(client: ApiClient, *, page: int, limit: int, search: str | None,
                catalog: Catalog) -> EventPage:
    """One page of the listing (`GET /api/events`). A first page that holds every event is
    stored in the catalog: what EVENT is resolved against next, for free."""
    listing = list_events(client, page=page, limit=limit, search=search)
    if not search and page == 1 and not listing.pagination.has_next_page:
        catalog.store_events(listing.events, complete=True)
    return listing


def seat_map_for(client: ApiClient, event: Event, *, catalog: Catalog | None = None,
                 fresh: bool = False) -> SeatMap:
    """The event's seat map, from the catalog while fresh unless `fresh`; a general-admission
    event has none (UsageError, exit 2)."""
    if not event.seat_level_booking:
        raise general_admission(event)
    cached = None if catalog is None or fresh else catalog.seat_map(event.id)
    if cached is not None:
        return cached
    try:
        fetched = seat_map(client, event.id)
    except (NotFound, RequestRejected) as exc:  # the contract: 404 / 400 without a venue
        if exc.status_code in (400, 404):
            raise general_admission(event) from exc
        raise
    if catalog is not None:
        catalog.store_seat_map(event.id, fetched)
    return fetched


def general_admission(event: Event) -> UsageError:
    return UsageError(
        f"{event.name} is general admission: it has no seat map",
        hint=f"book it by quantity: seatctl book {shlex.quote(event.id)} --quantity N",
    )


def _from_cache(cached: CachedEvents, wanted: str) -> Event | None:
    if not cached.complete:
        return next((event for event in cached.events if event.id == wanted), None)
    candidates = _candidates(cached.events, wanted)
    return _the_one(candidates, wanted) if candidates else None


def _from_search(found: list[Event], complete: bool, wanted: str) -> Event | None:
    """The event the name search settles, if it does (rule b of the module docstring)."""
    exact = [event for event in found if event.id == wanted]
    if exact:
        return exact[0]
    if not complete or any(event.id.startswith(wanted) for event in found):
        return None
    named = _whole_names(found, wanted) or [
        event for event in found if wanted.casefold() in event.name.casefold()]
    return named[0] if len(named) == 1 else None


def _candidates(events: list[Event], wanted: str) -> list[Event]:
    """The events the rules pick, best rule first: one is a match, more are ambiguous."""
    exact = [event for event in events if event.id == wanted]
    if exact:
        return exact[:1]
    folded = wanted.casefold()
    return _whole_names(events, wanted) or [
        event for event in events if event.id.startswith(wanted) or folded in event.name.casefold()]


def _whole_names(events: list[Event], wanted: str) -> list[Event]:
    folded = wanted.casefold()
    return [event for event in events if event.name.strip().casefold() == folded]


def _the_one(candidates: list[Event], wanted: str, listed: Iterable[Event] = ()) -> Event:
    if not candidates:
        raise _no_match(wanted, listed=listed)
    if len(candidates) == 1:
        return candidates[0]
    shown = ", ".join(f"{event.name} ({event.id})" for event in candidates[:MAX_CANDIDATES])
    if len(candidates) > MAX_CANDIDATES:
        shown += f" and {len(candidates) - MAX_CANDIDATES} more"
    raise UsageError(f"{wanted!r} matches {len(candidates)} events: {shown}",
                     hint="give more of the name, or the event's id")


def _beyond_the_listing(client: ApiClient, wanted: str, listed: list[Event], *,
                        listed_count: int) -> Event:
    """The last resort, when the page bound cut the listing short: EVENT as an exact id."""
    try:
        return get_event(client, wanted)
    except NotFound:
        pass
    except RequestRejected as exc:  # a backend that cannot parse the id may say 400
        if exc.status_code != 400:
            raise
    raise _no_match(wanted, f" among the first {listed_count} events and a name search",
                    listed=listed)


def _no_match(wanted: str, scope: str = "", *, listed: Iterable[Event] = ()) -> NotFound:
    close = closest_names(listed, wanted)
    if close:
        quoted = [_typable(name) for name in close]
        either = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        hint = f"did you mean {either}?"
    else:
        hint = f"list them with: seatctl events --search {shlex.quote(wanted)}"
    return NotFound(f"no event matches {wanted!r}{scope}", status_code=404, hint=hint)


def _ratio(first: str, second: str) -> float:
    return difflib.SequenceMatcher(None, first, second).ratio()


def _typable(name: str) -> str:
    """The name as a shell reads it back: bare, in single quotes, or in double quotes when it
    holds an apostrophe (`"Children's Concert"`) and nothing double quotes would expand."""
    quoted = shlex.quote(name)
    if quoted == name or "'" not in name or any(char in name for char in '"$`\\!'):
        return quoted
    return f'"{name}"'


def closest_names(events: Iterable[Event], wanted: str) -> list[str]:
    """Up to MAX_SUGGESTED event names closest to `wanted`, closest first, case-insensitively:
    compared whole, with each run of as many words (`symphny` is close to "Symphony Under the
    Stars"), and word by word (`jaz hall` to "Jazz at the Grand Hall")."""
    typed = wanted.casefold().split()
    width = max(1, len(typed))
    scores: dict[str, float] = {}
    for event in events:
        name = " ".join(event.name.split())
        if not name.isprintable() or name in scores:
            continue
        words = name.casefold().split()
        pieces = {" ".join(words), *(" ".join(words[start:start + width])
                                     for start in range(max(1, len(words) - width + 1)))}
        best = max(_ratio(" ".join(typed), piece) for piece in pieces)
        if typed and words:
            by_word = sum(max(_ratio(each, word) for word in words) for each in typed)
            best = max(best, by_word / len(typed))
        if best >= CLOSE:
            scores[name] = best
    ranked = sorted(scores, key=lambda name: (-scores[name], name.casefold()))
    return ranked[:MAX_SUGGESTED]


def _fetch_page(client: ApiClient, search: str | None, page_number: int = 1
                ) -> tuple[list[Event], bool]:
    """One page of events; and whether it was the last."""
    page = list_events(client, page=page_number, limit=PAGE_LIMIT, search=search)
    return page.events, not page.events or not page.pagination.has_next_page


def _list_all(client: ApiClient, max_pages: int, first: list[Event]
              ) -> tuple[list[Event], bool]:
    """Events page by page after the `first`, up to max_pages; and whether that was all."""
    events: list[Event] = list(first)
    for page_number in range(2, max_pages + 1):
        page, last = _fetch_page(client, None, page_number)
        events.extend(page)
        if last:
            return _unique(events), True
    return _unique(events), False


def _unique(events: Iterable[Event]) -> list[Event]:
    return list({event.id: event for event in events}.values())
