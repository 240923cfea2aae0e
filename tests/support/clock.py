"""Wall-clock time for tests. The monotonic Clock's double is `seatctl.clock.ManualClock`."""

from __future__ import annotations

WALL_T0 = 1_800_000_000.0  # where a ManualWallClock starts: 2027-01-15


class ManualWallClock:
    """A Unix-time clock (what `time.time` gives) that moves only when `now` is set."""

    def __init__(self, now: float = WALL_T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
