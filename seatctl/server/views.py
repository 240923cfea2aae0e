"""Rows to the contract's JSON shapes (field names exactly as the seed backend sends them)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from seatctl.server.config import Dialect
from seatctl.server.store import Store, parse_time

DISPLAY_STATUS = {"confirmed": "Confirmed", "cancelled": "Cancelled", "pending": "Pending"}


def user_json(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "name": row["name"], "role": row["role"]}


def event_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    capacity = int(row["capacity"])
    available = (store.free_seat_count(row["id"], row["venue_id"]) if row["seat_level_booking"]
                 else capacity - store.booked_count(row["id"]))
    return {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "venue": row["venue_name"], "startTime": row["start_time"], "endTime": row["end_time"],
        "capacity": capacity, "availableCapacity": available,
        "price": row["price"], "category": row["category"], "tags": json.loads(row["tags"]),
        "imageUrl": row["image_url"], "seatLevelBooking": bool(row["seat_level_booking"]),
    }


def seat_map_json(store: Store, event: sqlite3.Row) -> dict[str, Any]:
    venue = store.venue(event["venue_id"])
    assert venue is not None
    seats_by_section: dict[str, list[dict[str, Any]]] = {}
    base_price = float(event["price"])
    available = 0
    for seat in store.seats_of_venue(venue["id"], event["id"]):
        price = round(base_price * float(seat["price_multiplier"]), 2)
        booked, blocked = bool(seat["is_booked"]), bool(seat["is_blocked"])
        available += not (booked or blocked)
        seats_by_section.setdefault(seat["section_id"], []).append({
            "id": seat["id"], "row": seat["row"],
            "number": str(seat["number"]),  # a string, as the seed backend sends it
            "seatType": seat["seat_type"], "isBlocked": blocked, "isBooked": booked,
            "price": price,
        })
    sections = []
    for section in store.sections(venue["id"]):
        seats = seats_by_section.get(section["id"], [])
        multiplier = float(section["price_multiplier"])
        sections.append({
            "id": section["id"], "name": section["name"], "capacity": len(seats),
            "priceMultiplier": multiplier, "basePrice": base_price,
            "sectionPrice": round(base_price * multiplier, 2), "seats": seats,
        })
    return {
        "event": {"id": event["id"], "name": event["name"],
                  "seatLevelBooking": bool(event["seat_level_booking"])},
        "venue": {"id": venue["id"], "name": venue["name"], "capacity": venue["capacity"]},
        "sections": sections,
        "totalAvailableSeats": available,
    }


def booking_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """A booking as POST /api/bookings answers it."""
    event = store.event(row["event_id"])
    seats = _seats(store, row["id"])
    return {
        "id": row["id"], "userId": row["user_id"], "eventId": row["event_id"],
        "quantity": row["quantity"], "totalPrice": row["total_price"],
        "status": row["status"], "idempotencyKey": row["idempotency_key"],
        "createdAt": row["created_at"], "cancelledAt": row["cancelled_at"], "seats": seats,
        "event": None if event is None else {
            "id": event["id"], "name": event["name"], "startTime": event["start_time"],
            "venue": event["venue_name"]},
    }


def my_bookings_json(store: Store, user: sqlite3.Row, dialect: Dialect, now: datetime
                     ) -> dict[str, Any]:
    """GET /api/bookings/my's `data`: the seed's list, newest first, with counts and a toast."""
    bookings = [listed_booking_json(store, row, dialect, now)
                for row in store.bookings_of(user["id"])]
    counts = {status: sum(row["status"] == status.upper() for row in bookings)
              for status in DISPLAY_STATUS}
    return {
        "user": {"id": user["id"], "name": user["name"], "email": user["email"]},
        "bookings": bookings,
        "summary": {"total": len(bookings), **counts},
        "toast": _toast(len(bookings)),
    }


def listed_booking_json(store: Store, row: sqlite3.Row, dialect: Dialect, now: datetime
                        ) -> dict[str, Any]:
    """A booking as the seed's list shows it (status upper-case, ticket links, actions); the
    reference dialect adds the seats and the times of the cancellation and check-in."""
    event = store.event(row["event_id"])
    assert event is not None  # a foreign key
    status = row["status"]
    started = parse_time(event["start_time"]) <= now
    document: dict[str, Any] = {
        "id": row["id"], "quantity": row["quantity"], "totalPrice": row["total_price"],
        "status": status.upper(), "createdAt": row["created_at"],
        "updatedAt": max(time for time in (row["created_at"], row["cancelled_at"],
                                           row["checked_in_at"]) if time),
        "event": {"id": event["id"], "name": event["name"],
                  "description": event["description"], "venue": event["venue_name"],
                  "startTime": event["start_time"], "endTime": event["end_time"],
                  "price": event["price"]},
        "ticket": ticket_links(row["id"]) if status == "confirmed" else None,
        "displayStatus": DISPLAY_STATUS.get(status, status.title()),
        "actions": _actions(status, started),
    }
    if dialect is Dialect.REFERENCE:
        document.update({
            "userId": row["user_id"], "eventId": row["event_id"],
            "idempotencyKey": row["idempotency_key"], "cancelledAt": row["cancelled_at"],
            "checkedInAt": row["checked_in_at"], "seats": _seats(store, row["id"]),
        })
    return document


def ticket_number(booking_id: str) -> str:
    return "EVT-" + booking_id[:8].upper()


def ticket_links(booking_id: str) -> dict[str, Any]:
    base = f"/api/tickets/{booking_id}"
    return {"ticketNumber": ticket_number(booking_id), "downloadUrl": f"{base}/download",
            "qrCodeUrl": f"{base}/qr", "detailsUrl": f"{base}/details",
            "canDownload": True, "canView": True}


def _actions(status: str, started: bool) -> list[str]:
    actions = ["view", "download"] if status == "confirmed" else []
    if status in ("confirmed", "pending") and not started:
        actions.append("cancel")
    return actions


def _seats(store: Store, booking_id: str) -> list[dict[str, Any]]:
    return [{"id": seat["id"], "row": seat["row"], "number": str(seat["number"]),
             "section": seat["section"]} for seat in store.seats_of_booking(booking_id)]


def _toast(count: int) -> dict[str, str]:
    if count == 0:
        return {"type": "info", "title": "No bookings yet",
                "message": "Book an event and it will show here."}
    return {"type": "success", "title": "Bookings loaded",
            "message": f"You have {count} booking{'s' if count != 1 else ''}."}
