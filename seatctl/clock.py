"""Time as a dependency: commands and the HTTP core take a Clock so tests can fake it
(`ManualClock`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class ManualClock:
    """The Clock whose time moves only when told: `sleep` moves it at once (and is kept in
    `sleeps`), `advance` moves it without a sleep (a slow server), and `now` may be set.
    The Clock's test double, shipped beside it so that tests and benchmarks share one."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Deadline:
    """An absolute point on a clock's monotonic time line; `None` seconds means no deadline."""

    clock: Clock
    expires_at: float | None

    @classmethod
    def after(cls, clock: Clock, seconds: float | None) -> Deadline:
        return cls(clock, None if seconds is None else clock.monotonic() + seconds)

    def remaining(self) -> float | None:
        if self.expires_at is None:
            return None
        return self.expires_at - self.clock.monotonic()

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def check(self, doing: str) -> None:
        if self.expired():
            from seatctl.errors import DeadlineExceeded

            raise DeadlineExceeded(
                f"the overall deadline ran out before {doing}",
                hint="raise --timeout (or SEATCTL_TIMEOUT)",
            )


def parse_iso_time(text: str | None, *, naive_as_utc: bool = True) -> datetime | None:
    """An ISO 8601 time as the API writes them (`2026-10-30T19:30:00.000Z`); one without an
    offset is read as UTC (as the API's are) unless `naive_as_utc` is false. None when
    missing or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None and naive_as_utc:
        return moment.replace(tzinfo=UTC)
    return moment
