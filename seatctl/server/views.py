"""Rows to the contract's JSON shapes (field names exactly as the seed backend sends them)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from seatctl.server.store import Store


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
    event = store.event(row["event_id"])
    seats = [{"id": seat["id"], "row": seat["row"], "number": str(seat["number"]),
              "section": seat["section"]} for seat in store.seats_of_booking(row["id"])]
    return {
        "id": row["id"], "userId": row["user_id"], "eventId": row["event_id"],
        "quantity": row["quantity"], "totalPrice": row["total_price"],
        "status": row["status"], "idempotencyKey": row["idempotency_key"],
        "createdAt": row["created_at"], "cancelledAt": row["cancelled_at"], "seats": seats,
        "event": None if event is None else {
            "id": event["id"], "name": event["name"], "startTime": event["start_time"],
            "venue": event["venue_name"]},
    }
