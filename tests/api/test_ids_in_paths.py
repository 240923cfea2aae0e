"""An id is one path segment, whatever it holds: `.` and `..` (which URL parsers resolve
away, RFC 3986 5.2.4) are escaped so that the request goes where the command says.
This used to send `DELETE /api` for `seatctl cancel .. --yes`."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pytest_httpserver import HTTPServer

from seatctl.api.endpoints import (
    _segment,
    cancel_booking,
    check_in,
    download_ticket,
    ticket_details,
    verify_ticket,
)
from seatctl.errors import NotFound
from seatctl.http import ApiClient

Call = Callable[[ApiClient, str], object]
CALLS: list[tuple[str, Call, str]] = [
    ("ticket", ticket_details, "/api/tickets/{}/details"),
    ("download", download_ticket, "/api/tickets/{}/download"),
    ("verify", verify_ticket, "/api/tickets/verify/{}"),
    ("checkin", check_in, "/api/tickets/checkin/{}"),
    ("cancel", cancel_booking, "/api/bookings/{}"),
]
IDS = [(".", "%2E"), ("..", "%2E%2E"), ("...", "%2E%2E%2E"), ("a/../b", "a%2F..%2Fb"),
       ("cmg4.k2", "cmg4.k2"), ("x y", "x%20y")]


@pytest.mark.parametrize(("value", "segment"), IDS)
def test_a_segment_of_dots_only_is_escaped_dot_by_dot(value: str, segment: str) -> None:
    assert _segment(value) == segment


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"status": "error", "message": "Booking not found"})


@pytest.mark.parametrize(("value", "segment"), IDS)
@pytest.mark.parametrize(("name", "call", "path"), CALLS, ids=[name for name, _, _ in CALLS])
def test_the_request_path_keeps_the_id_as_one_segment(
    make_client: Callable[..., ApiClient], name: str, call: Call, path: str, value: str,
    segment: str,
) -> None:
    sent: list[bytes] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.raw_path)
        return answer(request)

    client = make_client(transport=httpx.MockTransport(record), token="tok-123456789")
    with pytest.raises(NotFound):
        call(client, value)
    assert sent == [path.format(segment).encode()]


def test_the_escaped_dots_go_on_the_wire_as_sent(make_client: Callable[..., ApiClient],
                                                 httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/bookings/..", method="DELETE").respond_with_json(
        {"status": "success", "message": "Booking cancelled successfully",
         "data": {"bookingId": ".."}})
    client = make_client(base_url=httpserver.url_for("").rstrip("/"), token="tok-123456789")
    assert cancel_booking(client, "..") == ".."
    (request, _), = httpserver.log
    assert request.environ["REQUEST_URI"] == "/api/bookings/%2E%2E"
