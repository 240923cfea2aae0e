"""Deadlines on an injected clock."""

from __future__ import annotations

import pytest

from seatctl.clock import Deadline, ManualClock
from seatctl.errors import DeadlineExceeded


def test_deadline_counts_down_on_the_injected_clock() -> None:
    clock = ManualClock(100.0)
    deadline = Deadline.after(clock, 2.0)
    assert deadline.remaining() == 2.0
    clock.sleep(2.5)
    with pytest.raises(DeadlineExceeded, match="before GET /health"):
        deadline.check("GET /health")


def test_no_deadline_never_expires() -> None:
    deadline = Deadline.after(ManualClock(100.0), None)
    assert deadline.remaining() is None
    deadline.check("anything")
