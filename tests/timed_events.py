"""Events at chosen times, and more accounts, on a running reference server.

The demo events all lie days ahead; cancelling after the start, checking in within two
hours of it, or after the end need events placed around now. They are written through a
second connection to the server's database file (WAL: the server sees them at once).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from seatctl.server import ReferenceServer
from seatctl.server.auth import hash_password
from seatctl.server.store import Store, new_id


@contextmanager
def _store(server: ReferenceServer) -> Iterator[Store]:
    if server.config.db == ":memory:":
        raise ValueError("events at chosen times need a server with a database file")
    store = Store(server.config.db)
    try:
        yield store
    finally:
        store.close()


def add_event(server: ReferenceServer, name: str, *, starts_in: timedelta,
              lasts: timedelta = timedelta(hours=3), seat_map: bool = False,
              price: float = 40.0, capacity: int = 100) -> str:
    """An event starting `starts_in` from now (negative: it has started); returns its id.
    With `seat_map`, it uses the venue of the demo's seat-map events."""
    start = datetime.now(UTC) + starts_in
    with _store(server) as store:
        venue_id = None
        venue_name = "The Warehouse"
        if seat_map:
            row = store.db.execute("SELECT id, name FROM venues ORDER BY id LIMIT 1").fetchone()
            venue_id, venue_name = row["id"], row["name"]
        event_id = new_id("e")
        store.db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event_id, name, f"{name}, for a test.", venue_id, venue_name, _iso(start),
             _iso(start + lasts), capacity, price, "test", json.dumps([]), None,
             int(seat_map)))
    return event_id


def add_user(server: ReferenceServer, email: str, password: str, name: str = "Other User"
             ) -> str:
    """Another account (for bookings that are not the caller's); returns its id."""
    with _store(server) as store:
        return store.add_user(email, name, hash_password(password))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
