"""Watching a booking job until it is final: polls, long polls, warnings, a deadline.

The loop never prints: every poll, state change and transient failure is handed to an
`on_update` callback as a WatchUpdate, and the outcome comes back as a WatchResult.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from seatctl.api.endpoints import StatusAnswer, job_status
from seatctl.api.models import JobStatus
from seatctl.booking.poll import PollSchedule, rate_limit_floor
from seatctl.booking.status import JobState, interpret
from seatctl.clock import Clock
from seatctl.errors import (
    DeadlineExceeded,
    HTTPStatusError,
    NetworkError,
    ResponseError,
    SeatctlError,
    ServerError,
)
from seatctl.http import ApiClient

LONG_POLL_WAIT = 25.0  # seconds per long poll; the reference server allows up to 30
FIRST_LONG_POLL_WAIT = 2.0  # the first one short: something to show (the queue) soon
IGNORED_WAIT = 0.25  # an unchanged answer faster than this: the server ignores ?wait=


class UpdateKind(StrEnum):
    POLL = "poll"  # an answer, state unchanged
    STATE = "state"  # the state changed (also the first answer)
    WARNING = "warning"  # a poll failed; the watch goes on


@dataclass(frozen=True)
class WatchUpdate:
    kind: UpdateKind
    job_id: str
    state: JobState | None
    status: JobStatus | None
    polls: int
    elapsed: float
    warning: str | None = None


@dataclass(frozen=True)
class WatchResult:
    job_id: str
    state: JobState
    status: JobStatus | None
    polls: int
    elapsed_s: float
    timed_out: bool = False


@dataclass
class Watcher:
    client: ApiClient
    clock: Clock
    timeout: float = 120.0
    long_poll: bool = True
    schedule: PollSchedule = field(default_factory=PollSchedule)
    on_update: Callable[[WatchUpdate], None] = lambda update: None

    def watch(self, job_id: str, since: float | None = None) -> WatchResult:
        """Poll until the job is final or `timeout` passes. `since` (the clock's monotonic
        time of the booking POST's answer) is where `elapsed` starts."""
        self.schedule.reset()
        run = _Run(self, job_id, self.clock.monotonic() if since is None else since)
        return run.until_final()


@dataclass
class _Run:
    watcher: Watcher
    job_id: str
    since: float
    polls: int = 0
    state: JobState | None = None
    status: JobStatus | None = None

    def __post_init__(self) -> None:
        self.deadline = self.watcher.clock.monotonic() + self.watcher.timeout
        self.long_poll = self.watcher.long_poll

    def until_final(self) -> WatchResult:
        if not self.long_poll:  # a long poll may start at once: the server holds it
            self._sleep(self.watcher.schedule.first)
        while True:
            remaining = self._remaining()
            if remaining <= 0:
                return self._result(timed_out=True)
            answer = self._poll(remaining)
            if answer is None:
                continue
            if self.state is not None and self.state.final:
                return self._result()
            self._sleep(self._delay(answer))

    def _poll(self, remaining: float) -> StatusAnswer | None:
        longest = FIRST_LONG_POLL_WAIT if self.polls == 0 else LONG_POLL_WAIT
        wait = min(longest, remaining) if self.long_poll else 0.0
        asked = self.watcher.clock.monotonic()
        try:
            answer = job_status(self.watcher.client, self.job_id, wait=wait)
        except SeatctlError as error:
            if not _transient(error):
                raise
            self.polls += 1
            self._emit(UpdateKind.WARNING, warning=error.message)
            retry_after = getattr(error, "retry_after", None)
            self._sleep(self.watcher.schedule.next_delay(retry_after=retry_after))
            return None
        self.polls += 1
        state = interpret(answer.status)
        changed = state != self.state
        fast = self.watcher.clock.monotonic() - asked < IGNORED_WAIT
        if wait and fast and not state.final and (answer.status.state is None or not changed):
            # An answer at once, with nothing new (or in the seed backend's dialect, which
            # has no long polling): the server ignores ?wait=, so plain polling from now on.
            self.long_poll = False
        self.state, self.status = state, answer.status
        self._emit(UpdateKind.STATE if changed else UpdateKind.POLL)
        return answer

    def _delay(self, answer: StatusAnswer) -> float:
        if self.long_poll:  # the server holds the next request until there is news
            return rate_limit_floor(answer.rate_limit) if answer.rate_limit else 0.0
        return self.watcher.schedule.next_delay(retry_after=answer.retry_after,
                                                rate_limit=answer.rate_limit)

    def _sleep(self, seconds: float) -> None:
        self.watcher.clock.sleep(max(0.0, min(seconds, self._remaining())))

    def _remaining(self) -> float:
        return self.deadline - self.watcher.clock.monotonic()

    def _emit(self, kind: UpdateKind, warning: str | None = None) -> None:
        self.watcher.on_update(WatchUpdate(
            kind, self.job_id, self.state, self.status, self.polls,
            self.watcher.clock.monotonic() - self.since, warning))

    def _result(self, timed_out: bool = False) -> WatchResult:
        return WatchResult(self.job_id, self.state or JobState.PENDING, self.status,
                           self.polls, self.watcher.clock.monotonic() - self.since, timed_out)


def _transient(error: SeatctlError) -> bool:
    """Worth polling again: the network, a proxy's 502/503/504, a rate limit, a garbled
    answer. Not the command's own deadline, and not a 500 that would only repeat itself."""
    if isinstance(error, DeadlineExceeded):
        return False
    if isinstance(error, NetworkError | ResponseError):
        return True
    if isinstance(error, ServerError):
        return error.retryable
    return isinstance(error, HTTPStatusError) and error.status_code == 429
