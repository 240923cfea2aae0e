"""SQLite storage: users, events and seat maps, bookings, and the job queue's rows.

One connection, WAL mode, used from the event loop's thread only. Every change that must be
atomic is one `BEGIN IMMEDIATE` transaction; the primary key of `booked_seats`
(event, seat) makes a double booking impossible even across processes sharing the file.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user', password_hash TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS venues (id TEXT PRIMARY KEY, name TEXT NOT NULL,
                                   capacity INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sections (
    id TEXT PRIMARY KEY, venue_id TEXT NOT NULL REFERENCES venues(id), name TEXT NOT NULL,
    position INTEGER NOT NULL, price_multiplier REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seats (
    id TEXT PRIMARY KEY, section_id TEXT NOT NULL REFERENCES sections(id),
    row TEXT NOT NULL, number INTEGER NOT NULL, seat_type TEXT NOT NULL,
    is_blocked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
    venue_id TEXT REFERENCES venues(id), venue_name TEXT NOT NULL, start_time TEXT NOT NULL,
    end_time TEXT NOT NULL, capacity INTEGER NOT NULL, price REAL NOT NULL,
    category TEXT NOT NULL, tags TEXT NOT NULL, image_url TEXT,
    seat_level_booking INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    event_id TEXT NOT NULL REFERENCES events(id), quantity INTEGER NOT NULL,
    total_price REAL NOT NULL, status TEXT NOT NULL, idempotency_key TEXT,
    created_at TEXT NOT NULL, cancelled_at TEXT, job_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS bookings_key ON bookings(user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS booked_seats (
    event_id TEXT NOT NULL, seat_id TEXT NOT NULL, booking_id TEXT NOT NULL,
    PRIMARY KEY (event_id, seat_id)
);
CREATE TABLE IF NOT EXISTS booking_seats (
    booking_id TEXT NOT NULL, seat_id TEXT NOT NULL, PRIMARY KEY (booking_id, seat_id)
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL, event_id TEXT NOT NULL, seat_ids TEXT NOT NULL,
    idempotency_key TEXT, state TEXT NOT NULL, result TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, claimed_by TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, seq);
CREATE INDEX IF NOT EXISTS bookings_job ON bookings(job_id);
"""

# Columns named: migrations (`_add_column`) append columns to older databases.
INSERT_BOOKING = (
    "INSERT INTO bookings (id, user_id, event_id, quantity, total_price, status, "
    "idempotency_key, created_at, job_id) VALUES (?, ?, ?, ?, ?, 'confirmed', ?, ?, ?)")

UNAVAILABLE = "Some selected seats are no longer available"
LOCK_RACE = "Seats are currently being booked by another user. Please try again."


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """A stored ISO 8601 time (`...Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id(prefix: str) -> str:
    """Opaque, cuid-like: clients must never parse it."""
    return f"c{prefix}{uuid.uuid4().hex[:22]}"


class Conflict(Exception):
    """The operation cannot proceed; `status` and `message` are what the client gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _LockRace(Exception):
    """Another writer booked one of the seats first (possible only across processes)."""


@dataclass(frozen=True)
class JobRow:
    seq: int
    id: str
    user_id: str
    event_id: str
    seat_ids: list[str]
    idempotency_key: str | None
    state: str
    result: dict[str, Any] | None
    created_at: str
    updated_at: str


class Store:
    def __init__(self, path: str) -> None:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        self._add_column("jobs", "claimed_by", "TEXT")  # databases made before 0.1.0
        self._add_column("bookings", "job_id", "TEXT")
        self._add_column("bookings", "checked_in_at", "TEXT")  # the reference dialect's

    def _add_column(self, table: str, column: str, declaration: str) -> None:
        columns = {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- meta, users ----------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def user_by_email(self, email: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM users WHERE email = ?", (email,)).fetchone()
        return row

    def user_by_id(self, user_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return row

    def add_user(self, email: str, name: str, password_hash: str, role: str = "user") -> str:
        user_id = new_id("u")
        self.db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
                        (user_id, email, name, role, password_hash, utc_now()))
        return user_id

    def set_password(self, user_id: str, password_hash: str) -> None:
        self.db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                        (password_hash, user_id))

    # --- events and seat maps -------------------------------------------------------

    def count_events(self, search: str | None) -> int:
        where, args = _search(search)
        return int(self.db.execute(f"SELECT COUNT(*) FROM events {where}", args).fetchone()[0])

    def list_events(self, search: str | None, limit: int, offset: int) -> list[sqlite3.Row]:
        where, args = _search(search)
        return self.db.execute(
            f"SELECT * FROM events {where} ORDER BY start_time, id LIMIT ? OFFSET ?",
            (*args, limit, offset)).fetchall()

    def event(self, event_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return row

    def booked_count(self, event_id: str) -> int:
        row = self.db.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM bookings "
            "WHERE event_id = ? AND status = 'confirmed'", (event_id,)).fetchone()
        return int(row[0])

    def free_seat_count(self, event_id: str, venue_id: str) -> int:
        """Seats neither blocked nor booked for this event."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM seats JOIN sections ON sections.id = seats.section_id "
            "LEFT JOIN booked_seats ON booked_seats.seat_id = seats.id "
            "     AND booked_seats.event_id = ? "
            "WHERE sections.venue_id = ? AND seats.is_blocked = 0 "
            "AND booked_seats.booking_id IS NULL", (event_id, venue_id)).fetchone()
        return int(row[0])

    def venue(self, venue_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM venues WHERE id = ?", (venue_id,)).fetchone()
        return row

    def sections(self, venue_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM sections WHERE venue_id = ? ORDER BY position", (venue_id,)).fetchall()

    def seats_of_venue(self, venue_id: str, event_id: str) -> list[sqlite3.Row]:
        """Every seat with its section and whether it is booked for this event."""
        return self.db.execute(
            "SELECT seats.*, sections.price_multiplier, "
            "       booked_seats.booking_id IS NOT NULL AS is_booked "
            "FROM seats JOIN sections ON sections.id = seats.section_id "
            "LEFT JOIN booked_seats ON booked_seats.seat_id = seats.id "
            "     AND booked_seats.event_id = ? "
            "WHERE sections.venue_id = ? ORDER BY sections.position, seats.row, seats.number",
            (event_id, venue_id)).fetchall()

    # --- bookings -------------------------------------------------------------------

    def booking(self, booking_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM bookings WHERE id = ?", (booking_id,)).fetchone()
        return row

    def booking_by_key(self, user_id: str, key: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM bookings WHERE user_id = ? AND idempotency_key = ?",
            (user_id, key)).fetchone()
        return row

    def bookings_of(self, user_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM bookings WHERE user_id = ? ORDER BY created_at DESC, rowid DESC",
            (user_id,)).fetchall()

    def seats_of_booking(self, booking_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT seats.id, seats.row, seats.number, sections.name AS section "
            "FROM booking_seats JOIN seats ON seats.id = booking_seats.seat_id "
            "JOIN sections ON sections.id = seats.section_id "
            "WHERE booking_seats.booking_id = ? ORDER BY sections.position, seats.row, "
            "seats.number", (booking_id,)).fetchall()

    def book_quantity(self, user_id: str, event_id: str, quantity: int, key: str | None
                      ) -> tuple[sqlite3.Row, bool]:
        """A general-admission booking; returns (booking, created)."""
        with self.transaction() as db:
            if key is not None:
                existing = self.booking_by_key(user_id, key)
                if existing is not None and (existing["event_id"] != event_id
                                             or existing["quantity"] != quantity):
                    raise Conflict(422, "Idempotency key already used for a different booking")
                if existing is not None:
                    return existing, False
            event = self.event(event_id)
            if event is None:
                raise Conflict(404, "Event not found")
            if event["seat_level_booking"]:
                raise Conflict(400, "This event requires seat selection; book seats instead")
            if parse_time(event["start_time"]) <= datetime.now(UTC):  # as the seed refuses
                raise Conflict(400, "Cannot book tickets for past events")
            available = int(event["capacity"]) - self.booked_count(event_id)
            if quantity > available:
                raise Conflict(400, f"Only {available} tickets available")
            booking_id = new_id("b")
            db.execute(INSERT_BOOKING, (booking_id, user_id, event_id, quantity,
                                        round(float(event["price"]) * quantity, 2), key,
                                        utc_now(), None))
        booking = self.booking(booking_id)
        assert booking is not None
        return booking, True

    def book_seats(self, job: JobRow) -> dict[str, Any]:
        """Run a seat booking job's work in one transaction; returns the job's result.

        Running the same job twice (requeued after a crash that came after its commit) finds
        the booking it made instead of reporting its own seats as taken.
        """
        try:
            return self._book_seats(job.user_id, job.event_id, job.seat_ids,
                                    job.idempotency_key, job.id)
        except _LockRace:
            return {"success": False, "message": LOCK_RACE}

    def _book_seats(self, user_id: str, event_id: str, seat_ids: list[str], key: str | None,
                    job_id: str) -> dict[str, Any]:
        with self.transaction() as db:
            made = db.execute("SELECT * FROM bookings WHERE job_id = ?", (job_id,)).fetchone()
            if made is not None:
                return {"success": True, "bookingId": made["id"],
                        "message": f"Successfully booked {made['quantity']} seat(s)",
                        "totalPrice": made["total_price"]}
            if key is not None:
                existing = self.booking_by_key(user_id, key)
                if existing is not None and existing["status"] == "confirmed":
                    return {"success": True, "bookingId": existing["id"],
                            "message": "Booking already exists",
                            "totalPrice": existing["total_price"]}
                if existing is not None:
                    return {"success": False, "message": "The booking made with this "
                            "idempotency key was cancelled; book again with a new key"}
            event = self.event(event_id)
            if event is None or not event["seat_level_booking"]:
                return {"success": False, "message": "Event not found or has no seat map"}
            seats = self._seats_for_booking(event_id, event["venue_id"], seat_ids)
            unavailable = [_unavailable(seat) for seat in seats.values()
                           if seat["is_blocked"] or seat["is_booked"]]
            missing = [seat_id for seat_id in seat_ids if seat_id not in seats]
            if missing:
                return {"success": False, "message": f"Seats not found: {', '.join(missing)}"}
            if unavailable:
                return {"success": False, "message": UNAVAILABLE,
                        "unavailableSeats": unavailable}
            total = round(sum(float(event["price"]) * float(seat["price_multiplier"])
                              for seat in seats.values()), 2)
            booking_id = new_id("b")
            db.execute(INSERT_BOOKING, (booking_id, user_id, event_id, len(seats), total, key,
                                        utc_now(), job_id))
            try:
                db.executemany("INSERT INTO booked_seats VALUES (?, ?, ?)",
                               [(event_id, seat_id, booking_id) for seat_id in seats])
            except sqlite3.IntegrityError:
                raise _LockRace from None
            db.executemany("INSERT INTO booking_seats VALUES (?, ?)",
                           [(booking_id, seat_id) for seat_id in seats])
        count = len(seats)
        return {"success": True, "bookingId": booking_id,
                "message": f"Successfully booked {count} seat(s)", "totalPrice": total}

    def cancel_booking(self, booking_id: str, user_id: str, now: datetime) -> sqlite3.Row:
        """Cancel the user's booking of an event not yet started; its seats are released."""
        with self.transaction() as db:
            booking = self.booking(booking_id)
            if booking is None:
                raise Conflict(404, "Booking not found")
            if booking["user_id"] != user_id:
                raise Conflict(403, "Access denied. You can only cancel your own bookings.")
            if booking["status"] == "cancelled":
                raise Conflict(400, "Booking is already cancelled")
            event = self.event(booking["event_id"])
            if event is not None and parse_time(event["start_time"]) <= now:
                raise Conflict(400, "Cannot cancel booking for events that have already started")
            db.execute("UPDATE bookings SET status = 'cancelled', cancelled_at = ? "
                       "WHERE id = ?", (utc_now(), booking_id))
            db.execute("DELETE FROM booked_seats WHERE booking_id = ?", (booking_id,))
        cancelled = self.booking(booking_id)
        assert cancelled is not None
        return cancelled

    def check_in(self, booking_id: str, at: str) -> None:
        """Record the first check-in of a confirmed booking; a second one is refused."""
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE bookings SET checked_in_at = ? "
                "WHERE id = ? AND status = 'confirmed' AND checked_in_at IS NULL",
                (at, booking_id)).rowcount
            if changed:
                return
            booking = self.booking(booking_id)
            if booking is None:
                raise Conflict(400, "Booking not found")
            if booking["status"] != "confirmed":
                raise Conflict(400, "Booking is not confirmed")
            raise Conflict(400, f"Ticket already checked in at {booking['checked_in_at']}")

    def _seats_for_booking(self, event_id: str, venue_id: str, seat_ids: list[str]
                           ) -> dict[str, sqlite3.Row]:
        marks = ",".join("?" * len(seat_ids))
        rows = self.db.execute(
            "SELECT seats.*, sections.price_multiplier, "
            "       booked_seats.booking_id IS NOT NULL AS is_booked "
            "FROM seats JOIN sections ON sections.id = seats.section_id "
            "LEFT JOIN booked_seats ON booked_seats.seat_id = seats.id "
            "     AND booked_seats.event_id = ? "
            f"WHERE sections.venue_id = ? AND seats.id IN ({marks})",
            (event_id, venue_id, *seat_ids)).fetchall()
        return {row["id"]: row for row in rows}

    # --- jobs -----------------------------------------------------------------------

    def add_job(self, user_id: str, event_id: str, seat_ids: list[str], key: str | None) -> str:
        # The seed's job ids embed a timestamp (a re-sent booking is a new job).
        job_id = f"booking-{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}"
        now = utc_now()
        self.db.execute(
            "INSERT INTO jobs (id, user_id, event_id, seat_ids, idempotency_key, state, "
            "result, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', NULL, ?, ?)",
            (job_id, user_id, event_id, json.dumps(seat_ids), key, now, now))
        return job_id

    def job(self, job_id: str) -> JobRow | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _job(row)

    def job_with_key(self, user_id: str, key: str) -> JobRow | None:
        row = self.db.execute(
            "SELECT * FROM jobs WHERE user_id = ? AND idempotency_key = ? ORDER BY seq LIMIT 1",
            (user_id, key)).fetchone()
        return None if row is None else _job(row)

    def queue_position(self, job: JobRow) -> int:
        """1 for the next job to run; 0 once it is being processed."""
        if job.state != "queued":
            return 0
        row = self.db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND seq <= ?",
                              (job.seq,)).fetchone()
        return int(row[0])

    def claim_next_job(self, owner: str) -> JobRow | None:
        """Move the oldest queued job to `processing` for `owner` and return it (atomically)."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1"
                             ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state = 'processing', updated_at = ?, claimed_by = ? "
                       "WHERE seq = ?", (utc_now(), owner, row["seq"]))
        return self.job(row["id"])

    def requeue_interrupted_jobs(self, owner_alive: Callable[[str], bool]) -> int:
        """Jobs left `processing` by a worker that is gone go back to the queue. Jobs of a
        live worker (another server sharing the file) are left to it. A repeat is safe:
        booking is one transaction, and a rerun of a job finds the booking it made."""
        with self.transaction() as db:
            rows = db.execute("SELECT seq, claimed_by FROM jobs WHERE state = 'processing'"
                              ).fetchall()
            orphans = [(row["seq"],) for row in rows
                       if row["claimed_by"] is None or not owner_alive(row["claimed_by"])]
            db.executemany("UPDATE jobs SET state = 'queued', claimed_by = NULL WHERE seq = ?",
                           orphans)
        return len(orphans)

    def finish_job(self, job_id: str, result: dict[str, Any]) -> None:
        state = "confirmed" if result.get("success") else "failed"
        self.db.execute("UPDATE jobs SET state = ?, result = ?, updated_at = ? WHERE id = ?",
                        (state, json.dumps(result), utc_now(), job_id))


def _search(search: str | None) -> tuple[str, tuple[str, ...]]:
    if not search:
        return "", ()
    if "\x00" in search:  # no name holds a NUL, and SQLite's LIKE would stop at it
        return "WHERE 0", ()
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("WHERE name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' "
            "OR venue_name LIKE ? ESCAPE '\\'", (pattern, pattern, pattern))


def _unavailable(seat: sqlite3.Row) -> dict[str, Any]:
    reason = "blocked" if seat["is_blocked"] else "already_booked"
    return {"id": seat["id"], "row": seat["row"], "number": str(seat["number"]),
            "reason": reason}


def _job(row: sqlite3.Row) -> JobRow:
    return JobRow(
        seq=row["seq"], id=row["id"], user_id=row["user_id"], event_id=row["event_id"],
        seat_ids=json.loads(row["seat_ids"]), idempotency_key=row["idempotency_key"],
        state=row["state"], result=json.loads(row["result"]) if row["result"] else None,
        created_at=row["created_at"], updated_at=row["updated_at"],
    )
