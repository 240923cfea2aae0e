"""When to ask for a job's status next: a pure schedule, fed what each answer said.

* The first poll comes soon after the submit (the job may be done already).
* Then the gap grows by `growth` with +-`jitter`, up to `cap` (2 s: the seed's interval).
* Never sooner than the server's `Retry-After`.
* Slower as the rate-limit budget runs out: once half of it is used, the remaining requests
  (less a reserve) are spread over the time left in the window, so a watch never locks its
  user out (the seed's production limit is 100 requests per 15 minutes, shared with
  everything else the user does).
* With long polling the server holds each request until the state changes, so there is no
  gap at all unless the server answered early without a change (then the plain schedule).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from seatctl.http import RateLimitInfo

RATE_LIMIT_RESERVE = 0.2  # keep a fifth of the budget for the user's other requests
RATE_LIMIT_NEAR = 0.5  # pace the polls once half the budget is gone


@dataclass
class PollSchedule:
    first: float = 0.15
    growth: float = 1.4
    cap: float = 2.0
    jitter: float = 0.1
    random: random.Random = field(default_factory=random.Random)
    _gap: float = 0.0

    def reset(self) -> None:
        """Start again from `first`: a new job is a new schedule."""
        self._gap = 0.0

    def next_delay(self, *, retry_after: float | None = None,
                   rate_limit: RateLimitInfo | None = None) -> float:
        """Seconds to wait before the next status request."""
        self._gap = self.first if self._gap == 0 else min(self.cap, self._gap * self.growth)
        delay = self._gap * self.random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if rate_limit is not None:
            delay = max(delay, rate_limit_floor(rate_limit))
        return delay


def rate_limit_floor(info: RateLimitInfo) -> float:
    """The smallest gap that keeps a reserve of the budget until the window resets: none
    while more than half of it is left, then the usable rest spread over the window."""
    usable = info.remaining - info.limit * RATE_LIMIT_RESERVE
    if usable <= 0:
        return info.reset_s + 0.5  # out of budget: wait for the window to reset
    if info.remaining > info.limit * RATE_LIMIT_NEAR:
        return 0.0
    return info.reset_s / usable
