"""The poll plan, run forward on paper: for each job length, budget and hint, when would the
job be noticed, and what would it cost? (No clock, no server: the plan is pure.)"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import pytest

from seatctl.booking.poll import (
    Budget,
    OutOfBudget,
    Poll,
    PollPlan,
    WaitReason,
    notice_bound,
)

HORIZON = 120.0  # the watch's default --timeout
LENGTHS = (0.2, 1.0, 5.0, 30.0, 100.0)
WINDOW = 900.0


@dataclass(frozen=True)
class Run:
    noticed_after: float | None  # seconds after the job completed; None: never
    polls: int
    reasons: frozenset[WaitReason]
    ran_out: bool  # the plan stopped for want of budget
    lowest_remaining: int | None


def simulate(length: float, *, limit: int | None = None, remaining: int = 0,
             reset_in: float = 900.0, retry_after: float | None = None,
             horizon: float = HORIZON, seed: int = 7) -> Run:
    """Poll the way the plan says until the job (done at `length`) is seen, the horizon
    passes, or the plan runs out of budget. Each poll spends one request; the window
    refills the budget when it resets."""
    plan, rng = PollPlan(), random.Random(seed)
    elapsed, polls, lowest = 0.0, 0, None
    reasons: set[WaitReason] = set()
    while True:
        if limit is not None and elapsed >= reset_in:
            remaining, reset_in = limit, reset_in + WINDOW
        budget = None if limit is None else Budget(limit, remaining, reset_in - elapsed)
        decision = plan.next_poll(elapsed=elapsed, horizon=horizon, polls=polls,
                                  retry_after=retry_after if polls else None, budget=budget,
                                  rng=rng)
        if isinstance(decision, OutOfBudget):
            return Run(None, polls, frozenset(reasons), True, lowest)
        reasons.add(decision.reason)
        elapsed += decision.delay
        if elapsed > horizon:
            return Run(None, polls, frozenset(reasons), False, lowest)
        polls += 1
        if limit is not None:
            remaining -= 1
            lowest = remaining if lowest is None else min(lowest, remaining)
        if elapsed >= length:
            return Run(elapsed - length, polls, frozenset(reasons), False, lowest)


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize(("limit", "remaining"), [(None, 0), (100, 100), (100, 50), (20, 17)])
def test_a_job_is_noticed_within_the_bound_while_budget_remains(
        length: float, limit: int | None, remaining: int) -> None:
    for seed in range(5):
        run = simulate(length, limit=limit, remaining=remaining, seed=seed)
        if run.ran_out:
            continue
        assert run.noticed_after is not None
        assert run.noticed_after <= notice_bound(length) + 1e-9


@pytest.mark.parametrize(("limit", "remaining"), [(100, 50), (100, 20), (20, 17), (20, 6)])
def test_polls_never_spend_the_reserve(limit: int, remaining: int) -> None:
    reserve = PollPlan().reserve(limit)
    for length in LENGTHS:
        run = simulate(length, limit=limit, remaining=remaining)
        assert run.lowest_remaining is None or run.lowest_remaining >= reserve


def test_the_reserve_is_a_tenth_of_the_limit_and_at_least_two() -> None:
    plan = PollPlan()
    assert [plan.reserve(limit) for limit in (5, 20, 100, 1000)] == [2, 2, 10, 100]


def test_unpressured_polls_look_early_and_often() -> None:
    short, second = simulate(0.2), simulate(1.0)
    assert short.polls <= 2 and short.noticed_after is not None
    assert short.noticed_after <= 0.3
    assert second.polls <= 5 and second.noticed_after is not None
    assert second.noticed_after <= 0.35
    assert simulate(5.0).polls <= 11  # the seed frontend: 4; the bench allows twice with lookups
    assert simulate(30.0).polls <= 35  # the seed frontend: 16; twice with lookups, as above


def test_under_pressure_polls_grow_logarithmically_with_the_jobs_length() -> None:
    counts = [simulate(length, limit=20, remaining=12, horizon=900).polls
              for length in (10.0, 20.0, 40.0, 80.0, 160.0)]
    steps = [later - earlier for earlier, later in itertools.pairwise(counts)]
    # Doubling the length adds a bounded number of polls: logarithmic growth.
    assert all(0 <= step <= 2 for step in steps), counts
    assert counts[-1] <= 12 - PollPlan().reserve(20)


def test_pressure_is_said_as_the_rate_limit() -> None:
    assert WaitReason.RATE_LIMIT in simulate(30.0, limit=20, remaining=10).reasons
    assert simulate(30.0).reasons == {WaitReason.JOB}


def test_out_of_budget_a_window_that_resets_within_the_bound_is_waited_for() -> None:
    later = simulate(30.0, limit=20, remaining=8, reset_in=900)
    sooner = simulate(30.0, limit=20, remaining=8, reset_in=20)
    assert later.ran_out and later.noticed_after is None
    assert sooner.noticed_after is not None
    assert sooner.noticed_after <= notice_bound(30.0)


def test_out_of_budget_a_wait_at_most_doubles_the_watch() -> None:
    plan = PollPlan()
    assert plan.next_poll(elapsed=30.0, horizon=HORIZON, polls=9,
                          budget=Budget(100, 3, reset_in=29)) == Poll(29.5, WaitReason.RATE_LIMIT)
    assert plan.next_poll(elapsed=30.0, horizon=HORIZON, polls=9,
                          budget=Budget(100, 3, reset_in=31)) == OutOfBudget(31)


def test_out_of_budget_it_stops_rather_than_wait_out_the_window() -> None:
    plan = PollPlan()
    decision = plan.next_poll(elapsed=3.0, horizon=HORIZON, polls=4,
                              budget=Budget(100, 10, reset_in=600))
    assert decision == OutOfBudget(600)


def test_out_of_budget_it_waits_for_a_window_that_resets_within_the_bound() -> None:
    plan = PollPlan()
    decision = plan.next_poll(elapsed=3.0, horizon=HORIZON, polls=9,
                              budget=Budget(100, 3, reset_in=1.5))
    assert decision == Poll(2.0, WaitReason.RATE_LIMIT)


def test_a_refusal_without_a_limit_is_out_of_budget() -> None:
    decision = PollPlan().next_poll(elapsed=1.0, horizon=HORIZON, polls=2,
                                    budget=Budget(0, 0, reset_in=None))
    assert decision == OutOfBudget(None)


def test_retry_after_is_never_undercut() -> None:
    decision = PollPlan().next_poll(elapsed=1.0, horizon=HORIZON, polls=2, retry_after=3.0)
    assert decision == Poll(3.0, WaitReason.SERVER_HINT)
    soon = PollPlan().next_poll(elapsed=1.0, horizon=HORIZON, polls=2, retry_after=0.0,
                                rng=random.Random(1))
    assert isinstance(soon, Poll) and soon.reason is WaitReason.JOB


def test_jitter_only_shortens_a_gap() -> None:
    plan = PollPlan()
    delays = [plan.next_poll(elapsed=20.0, horizon=HORIZON, polls=5, rng=random.Random(n))
              for n in range(100)]
    gaps = [d.delay for d in delays if isinstance(d, Poll)]
    assert max(gaps) <= plan.cap and min(gaps) >= plan.cap * (1 - plan.jitter)
    assert len(set(gaps)) > 50


def test_the_first_poll_comes_soon_without_pressure() -> None:
    decision = PollPlan().next_poll(elapsed=0.0, horizon=HORIZON, polls=0,
                                    rng=random.Random(3))
    assert isinstance(decision, Poll) and decision.delay <= 0.15
    assert math.isclose(PollPlan(jitter=0).next_poll(
        elapsed=0.0, horizon=HORIZON, polls=0).delay, 0.15)  # type: ignore[union-attr]
