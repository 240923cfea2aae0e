"""The one retry policy: full-jitter exponential backoff, bounded in attempts and time.

Only requests that are safe to repeat are retried: GET, HEAD and OPTIONS, and any request
that carries an idempotency key (the booking POST: the server collapses repeats of a key
into one booking). A POST without a key is never retried: if its answer was lost, the
server may have acted on it, and a repeat could book twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tenacity

from seatctl.clock import Clock, Deadline
from seatctl.errors import RateLimited, is_retryable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

RetryNotice = Callable[[int, float, BaseException], None]
"""Called before each backoff sleep with (attempt that failed, seconds to wait, its error)."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3
    deadline: float = 30.0  # seconds for all attempts and waits of one request
    backoff_base: float = 0.25
    backoff_cap: float = 8.0

    def may_repeat(self, method: str, has_idempotency_key: bool) -> bool:
        return method.upper() in SAFE_METHODS or has_idempotency_key

    def backoff_bound(self, attempt: int) -> float:
        """The upper bound of the jittered wait after failed attempt `attempt` (1-based)."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))

    def retrying(
        self, *, clock: Clock, overall: Deadline, method: str, has_idempotency_key: bool,
        notice: RetryNotice | None = None, retry_rate_limited: bool = True,
    ) -> tenacity.Retrying:
        """A tenacity loop for one request; the last error is re-raised when it gives up."""
        repeatable = self.may_repeat(method, has_idempotency_key)

        def worth_repeating(error: BaseException) -> bool:
            if isinstance(error, RateLimited) and not retry_rate_limited:
                return False
            return repeatable and is_retryable(error)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if notice is not None and state.outcome is not None:
                error = state.outcome.exception()
                if error is not None:
                    notice(state.attempt_number, state.upcoming_sleep, error)

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(worth_repeating),
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(self.retries + 1),
                _OutOfTime(clock, clock.monotonic(), self.deadline, overall),
            ),
            wait=self._wait,
            sleep=clock.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            return float(retry_after)
        jitter = tenacity.wait_random_exponential(multiplier=self.backoff_base,
                                                  max=self.backoff_cap)
        return float(jitter(state))


class _OutOfTime(tenacity.stop.stop_base):
    """Stop when the next wait would end past the retry deadline or the command's deadline."""

    def __init__(self, clock: Clock, started: float, budget: float, overall: Deadline) -> None:
        self._clock, self._started, self._budget, self._overall = clock, started, budget, overall

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep
        if self._clock.monotonic() - self._started + upcoming > self._budget:
            return True
        remaining = self._overall.remaining()
        return remaining is not None and upcoming >= remaining
