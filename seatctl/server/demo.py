"""Demo data, written on the first start of an empty database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from seatctl.server.auth import hash_password, verify_password
from seatctl.server.store import Store, new_id

ROWS = "ABCDEFGHIJ"
SEATS_PER_ROW = 20
# (section, price multiplier); rows A-J of 20 seats each in every section.
SECTIONS = (("Orchestra", 1.5), ("Mezzanine", 1.25), ("Balcony", 1.0))
# (section, row, number) of seats that cannot be booked (a camera platform, a pillar).
BLOCKED = {("Orchestra", "A", 1), ("Orchestra", "A", 2), ("Mezzanine", "E", 10),
           ("Mezzanine", "E", 11), ("Balcony", "J", 20)}


def seed_demo(store: Store, email: str, password: str) -> bool:
    """Create the demo account, and the demo events if the database has none yet; returns
    whether the events were created."""
    ensure_user(store, email, password)
    if store.meta("demo_seeded") is not None:
        return False
    with store.transaction():
        hall = _venue_with_seat_map(store, "Grand Hall")
        start = datetime.now(UTC).replace(hour=19, minute=30, second=0, microsecond=0)
        _event(store, "Symphony Under the Stars", "An evening of Dvořák and Sibelius.",
               hall, "Grand Hall", start + timedelta(days=14), 600, 80.0, "music",
               ["classical", "orchestra"])
        _event(store, "Jazz at the Grand Hall", "A big-band night, with seat-level booking.",
               hall, "Grand Hall", start + timedelta(days=21), 600, 55.0, "music", ["jazz"])
        _event(store, "Indie Night Live", "Four bands, general admission.", None,
               "The Warehouse", start + timedelta(days=7), 300, 35.0, "music",
               ["indie", "general-admission"])
        _event(store, "Open Source Summit 2027", "Two days of talks; general admission.",
               None, "Convention Centre", start + timedelta(days=60), 500, 120.0,
               "conference", ["tech", "general-admission"])
        store.set_meta("demo_seeded", datetime.now(UTC).isoformat())
    return True


def ensure_user(store: Store, email: str, password: str) -> None:
    """Make the printed demo credentials work, whatever the database held before."""
    user = store.user_by_email(email)
    if user is None:
        store.add_user(email, "Demo User", hash_password(password))
    elif not verify_password(password, user["password_hash"]):
        store.set_password(user["id"], hash_password(password))


def _venue_with_seat_map(store: Store, name: str) -> str:
    venue_id = new_id("v")
    store.db.execute("INSERT INTO venues VALUES (?, ?, ?)",
                     (venue_id, name, len(SECTIONS) * len(ROWS) * SEATS_PER_ROW))
    for position, (section, multiplier) in enumerate(SECTIONS):
        section_id = new_id("s")
        store.db.execute("INSERT INTO sections VALUES (?, ?, ?, ?, ?)",
                         (section_id, venue_id, section, position, multiplier))
        store.db.executemany(
            "INSERT INTO seats VALUES (?, ?, ?, ?, ?, ?)",
            [(new_id("t"), section_id, row, number, _seat_type(section, row, number),
              int((section, row, number) in BLOCKED))
             for row in ROWS for number in range(1, SEATS_PER_ROW + 1)])
    return venue_id


def _seat_type(section: str, row: str, number: int) -> str:
    if section == "Orchestra" and row in "AB":
        return "vip"
    if row == "J" and number <= 2:
        return "accessible"
    return "regular"


def _event(store: Store, name: str, description: str, venue_id: str | None, venue_name: str,
           start: datetime, capacity: int, price: float, category: str, tags: list[str]
           ) -> str:
    event_id = new_id("e")
    end = start + timedelta(hours=3)
    store.db.execute(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, name, description, venue_id, venue_name, _iso(start), _iso(end), capacity,
         price, category, json.dumps(tags), None, int(venue_id is not None)))
    return event_id


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
