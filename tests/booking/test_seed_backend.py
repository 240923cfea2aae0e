"""Booking against the seed's Express backend as contract.md records it: the exact envelopes,
no explicit `state`, no `Retry-After`, no long polling (pytest-httpserver plays it)."""

from __future__ import annotations

import json
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from seatctl.exit_codes import ExitCode
from tests.helpers import Cli

EVENT = {"id": "cevt1", "name": "Symphony", "description": "", "venue": "Grand Hall",
         "startTime": "2027-01-01T19:30:00.000Z", "endTime": "2027-01-01T22:30:00.000Z",
         "capacity": 4, "availableCapacity": 4, "price": "50.00", "category": "music",
         "tags": [], "imageUrl": None, "seatLevelBooking": True}
SEAT_MAP = {
    "event": {"id": "cevt1", "name": "Symphony", "seatLevelBooking": True},
    "venue": {"id": "cven1", "name": "Grand Hall", "capacity": 4},
    "sections": [{"id": "csec1", "name": "Stalls", "capacity": 4, "priceMultiplier": 1,
                  "basePrice": 50, "sectionPrice": 50, "seats": [
                      {"id": f"cseat{n}", "row": "A", "number": str(n), "seatType": "regular",
                       "isBlocked": False, "isBooked": False, "price": 50}
                      for n in range(1, 5)]}],
    "totalAvailableSeats": 4,
}
PROCESSING = {"success": False, "message": "Booking is under processing..."}
VANISHED = {"vanished": True}  # the job is gone from the queue: 404


def envelope(data: Any, status: int = 200) -> Response:
    return Response(json.dumps({"status": "success", "data": data}), status=status,
                    content_type="application/json")


class SeedBackend:
    """Each job answers a scripted sequence of status documents, then repeats the last."""

    def __init__(self, server: HTTPServer, *scripts: list[dict[str, Any]]) -> None:
        self.scripts = list(scripts)
        self.posts: list[dict[str, Any]] = []
        self.status_requests: list[Request] = []
        self._jobs: dict[str, list[dict[str, Any]]] = {}
        server.expect_request("/api/events").respond_with_json(
            {"status": "success", "data": {"events": [EVENT], "pagination": {
                "currentPage": 1, "totalPages": 1, "totalCount": 1, "limit": 10,
                "hasNextPage": False, "hasPrevPage": False}}})
        server.expect_request("/api/events/cevt1").respond_with_json(
            {"status": "success", "data": {"event": EVENT}})
        server.expect_request("/api/seats/event/cevt1").respond_with_json(
            {"status": "success", "data": SEAT_MAP})
        server.expect_request("/api/seats/book", method="POST").respond_with_handler(self.book)
        for n in range(10):
            server.expect_request(f"/api/seats/booking-status/job-{n}") \
                .respond_with_handler(self.status)

    def book(self, request: Request) -> Response:
        self.posts.append(json.loads(request.data))
        job = f"job-{len(self.posts) - 1}"
        self._jobs[job] = list(self.scripts[min(len(self.posts), len(self.scripts)) - 1])
        return envelope({"jobId": job, "checkStatusUrl": f"/api/seats/booking-status/{job}"})

    def status(self, request: Request) -> Response:
        self.status_requests.append(request)
        script = self._jobs[request.path.rsplit("/", 1)[1]]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if answer == VANISHED:
            return Response(json.dumps({"status": "error", "message": "Booking job not found"}),
                            status=404, content_type="application/json")
        return envelope(answer)


def book(cli: Cli, server: HTTPServer, *args: str) -> Any:
    env = {"SEATCTL_BASE_URL": server.url_for("").rstrip("/"), "SEATCTL_TOKEN": "seed-token-123"}
    return cli("--json", "book", "cevt1", *args, env=env)


def test_pending_then_confirmed_without_state_or_retry_after(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    backend = SeedBackend(httpserver, [PROCESSING, PROCESSING, {
        "success": True, "bookingId": "cbk1", "message": "Successfully booked 1 seat(s)",
        "totalPrice": "50.00"}])
    outcome = book(cli, httpserver, "--seat", "A1")
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert (document["state"], document["bookingId"], document["totalPrice"]) == (
        "confirmed", "cbk1", 50.0)
    assert backend.posts[0]["idempotencyKey"] == document["key"]
    # the server ignores ?wait=: after one unchanged answer seatctl polls on its schedule
    assert "wait" not in backend.status_requests[-1].args


def test_unavailable_seats_are_a_rejection_naming_them(cli: Cli, httpserver: HTTPServer) -> None:
    SeedBackend(httpserver, [PROCESSING, {
        "success": False, "message": "Some selected seats are no longer available",
        "unavailableSeats": [{"id": "cseat2", "row": "A", "number": "2",
                              "reason": "already_booked"}]}])
    outcome = book(cli, httpserver, "--seat", "A2")
    assert outcome.exit_code == ExitCode.REJECTED
    document = json.loads(outcome.stdout)
    assert document["state"] == "rejected"
    assert "A2 (already booked)" in document["error"]["message"]


def test_any_other_failure_is_exit_3_with_the_servers_message(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    SeedBackend(httpserver, [{"success": False, "message": "Event has already started"}])
    outcome = book(cli, httpserver, "--seat", "A3")
    assert outcome.exit_code == ExitCode.REJECTED
    assert "Event has already started" in json.loads(outcome.stdout)["error"]["message"]


def test_lock_contention_is_sent_again_with_the_same_key(cli: Cli, httpserver: HTTPServer) -> None:
    contended = {"success": False, "message": "Seats are currently being booked by another "
                 "user. Please try again."}
    confirmed = {"success": True, "bookingId": "cbk9", "message": "Successfully booked 1 "
                 "seat(s)", "totalPrice": 50}
    backend = SeedBackend(httpserver, [contended], [confirmed])
    outcome = book(cli, httpserver, "--seat", "A4")
    assert outcome.exit_code == 0, str(outcome)
    assert len(backend.posts) == 2
    assert backend.posts[0]["idempotencyKey"] == backend.posts[1]["idempotencyKey"]


def test_no_retry_contended_stops_at_the_first_contention(cli: Cli, httpserver: HTTPServer) -> None:
    contended = {"success": False, "message": "Seats are currently being booked by another "
                 "user. Please try again."}
    backend = SeedBackend(httpserver, [contended])
    outcome = book(cli, httpserver, "--seat", "A4", "--no-retry-contended")
    assert outcome.exit_code == ExitCode.REJECTED
    assert len(backend.posts) == 1


def test_a_job_that_vanished_from_the_queue_is_sent_again_with_its_key(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    confirmed = {"success": True, "bookingId": "cbk5", "message": "Booking already exists",
                 "totalPrice": 50}
    backend = SeedBackend(httpserver, [PROCESSING, VANISHED], [confirmed])
    outcome = book(cli, httpserver, "--seat", "A1")
    assert outcome.exit_code == 0, str(outcome)
    assert len(backend.posts) == 2
    assert backend.posts[0]["idempotencyKey"] == backend.posts[1]["idempotencyKey"]


def test_an_unknown_explicit_state_is_read_as_the_seed_would(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    waiting = {**PROCESSING, "state": "waiting"}
    confirmed = {"success": True, "bookingId": "cbk6", "message": "Successfully booked 1 "
                 "seat(s)", "totalPrice": 50, "state": "done"}
    SeedBackend(httpserver, [waiting, confirmed])
    outcome = book(cli, httpserver, "--seat", "A3")
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout)["state"] == "confirmed"
