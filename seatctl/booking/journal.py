"""The local booking journal: every booking's key, target, job ids and state, in SQLite.

A booking key is written here before the booking is sent, so a crash, a Ctrl-C or a lost
answer never loses it: running the same booking again finds the unfinished entry and sends
it again with the same key (the server collapses repeats of a key into one booking).

Several seatctl processes may use the journal at once (a `book` and a `watch` in two
terminals). SQLite in WAL mode lets readers run beside the one writer; every write is one
short `BEGIN IMMEDIATE` transaction that takes the write lock before it reads, so two
read-modify-write sequences (appending a job id, applying a state) cannot interleave and
lose an update; a writer that finds the lock taken waits up to `BUSY_TIMEOUT_MS`.

The file holds booking keys (whoever has one can replay the booking), so it is created with
mode 0600; SQLite gives its `-wal` and `-shm` files the same mode.

Schema versions (`PRAGMA user_version`):

1. `entries` (one row per booking key) and `entry_jobs` (job id -> key, for `by_job`).
2. `cancelled_bookings`: the booking ids `mark_cancelled` was given, per base URL. A booking
   can be cancelled before its entry knows its id (a `book --no-wait` never watched: the
   job status names the booking only later); the status that then says "confirmed" must
   not undo the cancellation (`update`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from shlex import quote
from types import TracebackType
from typing import Any

from seatctl.booking.journal_file import NEWEST_FIRST, journal_path
from seatctl.booking.journal_states import (
    PENDING_STATES,
    RESUMABLE_STATES,
    JournalState,
    journal_state,
    may_become,
    states_that_may_become,
)
from seatctl.errors import SeatctlError, UsageError

SCHEMA_VERSION = 2
# PRAGMA application_id: marks the file as a seatctl journal ("SCJ1" as a big-endian int).
APPLICATION_ID = 0x53434A31
BUSY_TIMEOUT_MS = 10_000
FILE_MODE = 0o600

WallClock = Callable[[], datetime | float]
"""Returns the current time: an aware datetime, a naive one (taken as UTC), or epoch seconds."""

_SCHEMA_V1 = """
CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,      -- insertion order: breaks ties between equal timestamps
    profile TEXT NOT NULL,
    base_url TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT,
    seat_ids TEXT NOT NULL,           -- JSON list, in the order given
    seat_set TEXT NOT NULL,           -- JSON list of the distinct seat ids, sorted: for matching
    seat_labels TEXT NOT NULL,        -- JSON list
    quantity INTEGER,
    job_ids TEXT NOT NULL,            -- JSON list, oldest first
    state TEXT NOT NULL,
    message TEXT,
    booking_id TEXT,
    total_price REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX entries_recent ON entries (profile, created_at, seq);
CREATE INDEX entries_target ON entries (profile, base_url, event_id, seat_set);
CREATE TABLE entry_jobs (
    job_id TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES entries (key),
    PRIMARY KEY (job_id, key)
);
"""

_SCHEMA_V2 = """
CREATE TABLE cancelled_bookings (
    base_url TEXT NOT NULL,           -- '': cancelled without naming a server (any server)
    booking_id TEXT NOT NULL,
    message TEXT NOT NULL,
    cancelled_at TEXT NOT NULL,
    PRIMARY KEY (base_url, booking_id)
);
"""
ANY_SERVER = ""


class JournalError(SeatctlError):
    """The journal could not be read or written (busy past the timeout, disk full, I/O)."""


@dataclass(frozen=True)
class JournalEntry:
    key: str                 # the booking's idempotency key (UUID), primary key
    profile: str
    base_url: str
    event_id: str
    event_name: str | None
    seat_ids: list[str]      # empty for a general-admission booking
    seat_labels: list[str]   # e.g. ["Orchestra:A12"], same order as seat_ids
    quantity: int | None     # general admission only
    job_ids: list[str]       # every job id the server gave for this key, oldest first
    state: JournalState
    message: str | None      # the server's last message
    booking_id: str | None
    total_price: float | None
    created_at: str          # ISO 8601 UTC
    updated_at: str

    @property
    def job_id(self) -> str | None:
        """The newest job id: the one to watch."""
        return self.job_ids[-1] if self.job_ids else None

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    def as_dict(self) -> dict[str, Any]:
        """Every field plus `job_id` and `pending`: the JSON shape of `seatctl jobs`."""
        return {**asdict(self), "job_id": self.job_id, "pending": self.pending}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(value: datetime | float) -> str:
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    else:
        moment = datetime.fromtimestamp(value, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seat_set(seat_ids: list[str]) -> str:
    return json.dumps(sorted(set(seat_ids)))


def _stored_state(row: sqlite3.Row, path: Path) -> JournalState:
    """The entry's state, refusing one this seatctl does not know (a journal written by a
    newer seatctl, or edited by hand)."""
    try:
        return JournalState(row["state"])
    except ValueError:
        raise JournalError(f"the journal at {path} holds an entry ({row['key']}) in a state "
                           f"this seatctl does not know: {row['state']!r}",
                           hint="upgrade seatctl, or move the journal away") from None


def _entry(row: sqlite3.Row, path: Path) -> JournalEntry:
    return JournalEntry(
        key=row["key"], profile=row["profile"], base_url=row["base_url"],
        event_id=row["event_id"], event_name=row["event_name"],
        seat_ids=json.loads(row["seat_ids"]), seat_labels=json.loads(row["seat_labels"]),
        quantity=row["quantity"], job_ids=json.loads(row["job_ids"]),
        state=_stored_state(row, path),
        message=row["message"], booking_id=row["booking_id"], total_price=row["total_price"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _create_file(path: Path) -> None:
    """A new journal file gets mode 0600 before SQLite opens it (SQLite would use 0644 less
    the umask); its `-wal` and `-shm` files then get the same mode from SQLite."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask took away or left
    finally:
        os.close(fd)


class Journal:
    """The journal file at `path`; one connection, used from one thread."""

    def __init__(self, path: Path, *, clock: WallClock = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock
        try:
            _create_file(self.path)
        except OSError as exc:
            raise JournalError(f"cannot create the journal at {self.path}: "
                               f"{exc.strerror or exc}",
                               hint="check the permissions of its directory") from None
        with self._opening_lock():
            self._db = self._connect()
        with suppress(OSError):  # a journal from elsewhere, readable by others: tighten it
            if self.path.stat().st_mode & 0o077:
                self.path.chmod(FILE_MODE)

    @staticmethod
    def default_path(env: Mapping[str, str] | None = None) -> Path:
        """`$XDG_DATA_HOME/seatctl/journal.db` (`~/.local/share/seatctl/journal.db`)."""
        return journal_path(env)

    # --- opening ----------------------------------------------------------------------

    @contextmanager
    def _opening_lock(self) -> Iterator[None]:
        """Processes opening the journal take turns. Switching a new file to WAL needs an
        exclusive lock, and a second process reading the header meanwhile can deadlock with
        it until the busy timeout; an advisory file lock around opening rules that out."""
        try:
            import fcntl
        except ImportError:  # not POSIX: SQLite's own locking has to do
            yield
            return
        descriptor = os.open(self.path.with_name(self.path.name + ".lock"),
                             os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE.
        try:
            db = sqlite3.connect(self.path, isolation_level=None,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:  # a directory, no permission
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from None
        db.row_factory = sqlite3.Row
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("BEGIN")  # one snapshot; before anything changes the file
            try:
                version = self._header(db)
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"the journal at {self.path} cannot use WAL mode ({mode})",
                                   hint="keep it on a local file system")
            # FULL: a committed booking key survives a power cut too, not only a crash of
            # seatctl. Writes are few and small, so the extra fsync costs nothing noticeable.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            if version != SCHEMA_VERSION:
                self._migrate(db)
        except BaseException as exc:
            db.close()
            if isinstance(exc, sqlite3.Error):
                raise self._translate(exc) from None
            raise
        return db

    def _header(self, db: sqlite3.Connection) -> int:
        """The schema version, refusing a file that is not a journal. Call it inside a
        transaction: another process creating the schema at this moment must be seen either
        not at all or completely. A file that is not SQLite at all fails here (NOTADB)."""
        empty = db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if app_id != APPLICATION_ID and not (app_id == 0 and version == 0 and empty):
            raise self._not_a_journal("it is an SQLite database of something else")
        return version

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring the schema to SCHEMA_VERSION in one transaction, so that concurrent first
        opens create it once (the others find it done when they get the lock)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            version = self._header(db)
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"the journal at {self.path} was written by a newer seatctl "
                    f"(schema version {version}, this one knows {SCHEMA_VERSION})",
                    hint="upgrade seatctl")
            if version < 1:
                _execute_all(db, _SCHEMA_V1)
            if version < 2:
                _execute_all(db, _SCHEMA_V2)
            # Later versions: `if version < 3: ALTER TABLE ...` here, each step in order.
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _not_a_journal(self, reason: str) -> UsageError:
        return UsageError(f"the journal at {self.path} is not a seatctl journal: {reason}",
                          hint=f"move it away (`mv {quote(str(self.path))} "
                               f"{quote(str(self.path) + '.bad')}`); "
                               "seatctl then starts a new one")

    def _translate(self, exc: sqlite3.Error) -> SeatctlError:
        name = getattr(exc, "sqlite_errorname", "")
        if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
            return self._not_a_journal(str(exc))
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return JournalError(f"the journal at {self.path} stayed locked by another seatctl "
                                f"for {BUSY_TIMEOUT_MS // 1000} s",
                                hint="run the command again")
        return JournalError(f"the journal at {self.path} failed: {exc}")

    # --- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _now(self) -> str:
        return _timestamp(self._clock())

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, holding the write lock from its first statement."""
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._translate(exc) from None

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> JournalEntry | None:
        with self._errors():
            row = self._db.execute(sql, params).fetchone()
        return None if row is None else _entry(row, self.path)

    def _row(self, db: sqlite3.Connection, key: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute("SELECT * FROM entries WHERE key = ?",
                                             (key,)).fetchone()
        if row is None:
            raise KeyError(f"no journal entry with key {key}")
        return row

    # --- writes -----------------------------------------------------------------------

    def create(self, *, key: str, profile: str, base_url: str, event_id: str,
               event_name: str | None, seat_ids: list[str], seat_labels: list[str],
               quantity: int | None) -> JournalEntry:
        """A new entry in state CREATED; a key that exists already is a ValueError."""
        if bool(seat_ids) == (quantity is not None):
            raise ValueError("a booking has either seat ids or a quantity")
        if quantity is not None and quantity < 1:
            raise ValueError(f"invalid quantity {quantity}")
        if seat_labels and len(seat_labels) != len(seat_ids):
            raise ValueError("seat_labels must match seat_ids one to one")
        now = self._now()
        with self._write() as db:
            if db.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone():
                raise ValueError(f"a journal entry with key {key} exists already")
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries").fetchone()[0]
            db.execute(
                "INSERT INTO entries (key, seq, profile, base_url, event_id, event_name, "
                "seat_ids, seat_set, seat_labels, quantity, job_ids, state, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
                (key, seq, profile, base_url, event_id, event_name, json.dumps(seat_ids),
                 _seat_set(seat_ids), json.dumps(seat_labels), quantity,
                 JournalState.CREATED, now, now))
            return _entry(self._row(db, key), self.path)

    def add_job(self, key: str, job_id: str) -> JournalEntry:
        """Record a job id the server gave for this key; the entry is QUEUED again.

        A new job id is a new attempt (the booking was sent again), so it restarts the
        state even after a final one. A job id already recorded is not added twice, and
        is queued only as the transitions allow: its watch may have finished first.
        """
        with self._write() as db:
            row = self._row(db, key)
            job_ids: list[str] = json.loads(row["job_ids"])
            new_attempt = job_id not in job_ids
            if not new_attempt and not may_become(_stored_state(row, self.path),
                                                  JournalState.QUEUED):
                return _entry(row, self.path)
            if new_attempt:
                job_ids.append(job_id)
                db.execute("INSERT OR IGNORE INTO entry_jobs (job_id, key) VALUES (?, ?)",
                           (job_id, key))
            db.execute("UPDATE entries SET job_ids = ?, state = ?, updated_at = ? "
                       "WHERE key = ?",
                       (json.dumps(job_ids), JournalState.QUEUED, self._now(), key))
            return _entry(self._row(db, key), self.path)

    def update(self, key: str, *, state: str, message: str | None = None,
               booking_id: str | None = None, total_price: float | None = None) -> JournalEntry:
        """Apply what the server said, as the transitions allow (`journal_states`): a write
        they refuse is stale and changes nothing. None means "not said": the earlier value
        stays. A `state` that is not a JournalState's value is a ValueError.

        Two watches of one job may run at once (a `book` still watching and a `seatctl
        watch` in another terminal, or a watch that was slow to write): the one that read
        "processing" just before the job finished can write after the one that read
        "confirmed", and that stale write must not make a confirmed booking look pending
        again (or be resumed and sent anew).

        CONFIRMED for a booking `mark_cancelled` was told of (on the entry's server) is
        recorded as CANCELLED: the job's status still says the booking was made, long after
        it was cancelled.
        """
        new = journal_state(state)
        with self._write() as db:
            row = self._row(db, key)
            if not may_become(_stored_state(row, self.path), new):
                return _entry(row, self.path)
            if new is JournalState.CONFIRMED:
                cancelled = _cancellation(db, row["base_url"], booking_id or row["booking_id"])
                if cancelled is not None:
                    new, message = JournalState.CANCELLED, cancelled
            db.execute(
                "UPDATE entries SET state = ?, message = COALESCE(?, message), "
                "booking_id = COALESCE(?, booking_id), total_price = COALESCE(?, total_price), "
                "updated_at = ? WHERE key = ?",
                (new, message, booking_id, total_price, self._now(), key))
            return _entry(self._row(db, key), self.path)

    def mark_cancelled(self, booking_id: str, *, base_url: str | None = None,
                       message: str = "cancelled") -> list[JournalEntry]:
        """Record that the booking `booking_id` was cancelled (on `base_url`, when given;
        on any server otherwise): every entry that made it, whatever its state, and any
        entry that learns it made it later on. Returns the entries changed."""
        where, params = "booking_id = ?", [booking_id]
        if base_url is not None:
            where, params = where + " AND base_url = ?", [*params, base_url]
        cancellable = states_that_may_become(JournalState.CANCELLED)
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO cancelled_bookings (base_url, booking_id, "
                       "message, cancelled_at) VALUES (?, ?, ?, ?)",
                       (ANY_SERVER if base_url is None else base_url, booking_id, message,
                        self._now()))
            keys = [row["key"] for row in db.execute(
                f"SELECT key FROM entries WHERE {where} AND state IN ({_marks(cancellable)})",
                (*params, *cancellable))]
            for key in keys:
                db.execute("UPDATE entries SET state = ?, message = ?, updated_at = ? "
                           "WHERE key = ?", (JournalState.CANCELLED, message, self._now(), key))
            return [_entry(self._row(db, key), self.path) for key in keys]

    def by_booking(self, booking_id: str, *, base_url: str | None = None
                   ) -> JournalEntry | None:
        """The newest entry that made the booking `booking_id` (on `base_url`, when given):
        the only record of a seat booking's seats (the server's list does not name them)."""
        where, params = "booking_id = ?", [booking_id]
        if base_url is not None:
            where, params = where + " AND base_url = ?", [*params, base_url]
        return self._one(f"SELECT * FROM entries WHERE {where} {NEWEST_FIRST} LIMIT 1",
                         tuple(params))

    # --- reads ------------------------------------------------------------------------

    def get(self, key: str) -> JournalEntry | None:
        return self._one("SELECT * FROM entries WHERE key = ?", (key,))

    def by_job(self, job_id: str) -> JournalEntry | None:
        """The entry a job id belongs to (the newest, should two servers reuse an id)."""
        return self._one(
            "SELECT * FROM entries WHERE key IN (SELECT key FROM entry_jobs WHERE job_id = ?) "
            f"{NEWEST_FIRST} LIMIT 1", (job_id,))

    def last(self, profile: str | None = None, *, base_url: str | None = None
             ) -> JournalEntry | None:
        """The newest entry that has a job id, of `profile` made against `base_url` (None:
        any profile, any server): what `watch --last` watches."""
        where, params = _filter(profile, base_url)
        return self._one(f"SELECT * FROM entries WHERE job_ids != '[]'{where} "
                         f"{NEWEST_FIRST} LIMIT 1", params)

    def last_unfinished(self, profile: str, base_url: str) -> JournalEntry | None:
        """The newest pending entry of `profile` made against `base_url`: what
        `book --resume` finishes."""
        where, params = _filter(profile, base_url, PENDING_STATES)
        return self._one(f"SELECT * FROM entries WHERE 1{where} {NEWEST_FIRST} LIMIT 1",
                         params)

    def find_unfinished(self, *, profile: str, base_url: str, event_id: str,
                        seat_ids: list[str], quantity: int | None) -> JournalEntry | None:
        """The newest pending (or refused) entry for the same booking (same profile,
        server, event, quantity, and the same seats in any order): to resume it with its
        key."""
        resumable = sorted(RESUMABLE_STATES)
        return self._one(
            "SELECT * FROM entries WHERE profile = ? AND base_url = ? AND event_id = ? "
            f"AND seat_set = ? AND quantity IS ? AND state IN ({_marks(resumable)}) "
            f"{NEWEST_FIRST} LIMIT 1",
            (profile, base_url, event_id, _seat_set(seat_ids), quantity, *resumable))

    def recent(self, *, limit: int = 20, pending_only: bool = False,
               profile: str | None = None) -> list[JournalEntry]:
        """Up to `limit` entries, newest first."""
        if limit < 1:
            raise ValueError(f"invalid limit {limit}")
        where, params = _filter(profile, states=PENDING_STATES if pending_only else None)
        with self._errors():
            rows = self._db.execute(f"SELECT * FROM entries WHERE 1{where} {NEWEST_FIRST} "
                                    "LIMIT ?", (*params, limit)).fetchall()
        return [_entry(row, self.path) for row in rows]


def open_journal(path: Path, *, create: bool = True) -> AbstractContextManager[Journal | None]:
    """The journal at `path`, created when missing unless `create` is false; then None when
    there is none: listing, cancelling or a dry run creates no journal."""
    if create or path.exists():
        return Journal(path)
    return nullcontext()


def _execute_all(db: sqlite3.Connection, script: str) -> None:
    """One statement at a time: executescript() would COMMIT the transaction first."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _cancellation(db: sqlite3.Connection, base_url: str, booking_id: str | None
                  ) -> str | None:
    """The message `mark_cancelled` recorded for `booking_id` on `base_url` (or on any
    server); None when it was not cancelled."""
    if booking_id is None:
        return None
    row = db.execute("SELECT message FROM cancelled_bookings WHERE booking_id = ? "
                     "AND base_url IN (?, ?) ORDER BY base_url DESC LIMIT 1",
                     (booking_id, base_url, ANY_SERVER)).fetchone()
    return None if row is None else str(row["message"])


def _filter(profile: str | None, base_url: str | None = None,
            states: Collection[JournalState] | None = None) -> tuple[str, tuple[Any, ...]]:
    """` AND ...` conditions, and their parameters, for what is given (None: any)."""
    where = ""
    params: list[object] = []
    for column, value in (("profile", profile), ("base_url", base_url)):
        if value is not None:
            where, params = where + f" AND {column} = ?", [*params, value]
    if states is not None:
        where, params = where + f" AND state IN ({_marks(states)})", [*params, *sorted(states)]
    return where, tuple(params)


def _marks(values: Collection[object]) -> str:
    """`?, ?, ?`: one placeholder per value, for `IN (...)`."""
    return ", ".join("?" * len(values))
