"""When to ask for a job's status next: a pure plan, fed the elapsed time, the server's hints
and the rate-limit budget. No clock, no I/O: the watch asks, this module answers.

The promise, while budget remains: a job that completes `T` seconds after the booking was
accepted is noticed within `max(2 s, T / 2)`. So the gap after a poll at `t` is never
longer than `max(2, t / 2)`: the job may have completed just after that poll.

* Unpressured (the budget covers the plan): the first poll at 0.15 s (most jobs are done
  within a second), then gaps of 30 % of the elapsed time, at least 0.3 s and at most 1.2 s:
  many early looks, fewer late ones. The cap is under the seed frontend's 2 s interval so
  that a long job is noticed sooner than the seed's schedule would (bench/watch.py: a p50
  notice delay of about 0.6 s against the seed's 1 s at 30 s, for 1.8x its requests).
* Under pressure the budget is planned, not spread: the polls that are left (less the
  reserve, a share of the limit that is never spent on polls) are placed geometrically up to
  the watch's horizon (its deadline, or the window's reset if sooner, when the budget
  refills), so their number grows logarithmically with the job's duration. The gap never
  exceeds the notice bound: rather run out early (and say so) than notice late.
* Out of budget: wait for the window only when it resets within the notice bound or
  within the time already spent watching (the wait at most doubles it); otherwise stop,
  and let the caller say when the window resets and how to resume. A job that was likely
  done long ago is never left waiting on a 15-minute window.
* Never sooner than the server's `Retry-After`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

FIRST_POLL = 0.15
NOTICE_FLOOR = 2.0  # seconds: the bound's floor, and the seed frontend's interval
NOTICE_SHARE = 0.5  # of the elapsed time: the bound beyond the floor
RESERVE_SHARE = 0.10  # of the limit, never spent on polls
RESERVE_MIN = 2


class WaitReason(StrEnum):
    JOB = "job"  # the schedule: waiting for the job itself
    SERVER_HINT = "retry-after"  # the server said when to ask again
    RATE_LIMIT = "rate-limit"  # pacing the budget, or waiting for its window to reset


@dataclass(frozen=True)
class Budget:
    """The rate limit as the plan needs it: how many requests are left, and for how long."""

    limit: int
    remaining: int
    reset_in: float | None  # seconds until the window resets, when the server says


@dataclass(frozen=True)
class Poll:
    """Poll again after `delay` seconds."""

    delay: float
    reason: WaitReason


@dataclass(frozen=True)
class OutOfBudget:
    """No request may be spent on a poll before the window resets, and waiting for it
    would break the notice bound: stop, name the reset time."""

    reset_in: float | None


Decision = Poll | OutOfBudget


@dataclass(frozen=True)
class PollPlan:
    first: float = FIRST_POLL
    min_gap: float = 0.3
    share: float = 0.3  # unpressured gap, as a share of the elapsed time
    cap: float = 1.2  # the longest unpressured gap, seconds
    reserve_share: float = RESERVE_SHARE
    reserve_min: int = RESERVE_MIN
    jitter: float = 0.1  # gaps are shortened by up to this share, never lengthened

    def reserve(self, limit: int) -> int:
        """Requests of the budget that polls leave for everything else the user does."""
        return max(self.reserve_min, math.ceil(limit * self.reserve_share))

    def usable(self, budget: Budget | None) -> int | None:
        """Polls the budget allows before its window resets; None: no limit announced."""
        if budget is None:
            return None
        if budget.limit <= 0:  # refused (429) without a limit: nothing is left
            return 0
        return budget.remaining - self.reserve(budget.limit)

    def next_poll(self, *, elapsed: float, horizon: float, polls: int,
                  retry_after: float | None = None, budget: Budget | None = None,
                  rng: random.Random | None = None) -> Decision:
        """What to do after `polls` polls, `elapsed` seconds into the job, with `horizon`
        seconds (from the job's start) until the watch's deadline."""
        usable = self.usable(budget)
        if usable is not None and usable <= 0:
            return self._out_of_budget(elapsed, budget)
        gap = self._gap(elapsed, polls, horizon, usable, budget)
        if rng is not None:  # without one the plan is deterministic
            gap *= 1 - self.jitter * rng.random()
        if retry_after is not None and retry_after > gap:
            return Poll(retry_after, WaitReason.SERVER_HINT)
        pressured = usable is not None and gap > self._unpressured(elapsed, polls)
        return Poll(gap, WaitReason.RATE_LIMIT if pressured else WaitReason.JOB)

    def _gap(self, elapsed: float, polls: int, horizon: float, usable: int | None,
             budget: Budget | None) -> float:
        gap = self._unpressured(elapsed, polls)
        if usable is None:
            return gap
        if budget is not None and budget.reset_in is not None:
            horizon = min(horizon, elapsed + budget.reset_in)  # then the budget refills
        return min(notice_bound(elapsed), max(gap, _fitting_gap(elapsed, horizon, usable)))

    def _unpressured(self, elapsed: float, polls: int) -> float:
        if polls == 0:
            return self.first
        return min(self.cap, max(self.min_gap, self.share * elapsed))

    def _out_of_budget(self, elapsed: float, budget: Budget | None) -> Decision:
        reset_in = budget.reset_in if budget is not None else None
        if reset_in is not None and reset_in <= max(notice_bound(elapsed), elapsed):
            return Poll(reset_in + 0.5, WaitReason.RATE_LIMIT)  # +0.5: the server's rounding
        return OutOfBudget(reset_in)


def notice_bound(elapsed: float) -> float:
    """The longest gap after a poll at `elapsed` that keeps the promise."""
    return max(NOTICE_FLOOR, NOTICE_SHARE * elapsed)


def _fitting_gap(elapsed: float, horizon: float, polls: int) -> float:
    """The gap after `elapsed` of a geometric schedule that places `polls` polls up to
    `horizon`: each gap the same share of the time so far."""
    start = max(elapsed, 1.0)
    if horizon <= start:
        return 0.0
    ratio: float = (horizon / start) ** (1 / polls)
    return start * (ratio - 1)
