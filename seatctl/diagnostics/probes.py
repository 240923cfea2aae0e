"""The probes of `seatctl doctor`: each opens its own few raw connections to the one URL it
is given, measures, and returns frozen plain data. Every number in a result was measured in
that run; every probe is bounded in connections, requests and time. Nothing here prints.

A request is `GET /health` unless the URL has a path or a `path` is given.

A probe's request on a fresh connection that is reset, closed or refused before its response
(a server that drops requests at random) is tried again on another fresh connection, at most
`tries` times in all (PROBE_TRIES): each failed try is kept in the result (`failed_tries`) and
counted in the `tally` the caller passes, so that random resets are reported, not mistaken
for the behaviour measured. The last failure is raised, with `attempts` set.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from seatctl.diagnostics.connection import (
    ConnectOptions,
    Headers,
    IdleClose,
    RawConnection,
    RawResponse,
    Target,
    TLSInfo,
    parse_target,
)
from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    NetworkError,
    PhaseTimeout,
    ResetWhen,
    ResponseError,
    UsageError,
)

MAX_SAMPLES = 50
MAX_WAIT_CEILING = 900.0  # seconds: no probe waits on one connection longer
MAX_REQUESTS_PER_CONNECTION = 1000
MAX_RACE_CONNECTIONS = 30
DEFAULT_RACE_OFFSETS = (-0.2, 0.0, 0.2)
MAX_RACE_OFFSET = 5.0  # seconds: the stagger delays the keep-alive probe by the largest
REQUESTS_TIME_LIMIT = 30.0
# Scheduling jitter of the two event loops (ours, and the server's timer): a promise this
# much longer than the measured close is not yet a broken one.
ADVERTISED_SLACK = 0.05
# Tries of one request cut or refused before its response, each on a fresh connection. At a
# 30% random reset rate, 3 tries all fail in 1 run of 37 and the idle close goes unmeasured;
# 5 tries in 1 of 400.
PROBE_TRIES = 5
MAX_TRIES = 10

T = TypeVar("T")


# --- tries ------------------------------------------------------------------------------


class TryFailure(StrEnum):
    RESET = "reset"  # reset before any response
    CLOSED = "closed"  # closed (a FIN) without a response
    MID_RESPONSE = "mid-response"  # reset or closed in the middle of the response
    REFUSED = "refused"

    @property
    def words(self) -> str:
        return {TryFailure.RESET: "reset before any response",
                TryFailure.CLOSED: "closed without a response",
                TryFailure.MID_RESPONSE: "cut in the middle of the response",
                TryFailure.REFUSED: "refused"}[self]


@dataclass(frozen=True)
class FailedTry:
    """A request that got no complete response; the probe tried again on a fresh
    connection, or gave up after its last try."""

    number: int  # 1 for the request's first try
    at_s: float  # when it failed: seconds since the probe (or the request's first try) began
    failure: TryFailure
    message: str


@dataclass
class RequestTally:
    """The requests sent on fresh connections, each try counted, and the tries that failed:
    the evidence that a server cuts requests at random."""

    sent: int = 0
    failed: list[FailedTry] = field(default_factory=list)

    def count(self, failure: FailedTry | None = None) -> None:
        self.sent += 1
        if failure is not None:
            self.failed.append(failure)

    @property
    def cut(self) -> int:
        return len(self.failed)


RETRYABLE = (ConnectionCut, ConnectionRefused)


def failed_try(number: int, at_s: float, error: ConnectionCut | ConnectionRefused
               ) -> FailedTry:
    if isinstance(error, ConnectionRefused):
        failure = TryFailure.REFUSED
    elif error.when is ResetWhen.MID_RESPONSE:
        failure = TryFailure.MID_RESPONSE
    else:
        failure = TryFailure.RESET if isinstance(error, ConnectionReset) else TryFailure.CLOSED
    return FailedTry(number=number, at_s=at_s, failure=failure, message=error.message)


@dataclass(frozen=True)
class Answered:
    connection: RawConnection
    response: RawResponse
    failed_tries: tuple[FailedTry, ...]  # the tries before the one answered


@asynccontextmanager
async def answered_connection(target: Target, options: ConnectOptions | None = None, *,
                              tries: int = PROBE_TRIES, tally: RequestTally | None = None,
                              began: float | None = None) -> AsyncIterator[Answered]:
    """A fresh connection whose first request was answered, closed on exit. A try cut or
    refused before its response is counted and tried again on a new connection, `tries` in
    all; the last one's error is raised. `began`: the loop time `at_s` counts from."""
    connection, response, failed = await _answered(target, options, tries, tally, began)
    try:
        yield Answered(connection, response, failed)
    finally:
        await connection.aclose()


async def _answered(target: Target, options: ConnectOptions | None, tries: int,
                    tally: RequestTally | None, began: float | None
                    ) -> tuple[RawConnection, RawResponse, tuple[FailedTry, ...]]:
    _require_tries(tries)
    loop = asyncio.get_running_loop()
    start = loop.time() if began is None else began
    failed: list[FailedTry] = []
    for number in range(1, tries + 1):
        try:
            connection, response = await _first_exchange(target, options)
        except RETRYABLE as exc:
            failed.append(failed_try(number, loop.time() - start, exc))
            if tally is not None:
                tally.count(failed[-1])
            if number == tries:
                exc.attempts = tries
                raise
            continue
        if tally is not None:
            tally.count()
        return connection, response, tuple(failed)
    raise AssertionError("unreachable: the last try returns or raises")


async def _first_exchange(target: Target, options: ConnectOptions | None
                          ) -> tuple[RawConnection, RawResponse]:
    connection = await RawConnection.open(target, options)
    try:
        return connection, await connection.request()
    except BaseException:
        await connection.aclose()
        raise


# --- timing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float


@dataclass(frozen=True)
class TimingSample:
    """One fresh connection and one request, in seconds per phase (`total_s` from before
    DNS to the end of the response)."""

    dns_s: float
    connect_s: float
    tls_s: float | None
    ttfb_s: float
    total_s: float
    status: int
    address: str


@dataclass(frozen=True)
class TimingResult:
    samples: tuple[TimingSample, ...]
    dns: Percentiles
    connect: Percentiles
    tls: Percentiles | None  # None for plain http
    ttfb: Percentiles
    total: Percentiles
    tls_info: TLSInfo | None  # from the first sample
    failed_tries: tuple[FailedTry, ...] = ()  # of every sample, retried


def percentiles(values: Sequence[float]) -> Percentiles:
    """p50 and p95, interpolated between the measured values (never beyond them)."""
    if not values:
        raise ValueError("percentiles of no values")
    if len(values) == 1:
        return Percentiles(values[0], values[0])
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return Percentiles(p50=cuts[9], p95=cuts[18])


async def timing_probe(url: str, samples: int = 5, *, path: str | None = None,
                       options: ConnectOptions | None = None, tries: int = PROBE_TRIES,
                       tally: RequestTally | None = None) -> TimingResult:
    """`samples` requests, one after another, each on a fresh connection."""
    target = parse_target(url, path)
    _require(1 <= samples <= MAX_SAMPLES, f"samples must be within 1..{MAX_SAMPLES}")
    _require_tries(tries)
    began = asyncio.get_running_loop().time()
    runs = [await _timing_sample(target, options, tries, tally, began) for _ in range(samples)]
    measured = [sample for sample, _, _ in runs]
    tls_times = [sample.tls_s for sample in measured if sample.tls_s is not None]
    return TimingResult(
        samples=tuple(measured),
        dns=percentiles([sample.dns_s for sample in measured]),
        connect=percentiles([sample.connect_s for sample in measured]),
        tls=percentiles(tls_times) if tls_times else None,
        ttfb=percentiles([sample.ttfb_s for sample in measured]),
        total=percentiles([sample.total_s for sample in measured]),
        tls_info=runs[0][1],
        failed_tries=tuple(failed for _, _, tried in runs for failed in tried),
    )


async def _timing_sample(target: Target, options: ConnectOptions | None, tries: int,
                         tally: RequestTally | None, began: float
                         ) -> tuple[TimingSample, TLSInfo | None, tuple[FailedTry, ...]]:
    async with answered_connection(target, options, tries=tries, tally=tally,
                                   began=began) as answered:
        connection, response = answered.connection, answered.response
    timing = connection.timing
    sample = TimingSample(
        dns_s=timing.dns_s, connect_s=timing.connect_s, tls_s=timing.tls_s,
        ttfb_s=response.ttfb_s, total_s=response.ended_at - connection.started_at,
        status=response.status, address=timing.address,
    )
    return sample, connection.tls, answered.failed_tries


# --- keep-alive -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeepAliveHint:
    """The `Keep-Alive: timeout=N, max=M` response header, parsed; None where absent."""

    timeout_s: float | None
    max_requests: int | None


@dataclass(frozen=True)
class KeepAliveResult:
    persistent: bool  # the server keeps the connection after a response
    status: int
    http_version: str
    connection_header: str | None
    keep_alive_header: str | None
    headers: Headers  # of the response, as received (names lower-cased)
    advertised_timeout_s: float | None
    advertised_max_requests: int | None
    idle_close: IdleClose
    max_wait_s: float
    # The header promises longer than the server really keeps the connection: clients that
    # trust the promise reuse connections the server has already closed.
    advertised_exceeds_idle_close: bool
    failed_tries: tuple[FailedTry, ...] = ()  # the request's tries before the one answered


def parse_keep_alive(value: str | None) -> KeepAliveHint:
    timeout: float | None = None
    max_requests: int | None = None
    for part in (value or "").split(","):
        name, _, raw = part.partition("=")
        name, raw = name.strip().lower(), raw.strip().strip('"')
        if name == "timeout":
            timeout = _non_negative(raw)
        elif name == "max":
            number = _non_negative(raw)
            max_requests = int(number) if number is not None and number.is_integer() else None
    return KeepAliveHint(timeout, max_requests)


ResponseSink = Callable[[RawResponse], None]


async def keep_alive_probe(url: str, max_wait: float = 75.0, *, path: str | None = None,
                           options: ConnectOptions | None = None,
                           on_response: ResponseSink | None = None, tries: int = PROBE_TRIES,
                           tally: RequestTally | None = None) -> KeepAliveResult:
    """One request (tried again on a fresh connection when cut before its response), then
    wait passively (at most `max_wait` s) for the server's close. `on_response` sees the
    answered response before the wait (an interrupted wait still has it)."""
    target = parse_target(url, path)
    _require_wait("max_wait", max_wait)
    async with answered_connection(target, options, tries=tries, tally=tally) as answered:
        if on_response is not None:
            on_response(answered.response)
        idle_close = await answered.connection.wait_for_close(max_wait)
    return keep_alive_result(answered.response, idle_close, max_wait, answered.failed_tries)


def keep_alive_result(response: RawResponse, idle_close: IdleClose, max_wait: float,
                      failed_tries: tuple[FailedTry, ...] = ()) -> KeepAliveResult:
    hint = parse_keep_alive(response.header("keep-alive"))
    return KeepAliveResult(
        persistent=response.keeps_alive, status=response.status,
        http_version=response.http_version, connection_header=response.header("connection"),
        keep_alive_header=response.header("keep-alive"), headers=response.headers,
        advertised_timeout_s=hint.timeout_s,
        advertised_max_requests=hint.max_requests, idle_close=idle_close, max_wait_s=max_wait,
        advertised_exceeds_idle_close=_promises_longer(hint.timeout_s, idle_close),
        failed_tries=failed_tries,
    )


def _promises_longer(advertised: float | None, idle_close: IdleClose) -> bool:
    if advertised is None or idle_close.lower_bound:
        return False
    return advertised > idle_close.seconds + ADVERTISED_SLACK


# --- requests per connection ------------------------------------------------------------


class ConnectionEnd(StrEnum):
    CLOSE_HEADER = "connection-close"  # a response said `Connection: close`
    FIN = "fin"  # the server closed before answering the next request
    RESET = "reset"
    LIMIT = "limit"  # still open after `limit` requests: `served` is a lower bound
    TIME_LIMIT = "time-limit"  # still open when the time ran out: a lower bound


@dataclass(frozen=True)
class RequestsPerConnectionResult:
    served: int  # responses on the one connection
    ended_by: ConnectionEnd
    limit: int
    advertised_max_requests: int | None  # `Keep-Alive: max=M` of the first response
    failed_tries: tuple[FailedTry, ...] = ()  # the first request's, on fresh connections

    @property
    def lower_bound(self) -> bool:
        return self.ended_by in (ConnectionEnd.LIMIT, ConnectionEnd.TIME_LIMIT)


async def requests_per_connection_probe(
    url: str, limit: int = 200, *, path: str | None = None,
    options: ConnectOptions | None = None, time_limit: float = REQUESTS_TIME_LIMIT,
    tries: int = PROBE_TRIES, tally: RequestTally | None = None,
) -> RequestsPerConnectionResult:
    """Sequential requests on one connection until the server ends it, or `limit` requests,
    or `time_limit` seconds. Only the first request is tried again when cut (on a fresh
    connection): how a reused connection ends is what is measured."""
    target = parse_target(url, path)
    _require(1 <= limit <= MAX_REQUESTS_PER_CONNECTION,
             f"limit must be within 1..{MAX_REQUESTS_PER_CONNECTION}")
    _require_wait("time_limit", time_limit)
    async with answered_connection(target, options, tries=tries, tally=tally) as answered:
        served, ended_by = await _serve_until_closed(answered.connection, limit, time_limit)
    hint = parse_keep_alive(answered.response.header("keep-alive"))
    return RequestsPerConnectionResult(served=served, ended_by=ended_by, limit=limit,
                                       advertised_max_requests=hint.max_requests,
                                       failed_tries=answered.failed_tries)


async def _serve_until_closed(connection: RawConnection, limit: int,
                              time_limit: float) -> tuple[int, ConnectionEnd]:
    """Counts the response already received; requests until the connection ends."""
    try:
        async with asyncio.timeout(time_limit):
            while connection.responses < limit:
                if not connection.reusable:
                    return connection.responses, ConnectionEnd.CLOSE_HEADER
                try:
                    await connection.request()
                except ConnectionCut as cut:
                    end = ConnectionEnd.RESET if isinstance(cut, ConnectionReset) else None
                    return connection.responses, end or ConnectionEnd.FIN
    except TimeoutError:
        return connection.responses, ConnectionEnd.TIME_LIMIT
    if not connection.reusable:  # the limit's last response said close
        return connection.responses, ConnectionEnd.CLOSE_HEADER
    return connection.responses, ConnectionEnd.LIMIT


# --- reuse race -------------------------------------------------------------------------


class RaceOutcome(StrEnum):
    OK = "ok"
    RESET = "reset"
    CLOSED_BEFORE_RESPONSE = "closed-before-response"
    CLOSED_MID_RESPONSE = "closed-mid-response"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    ERROR = "error"  # any other failure; `detail` says which
    NOT_KEPT_ALIVE = "not-kept-alive"  # the first response said `Connection: close`

    @property
    def failed(self) -> bool:
        return self not in (RaceOutcome.OK, RaceOutcome.NOT_KEPT_ALIVE)


@dataclass(frozen=True)
class RaceAttempt:
    offset_s: float  # planned idle = idle_close_s + offset_s
    planned_idle_s: float
    idle_s: float  # measured: from the end of the first response to the second request
    outcome: RaceOutcome
    status: int | None
    # The server's FIN had arrived before the request was sent: a pool that checks its
    # idle sockets (httpcore) would have dropped this one; a plain one sends into it.
    fin_before_send: bool
    detail: str = ""
    failed_tries: tuple[FailedTry, ...] = ()  # the first request's, on fresh connections


@dataclass(frozen=True)
class RaceResult:
    """Where a pooled client that reuses an idle connection starts to fail, and how."""

    idle_close_s: float
    attempts: tuple[RaceAttempt, ...]
    failing_from_s: float | None  # the shortest measured idle that failed; None: none did
    ok_until_s: float | None  # the longest idle shorter than every failure that succeeded
    failures: tuple[RaceOutcome, ...]  # the kinds of failure, shortest idle first

    @property
    def fails(self) -> bool:
        return self.failing_from_s is not None


async def reuse_race_probe(
    url: str, idle_close_s: float, offsets: Sequence[float] = DEFAULT_RACE_OFFSETS,
    attempts: int = 1, *, path: str | None = None, options: ConnectOptions | None = None,
    tries: int = PROBE_TRIES, tally: RequestTally | None = None,
) -> RaceResult:
    """Per offset and attempt, one connection: a request (tried again on a fresh connection
    when cut), then idle for `idle_close_s + offset` seconds, then a second request on it
    (never tried again: its failure is the measurement). The connections run concurrently."""
    target = parse_target(url, path)
    plan = [offset for offset in offsets for _ in range(attempts)]
    _require(attempts >= 1 and 1 <= len(plan) <= MAX_RACE_CONNECTIONS,
             f"offsets x attempts must be within 1..{MAX_RACE_CONNECTIONS} connections")
    _require_wait("idle_close_s", idle_close_s)
    _require_wait("the longest idle", idle_close_s + max(plan))
    _require_tries(tries)
    retry = _Retry(tries, tally)
    results = await _all(_race_once(target, offset, max(0.0, idle_close_s + offset), options,
                                    retry) for offset in plan)
    return _race_result(idle_close_s, results)


@dataclass(frozen=True)
class _Retry:
    tries: int
    tally: RequestTally | None


# Given the first response, idles until the moment to reuse the connection and returns the
# idle planned, or None to skip the reuse.
IdleUntil = Callable[[RawResponse], Awaitable[float | None]]


async def _race_once(target: Target, offset: float, idle: float,
                     options: ConnectOptions | None, retry: _Retry) -> RaceAttempt:
    async def planned(first: RawResponse) -> float:
        # Idling until the planned moment is the experiment itself.
        await asyncio.sleep(max(0.0, first.ended_at + idle - asyncio.get_running_loop().time()))
        return idle

    attempt = await _race_connection(target, offset, options, planned, retry)
    assert attempt is not None  # `planned` never skips
    return attempt


async def _race_connection(target: Target, offset: float, options: ConnectOptions | None,
                           idle_until: IdleUntil, retry: _Retry) -> RaceAttempt | None:
    """A request, an idle, a second request on the same connection: how the reuse went."""
    async with answered_connection(target, options, tries=retry.tries,
                                   tally=retry.tally) as answered:
        connection, first = answered.connection, answered.response
        if not first.keeps_alive:
            return RaceAttempt(offset_s=offset, planned_idle_s=0.0, idle_s=0.0,
                               outcome=RaceOutcome.NOT_KEPT_ALIVE, status=None,
                               fin_before_send=False, failed_tries=answered.failed_tries)
        planned_idle = await idle_until(first)
        if planned_idle is None:
            return None
        fin_before_send = connection.fin_received
        idle_s = asyncio.get_running_loop().time() - first.ended_at
        outcome, status, detail = await _reuse(connection)
    return RaceAttempt(offset_s=offset, planned_idle_s=planned_idle, idle_s=idle_s,
                       outcome=outcome, status=status, fin_before_send=fin_before_send,
                       detail=detail, failed_tries=answered.failed_tries)


async def _reuse(connection: RawConnection) -> tuple[RaceOutcome, int | None, str]:
    try:
        response: RawResponse = await connection.request()
    except ConnectionReset as exc:
        return RaceOutcome.RESET, None, exc.message
    except ConnectionClosed as exc:
        mid = exc.when is ResetWhen.MID_RESPONSE
        outcome = RaceOutcome.CLOSED_MID_RESPONSE if mid else RaceOutcome.CLOSED_BEFORE_RESPONSE
        return outcome, None, exc.message
    except PhaseTimeout as exc:
        return RaceOutcome.TIMEOUT, None, exc.message
    except (NetworkError, ResponseError) as exc:
        return RaceOutcome.ERROR, None, exc.message
    failed = response.status >= 500
    return (RaceOutcome.SERVER_ERROR if failed else RaceOutcome.OK), response.status, ""


def _race_result(idle_close_s: float, attempts: Sequence[RaceAttempt]) -> RaceResult:
    failed = sorted((a for a in attempts if a.outcome.failed), key=lambda a: a.idle_s)
    failing_from = failed[0].idle_s if failed else None
    succeeded = [a.idle_s for a in attempts if a.outcome is RaceOutcome.OK
                 and (failing_from is None or a.idle_s < failing_from)]
    return RaceResult(
        idle_close_s=idle_close_s, attempts=tuple(attempts), failing_from_s=failing_from,
        ok_until_s=max(succeeded) if succeeded else None,
        failures=tuple(dict.fromkeys(a.outcome for a in failed)),
    )


# --- keep-alive and reuse race at once ---------------------------------------------------


@dataclass(frozen=True)
class IdleRaceResult:
    keep_alive: KeepAliveResult
    race: RaceResult | None  # None: no close to race with (see `race_skipped`)
    race_skipped: str | None


async def keep_alive_race_probe(
    url: str, max_wait: float = 75.0, offsets: Sequence[float] = DEFAULT_RACE_OFFSETS,
    attempts: int = 1, *, path: str | None = None, options: ConnectOptions | None = None,
    on_response: ResponseSink | None = None, tries: int = PROBE_TRIES,
    tally: RequestTally | None = None,
) -> IdleRaceResult:
    """The keep-alive probe and the reuse race in one idle wait.

    The idle close is unknown until it happens, so the race connections are staggered
    instead: the one for offset `o` finishes its first response `o` seconds before the
    keep-alive connection does. When the keep-alive connection sees the server's close,
    every race connection sends its second request at once, after an idle of about
    `idle close + o` (the idle actually measured is what is reported). The whole probe takes
    one idle close (or `max_wait`), not two. Every connection's first request is tried
    again on a fresh connection when cut (`tries`); the reuse never is.
    """
    target = parse_target(url, path)
    plan = [offset for offset in offsets for _ in range(attempts)]
    _require(attempts >= 1 and 1 <= len(plan) <= MAX_RACE_CONNECTIONS,
             f"offsets x attempts must be within 1..{MAX_RACE_CONNECTIONS} connections")
    _require(all(abs(offset) <= MAX_RACE_OFFSET for offset in plan),
             f"race offsets must be within ±{MAX_RACE_OFFSET:g} seconds")
    _require_wait("max_wait", max_wait)
    _require_tries(tries)
    retry = _Retry(tries, tally)
    lead = max(0.0, *plan)
    fire: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
    racers = [asyncio.ensure_future(_staggered_racer(target, offset, lead, fire, options,
                                                     retry))
              for offset in plan]
    try:
        keep_alive = await _keep_alive_then_fire(url, max_wait, lead, fire, path, options,
                                                 on_response, retry)
        attempts_made = await _all(racers)
    finally:
        if not fire.done():
            fire.set_result(None)
        await _cancel(racers)
    return _idle_race_result(keep_alive, [a for a in attempts_made if a is not None])


async def _keep_alive_then_fire(url: str, max_wait: float, lead: float,
                                fire: asyncio.Future[float | None], path: str | None,
                                options: ConnectOptions | None,
                                on_response: ResponseSink | None,
                                retry: _Retry) -> KeepAliveResult:
    await asyncio.sleep(lead)  # offset 0: starts after every positive offset
    result = await keep_alive_probe(url, max_wait, path=path, options=options,
                                    on_response=on_response, tries=retry.tries,
                                    tally=retry.tally)
    closed = result.persistent and not result.idle_close.lower_bound
    fire.set_result(result.idle_close.seconds if closed else None)
    return result


async def _staggered_racer(target: Target, offset: float, lead: float,
                           fire: asyncio.Future[float | None],
                           options: ConnectOptions | None, retry: _Retry) -> RaceAttempt | None:
    await asyncio.sleep(lead - offset)
    try:
        return await _race_after_fire(target, offset, fire, options, retry)
    except (NetworkError, ResponseError):
        return None  # its first request failed every try: no attempt (the others race on)


async def _race_after_fire(target: Target, offset: float, fire: asyncio.Future[float | None],
                           options: ConnectOptions | None, retry: _Retry) -> RaceAttempt | None:
    async def when_fired(first: RawResponse) -> float | None:
        idle_close = await asyncio.shield(fire)
        return None if idle_close is None else max(0.0, idle_close + offset)

    return await _race_connection(target, offset, options, when_fired, retry)


def _idle_race_result(keep_alive: KeepAliveResult,
                      attempts: Sequence[RaceAttempt]) -> IdleRaceResult:
    if not keep_alive.persistent:
        return IdleRaceResult(keep_alive, None, "the server does not keep connections alive")
    if keep_alive.idle_close.lower_bound:
        skipped = (f"no idle close within {keep_alive.max_wait_s:g} s: no pool that expires "
                   "idle connections sooner can lose the race")
        return IdleRaceResult(keep_alive, None, skipped)
    return IdleRaceResult(keep_alive, _race_result(keep_alive.idle_close.seconds, attempts),
                          None)


# --- helpers ----------------------------------------------------------------------------


async def _cancel(tasks: Iterable[asyncio.Future[Any]]) -> None:
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _all(coroutines: Iterable[Awaitable[T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest (no connection outlives it)."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _non_negative(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)


def _require_tries(tries: int) -> None:
    _require(1 <= tries <= MAX_TRIES, f"tries must be within 1..{MAX_TRIES}")


def _require_wait(name: str, seconds: float) -> None:
    _require(0 < seconds <= MAX_WAIT_CEILING,
             f"{name} must be more than 0 and at most {MAX_WAIT_CEILING:g} seconds")
