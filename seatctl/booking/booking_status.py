"""A booking's status, as the server says it (lower-cased). Standard library only: the
command line builds its `bookings --status` choices from it as it loads (on every TAB)."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    PENDING = "pending"


STATUSES = tuple(status.value for status in BookingStatus)
