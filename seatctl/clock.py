"""Time as a dependency: commands and the HTTP core take a Clock so tests can fake it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


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

    def clip(self, seconds: float) -> float:
        """`seconds`, shortened so that it ends no later than the deadline."""
        remaining = self.remaining()
        return seconds if remaining is None else min(seconds, remaining)

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
