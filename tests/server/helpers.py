"""Small helpers for the contract tests: log in, find the demo events and seats, book, and
wait for a job without sleeping (long polling with a deadline)."""

from __future__ import annotations

import socket
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from seatctl.server import ReferenceServer, serving_in_thread

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo12345"
PENDING = "Booking is under processing..."
DEADLINE = 10.0  # no helper waits longer than this for anything
TIMEOUT = httpx.Timeout(DEADLINE)

Json = dict[str, Any]


def login(server: ReferenceServer, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD
          ) -> str:
    response = httpx.post(f"{server.url}/api/auth/login",
                          json={"email": email, "password": password}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    token = response.json()["data"]["token"]
    assert isinstance(token, str)
    return token


def add_user(server: ReferenceServer, email: str, password: str) -> None:
    """A second account in the server's database: a server started on the same file with
    that demo account creates it (and is stopped again)."""
    with serving_in_thread(db=server.config.db, demo_email=email, demo_password=password,
                           process_delay=0.02):
        pass


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(server: ReferenceServer, token: str | None = None) -> httpx.Client:
    """A keep-alive client for one server, authenticated when given a token."""
    return httpx.Client(base_url=server.url, headers=bearer(token) if token else None,
                        timeout=TIMEOUT)


def events(http: httpx.Client) -> list[Json]:
    response = http.get("/api/events", params={"limit": 100})
    assert response.status_code == 200, response.text
    found: list[Json] = response.json()["data"]["events"]
    return found


def seat_map_event(http: httpx.Client) -> Json:
    """The first demo event with a seat map."""
    return next(event for event in events(http) if event["seatLevelBooking"])


def general_admission_event(http: httpx.Client) -> Json:
    return next(event for event in events(http) if not event["seatLevelBooking"])


def seat_map(http: httpx.Client, event_id: str) -> Json:
    response = http.get(f"/api/seats/event/{event_id}")
    assert response.status_code == 200, response.text
    data: Json = response.json()["data"]
    return data


def all_seats(seats_map: Json) -> list[Json]:
    return [seat for section in seats_map["sections"] for seat in section["seats"]]


def free_seats(http: httpx.Client, event_id: str, count: int) -> list[Json]:
    free = [seat for seat in all_seats(seat_map(http, event_id))
            if not seat["isBlocked"] and not seat["isBooked"]]
    assert len(free) >= count
    return free[:count]


def blocked_seat(http: httpx.Client, event_id: str) -> Json:
    return next(seat for seat in all_seats(seat_map(http, event_id)) if seat["isBlocked"])


def new_key() -> str:
    return f"test-{uuid.uuid4()}"


def submit(http: httpx.Client, event_id: str, seat_ids: list[str], key: str | None = None,
           headers: dict[str, str] | None = None) -> str:
    """POST /api/seats/book; returns the job id."""
    body: Json = {"eventId": event_id, "seatIds": seat_ids}
    if key is not None:
        body["idempotencyKey"] = key
    response = http.post("/api/seats/book", json=body, headers=headers)
    assert 200 <= response.status_code < 300, response.text
    job_id: str = response.json()["data"]["jobId"]
    return job_id


def status(http: httpx.Client, job_id: str, wait: float | None = None) -> httpx.Response:
    params = {"wait": f"{wait:g}"} if wait is not None else None
    return http.get(f"/api/seats/booking-status/{job_id}", params=params)


def result(http: httpx.Client, job_id: str) -> Json:
    """The job's final status `data`, by long polling until it is no longer pending."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        response = status(http, job_id, wait=5)
        assert response.status_code == 200, response.text
        data: Json = response.json()["data"]
        if data.get("state") not in ("queued", "processing"):
            return data
    raise AssertionError(f"job {job_id} still pending after {DEADLINE} s")


def book(http: httpx.Client, event_id: str, seat_ids: list[str], key: str | None = None
         ) -> Json:
    """Submit a seat booking and return its final status `data`."""
    return result(http, submit(http, event_id, seat_ids, key))


def token_secret(server: ReferenceServer) -> str:
    """The server's signing secret, read from its database file with our own connection."""
    with closing(sqlite3.connect(server.config.db)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()
    assert row is not None
    return str(row[0])


def raw_exchange(server: ReferenceServer, data: bytes) -> tuple[bytes, bool]:
    """Send raw bytes; return everything the server sent and whether it then closed (FIN)."""
    parts = urlsplit(server.url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None
    received = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE) as sock:
        sock.sendall(data)
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return received, False
            if not chunk:
                return received, True
            received += chunk


def parse_raw_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of one raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status_code = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_code, headers, body


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    if message is not None:
        assert body["message"] == message


def is_iso_timestamp(text: str) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


# --- by URL, for servers in other processes ------------------------------------------


def login_at(url: str) -> str:
    """The demo user's token, from a server known only by its URL (e.g. a subprocess)."""
    response = httpx.post(url + "/api/auth/login",
                          json={"email": "demo@example.com", "password": "demo12345"})
    return str(response.json()["data"]["token"])


def free_seat_ids(url: str, count: int) -> tuple[str, list[str]]:
    events = httpx.get(url + "/api/events").json()["data"]["events"]
    event = next(e for e in events if e["seatLevelBooking"])
    seat_map = httpx.get(f"{url}/api/seats/event/{event['id']}").json()["data"]
    seats = [seat["id"] for section in seat_map["sections"] for seat in section["seats"]
             if not seat["isBooked"] and not seat["isBlocked"]]
    return event["id"], seats[:count]


def my_bookings_at(url: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(url + "/api/bookings/my",
                         headers={"Authorization": f"Bearer {token}"})
    return list(response.json()["data"]["bookings"])


def wait_for_job_at(url: str, token: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = httpx.get(f"{url}/api/seats/booking-status/{job_id}?wait=5",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
        data: dict[str, Any] = response.json()["data"]
        if data["state"] in ("confirmed", "failed"):
            return data
    raise AssertionError(f"job {job_id} did not finish")
