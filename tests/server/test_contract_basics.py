"""Contract conformance (../shared/contract.md) of health, auth, events and the seat map,
against a real reference server on loopback."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from seatctl import __version__
from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.server.helpers import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    all_seats,
    assert_error,
    bearer,
    client,
    general_admission_event,
    is_iso_timestamp,
    login,
    seat_map,
    seat_map_event,
    token_secret,
)

EVENT_FIELDS = {"id", "name", "description", "venue", "startTime", "endTime", "capacity",
                "availableCapacity", "price", "category", "tags", "imageUrl",
                "seatLevelBooking"}
PAGINATION_FIELDS = {"currentPage", "totalPages", "totalCount", "limit", "hasNextPage",
                     "hasPrevPage"}
SECTION_FIELDS = {"id", "name", "capacity", "priceMultiplier", "basePrice", "sectionPrice",
                  "seats"}
SEAT_FIELDS = {"id", "row", "number", "seatType", "isBlocked", "isBooked", "price"}
NO_TOKEN = "Access denied. No token provided."
INVALID_TOKEN = "Access denied. Invalid token."


# --- health -----------------------------------------------------------------------------

def test_health_has_its_fields_at_the_top_level(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Server is running"
    assert is_iso_timestamp(body["timestamp"])
    assert body["environment"] == "development"
    assert body["version"] == __version__
    assert "data" not in body


def test_api_health_reports_healthy_services(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert data["status"] == "healthy"
    assert is_iso_timestamp(data["timestamp"])
    assert set(data["services"]) == {"database", "redis"}
    for service in data["services"].values():
        assert service["status"] == "healthy"
        assert "responseTime" in service


def test_api_health_is_503_and_degraded_when_a_dependency_is_down(
    start_server: StartServer,
) -> None:
    server = start_server(degraded=frozenset({"database"}))
    response = httpx.get(f"{server.url}/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["data"]["status"] == "degraded"
    assert body["data"]["services"]["database"]["status"] == "unhealthy"
    assert body["data"]["services"]["redis"]["status"] == "healthy"


# --- auth -------------------------------------------------------------------------------

def test_login_returns_the_user_and_a_token(server: ReferenceServer) -> None:
    response = httpx.post(f"{server.url}/api/auth/login",
                          json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert set(body["data"]) == {"user", "token"}
    user = body["data"]["user"]
    assert set(user) == {"id", "email", "name", "role"}
    assert user["email"] == DEMO_EMAIL
    assert all(isinstance(user[field], str) and user[field] for field in user)
    assert isinstance(body["data"]["token"], str) and body["data"]["token"].count(".") == 2


def test_login_works_for_a_custom_demo_account(start_server: StartServer) -> None:
    server = start_server(demo_email="ops@example.org", demo_password="s3cret-pass")
    token = login(server, "ops@example.org", "s3cret-pass")
    profile = httpx.get(f"{server.url}/api/auth/profile", headers=bearer(token))
    assert profile.status_code == 200
    assert profile.json()["data"]["user"]["email"] == "ops@example.org"


@pytest.mark.parametrize(("email", "password"), [
    (DEMO_EMAIL, "wrong-password"),
    ("nobody@example.com", DEMO_PASSWORD),
])
def test_login_with_bad_credentials_is_401_with_one_message(
    server: ReferenceServer, email: str, password: str,
) -> None:
    response = httpx.post(f"{server.url}/api/auth/login",
                          json={"email": email, "password": password})
    assert_error(response, 401, "Invalid email or password")


@pytest.mark.parametrize("body", [{}, {"email": DEMO_EMAIL}, {"password": DEMO_PASSWORD},
                                  {"email": DEMO_EMAIL, "password": 12345}])
def test_login_without_both_fields_is_400(server: ReferenceServer, body: dict[str, object]
                                          ) -> None:
    assert_error(httpx.post(f"{server.url}/api/auth/login", json=body), 400)


def test_login_with_a_body_that_is_not_json_is_400(server: ReferenceServer) -> None:
    response = httpx.post(f"{server.url}/api/auth/login", content=b"email=demo&password=x",
                          headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def test_profile_returns_the_logged_in_user(server: ReferenceServer) -> None:
    token = login(server)
    response = httpx.get(f"{server.url}/api/auth/profile", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    user = response.json()["data"]["user"]
    assert set(user) == {"id", "email", "name", "role"}
    assert user["email"] == DEMO_EMAIL


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"},
                                     {"Authorization": "Basic ZGVtbzpkZW1v"}])
def test_profile_without_a_token_is_401(server: ReferenceServer, headers: dict[str, str]
                                        ) -> None:
    response = httpx.get(f"{server.url}/api/auth/profile", headers=headers)
    assert_error(response, 401, NO_TOKEN)


def test_profile_with_a_garbage_token_is_401_invalid(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/api/auth/profile", headers=bearer("not.a.jwt"))
    assert_error(response, 401, INVALID_TOKEN)


def test_profile_with_a_token_signed_by_another_secret_is_401_invalid(
    server: ReferenceServer,
) -> None:
    user_id = httpx.get(f"{server.url}/api/auth/profile",
                        headers=bearer(login(server))).json()["data"]["user"]["id"]
    now = int(time.time())
    forged = jwt.encode({"sub": user_id, "email": DEMO_EMAIL, "iat": now, "exp": now + 3600},
                        "another-secret-of-at-least-32-bytes!", algorithm="HS256")
    response = httpx.get(f"{server.url}/api/auth/profile", headers=bearer(forged))
    assert_error(response, 401, INVALID_TOKEN)


def test_profile_with_an_expired_token_is_401_invalid(server: ReferenceServer) -> None:
    user_id = httpx.get(f"{server.url}/api/auth/profile",
                        headers=bearer(login(server))).json()["data"]["user"]["id"]
    secret = token_secret(server)
    now = int(time.time())
    valid = jwt.encode({"sub": user_id, "email": DEMO_EMAIL, "iat": now, "exp": now + 3600},
                       secret, algorithm="HS256")
    expired = jwt.encode({"sub": user_id, "email": DEMO_EMAIL, "iat": now - 7200,
                          "exp": now - 3600}, secret, algorithm="HS256")
    # The secret is the right one: the same claims, unexpired, are accepted.
    assert httpx.get(f"{server.url}/api/auth/profile", headers=bearer(valid)).status_code == 200
    response = httpx.get(f"{server.url}/api/auth/profile", headers=bearer(expired))
    assert_error(response, 401, INVALID_TOKEN)


# --- events -----------------------------------------------------------------------------

def test_events_list_has_exactly_the_contract_fields(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/api/events")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"events", "pagination"}
    assert set(data["pagination"]) == PAGINATION_FIELDS
    assert data["pagination"]["currentPage"] == 1
    assert data["pagination"]["totalCount"] == len(data["events"]) >= 2
    assert {event["seatLevelBooking"] for event in data["events"]} == {True, False}
    for event in data["events"]:
        assert set(event) == EVENT_FIELDS
        assert isinstance(event["id"], str) and event["id"]
        assert isinstance(event["tags"], list)
        assert isinstance(event["capacity"], int)
        # nothing booked yet: all free, but the few blocked seats of a seat map
        blocked = 5 if event["seatLevelBooking"] else 0
        assert event["availableCapacity"] == event["capacity"] - blocked
        assert is_iso_timestamp(event["startTime"]) and is_iso_timestamp(event["endTime"])


def test_events_are_paginated_by_page_and_limit(server: ReferenceServer) -> None:
    with client(server) as http:
        everything = http.get("/api/events").json()["data"]
        total = everything["pagination"]["totalCount"]
        ids = [event["id"] for event in everything["events"]]
        first = http.get("/api/events", params={"page": 1, "limit": 1}).json()["data"]
        second = http.get("/api/events", params={"page": 2, "limit": 1}).json()["data"]
        last = http.get("/api/events", params={"page": total, "limit": 1}).json()["data"]
    assert first["pagination"] == {"currentPage": 1, "totalPages": total, "totalCount": total,
                                   "limit": 1, "hasNextPage": True, "hasPrevPage": False}
    assert second["pagination"]["currentPage"] == 2
    assert second["pagination"]["hasPrevPage"] is True
    assert [event["id"] for event in first["events"]] == ids[:1]
    assert [event["id"] for event in second["events"]] == ids[1:2]
    assert last["pagination"]["hasNextPage"] is False
    assert [event["id"] for event in last["events"]] == ids[-1:]


def test_events_search_filters_by_name(server: ReferenceServer) -> None:
    response = httpx.get(f"{server.url}/api/events", params={"search": "jazz"})
    data = response.json()["data"]
    assert [event["name"] for event in data["events"]] == ["Jazz at the Grand Hall"]
    assert data["pagination"]["totalCount"] == 1
    nothing = httpx.get(f"{server.url}/api/events", params={"search": "no-such-event"})
    assert nothing.json()["data"]["events"] == []
    assert nothing.json()["data"]["pagination"]["totalCount"] == 0


@pytest.mark.parametrize("params", [{"page": "0"}, {"limit": "abc"}, {"page": "-1"},
                                    {"limit": "0"}])
def test_events_with_a_bad_page_or_limit_is_400(server: ReferenceServer,
                                                params: dict[str, str]) -> None:
    assert_error(httpx.get(f"{server.url}/api/events", params=params), 400)


def test_one_event_by_id(server: ReferenceServer) -> None:
    with client(server) as http:
        listed = seat_map_event(http)
        response = http.get(f"/api/events/{listed['id']}")
    assert response.status_code == 200
    assert response.json()["data"] == {"event": listed}


def test_an_event_id_may_be_percent_encoded_in_the_path(server: ReferenceServer) -> None:
    with client(server) as http:
        listed = seat_map_event(http)
        encoded = "".join(f"%{ord(char):02X}" for char in listed["id"])
        response = http.get(f"/api/events/{encoded}")
        seats = http.get(f"/api/seats/event/{encoded}")
    assert response.status_code == 200
    assert response.json()["data"]["event"]["id"] == listed["id"]
    assert seats.status_code == 200


def test_an_unknown_event_is_404(server: ReferenceServer) -> None:
    assert_error(httpx.get(f"{server.url}/api/events/cnosuchevent"), 404, "Event not found")


# --- seat map ---------------------------------------------------------------------------

def test_seat_map_has_exactly_the_contract_shape(server: ReferenceServer) -> None:
    with client(server) as http:
        event = seat_map_event(http)
        response = http.get(f"/api/seats/event/{event['id']}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"event", "venue", "sections", "totalAvailableSeats"}
    assert data["event"] == {"id": event["id"], "name": event["name"],
                             "seatLevelBooking": True}
    assert set(data["venue"]) == {"id", "name", "capacity"}
    assert len(data["sections"]) >= 2
    available = 0
    for section in data["sections"]:
        assert set(section) == SECTION_FIELDS
        assert section["capacity"] == len(section["seats"])
        assert section["basePrice"] == event["price"]
        assert section["sectionPrice"] == pytest.approx(
            section["basePrice"] * section["priceMultiplier"])
        for seat in section["seats"]:
            assert set(seat) == SEAT_FIELDS
            assert isinstance(seat["id"], str)
            assert isinstance(seat["number"], str) and seat["number"].isdigit()
            assert seat["price"] == pytest.approx(section["sectionPrice"])
            available += not (seat["isBlocked"] or seat["isBooked"])
    assert data["totalAvailableSeats"] == available
    assert len({section["priceMultiplier"] for section in data["sections"]}) > 1


def test_seat_map_rows_restart_at_a_in_every_section(server: ReferenceServer) -> None:
    with client(server) as http:
        data = seat_map(http, seat_map_event(http)["id"])
    for section in data["sections"]:
        rows = sorted({seat["row"] for seat in section["seats"]})
        assert rows[0] == "A"
        numbers = {int(seat["number"]) for seat in section["seats"] if seat["row"] == "A"}
        assert min(numbers) == 1
    a12 = [seat["id"] for seat in all_seats(data) if seat["row"] == "A" and
           seat["number"] == "12"]
    # "A12" names one seat per section: ambiguous without the section, distinct ids.
    assert len(a12) == len(data["sections"]) == len(set(a12))
    assert len({seat["id"] for seat in all_seats(data)}) == len(all_seats(data))


def test_seat_map_marks_some_seats_blocked(server: ReferenceServer) -> None:
    with client(server) as http:
        seats = all_seats(seat_map(http, seat_map_event(http)["id"]))
    blocked = [seat for seat in seats if seat["isBlocked"]]
    assert 0 < len(blocked) < len(seats)
    assert not any(seat["isBooked"] for seat in seats)


def test_seat_map_of_an_unknown_event_is_404(server: ReferenceServer) -> None:
    assert_error(httpx.get(f"{server.url}/api/seats/event/cnosuchevent"), 404,
                 "Event not found")


def test_seat_map_of_a_general_admission_event_is_400(server: ReferenceServer) -> None:
    with client(server) as http:
        event = general_admission_event(http)
        assert_error(http.get(f"/api/seats/event/{event['id']}"), 400)
