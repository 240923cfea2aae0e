"""EVENT to an event (seatctl.booking.events): against the reference server, and against a
fake API (pytest-httpserver) for large listings, the contract's 404/400 answers, and what each
way of naming an event costs in requests, with and without the catalog."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from seatctl.api.endpoints import list_events
from seatctl.api.models import Event
from seatctl.booking.catalog import SEAT_MAP_MAX_AGE, Catalog
from seatctl.booking.catalog_file import EVENTS_MAX_AGE
from seatctl.booking.events import resolve_event, seat_map_for
from seatctl.errors import NotFound, UsageError
from seatctl.exit_codes import ExitCode
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.server import ReferenceServer
from tests.helpers import Cli
from tests.support.clock import ManualWallClock

Json = dict[str, Any]
MakeClient = Callable[[str], ApiClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    clients: list[ApiClient] = []

    def build(base_url: str) -> ApiClient:
        timeouts = Timeouts(connect=5, read=5, write=5, pool=5)
        client = ApiClient(ClientConfig(base_url=base_url, timeouts=timeouts,
                                        retry=RetryPolicy(retries=0)))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def demo(server: ReferenceServer, make_client: MakeClient) -> ApiClient:
    return make_client(server.url)


def demo_ids(client: ApiClient) -> dict[str, str]:
    return {event.name: event.id for event in list_events(client, limit=100).events}


# --- against the reference server ---------------------------------------------------------


def test_an_exact_id(demo: ApiClient) -> None:
    ids = demo_ids(demo)
    assert resolve_event(demo, ids["Jazz at the Grand Hall"]).name == "Jazz at the Grand Hall"


def test_a_unique_id_prefix(demo: ApiClient) -> None:
    ids = demo_ids(demo)
    target = ids["Indie Night Live"]
    # the shortest prefix no other id shares, plus one character
    length = next(n for n in range(1, len(target))
                  if sum(i.startswith(target[:n]) for i in ids.values()) == 1)
    assert resolve_event(demo, target[:length + 1]).id == target


@pytest.mark.parametrize(("text", "name"), [
    ("symphony", "Symphony Under the Stars"),
    ("  JAZZ ", "Jazz at the Grand Hall"),
    ("night live", "Indie Night Live"),
    ("summit 2027", "Open Source Summit 2027"),
])
def test_a_unique_case_insensitive_name_match(demo: ApiClient, text: str, name: str) -> None:
    assert resolve_event(demo, text).name == name


def test_an_ambiguous_name_lists_the_candidates_with_their_ids(demo: ApiClient) -> None:
    ids = demo_ids(demo)
    with pytest.raises(UsageError) as caught:
        resolve_event(demo, "the")  # Symphony Under the Stars, Jazz at the Grand Hall
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert "matches 2 events" in error.message
    for name in ("Symphony Under the Stars", "Jazz at the Grand Hall"):
        assert f"{name} ({ids[name]})" in error.message


def test_a_prefix_shared_by_every_id_is_ambiguous(demo: ApiClient) -> None:
    ids = list(demo_ids(demo).values())
    common = ids[0][:1]
    assert all(i.startswith(common) for i in ids)
    with pytest.raises(UsageError, match="matches 4 events"):
        resolve_event(demo, common)


def test_no_match_is_not_found_exit_8(demo: ApiClient) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_event(demo, "opera")
    error = caught.value
    assert error.exit_code == ExitCode.NOT_FOUND
    assert error.message == "no event matches 'opera'"
    assert error.hint == "list them with: seatctl events --search opera"


def test_an_empty_event_is_a_usage_error(demo: ApiClient) -> None:
    with pytest.raises(UsageError):
        resolve_event(demo, "  ")


def test_the_seat_map_of_a_seat_map_event(demo: ApiClient) -> None:
    seats = seat_map_for(demo, resolve_event(demo, "symphony"))
    assert [s.name for s in seats.sections] == ["Orchestra", "Mezzanine", "Balcony"]
    assert len(seats.seats()) == 600


def test_a_general_admission_event_has_no_seat_map(demo: ApiClient) -> None:
    event = resolve_event(demo, "indie")
    with pytest.raises(UsageError) as caught:
        seat_map_for(demo, event)
    assert caught.value.message == "Indie Night Live is general admission: it has no seat map"
    assert caught.value.hint == f"book it by quantity: seatctl book {event.id} --quantity N"


# --- against a fake API ----------------------------------------------------------------


def event(number: int, name: str | None = None, *, seat_map: bool = False) -> Json:
    return {"id": f"ev{number:04d}", "name": name or f"Event {number:04d}", "venue": "Hall",
            "startTime": "2026-12-01T19:30:00.000Z", "capacity": 10, "availableCapacity": 10,
            "price": 10, "seatLevelBooking": seat_map}


def serve_events(httpserver: HTTPServer, events: list[Json]) -> None:
    """GET /api/events with the contract's pagination and the seed's search (names, venues);
    GET /api/events/:id answers 404 for unknown ids, as the seed backend does."""

    def listing(request: Request) -> Response:
        page = int(request.args.get("page", 1))
        limit = int(request.args.get("limit", 10))
        search = request.args.get("search", "").casefold()
        found = [e for e in events
                 if search in e["name"].casefold() or search in e["venue"].casefold()]
        pages = max(1, math.ceil(len(found) / limit))
        data = {"events": found[(page - 1) * limit:page * limit],
                "pagination": {"currentPage": page, "totalPages": pages,
                               "totalCount": len(found), "limit": limit,
                               "hasNextPage": page < pages, "hasPrevPage": page > 1}}
        return Response(json.dumps({"status": "success", "data": data}),
                        content_type="application/json")

    def one(request: Request) -> Response:
        wanted = request.path.rsplit("/", 1)[1]
        for candidate in events:
            if candidate["id"] == wanted:
                return Response(json.dumps({"status": "success", "data": {"event": candidate}}),
                                content_type="application/json")
        return Response(json.dumps({"status": "error", "message": "Event not found"}),
                        status=404, content_type="application/json")

    httpserver.expect_request("/api/events").respond_with_handler(listing)
    httpserver.expect_request(re.compile(r"^/api/events/.+")).respond_with_handler(one)


def serve_seat_map(httpserver: HTTPServer, event_id: str) -> None:
    seats = [{"id": f"t{number}", "row": "A", "number": str(number), "price": 10}
             for number in range(1, 4)]
    data = {"event": {"id": event_id, "name": "Gala", "seatLevelBooking": True},
            "venue": {"id": "v1", "name": "Hall", "capacity": 3},
            "sections": [{"id": "s1", "name": "Floor", "sectionPrice": 10, "seats": seats}],
            "totalAvailableSeats": 3}
    httpserver.expect_request(f"/api/seats/event/{event_id}").respond_with_json(
        {"status": "success", "data": data})


def requests(httpserver: HTTPServer) -> list[str]:
    return [f"{request.path}?{request.query_string.decode()}" for request, _ in httpserver.log]


def search(text: str) -> str:
    return f"/api/events?page=1&limit=100&search={text.replace(' ', '+')}"


LISTING = "/api/events?page=1&limit=100"


@pytest.fixture
def catalog(httpserver: HTTPServer, tmp_path: Path, clock: ManualWallClock) -> Catalog:
    return Catalog.for_base_url(httpserver.url_for(""), {"XDG_CACHE_HOME": str(tmp_path)},
                                now=clock)


@pytest.fixture
def fake(httpserver: HTTPServer, make_client: MakeClient) -> ApiClient:
    """Thirty events, "Event 0001" (ev0001) to "Event 0030" (ev0030), and a client."""
    serve_events(httpserver, [event(n) for n in range(1, 31)])
    return make_client(httpserver.url_for(""))


def test_a_whole_name_wins_over_names_containing_it(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(1, "Jazz Night II"), event(2, "jazz night"),
                              event(3, "Late Jazz Night")])
    assert resolve_event(make_client(httpserver.url_for("")), "Jazz Night").id == "ev0002"
    assert requests(httpserver) == [LISTING]


def test_a_name_costs_one_request_cold(fake: ApiClient, httpserver: HTTPServer,
                                       catalog: Catalog) -> None:
    assert resolve_event(fake, "event 0017", catalog=catalog).id == "ev0017"
    assert requests(httpserver) == [LISTING]  # never probed as an id


def test_an_id_costs_one_request_cold_then_ids_and_names_cost_none(
    fake: ApiClient, httpserver: HTTPServer, catalog: Catalog, clock: ManualWallClock,
) -> None:
    assert resolve_event(fake, "ev0017", catalog=catalog).id == "ev0017"
    assert requests(httpserver) == [LISTING]
    clock.now += EVENTS_MAX_AGE - 1
    assert resolve_event(fake, "ev0017", catalog=catalog).id == "ev0017"
    assert resolve_event(fake, "EVENT 0003", catalog=catalog).id == "ev0003"
    assert resolve_event(fake, "ev0029", catalog=catalog).id == "ev0029"
    with pytest.raises(UsageError, match="matches 10 events"):  # ev0010 to ev0019
        resolve_event(fake, "ev001", catalog=catalog)
    assert len(requests(httpserver)) == 1


def test_a_stale_listing_is_not_used(fake: ApiClient, httpserver: HTTPServer,
                                     catalog: Catalog, clock: ManualWallClock) -> None:
    resolve_event(fake, "ev0017", catalog=catalog)
    clock.now += EVENTS_MAX_AGE
    assert resolve_event(fake, "event 0003", catalog=catalog).id == "ev0003"
    assert requests(httpserver) == [LISTING, LISTING]


def test_an_event_missing_from_a_fresh_listing_is_asked_for(
    httpserver: HTTPServer, make_client: MakeClient, catalog: Catalog,
) -> None:
    serve_events(httpserver, [event(1), event(2, "The Late Show")])
    catalog.store_events([Event.model_validate(event(1))], complete=True)  # before ev0002
    client = make_client(httpserver.url_for(""))
    assert resolve_event(client, "late show", catalog=catalog).id == "ev0002"
    assert requests(httpserver) == [LISTING]


def test_a_partial_cached_listing_answers_exact_ids_only(
    fake: ApiClient, httpserver: HTTPServer, catalog: Catalog,
) -> None:
    catalog.store_events([Event.model_validate(event(n)) for n in range(1, 6)], complete=False)
    assert resolve_event(fake, "ev0003", catalog=catalog).id == "ev0003"
    assert requests(httpserver) == []
    assert resolve_event(fake, "event 0004", catalog=catalog).id == "ev0004"
    assert requests(httpserver) == [LISTING]


def test_the_listing_is_stored_with_whether_it_was_complete(
    fake: ApiClient, catalog: Catalog,
) -> None:
    resolve_event(fake, "ev0017", catalog=catalog)
    cached = catalog.events()
    assert cached is not None and cached.complete and len(cached.events) == 30


def test_search_matches_outside_the_names_do_not_count(
    fake: ApiClient, httpserver: HTTPServer,
) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_event(fake, "hall")  # every venue is "Hall"
    assert caught.value.message == "no event matches 'hall'"
    assert requests(httpserver) == [LISTING]  # and no id lookup


def test_an_id_prefix_that_is_part_of_a_found_name_is_settled_by_the_listing(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(1, "Gala"), event(2, "Revue")])
    with pytest.raises(UsageError, match="matches 2 events"):  # ev0001, ev0002 and "Revue"
        resolve_event(make_client(httpserver.url_for("")), "ev")
    assert requests(httpserver) == [LISTING]


def test_search_finds_names_beyond_the_listing_bound(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    events = [event(n) for n in range(1, 451)] + [event(451, "The Late Show")]
    serve_events(httpserver, events)
    client = make_client(httpserver.url_for(""))
    assert resolve_event(client, "late show", max_pages=3).id == "ev0451"
    assert requests(httpserver) == [LISTING, search("late show")]


def test_an_exact_id_beyond_the_bound_is_looked_up_last(
    httpserver: HTTPServer, make_client: MakeClient, catalog: Catalog,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 251)])
    client = make_client(httpserver.url_for(""))
    assert resolve_event(client, "ev0240", catalog=catalog, max_pages=2).id == "ev0240"
    assert requests(httpserver) == [LISTING, search("ev0240"), "/api/events?page=2&limit=100",
                                    "/api/events/ev0240?"]
    cached = catalog.events()
    assert cached is not None and not cached.complete and len(cached.events) == 200


def test_an_id_prefix_beyond_the_bound_is_not_found_and_says_why(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 251)])
    with pytest.raises(NotFound) as caught:
        resolve_event(make_client(httpserver.url_for("")), "ev024", max_pages=2)
    assert caught.value.message == (
        "no event matches 'ev024' among the first 200 events and a name search")
    assert caught.value.hint == "list them with: seatctl events --search ev024"
    assert requests(httpserver)[-1] == "/api/events/ev024?"


def test_a_400_from_the_last_resort_id_lookup_is_not_found(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    httpserver.expect_request("/api/events/gala").respond_with_json(
        {"status": "error", "message": "Invalid event id"}, status=400)
    serve_events(httpserver, [event(n) for n in range(1, 151)])
    with pytest.raises(NotFound, match="among the first 100 events and a name search"):
        resolve_event(make_client(httpserver.url_for("")), "gala", max_pages=1)
    assert requests(httpserver) == [LISTING, search("gala"), "/api/events/gala?"]


def test_an_ambiguous_match_names_at_most_eight_candidates(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 13)])
    with pytest.raises(UsageError) as caught:
        resolve_event(make_client(httpserver.url_for("")), "event")
    assert "matches 12 events" in caught.value.message
    assert "Event 0008 (ev0008) and 4 more" in caught.value.message


@pytest.mark.parametrize("status", [400, 404])
def test_a_seat_map_event_whose_seat_map_is_refused_counts_as_general_admission(
    httpserver: HTTPServer, make_client: MakeClient, status: int, catalog: Catalog,
) -> None:
    """The contract: GET /api/seats/event/:id answers 404 or 400 when there is no venue."""
    serve_events(httpserver, [event(1, "Gala", seat_map=True)])
    httpserver.expect_request("/api/seats/event/ev0001").respond_with_json(
        {"status": "error", "message": "Venue not found"}, status=status)
    client = make_client(httpserver.url_for(""))
    with pytest.raises(UsageError, match="general admission"):
        seat_map_for(client, resolve_event(client, "gala"), catalog=catalog)
    assert catalog.seat_map("ev0001") is None


def test_a_seat_map_costs_one_request_cold_and_none_while_fresh(
    httpserver: HTTPServer, make_client: MakeClient, catalog: Catalog, clock: ManualWallClock,
) -> None:
    gala = Event.model_validate(event(1, "Gala", seat_map=True))
    serve_seat_map(httpserver, "ev0001")
    client = make_client(httpserver.url_for(""))
    first = seat_map_for(client, gala, catalog=catalog)
    clock.now += SEAT_MAP_MAX_AGE - 1
    assert seat_map_for(client, gala, catalog=catalog) == first
    assert len(requests(httpserver)) == 1
    seat_map_for(client, gala, catalog=catalog, fresh=True)
    assert len(requests(httpserver)) == 2
    clock.now += SEAT_MAP_MAX_AGE  # 30 s after the fresh one
    seat_map_for(client, gala, catalog=catalog)
    assert len(requests(httpserver)) == 3


def test_seats_by_name_costs_two_requests_cold_and_none_after_events(
    httpserver: HTTPServer, cli: Cli,
) -> None:
    """`seatctl seats NAME`: the listing and the seat map; `seatctl events` (every event on
    its page) fills the catalog too, and the seat map stays in it for 30 s."""
    serve_events(httpserver, [event(1, "Gala", seat_map=True), event(2, "Revue")])
    serve_seat_map(httpserver, "ev0001")
    url = httpserver.url_for("")
    cli.ok("--base-url", url, "seats", "gala")
    assert requests(httpserver) == [LISTING, "/api/seats/event/ev0001?"]
    cli.ok("--base-url", url, "events")
    assert requests(httpserver)[2:] == ["/api/events?page=1&limit=10"]
    cli.ok("--base-url", url, "seats", "gala")
    cli.ok("--base-url", url, "seats", "ev0001", "--available")
    assert len(requests(httpserver)) == 3


def test_events_stores_only_a_complete_unfiltered_listing(
    httpserver: HTTPServer, cli: Cli,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 4)])
    url = httpserver.url_for("")
    for args in (["--search", "event"], ["--limit", "2"], ["--page", "2", "--limit", "2"]):
        cli.ok("--base-url", url, "events", *args)
    catalog = Catalog.for_base_url(url.rstrip("/"))
    assert catalog.events() is None
    cli.ok("--base-url", url, "events", "--limit", "3")
    cached = catalog.events()
    assert cached is not None and cached.complete and len(cached.events) == 3


# --- a typo suggests the closest names (issue 14) ---------------------------------------------


@pytest.mark.parametrize(("text", "hint"), [
    ("symphny", "did you mean 'Symphony Under the Stars'?"),
    ("jaz hall", "did you mean 'Jazz at the Grand Hall'?"),
    ("indy nite", "did you mean 'Indie Night Live'?"),
    ("summit 2072", "did you mean 'Open Source Summit 2027'?"),
])
def test_a_typo_suggests_the_closest_names_exit_8(demo: ApiClient, text: str, hint: str) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_event(demo, text)
    assert caught.value.exit_code == ExitCode.NOT_FOUND
    assert caught.value.message == f"no event matches {text!r}"
    assert caught.value.hint == hint


def test_seats_with_a_typo_says_did_you_mean_through_the_cli(
    server: ReferenceServer, cli: Cli,
) -> None:
    outcome = cli("--base-url", server.url, "seats", "symphny")
    assert outcome.exit_code == ExitCode.NOT_FOUND
    assert "no event matches 'symphny'" in outcome.stderr
    assert "did you mean 'Symphony Under the Stars'?" in outcome.stderr
    outcome = cli("--base-url", server.url, "book", "the", "--seat", "A1")
    assert outcome.exit_code == ExitCode.USAGE  # ambiguous stays a usage error


def test_the_closest_few_are_named_closest_first_and_quoted_for_the_shell(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(1, "Children's Concert"), event(2, "Chamber Concert"),
                              event(3, "Rock Concert"), event(4, "Concerto Night"),
                              event(5, "Gala")])
    with pytest.raises(NotFound) as caught:
        resolve_event(make_client(httpserver.url_for("")), "concrt")
    assert caught.value.hint == (
        "did you mean 'Chamber Concert', \"Children's Concert\" or 'Rock Concert'?")


def test_suggestions_come_from_the_listing_and_the_search_beyond_its_bound(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 151)] + [event(151, "Opera Gala")])
    with pytest.raises(NotFound) as caught:
        resolve_event(make_client(httpserver.url_for("")), "Event 01x7", max_pages=1)
    assert caught.value.message.endswith("among the first 100 events and a name search")
    assert caught.value.hint is not None and caught.value.hint.startswith(
        "did you mean 'Event 0017'")


def test_nothing_close_keeps_the_search_hint(fake: ApiClient) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_event(fake, "opera")
    assert caught.value.hint == "list them with: seatctl events --search opera"
