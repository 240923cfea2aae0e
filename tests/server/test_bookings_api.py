"""GET /api/bookings/my and DELETE /api/bookings/:id in the seed's shapes (contract.md,
"Bookings, cancellation, tickets and check-in"), in both dialects where they differ."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from seatctl.server import Dialect, ReferenceServer
from tests.conftest import StartServer
from tests.server.helpers import (
    all_seats,
    assert_error,
    book,
    client,
    free_seats,
    general_admission_event,
    is_iso_timestamp,
    login,
    seat_map,
)
from tests.timed_events import add_event, add_user

Json = dict[str, Any]

SEED_BOOKING_FIELDS = {"id", "quantity", "totalPrice", "status", "createdAt", "updatedAt",
                       "event", "ticket", "displayStatus", "actions"}
EVENT_FIELDS = {"id", "name", "description", "venue", "startTime", "endTime", "price"}
OTHER_EMAIL, OTHER_PASSWORD = "other@example.com", "other-pass-123"
STARTED = "Cannot cancel booking for events that have already started"


def book_quantity(http: httpx.Client, event_id: str, quantity: int = 1) -> str:
    """A general-admission booking (synchronous, both dialects); returns its id."""
    response = http.post("/api/bookings", json={"eventId": event_id, "quantity": quantity})
    assert response.status_code == 201, response.text
    booking_id: str = response.json()["data"]["booking"]["id"]
    return booking_id


def book_seats(http: httpx.Client, event_id: str, count: int = 1) -> tuple[str, list[str]]:
    """A seat booking through the queue (reference dialect: it long-polls); returns the
    booking id and the seat ids."""
    seat_ids = [seat["id"] for seat in free_seats(http, event_id, count)]
    data = book(http, event_id, seat_ids)
    assert data["success"] is True, data
    return str(data["bookingId"]), seat_ids


def my_bookings(http: httpx.Client) -> httpx.Response:
    response = http.get("/api/bookings/my")
    assert response.status_code == 200, response.text
    return response


def listed(http: httpx.Client, booking_id: str) -> Json:
    bookings: list[Json] = my_bookings(http).json()["data"]["bookings"]
    return next(booking for booking in bookings if booking["id"] == booking_id)


# --- GET /api/bookings/my -------------------------------------------------------------


@pytest.mark.parametrize("dialect", list(Dialect))
def test_my_bookings_has_the_seed_envelope_user_summary_and_toast(
    start_server: StartServer, dialect: Dialect,
) -> None:
    server = start_server(dialect=dialect)
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        kept = book_quantity(http, event["id"], 2)
        http.delete(f"/api/bookings/{book_quantity(http, event['id'])}")
        body = my_bookings(http).json()
    assert body["status"] == "success"
    assert body["message"] == "📋 Found 2 bookings for Demo User"
    data = body["data"]
    assert set(data) == {"user", "bookings", "summary", "toast"}
    assert data["user"]["name"] == "Demo User"
    assert data["user"]["email"] == "demo@example.com"
    assert set(data["user"]) == {"id", "name", "email"}
    assert data["summary"] == {"total": 2, "confirmed": 1, "cancelled": 1, "pending": 0}
    assert data["toast"]["type"] == "success"
    assert {"title", "message"} <= set(data["toast"])
    assert kept in [booking["id"] for booking in data["bookings"]]


def test_an_empty_list_says_so(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        body = my_bookings(http).json()
    assert body["message"] == "📋 Found 0 bookings for Demo User"
    assert body["data"]["bookings"] == []
    assert body["data"]["summary"] == {"total": 0, "confirmed": 0, "cancelled": 0,
                                       "pending": 0}


def test_a_confirmed_booking_is_listed_in_the_seed_shape_only_in_the_seed_dialect(
    start_server: StartServer,
) -> None:
    server = start_server(dialect=Dialect.SEED)
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking_id = book_quantity(http, event["id"], 3)
        booking = listed(http, booking_id)
    assert set(booking) == SEED_BOOKING_FIELDS
    assert booking["quantity"] == 3
    assert booking["totalPrice"] == pytest.approx(3 * event["price"])
    assert booking["status"] == "CONFIRMED"
    assert booking["displayStatus"] == "Confirmed"
    assert booking["actions"] == ["view", "download", "cancel"]
    assert is_iso_timestamp(booking["createdAt"]) and is_iso_timestamp(booking["updatedAt"])
    assert set(booking["event"]) == EVENT_FIELDS
    assert booking["event"]["id"] == event["id"]
    assert booking["event"]["venue"] == event["venue"]
    assert booking["event"]["startTime"] == event["startTime"]
    assert booking["ticket"] == {
        "ticketNumber": "EVT-" + booking_id[:8].upper(),
        "downloadUrl": f"/api/tickets/{booking_id}/download",
        "qrCodeUrl": f"/api/tickets/{booking_id}/qr",
        "detailsUrl": f"/api/tickets/{booking_id}/details",
        "canDownload": True, "canView": True,
    }


def test_the_reference_dialect_adds_the_seats_and_the_event_id(
    server: ReferenceServer,
) -> None:
    event_id = add_event(server, "Seated Later", starts_in=timedelta(days=3), seat_map=True)
    with client(server, login(server)) as http:
        booking_id, seat_ids = book_seats(http, event_id, 2)
        booking = listed(http, booking_id)
    assert set(booking) >= SEED_BOOKING_FIELDS
    assert booking["eventId"] == event_id
    assert booking["cancelledAt"] is None and booking["checkedInAt"] is None
    assert {seat["id"] for seat in booking["seats"]} == set(seat_ids)
    assert all(set(seat) == {"id", "row", "number", "section"} for seat in booking["seats"])


def test_bookings_are_listed_newest_first(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        made = [book_quantity(http, event["id"]) for _ in range(3)]
        bookings = my_bookings(http).json()["data"]["bookings"]
    assert [booking["id"] for booking in bookings] == made[::-1]


def test_a_booking_of_a_started_event_cannot_be_cancelled_from_the_list(
    server: ReferenceServer,
) -> None:
    event_id = add_event(server, "Started", starts_in=-timedelta(minutes=5), seat_map=True)
    with client(server, login(server)) as http:
        booking_id, _ = book_seats(http, event_id)
        booking = listed(http, booking_id)
    assert booking["status"] == "CONFIRMED"
    assert booking["actions"] == ["view", "download"]


def test_a_cancelled_booking_has_no_ticket_and_no_actions(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        http.delete(f"/api/bookings/{booking_id}")
        booking = listed(http, booking_id)
    assert booking["status"] == "CANCELLED"
    assert booking["displayStatus"] == "Cancelled"
    assert booking["ticket"] is None
    assert booking["actions"] == []
    assert is_iso_timestamp(booking["cancelledAt"])
    assert booking["updatedAt"] == booking["cancelledAt"]


def test_another_users_bookings_are_not_listed(server: ReferenceServer) -> None:
    add_user(server, OTHER_EMAIL, OTHER_PASSWORD)
    with client(server, login(server)) as demo, \
            client(server, login(server, OTHER_EMAIL, OTHER_PASSWORD)) as other:
        book_quantity(demo, general_admission_event(demo)["id"])
        body = my_bookings(other).json()
    assert body["message"] == "📋 Found 0 bookings for Other User"
    assert body["data"]["bookings"] == []


def test_my_bookings_without_a_token_is_401(server: ReferenceServer) -> None:
    assert_error(httpx.get(f"{server.url}/api/bookings/my"), 401,
                 "Access denied. No token provided.")


def test_my_bookings_with_a_bad_token_is_401(server: ReferenceServer) -> None:
    with client(server, "not-a-token") as http:
        assert_error(http.get("/api/bookings/my"), 401, "Access denied. Invalid token.")


# --- DELETE /api/bookings/:id ---------------------------------------------------------


def test_cancelling_answers_only_the_booking_id_in_the_seed_dialect(
    start_server: StartServer,
) -> None:
    server = start_server(dialect=Dialect.SEED)
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        response = http.delete(f"/api/bookings/{booking_id}")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "message": "Booking cancelled successfully",
                               "data": {"bookingId": booking_id}}


def test_cancelling_also_answers_the_booking_in_the_reference_dialect(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        response = http.delete(f"/api/bookings/{booking_id}")
    body = response.json()
    assert response.status_code == 200
    assert body["message"] == "Booking cancelled successfully"
    assert body["data"]["bookingId"] == booking_id
    assert body["data"]["booking"]["id"] == booking_id
    assert body["data"]["booking"]["status"] == "CANCELLED"


def test_cancelling_releases_the_seats_and_restores_the_capacity(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        event_id = add_event(server, "Seated", starts_in=timedelta(days=2), seat_map=True)
        before = http.get(f"/api/events/{event_id}").json()["data"]["event"]
        booking_id, seat_ids = book_seats(http, event_id, 2)
        during = http.get(f"/api/events/{event_id}").json()["data"]["event"]
        assert http.delete(f"/api/bookings/{booking_id}").status_code == 200
        after = http.get(f"/api/events/{event_id}").json()["data"]["event"]
        seats = {seat["id"]: seat for seat in all_seats(seat_map(http, event_id))}
    assert during["availableCapacity"] == before["availableCapacity"] - 2
    assert after["availableCapacity"] == before["availableCapacity"]
    assert not any(seats[seat_id]["isBooked"] for seat_id in seat_ids)


@pytest.mark.parametrize("dialect", list(Dialect))
def test_cancelling_a_general_admission_booking_restores_the_capacity(
    start_server: StartServer, dialect: Dialect,
) -> None:
    server = start_server(dialect=dialect)
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking_id = book_quantity(http, event["id"], 4)
        http.delete(f"/api/bookings/{booking_id}")
        after = http.get(f"/api/events/{event['id']}").json()["data"]["event"]
    assert after["availableCapacity"] == event["availableCapacity"]


def test_cancelling_an_unknown_booking_is_404(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        assert_error(http.delete("/api/bookings/cnosuchbooking"), 404, "Booking not found")


def test_cancelling_another_users_booking_is_403_and_keeps_it(server: ReferenceServer) -> None:
    add_user(server, OTHER_EMAIL, OTHER_PASSWORD)
    with client(server, login(server)) as demo, \
            client(server, login(server, OTHER_EMAIL, OTHER_PASSWORD)) as other:
        booking_id = book_quantity(demo, general_admission_event(demo)["id"])
        response = other.delete(f"/api/bookings/{booking_id}")
        booking = listed(demo, booking_id)
    assert_error(response, 403, "Access denied. You can only cancel your own bookings.")
    assert booking["status"] == "CONFIRMED"


def test_cancelling_twice_is_400(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        assert http.delete(f"/api/bookings/{booking_id}").status_code == 200
        again = http.delete(f"/api/bookings/{booking_id}")
    assert_error(again, 400, "Booking is already cancelled")


def test_cancelling_after_the_start_is_400_and_keeps_the_seats(
    server: ReferenceServer,
) -> None:
    event_id = add_event(server, "Started", starts_in=-timedelta(seconds=1), seat_map=True)
    with client(server, login(server)) as http:
        booking_id, seat_ids = book_seats(http, event_id)
        response = http.delete(f"/api/bookings/{booking_id}")
        seats = {seat["id"]: seat for seat in all_seats(seat_map(http, event_id))}
        booking = listed(http, booking_id)
    assert_error(response, 400, STARTED)
    assert seats[seat_ids[0]]["isBooked"]
    assert booking["status"] == "CONFIRMED"


def test_cancelling_without_a_token_is_401(server: ReferenceServer) -> None:
    assert_error(httpx.delete(f"{server.url}/api/bookings/cnosuchbooking"), 401,
                 "Access denied. No token provided.")


def test_general_admission_for_an_event_that_has_started_is_refused_as_the_seed_does(
        start_server: StartServer) -> None:
    server = start_server()
    event_id = add_event(server, "Matinee Already On", starts_in=timedelta(minutes=-10))
    with client(server, login(server)) as http:
        response = http.post("/api/bookings", json={"eventId": event_id, "quantity": 1})
    assert response.status_code == 400
    assert response.json() == {"status": "error",
                               "message": "Cannot book tickets for past events"}
