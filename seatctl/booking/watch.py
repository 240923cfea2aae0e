"""Watching a booking job until it is final: polls, long polls, warnings, a deadline, and
the rate-limit budget (when to poll is `booking.poll`'s pure plan).

The loop never prints: every poll, state change, transient failure and announced wait is
handed to an `on_update` callback as a WatchUpdate, and the outcome comes back as a
WatchResult that says why the watch ended: a final state, its timeout with the job pending,
or the status could not be read (no budget left, or the network).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from seatctl.api.endpoints import job_status
from seatctl.api.models import JobStatus
from seatctl.booking.poll import Budget, OutOfBudget, Poll, PollPlan, WaitReason
from seatctl.booking.status import JobState, interpret
from seatctl.clock import Clock
from seatctl.errors import (
    DeadlineExceeded,
    HTTPStatusError,
    NetworkError,
    RateLimited,
    ResponseError,
    SeatctlError,
    ServerError,
)
from seatctl.http import ApiClient, RateLimitInfo

LONG_POLL_WAIT = 25.0  # seconds per long poll; the reference server allows up to 30
FIRST_LONG_POLL_WAIT = 2.0  # the first one short: something to show (the queue) soon
IGNORED_WAIT = 0.25  # an unchanged answer faster than this: the server ignores ?wait=
NOTICEABLE_WAIT = 2.0  # a wait this long for anything but the job is announced


class UpdateKind(StrEnum):
    POLL = "poll"  # an answer, state unchanged
    STATE = "state"  # the state changed (also the first answer)
    WARNING = "warning"  # a poll failed; the watch goes on
    WAITING = "waiting"  # a wait over NOTICEABLE_WAIT for the budget or the server's hint


class EndReason(StrEnum):
    FINAL = "final"  # the job reached a final state
    TIMEOUT = "timeout"  # the wait ended with the job pending
    RATE_LIMITED = "rate-limited"  # the status could not be read: no budget left
    NETWORK = "network"  # the status could not be read: the last polls failed


@dataclass(frozen=True)
class Waiting:
    reason: WaitReason
    seconds: float
    rate_limit: RateLimitInfo | None


@dataclass(frozen=True)
class WatchUpdate:
    kind: UpdateKind
    job_id: str
    state: JobState | None
    status: JobStatus | None
    polls: int
    elapsed: float
    warning: str | None = None
    waiting: Waiting | None = None
    rate_limit: RateLimitInfo | None = None  # the budget as last announced


@dataclass(frozen=True)
class WatchResult:
    job_id: str
    state: JobState
    status: JobStatus | None
    polls: int
    elapsed_s: float
    ended_by: EndReason = EndReason.FINAL
    rate_limit: RateLimitInfo | None = None
    last_error: SeatctlError | None = None  # the failure that ended a RATE_LIMITED/NETWORK end
    wait_ignored: bool = False  # the server answered `?wait=` at once: it has no long polling

    @property
    def timed_out(self) -> bool:
        return self.ended_by is not EndReason.FINAL

    @property
    def seen(self) -> bool:
        """Whether any status answer was read."""
        return self.status is not None


OnUpdate = Callable[[WatchUpdate], None]


def fan_out(*sinks: OnUpdate) -> OnUpdate:
    """One `on_update` that hands every update to each of `sinks`, in order."""

    def send(update: WatchUpdate) -> None:
        for sink in sinks:
            sink(update)

    return send


@dataclass
class Watcher:
    client: ApiClient
    clock: Clock
    timeout: float = 120.0
    long_poll: bool = True
    plan: PollPlan = field(default_factory=PollPlan)
    rng: random.Random = field(default_factory=random.Random)
    on_update: OnUpdate = lambda update: None

    def watch(self, job_id: str, since: float | None = None) -> WatchResult:
        """Poll until the job is final, `timeout` passes, or the status cannot be read.
        `since` (the clock's monotonic time of the booking POST's answer) is where
        `elapsed` starts."""
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
    retry_after: float | None = None
    failure: SeatctlError | None = None  # the last poll's, until one succeeds

    def __post_init__(self) -> None:
        self.deadline = self.watcher.clock.monotonic() + self.watcher.timeout
        self.long_poll = self.watcher.long_poll

    def until_final(self) -> WatchResult:
        while True:
            decision = self._next()
            if isinstance(decision, OutOfBudget):
                return self._result(EndReason.RATE_LIMITED)
            if not self._wait(decision):
                return self._result(self._why_unfinished())
            self._poll(self._remaining())
            if self.state is not None and self.state.final:
                return self._result(EndReason.FINAL)

    def _next(self) -> OutOfBudget | Poll:
        budget = self._budget()
        decision = self.watcher.plan.next_poll(
            elapsed=self._elapsed(), horizon=self.deadline - self.since, polls=self.polls,
            retry_after=self.retry_after, budget=budget, rng=self.watcher.rng)
        if self.long_poll and isinstance(decision, Poll) and decision.reason is WaitReason.JOB:
            return Poll(0.0, WaitReason.JOB)  # the server holds the request until there is news
        return decision

    def _wait(self, decision: Poll) -> bool:
        """Sleep before the next poll; False when the deadline comes first."""
        remaining = self._remaining()
        if decision.reason is not WaitReason.JOB and decision.delay >= NOTICEABLE_WAIT:
            self._emit(UpdateKind.WAITING, waiting=Waiting(
                decision.reason, min(decision.delay, max(remaining, 0.0)), self._rate_limit()))
        if decision.delay >= remaining:
            self.watcher.clock.sleep(max(0.0, remaining))
            return False
        if decision.delay > 0:
            self.watcher.clock.sleep(decision.delay)
        return True

    def _poll(self, remaining: float) -> None:
        longest = FIRST_LONG_POLL_WAIT if self.polls == 0 else LONG_POLL_WAIT
        wait = min(longest, remaining) if self.long_poll else 0.0
        asked = self.watcher.clock.monotonic()
        try:
            answer = job_status(self.watcher.client, self.job_id, wait=wait)
        except SeatctlError as error:
            if not _transient(error):
                raise
            self.polls += 1
            self.failure = error
            self.retry_after = None
            if not isinstance(error, RateLimited):  # the budget says it: no warning twice
                self._emit(UpdateKind.WARNING, warning=error.message)
            return
        self.polls += 1
        self.failure = None
        state = interpret(answer.status)
        changed = state != self.state
        fast = self.watcher.clock.monotonic() - asked < IGNORED_WAIT
        if wait and fast and not state.final and (answer.status.state is None or not changed):
            # An answer at once, with nothing new (or in the seed backend's dialect, which
            # has no long polling): the server ignores ?wait=, so plain polling from now on.
            self.long_poll = False
        self.state, self.status, self.retry_after = state, answer.status, answer.retry_after
        self._emit(UpdateKind.STATE if changed else UpdateKind.POLL)

    def _why_unfinished(self) -> EndReason:
        if isinstance(self.failure, RateLimited):
            return EndReason.RATE_LIMITED
        if self.failure is not None:
            return EndReason.NETWORK
        return EndReason.TIMEOUT

    def _budget(self) -> Budget | None:
        info = self.watcher.client.budget.known
        if info is None:
            return None
        return Budget(info.limit, info.remaining, self.watcher.client.budget.reset_in())

    def _rate_limit(self) -> RateLimitInfo | None:
        return self.watcher.client.budget.known

    def _remaining(self) -> float:
        return self.deadline - self.watcher.clock.monotonic()

    def _elapsed(self) -> float:
        return self.watcher.clock.monotonic() - self.since

    def _emit(self, kind: UpdateKind, warning: str | None = None,
              waiting: Waiting | None = None) -> None:
        self.watcher.on_update(WatchUpdate(
            kind, self.job_id, self.state, self.status, self.polls, self._elapsed(), warning,
            waiting, self._rate_limit()))

    def _result(self, ended_by: EndReason) -> WatchResult:
        failure = self.failure if ended_by in (EndReason.RATE_LIMITED,
                                               EndReason.NETWORK) else None
        return WatchResult(self.job_id, self.state or JobState.PENDING, self.status,
                           self.polls, self._elapsed(), ended_by, self._rate_limit(), failure,
                           wait_ignored=self.watcher.long_poll and not self.long_poll)


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
