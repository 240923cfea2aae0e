"""Where the journal lives, and its newest job and booking ids read with sqlite3 alone.

Shell completion offers the job ids of the journal on every TAB; importing
`seatctl.booking.journal` costs about 8 ms of that, this module about 1. It opens the file
read-only: it never creates, migrates or writes it, and gives nothing (never an error) for a
journal it cannot read. The schema is the journal's (version 2; only its entries table is
read); a test keeps the two in step.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seatctl.config.paths import data_dir

NEWEST_FIRST = "ORDER BY created_at DESC, seq DESC"
READ_TIMEOUT_S = 0.2  # a TAB does not wait for a busy journal


def journal_path(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/seatctl/journal.db` (`~/.local/share/seatctl/journal.db`)."""
    return data_dir(env) / "journal.db"


def recent_bookings(path: Path, profile: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` entries of `profile` that made a booking, newest first: each with
    `booking_id`, `event_name`, `event_id`, `seat_labels`, `quantity`, `state`."""
    return _read(path, "SELECT booking_id, event_name, event_id, seat_labels, quantity, state "
                       f"FROM entries WHERE profile = ? AND booking_id IS NOT NULL "
                       f"{NEWEST_FIRST} LIMIT ?", (profile, limit),
                 lambda row: {"booking_id": row[0], "event_name": row[1], "event_id": row[2],
                              "seat_labels": json.loads(row[3]), "quantity": row[4],
                              "state": row[5]})


def recent_jobs(path: Path, profile: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` bookings of `profile` that have a job id, newest first: each with
    `job_id` (the newest), `event_name`, `event_id`, `seat_labels`, `quantity`, `state`."""
    return _read(path, "SELECT job_ids, event_name, event_id, seat_labels, quantity, state "
                       f"FROM entries WHERE profile = ? AND job_ids != '[]' {NEWEST_FIRST} "
                       "LIMIT ?", (profile, limit),
                 lambda row: {"job_id": json.loads(row[0])[-1], "event_name": row[1],
                              "event_id": row[2], "seat_labels": json.loads(row[3]),
                              "quantity": row[4], "state": row[5]})


def _read(path: Path, sql: str, params: tuple[Any, ...],
          record: Callable[[tuple[Any, ...]], dict[str, Any]]) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                             timeout=READ_TIMEOUT_S)
        try:
            rows = db.execute(sql, params).fetchall()
        finally:
            db.close()
        return [record(row) for row in rows]
    except (sqlite3.Error, OSError, ValueError, TypeError, IndexError, KeyError):
        return []  # locked, not a journal, another schema: nothing to offer
