"""EVENT to an event (seatctl.booking.events): against the reference server, and against a
fake API (pytest-httpserver) for large listings and the contract's 404/400 answers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from seatctl.api.endpoints import list_events
from seatctl.booking.events import resolve_event, seat_map_for
from seatctl.errors import NotFound, UsageError
from seatctl.exit_codes import ExitCode
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.server import ReferenceServer

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
    """GET /api/events with the contract's pagination and a name search; GET /api/events/:id
    answers 404 for unknown ids, as the seed backend does."""

    def listing(request: Request) -> Response:
        page = int(request.args.get("page", 1))
        limit = int(request.args.get("limit", 10))
        search = request.args.get("search", "").casefold()
        found = [e for e in events if search in e["name"].casefold()]
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


def requests(httpserver: HTTPServer) -> list[str]:
    return [f"{request.path}?{request.query_string.decode()}" for request, _ in httpserver.log]


def test_a_whole_name_wins_over_names_containing_it(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(1, "Jazz Night II"), event(2, "jazz night"),
                              event(3, "Late Jazz Night")])
    assert resolve_event(make_client(httpserver.url_for("")), "Jazz Night").id == "ev0002"


def test_one_listing_request_when_every_event_fits_the_bound(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 31)])
    assert resolve_event(make_client(httpserver.url_for("")), "event 0017").id == "ev0017"
    assert requests(httpserver) == ["/api/events/event 0017?",
                                    "/api/events?page=1&limit=100"]


def test_the_listing_is_bounded_and_search_finds_names_beyond_it(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    events = [event(n) for n in range(1, 451)] + [event(451, "The Late Show")]
    serve_events(httpserver, events)
    client = make_client(httpserver.url_for(""))
    assert resolve_event(client, "late show", max_pages=3).id == "ev0451"
    listed = requests(httpserver)[1:]
    assert listed == ["/api/events?page=1&limit=100", "/api/events?page=2&limit=100",
                      "/api/events?page=3&limit=100",
                      "/api/events?page=1&limit=100&search=late+show"]


def test_an_id_prefix_beyond_the_bound_is_not_found_and_says_why(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    serve_events(httpserver, [event(n) for n in range(1, 251)])
    with pytest.raises(NotFound) as caught:
        resolve_event(make_client(httpserver.url_for("")), "ev024", max_pages=2)
    assert "among the first 200 events and a name search" in caught.value.message


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
    httpserver: HTTPServer, make_client: MakeClient, status: int,
) -> None:
    """The contract: GET /api/seats/event/:id answers 404 or 400 when there is no venue."""
    serve_events(httpserver, [event(1, "Gala", seat_map=True)])
    httpserver.expect_request("/api/seats/event/ev0001").respond_with_json(
        {"status": "error", "message": "Venue not found"}, status=status)
    client = make_client(httpserver.url_for(""))
    with pytest.raises(UsageError, match="general admission"):
        seat_map_for(client, resolve_event(client, "gala"))


def test_a_400_for_an_unparsable_id_falls_through_to_the_names(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    httpserver.expect_request("/api/events/gala").respond_with_json(
        {"status": "error", "message": "Invalid event id"}, status=400)
    serve_events(httpserver, [event(1, "Gala")])
    assert resolve_event(make_client(httpserver.url_for("")), "gala").id == "ev0001"
