"""Clocks for tests besides `seatctl.clock.ManualClock` (the monotonic Clock's double):

- `ManualWallClock`: Unix time (what `time.time` gives), moved by setting `now`;
- `PairedClocks`: a ManualClock and a ManualWallClock that move together unless one is
  stepped alone (an NTP step);
- `SteppingDatetimeClock`: an aware datetime one step later at each call (a Journal's clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from seatctl.clock import ManualClock

WALL_T0 = 1_800_000_000.0  # where a ManualWallClock starts: 2027-01-15


class ManualWallClock:
    """A Unix-time clock (what `time.time` gives) that moves only when `now` is set."""

    def __init__(self, now: float = WALL_T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class PairedClocks:
    """A monotonic clock and a wall clock (Unix time) that move together unless stepped."""

    def __init__(self, monotonic: float, wall: float) -> None:
        self.monotonic, self.wall = ManualClock(monotonic), ManualWallClock(wall)

    def advance(self, seconds: float) -> None:
        self.monotonic.advance(seconds)
        self.wall.now += seconds


class SteppingDatetimeClock:
    """Each call answers `step` (a minute) later than the previous one, the first `start`:
    every write of a Journal gets its own time, in order."""

    def __init__(self, start: datetime, step: timedelta = timedelta(minutes=1)) -> None:
        self.step = step
        self.now = start - step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now
