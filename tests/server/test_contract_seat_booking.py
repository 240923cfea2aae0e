"""Contract conformance of the queued seat booking: POST /api/seats/book and the job status
forms (pending, confirmed, already exists, unavailable), idempotency, and long polling."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.server.helpers import (
    PENDING,
    add_user,
    all_seats,
    assert_error,
    blocked_seat,
    book,
    client,
    free_seats,
    general_admission_event,
    is_iso_timestamp,
    login,
    new_key,
    result,
    seat_map,
    seat_map_event,
    status,
    submit,
)

UNAVAILABLE = "Some selected seats are no longer available"


def test_booking_answers_at_once_with_a_job_id_and_a_status_url(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        response = http.post("/api/seats/book",
                             json={"eventId": event["id"], "seatIds": [seat["id"]]})
    assert 200 <= response.status_code < 300
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == {"jobId", "checkStatusUrl"}
    assert isinstance(data["jobId"], str) and data["jobId"]
    assert data["checkStatusUrl"] == f"/api/seats/booking-status/{data['jobId']}"


def test_booking_without_a_token_is_401(server: ReferenceServer) -> None:
    with client(server) as http:
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        response = http.post("/api/seats/book",
                             json={"eventId": event["id"], "seatIds": [seat["id"]]})
    assert_error(response, 401, "Access denied. No token provided.")


@pytest.mark.parametrize("body", [
    {"seatIds": ["SEAT"]},
    {"eventId": "", "seatIds": ["SEAT"]},
    {"eventId": "EVENT", "seatIds": []},
    {"eventId": "EVENT"},
    {"eventId": "EVENT", "seatIds": "SEAT"},
    {"eventId": "EVENT", "seatIds": {"id": "SEAT"}},
    {"eventId": "EVENT", "seatIds": [1, 2]},
    {"eventId": "EVENT", "seatIds": ["SEAT", "SEAT"]},
], ids=["no-event", "empty-event", "empty-seats", "no-seats", "seats-string", "seats-object",
        "seats-numbers", "duplicates"])
def test_booking_with_an_invalid_body_is_400(server: ReferenceServer, body: dict[str, Any]
                                             ) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        concrete = {name: _substitute(value, event["id"], seat["id"])
                    for name, value in body.items()}
        assert_error(http.post("/api/seats/book", json=concrete), 400)


def _substitute(value: Any, event_id: str, seat_id: str) -> Any:
    if isinstance(value, list):
        return [_substitute(item, event_id, seat_id) for item in value]
    return {"EVENT": event_id, "SEAT": seat_id}.get(value, value) \
        if isinstance(value, str) else value


def test_booking_with_a_body_that_is_not_json_is_400(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = http.post("/api/seats/book", content=b"{not json",
                             headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def test_booking_an_unknown_event_is_404(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = http.post("/api/seats/book",
                             json={"eventId": "cnosuchevent", "seatIds": ["cnosuchseat"]})
    assert_error(response, 404, "Event not found")


def test_booking_seats_of_a_general_admission_event_is_400(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        response = http.post("/api/seats/book",
                             json={"eventId": event["id"], "seatIds": ["cnosuchseat"]})
    assert_error(response, 400)


def test_pending_status_has_the_contract_form_and_the_extensions(
    start_server: StartServer,
) -> None:
    # One worker, busy for seconds with the first job: the others stay queued. (The test
    # never waits for the jobs; stopping the server cuts the busy one short.)
    server = start_server(process_delay=5.0, workers=1)
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        first, second, third = free_seats(http, event["id"], 3)
        busy = submit(http, event["id"], [first["id"]])
        processing = status(http, busy)
        if processing.json()["data"]["state"] == "queued":  # not yet taken: wait until it is
            processing = status(http, busy, wait=1)
        queued = submit(http, event["id"], [second["id"]])
        behind = submit(http, event["id"], [third["id"]])
        response = status(http, queued)
        behind_position = status(http, behind).json()["data"]["queuePosition"]
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    data = response.json()["data"]
    assert data["success"] is False
    assert data["message"] == PENDING
    assert data["state"] == "queued"
    assert data["queuePosition"] == 1  # next in line, behind the job being processed
    assert is_iso_timestamp(data["updatedAt"])
    assert int(response.headers["retry-after"]) >= 1
    assert behind_position == 2
    # The job being worked on is pending too, without a queue position.
    assert processing.status_code == 200
    pending = processing.json()["data"]
    assert pending["success"] is False
    assert pending["message"] == PENDING
    assert pending["state"] == "processing"
    assert "queuePosition" not in pending
    assert is_iso_timestamp(pending["updatedAt"])
    assert int(processing.headers["retry-after"]) >= 1


def test_confirmed_status_has_the_booking_id_and_total_price(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seats = free_seats(http, event["id"], 2)
        job_id = submit(http, event["id"], [seat["id"] for seat in seats])
        data = result(http, job_id)
        response = status(http, job_id)
        booked = {seat["id"]: seat for seat in all_seats(seat_map(http, event["id"]))}
    assert data["success"] is True
    assert data["message"] == "Successfully booked 2 seat(s)"
    assert data["state"] == "confirmed"
    assert isinstance(data["bookingId"], str) and data["bookingId"]
    assert data["totalPrice"] == pytest.approx(sum(seat["price"] for seat in seats))
    assert is_iso_timestamp(data["updatedAt"])
    assert set(data) == {"success", "bookingId", "message", "totalPrice", "state",
                         "updatedAt"}
    assert "retry-after" not in response.headers
    assert response.json()["data"] == data
    assert all(booked[seat["id"]]["isBooked"] for seat in seats)


def test_a_booked_seat_is_taken_for_its_event_only(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        symphony, jazz = [event for event in _events(http) if event["seatLevelBooking"]][:2]
        before = seat_map(http, symphony["id"])["totalAvailableSeats"]
        seat = free_seats(http, symphony["id"], 1)[0]
        assert book(http, symphony["id"], [seat["id"]])["success"] is True
        symphony_map = seat_map(http, symphony["id"])
        jazz_seats = {s["id"]: s for s in all_seats(seat_map(http, jazz["id"]))}
        # The two events share the hall, hence the seat ids.
        jazz_booking = book(http, jazz["id"], [seat["id"]])
    assert symphony_map["totalAvailableSeats"] == before - 1
    assert jazz_seats[seat["id"]]["isBooked"] is False
    assert jazz_booking["message"] == "Successfully booked 1 seat(s)"


def _events(http: httpx.Client) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = http.get("/api/events").json()["data"]["events"]
    return events


def test_seats_that_do_not_exist_make_a_failed_job(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        data = book(http, event["id"], ["cnosuchseat"])
    assert data["success"] is False
    assert data["state"] == "failed"
    assert isinstance(data["message"], str)
    assert "processing" not in data["message"]  # not mistaken for the pending form
    assert "bookingId" not in data


def test_the_same_idempotency_key_resolves_to_the_same_booking(
    server: ReferenceServer,
) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [seat["id"] for seat in free_seats(http, event["id"], 2)]
        first = book(http, event["id"], seat_ids, key)
        again = book(http, event["id"], list(reversed(seat_ids)), key)
    assert first["message"] == "Successfully booked 2 seat(s)"
    assert again["success"] is True
    assert again["message"] == "Booking already exists"
    assert again["bookingId"] == first["bookingId"]
    assert again["totalPrice"] == first["totalPrice"]
    assert again["state"] == "confirmed"


def test_a_resend_with_the_same_key_while_the_first_is_queued_makes_one_booking(
    server: ReferenceServer,
) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [seat["id"] for seat in free_seats(http, event["id"], 2)]
        jobs = [submit(http, event["id"], seat_ids, key) for _ in range(3)]
        results = [result(http, job_id) for job_id in jobs]
        mine = http.get("/api/bookings/my").json()["data"]["bookings"]
    assert len(set(jobs)) == 3  # every send is a new job
    assert sorted(data["message"] for data in results) == [
        "Booking already exists", "Booking already exists", "Successfully booked 2 seat(s)"]
    assert len({data["bookingId"] for data in results}) == 1
    assert [booking["id"] for booking in mine] == [results[0]["bookingId"]]


def test_the_idempotency_key_header_alone_is_honoured(server: ReferenceServer) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [free_seats(http, event["id"], 1)[0]["id"]]
        first = book(http, event["id"], seat_ids, key)  # the key in the body
        job_id = submit(http, event["id"], seat_ids, headers={"Idempotency-Key": key})
        again = result(http, job_id)
        other_key = new_key()
        fresh = free_seats(http, event["id"], 1)[0]["id"]
        by_header = result(http, submit(http, event["id"], [fresh],
                                        headers={"Idempotency-Key": other_key}))
        header_again = result(http, submit(http, event["id"], [fresh],
                                           headers={"Idempotency-Key": other_key}))
    assert again["message"] == "Booking already exists"
    assert again["bookingId"] == first["bookingId"]
    assert by_header["message"] == "Successfully booked 1 seat(s)"
    assert header_again["message"] == "Booking already exists"
    assert header_again["bookingId"] == by_header["bookingId"]


def test_the_same_key_with_other_seats_is_422(server: ReferenceServer) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        one, two = free_seats(http, event["id"], 2)
        book(http, event["id"], [one["id"]], key)
        response = http.post("/api/seats/book", json={
            "eventId": event["id"], "seatIds": [two["id"]], "idempotencyKey": key})
    assert_error(response, 422)


def test_a_key_used_for_a_general_admission_booking_is_422_for_seats(
    server: ReferenceServer,
) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        ga = general_admission_event(http)
        made = http.post("/api/bookings",
                         json={"eventId": ga["id"], "quantity": 1, "idempotencyKey": key})
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        response = http.post("/api/seats/book", json={
            "eventId": event["id"], "seatIds": [seat["id"]], "idempotencyKey": key})
    assert made.status_code == 201
    assert_error(response, 422)


@pytest.mark.parametrize(("body_key", "header_key"), [
    ("one-key", "another-key"), (5, None), ("", None), ("k" * 256, None),
])
def test_an_invalid_or_conflicting_idempotency_key_is_400(
    server: ReferenceServer, body_key: Any, header_key: str | None,
) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat = free_seats(http, event["id"], 1)[0]
        response = http.post(
            "/api/seats/book",
            json={"eventId": event["id"], "seatIds": [seat["id"]], "idempotencyKey": body_key},
            headers={"Idempotency-Key": header_key} if header_key else None)
    assert_error(response, 400)


def test_a_null_body_key_leaves_the_header_key_in_force(server: ReferenceServer) -> None:
    key = new_key()
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        seat_ids = [free_seats(http, event["id"], 1)[0]["id"]]
        first = book(http, event["id"], seat_ids, key)
        response = http.post("/api/seats/book",
                             json={"eventId": event["id"], "seatIds": seat_ids,
                                   "idempotencyKey": None},
                             headers={"Idempotency-Key": key})
        again = result(http, response.json()["data"]["jobId"])
    assert again["message"] == "Booking already exists"
    assert again["bookingId"] == first["bookingId"]


def test_taken_and_blocked_seats_make_the_unavailable_form(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        taken, free = free_seats(http, event["id"], 2)
        blocked = blocked_seat(http, event["id"])
        assert book(http, event["id"], [taken["id"]])["success"] is True
        data = book(http, event["id"], [taken["id"], blocked["id"], free["id"]])
        after = {seat["id"]: seat for seat in all_seats(seat_map(http, event["id"]))}
    assert data["success"] is False
    assert data["message"] == UNAVAILABLE
    assert data["state"] == "failed"
    reasons = {seat["id"]: seat for seat in data["unavailableSeats"]}
    assert set(reasons) == {taken["id"], blocked["id"]}
    for seat in data["unavailableSeats"]:
        assert set(seat) == {"id", "row", "number", "reason"}
    assert reasons[taken["id"]]["reason"] == "already_booked"
    assert reasons[blocked["id"]]["reason"] == "blocked"
    assert reasons[blocked["id"]]["row"] == blocked["row"]
    assert reasons[blocked["id"]]["number"] == blocked["number"]
    # Nothing of a failed job is booked: the free seat in it stays free.
    assert after[free["id"]]["isBooked"] is False


def test_an_unknown_job_is_404(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = status(http, "booking-0-nosuchjob")
    assert_error(response, 404, "Booking job not found")


def test_status_without_a_token_is_401(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
    response = httpx.get(f"{server.url}/api/seats/booking-status/{job_id}")
    assert_error(response, 401, "Access denied. No token provided.")


def test_another_users_job_is_404(start_server: StartServer) -> None:
    server = start_server()
    add_user(server, "other@example.com", "other-pass-123")
    with client(server, login(server)) as demo, \
            client(server, login(server, "other@example.com", "other-pass-123")) as other:
        assert (demo.get("/api/auth/profile").json()["data"]["user"]["id"]
                != other.get("/api/auth/profile").json()["data"]["user"]["id"])
        event = seat_map_event(demo)
        job_id = submit(demo, event["id"], [free_seats(demo, event["id"], 1)[0]["id"]])
        assert_error(status(other, job_id), 404, "Booking job not found")
        assert_error(status(other, job_id, wait=1), 404, "Booking job not found")
        assert result(demo, job_id)["success"] is True
        assert_error(status(other, job_id), 404, "Booking job not found")


def test_long_polling_answers_promptly_when_the_job_finishes(
    start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.3)
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
        started = time.monotonic()
        states = []
        while True:
            asked = time.monotonic()
            response = status(http, job_id, wait=5)
            received = datetime.now(UTC)
            assert time.monotonic() - asked < 2
            assert response.status_code == 200
            states.append(response.json()["data"]["state"])
            if states[-1] not in ("queued", "processing"):
                break
            assert time.monotonic() - started < 2
        elapsed = time.monotonic() - started
    assert states[-1] == "confirmed"
    assert 0.2 < elapsed < 2  # it waited for the job (about 0.3 s), not for the full 5 s
    # The answer left as soon as the job was confirmed (updatedAt), not at a later tick.
    updated = datetime.fromisoformat(response.json()["data"]["updatedAt"].replace("Z", "+00:00"))
    assert (received - updated).total_seconds() < 1


def test_long_polling_a_finished_job_answers_at_once(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
        result(http, job_id)
        started = time.monotonic()
        response = status(http, job_id, wait=30)
        elapsed = time.monotonic() - started
    assert response.json()["data"]["state"] == "confirmed"
    assert elapsed < 1


@pytest.mark.parametrize("wait", ["31", "abc", "-1", "nan"])
def test_long_polling_with_a_bad_wait_is_400(server: ReferenceServer, wait: str) -> None:
    with client(server, login(server)) as http:
        event = seat_map_event(http)
        job_id = submit(http, event["id"], [free_seats(http, event["id"], 1)[0]["id"]])
        response = http.get(f"/api/seats/booking-status/{job_id}", params={"wait": wait})
    assert_error(response, 400)
