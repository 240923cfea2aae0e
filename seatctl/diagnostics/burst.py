"""The burst probe: C connections at once, R sequential requests on each, every outcome counted.

Each of the C workers keeps one keep-alive connection, as a pooled client does, and opens a
new one only when the server has closed it (a `Connection: close` response, or its FIN seen
before the next request) or after a failure. Bounded: at most C x R requests, so at most
C x R connections, and `time_limit` seconds overall. Nothing here prints.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from seatctl.diagnostics.bounds import BURST_TIME_LIMIT, require, require_wait
from seatctl.diagnostics.connection import RawConnection
from seatctl.diagnostics.failures import FailureKind, failure_kind
from seatctl.diagnostics.results import BurstOutcome, BurstResult, RawResponse, percentiles
from seatctl.diagnostics.targets import ConnectOptions, Target, parse_target
from seatctl.diagnostics.tasks import run_all
from seatctl.errors import NetworkError, ResponseError

MAX_BURST_CONNECTIONS = 50
MAX_BURST_REQUESTS = 200  # per connection
# Any other failure (refused, TLS, a broken response, ...) is an ERROR.
FAILURE_OUTCOMES = {FailureKind.RESET: BurstOutcome.RESET,
                    FailureKind.CLOSED: BurstOutcome.CLOSED,
                    FailureKind.TIMEOUT: BurstOutcome.TIMEOUT}


async def burst_probe(url: str, connections: int = 10, requests: int = 20, *,
                      path: str | None = None, options: ConnectOptions | None = None,
                      time_limit: float = BURST_TIME_LIMIT) -> BurstResult:
    """`connections` concurrent workers, each sending `requests` sequential requests on a
    keep-alive connection; requests not answered within `time_limit` seconds time out."""
    target = parse_target(url, path)
    require(1 <= connections <= MAX_BURST_CONNECTIONS,
            f"connections must be within 1..{MAX_BURST_CONNECTIONS}")
    require(1 <= requests <= MAX_BURST_REQUESTS,
            f"requests must be within 1..{MAX_BURST_REQUESTS}")
    require_wait("time_limit", time_limit)
    loop = asyncio.get_running_loop()
    started = loop.time()
    tally = _Tally(target, time_limit)
    await run_all(_Worker(target, options, tally).run(requests, started + time_limit)
                  for _ in range(connections))
    return tally.result(connections, requests, loop.time() - started)


def outcome_of_status(status: int) -> BurstOutcome:
    if status >= 500:
        return BurstOutcome.SERVER_ERROR
    return BurstOutcome.CLIENT_ERROR if status >= 400 else BurstOutcome.OK


def outcome_of_failure(error: NetworkError | ResponseError) -> BurstOutcome:
    return FAILURE_OUTCOMES.get(failure_kind(error), BurstOutcome.ERROR)


class _Tally:
    """The counts while the burst runs (one event loop: the workers take turns)."""

    def __init__(self, target: Target, time_limit: float) -> None:
        self._target = target
        self._time_limit = time_limit
        self.outcomes: Counter[BurstOutcome] = Counter()
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.opened = 0
        self.first_failure: str | None = None

    def answered(self, response: RawResponse) -> None:
        outcome = outcome_of_status(response.status)
        self.outcomes[outcome] += 1
        self.statuses[response.status] += 1
        self.latencies.append(response.ended_at - response.sent_at)
        if outcome is not BurstOutcome.OK:
            self._first(f"{self._target.label} answered {response.status}")

    def failed(self, error: NetworkError | ResponseError) -> None:
        self.outcomes[outcome_of_failure(error)] += 1
        self._first(error.message)

    def ran_out(self, unanswered: int) -> None:
        """The request in flight timed out; the ones after it were never sent."""
        self.outcomes[BurstOutcome.TIMEOUT] += min(1, unanswered)
        self.outcomes[BurstOutcome.NOT_SENT] += max(0, unanswered - 1)
        self._first(f"the time limit ({self._time_limit:g} s) ran out with requests unanswered")

    def result(self, connections: int, requests: int, elapsed: float) -> BurstResult:
        return BurstResult(
            connections=connections, requests_per_connection=requests,
            outcomes={outcome: self.outcomes[outcome] for outcome in BurstOutcome},
            statuses=dict(sorted(self.statuses.items())),
            latency=percentiles(self.latencies) if self.latencies else None,
            latency_max_s=max(self.latencies, default=None),
            connections_opened=self.opened, elapsed_s=elapsed,
            first_failure=self.first_failure,
        )

    def _first(self, message: str) -> None:
        if self.first_failure is None:
            self.first_failure = message


class _Worker:
    """One client connection's share of the burst; owns at most one open connection."""

    def __init__(self, target: Target, options: ConnectOptions | None, tally: _Tally) -> None:
        self._target = target
        self._options = options
        self._tally = tally
        self._connection: RawConnection | None = None
        self._counted = 0  # requests whose outcome the tally has

    async def run(self, requests: int, deadline: float) -> None:
        """`requests` requests one after another; those without an outcome at `deadline` (the
        one in flight included) count as timed out."""
        try:
            async with asyncio.timeout_at(deadline):
                for _ in range(requests):
                    await self._request()
        except TimeoutError:
            self._tally.ran_out(requests - self._counted)
        finally:
            await self._drop()

    async def _request(self) -> None:
        try:
            connection = await self._kept_or_new()
            response = await connection.request()
        except (NetworkError, ResponseError) as error:
            self._tally.failed(error)
            self._counted += 1
            await self._drop()  # a failed connection is not reused
            return
        self._tally.answered(response)
        self._counted += 1

    async def _kept_or_new(self) -> RawConnection:
        """The kept-alive connection, or a new one when the server has closed it."""
        kept = self._connection
        if kept is not None and (not kept.reusable or kept.fin_received):
            await self._drop()
        if self._connection is None:
            self._connection = await RawConnection.open(self._target, self._options)
            self._tally.opened += 1
        return self._connection

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()
