"""Contract conformance of the synchronous bookings: POST /api/bookings (general admission),
GET /api/bookings/my and DELETE /api/bookings/:id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from seatctl.server import ReferenceServer
from tests.server.helpers import (
    add_user,
    all_seats,
    assert_error,
    book,
    client,
    free_seats,
    general_admission_event,
    login,
    new_key,
    result,
    seat_map,
    seat_map_event,
)


def test_a_general_admission_booking_is_201_with_the_booking(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        response = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 3})
        after = http.get(f"/api/events/{event['id']}").json()["data"]["event"]
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "success"
    booking = body["data"]["booking"]
    assert isinstance(booking["id"], str) and booking["id"]
    assert booking["eventId"] == event["id"]
    assert booking["quantity"] == 3
    assert booking["status"] == "confirmed"
    assert booking["totalPrice"] == pytest.approx(3 * event["price"])
    assert after["availableCapacity"] == event["availableCapacity"] - 3


def test_a_general_admission_booking_repeated_with_its_key_is_200_and_the_same_booking(
    server: ReferenceServer,
) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        body = {"eventId": event["id"], "quantity": 2, "idempotencyKey": key}
        first = http.post("/api/bookings", json=body)
        again = http.post("/api/bookings", json=body)
        by_header = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 2},
                              headers={"Idempotency-Key": key})
        after = http.get(f"/api/events/{event['id']}").json()["data"]["event"]
    assert first.status_code == 201
    assert again.status_code == 200
    assert by_header.status_code == 200
    booking_id = first.json()["data"]["booking"]["id"]
    assert again.json()["data"]["booking"]["id"] == booking_id
    assert by_header.json()["data"]["booking"]["id"] == booking_id
    assert after["availableCapacity"] == event["availableCapacity"] - 2


def test_a_general_admission_key_reused_with_another_quantity_is_422(
    server: ReferenceServer,
) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        first = http.post("/api/bookings",
                          json={"eventId": event["id"], "quantity": 2, "idempotencyKey": key})
        other = http.post("/api/bookings",
                          json={"eventId": event["id"], "quantity": 3, "idempotencyKey": key})
    assert first.status_code == 201
    assert_error(other, 422)


def test_a_key_used_for_a_seat_booking_is_422_for_a_quantity(server: ReferenceServer) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        job = http.post("/api/seats/book", json={
            "eventId": event["id"], "seatIds": [seat["id"]], "idempotencyKey": key})
        ga = general_admission_event(http)
        # Whether the seat job has run yet or not, the key is taken.
        response = http.post("/api/bookings",
                             json={"eventId": ga["id"], "quantity": 1, "idempotencyKey": key})
        seated = result(http, job.json()["data"]["jobId"])
        later = http.post("/api/bookings",
                          json={"eventId": ga["id"], "quantity": 1, "idempotencyKey": key})
    assert_error(response, 422)
    assert seated["message"] == "Successfully booked 1 seat(s)"
    assert_error(later, 422)


@pytest.mark.parametrize("quantity", [0, 11, -1, "2", True, 2.5, None])
def test_a_general_admission_quantity_outside_1_to_10_or_not_an_integer_is_400(
    server: ReferenceServer, quantity: Any,
) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        response = http.post("/api/bookings",
                             json={"eventId": event["id"], "quantity": quantity})
    assert_error(response, 400)


def test_a_general_admission_booking_without_an_event_id_is_400(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        assert_error(http.post("/api/bookings", json={"quantity": 1}), 400)


def test_a_quantity_booking_of_a_seat_map_event_is_400(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        response = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 1})
    assert_error(response, 400)


def test_a_quantity_booking_of_an_unknown_event_is_404(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = http.post("/api/bookings", json={"eventId": "cnosuchevent", "quantity": 1})
    assert_error(response, 404, "Event not found")


def test_a_quantity_booking_without_a_token_is_401(server: ReferenceServer) -> None:
    with client(server) as http:
        event = general_admission_event(http)
        response = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 1})
    assert_error(response, 401, "Access denied. No token provided.")


def test_my_bookings_lists_the_callers_bookings(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        assert http.get("/api/bookings/my").json()["data"]["bookings"] == []
        ga = general_admission_event(http)
        quantity = http.post("/api/bookings", json={"eventId": ga["id"], "quantity": 1})
        event = seat_map_event(http)
        seats = free_seats(http, event["id"], 2)
        seated = book(http, event["id"], [seat["id"] for seat in seats])
        response = http.get("/api/bookings/my")
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    bookings = {booking["id"]: booking for booking in response.json()["data"]["bookings"]}
    assert set(bookings) == {quantity.json()["data"]["booking"]["id"], seated["bookingId"]}
    mine = bookings[seated["bookingId"]]
    assert mine["eventId"] == event["id"]
    assert mine["status"] == "CONFIRMED"
    assert mine["totalPrice"] == seated["totalPrice"]
    assert {seat["id"] for seat in mine["seats"]} == {seat["id"] for seat in seats}


def test_another_users_bookings_are_neither_listed_nor_cancellable(
    server: ReferenceServer,
) -> None:
    add_user(server, "other@example.com", "other-pass-123")
    with client(server, login(server)) as demo, \
            client(server, login(server, "other@example.com", "other-pass-123")) as other:
        event = general_admission_event(demo)
        booking = demo.post("/api/bookings", json={"eventId": event["id"], "quantity": 1}
                            ).json()["data"]["booking"]
        listed = other.get("/api/bookings/my")
        cancel = other.delete(f"/api/bookings/{booking['id']}")
        still = demo.get("/api/bookings/my").json()["data"]["bookings"]
    assert listed.status_code == 200
    assert listed.json()["data"]["bookings"] == []
    assert_error(cancel, 403, "Access denied. You can only cancel your own bookings.")
    assert [(mine["id"], mine["status"]) for mine in still] == [(booking["id"], "CONFIRMED")]


def test_my_bookings_without_a_token_is_401(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/api/bookings/my")
    assert_error(response, 401, "Access denied. No token provided.")


def test_cancelling_a_booking_frees_its_seats(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [seat["id"] for seat in free_seats(http, event["id"], 2)]
        booking_id = book(http, event["id"], seat_ids)["bookingId"]
        taken = {seat["id"]: seat for seat in all_seats(seat_map(http, event["id"]))}
        response = http.delete(f"/api/bookings/{booking_id}")
        freed = {seat["id"]: seat for seat in all_seats(seat_map(http, event["id"]))}
        listed = http.get("/api/bookings/my").json()["data"]["bookings"]
        rebooked = book(http, event["id"], seat_ids)
    assert all(taken[seat_id]["isBooked"] for seat_id in seat_ids)
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    assert response.json()["data"]["booking"]["id"] == booking_id
    assert response.json()["data"]["bookingId"] == booking_id
    assert response.json()["data"]["booking"]["status"] == "CANCELLED"
    assert not any(freed[seat_id]["isBooked"] for seat_id in seat_ids)
    assert [booking["status"] for booking in listed if booking["id"] == booking_id] \
        == ["CANCELLED"]
    assert rebooked["success"] is True
    assert rebooked["message"] == "Successfully booked 2 seat(s)"
    assert rebooked["bookingId"] != booking_id


def test_cancelling_a_general_admission_booking_restores_the_capacity(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 4}
                            ).json()["data"]["booking"]
        response = http.delete(f"/api/bookings/{booking['id']}")
        after = http.get(f"/api/events/{event['id']}").json()["data"]["event"]
    assert response.status_code == 200
    assert after["availableCapacity"] == event["availableCapacity"]


def test_cancelling_an_unknown_booking_is_404(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        assert_error(http.delete("/api/bookings/cnosuchbooking"), 404)


def test_cancelling_twice_is_400(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 1}
                            ).json()["data"]["booking"]
        assert http.delete(f"/api/bookings/{booking['id']}").status_code == 200
        assert_error(http.delete(f"/api/bookings/{booking['id']}"), 400)


def test_cancelling_without_a_token_is_401(server: ReferenceServer) -> None:
    response = httpx.delete(f"{server.url}/api/bookings/cnosuchbooking")
    assert_error(response, 401, "Access denied. No token provided.")
