"""The bounded pool of sampling connections and the schedule they share.

Each of the plan's connections is a slot with a role, assigned in the order STEADY, FRESH,
IDLE, IDLE, STEADY, ... (one connection: STEADY only):

* STEADY keeps its connection and reuses it at whatever pace the rate gives it;
* FRESH opens a new connection for every sample and closes it after the answer;
* IDLE reuses its connection after gaps spread from 0.5x to 1.5x the idle close, the way a
  proxy's pooled connection is reused, so the keep-alive race is exercised.

A held connection is watched while idle: when the server closes or resets it, the moment
is recorded (an idle-death `Sample`, not a request: the classifier tells the normal idle
close from a connection dropped early) and the connection is replaced, never reused, as
every pool does: only a close racing a request is the keep-alive race. Every sample waits
its turn on one `Schedule`, so the rate bound holds whatever the slots do, and each slot
holds at most one connection.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from seatctl.diagnostics.connection import RawConnection
from seatctl.diagnostics.failures import FailureKind, failure_kind
from seatctl.diagnostics.results import CloseKind, RawResponse
from seatctl.diagnostics.targets import Target
from seatctl.errors import (
    ConnectionCut,
    PhaseTimeout,
    ResetWhen,
    SeatctlError,
    WriteTimeout,
)
from seatctl.monitor.incidents import Failure
from seatctl.monitor.plan import MonitorPlan

GAP_SPREAD = (0.5, 1.5)  # idle gaps, as shares of the idle close
POST_EVERY = 5  # with --post, every fifth sample is the POST
POST_BODY = b"{}"


class Role(StrEnum):
    STEADY = "steady"
    FRESH = "fresh"
    IDLE = "idle"


ROLE_ORDER = (Role.STEADY, Role.FRESH, Role.IDLE, Role.IDLE)


def roles_for(connections: int) -> list[Role]:
    return [ROLE_ORDER[index % len(ROLE_ORDER)] for index in range(connections)]


class Schedule:
    """Start times at least 1/rate apart, handed out in order: no burst ever catches up
    on turns missed while every slot was busy."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next: float | None = None

    def claim_turn(self) -> float:
        """Take the next turn; the seconds until it comes."""
        now = asyncio.get_running_loop().time()
        turn = now if self._next is None else max(self._next, now)
        self._next = turn + self._interval
        return turn - now


@dataclass(frozen=True)
class Sample:
    """What a slot measured; the run turns it into an `Outcome`."""

    started: float  # loop time the request was begun (before connecting, if fresh)
    method: str  # "" for an idle death: no request was sent
    path: str
    reused: bool
    connection_age: float
    idle: float
    response: RawResponse | None = None
    failure: Failure | None = None
    ended: float | None = None  # loop time the outcome was known (None: `started`)


Record = Callable[[Sample], None]


class Sampler:
    def __init__(self, plan: MonitorPlan, record: Record, idle_close: Callable[[], float],
                 *, seed: int | None = None) -> None:
        self._plan = plan
        self._record = record
        self._idle_close = idle_close
        self._schedule = Schedule(plan.rate)
        self._random = random.Random(seed)
        self._count = 0
        self.open_connections = 0  # for the bound's tests: never above plan.connections
        self.in_flight = 0  # samples begun and not yet recorded

    def slots(self) -> Sequence[Role]:
        return roles_for(self._plan.connections)

    async def run_slot(self, role: Role) -> None:
        """Sample until cancelled; the slot's connection is closed on the way out."""
        slot = _Slot(role)
        try:
            while True:
                if role is Role.IDLE and slot.connection is not None:
                    await self._hold(slot, self._gap())
                await self._hold(slot, self._schedule.claim_turn())
                await self._retire_if_closed(slot)
                self.in_flight += 1
                try:
                    sample = await self._sample(slot)
                finally:
                    self.in_flight -= 1
                self._record(sample)
                if role is Role.FRESH:
                    await self._drop(slot)
        finally:
            await self._drop(slot)

    async def _hold(self, slot: _Slot, seconds: float) -> None:
        """Wait `seconds`, watching the held connection: if the server closes or resets it
        meanwhile, record when, and drop it."""
        connection = slot.connection
        if connection is None or connection.last_response is None:
            await asyncio.sleep(seconds)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        since = connection.last_response.ended_at
        try:
            close = await connection.wait_for_close(deadline - since)
            kind = None if close.kind is None else (
                FailureKind.RESET if close.kind is CloseKind.RESET else FailureKind.CLOSED)
        except SeatctlError:
            kind = FailureKind.RESET
        if kind is None:
            return
        died = loop.time()
        self._record(Sample(died, "", self._plan.target.path, True, died - slot.opened_at,
                            died - since, failure=Failure(kind, "", while_idle=True),
                            ended=died))
        await self._drop(slot)
        await asyncio.sleep(max(0.0, deadline - loop.time()))

    def _gap(self) -> float:
        return self._idle_close() * self._random.uniform(*GAP_SPREAD)

    def _next_request(self) -> tuple[str, Target]:
        self._count += 1
        post = self._plan.post_target
        if post is not None and self._count % POST_EVERY == 0:
            return "POST", post
        return "GET", self._plan.target

    async def _sample(self, slot: _Slot) -> Sample:
        method, target = self._next_request()
        loop = asyncio.get_running_loop()
        started = loop.time()
        reused = slot.connection is not None
        idle = started - slot.last_end if reused else 0.0
        try:
            connection = await self._connection(slot, target)
            age = started - connection.started_at if reused else 0.0
            response = await _send(connection, method, target.path)
        except SeatctlError as exc:
            age = started - slot.opened_at if reused else 0.0
            await self._drop(slot)
            return Sample(started, method, target.path, reused, age, idle,
                          failure=failure_of(exc), ended=loop.time())
        slot.last_end = response.ended_at
        if not response.keeps_alive:
            await self._drop(slot)
        return Sample(started, method, target.path, reused, age, idle, response=response,
                      ended=response.ended_at)

    async def _connection(self, slot: _Slot, target: Target) -> RawConnection:
        if slot.connection is None:
            slot.connection = await RawConnection.open(target, self._plan.connect)
            slot.opened_at = slot.connection.started_at
            self.open_connections += 1
        return slot.connection

    async def _retire_if_closed(self, slot: _Slot) -> None:
        connection = slot.connection
        if connection is not None and (connection.fin_received or not connection.reusable):
            await self._drop(slot)

    async def _drop(self, slot: _Slot) -> None:
        connection, slot.connection = slot.connection, None
        if connection is not None:
            self.open_connections -= 1
            await connection.aclose()


@dataclass
class _Slot:
    role: Role
    connection: RawConnection | None = None
    opened_at: float = 0.0
    last_end: float = 0.0


async def _send(connection: RawConnection, method: str, path: str) -> RawResponse:
    if method == "POST":
        return await connection.request(method, path, [
            ("Content-Type", "application/json"), ("Content-Length", str(len(POST_BODY)))],
            body=POST_BODY)
    return await connection.request(method, path)


def failure_of(exc: SeatctlError) -> Failure:
    """The connection layer's error as the classifier's data."""
    message = str(exc.message)
    if isinstance(exc, ConnectionCut):
        return Failure(failure_kind(exc), message,
                       mid_response=exc.when is ResetWhen.MID_RESPONSE)
    if isinstance(exc, PhaseTimeout):
        phase = "write" if isinstance(exc, WriteTimeout) else exc.phase.value
        return Failure(FailureKind.TIMEOUT, message, phase=phase)
    return Failure(failure_kind(exc), message)
