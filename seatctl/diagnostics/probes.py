"""The probes of `seatctl doctor`: each opens its own few raw connections to the one URL it
is given, measures, and returns frozen plain data (`results`). Every number in a result was
measured in that run; every probe is bounded in connections, requests and time. Nothing here
prints.

A request is `GET /health` unless the URL has a path or a `path` is given.

A probe's request on a fresh connection that is reset, closed or refused before its response
(a server that drops requests at random) is tried again on another fresh connection, at most
`tries` times in all (PROBE_TRIES): each failed try is kept in the result (`failed_tries`) and
counted in the `tally` the caller passes, so that random resets are reported, not mistaken
for the behaviour measured. The last failure is raised, with `attempts` set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from seatctl.diagnostics.bounds import (
    DEFAULT_RACE_OFFSETS,
    PROBE_TRIES,
    REQUESTS_TIME_LIMIT,
    require,
    require_tries,
    require_wait,
)
from seatctl.diagnostics.connection import RawConnection
from seatctl.diagnostics.results import (
    ConnectionEnd,
    FailedTry,
    IdleRaceResult,
    KeepAliveResult,
    RaceAttempt,
    RaceOutcome,
    RaceResult,
    RawResponse,
    RequestsPerConnectionResult,
    RequestTally,
    TimingResult,
    TimingSample,
    TLSInfo,
    failed_try,
    keep_alive_result,
    parse_keep_alive,
    percentiles,
    race_result,
)
from seatctl.diagnostics.targets import ConnectOptions, Target, parse_target
from seatctl.diagnostics.tasks import cancel_all, run_all
from seatctl.errors import (
    ConnectionClosed,
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    NetworkError,
    PhaseTimeout,
    ResetWhen,
    ResponseError,
)

MAX_SAMPLES = 50
MAX_REQUESTS_PER_CONNECTION = 1000
MAX_RACE_CONNECTIONS = 30
MAX_RACE_OFFSET = 5.0  # seconds: the stagger delays the keep-alive probe by the largest


# --- tries ------------------------------------------------------------------------------


RETRYABLE = (ConnectionCut, ConnectionRefused)


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
    require_tries(tries)
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


async def timing_probe(url: str, samples: int = 5, *, path: str | None = None,
                       options: ConnectOptions | None = None, tries: int = PROBE_TRIES,
                       tally: RequestTally | None = None) -> TimingResult:
    """`samples` requests, one after another, each on a fresh connection."""
    target = parse_target(url, path)
    require(1 <= samples <= MAX_SAMPLES, f"samples must be within 1..{MAX_SAMPLES}")
    require_tries(tries)
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


ResponseSink = Callable[[RawResponse], None]


async def keep_alive_probe(url: str, max_wait: float = 75.0, *, path: str | None = None,
                           options: ConnectOptions | None = None,
                           on_response: ResponseSink | None = None, tries: int = PROBE_TRIES,
                           tally: RequestTally | None = None) -> KeepAliveResult:
    """One request (tried again on a fresh connection when cut before its response), then
    wait passively (at most `max_wait` s) for the server's close. `on_response` sees the
    answered response before the wait (an interrupted wait still has it)."""
    target = parse_target(url, path)
    require_wait("max_wait", max_wait)
    async with answered_connection(target, options, tries=tries, tally=tally) as answered:
        if on_response is not None:
            on_response(answered.response)
        idle_close = await answered.connection.wait_for_close(max_wait)
    return keep_alive_result(answered.response, idle_close, max_wait, answered.failed_tries)


# --- requests per connection ------------------------------------------------------------


async def requests_per_connection_probe(
    url: str, limit: int = 200, *, path: str | None = None,
    options: ConnectOptions | None = None, time_limit: float = REQUESTS_TIME_LIMIT,
    tries: int = PROBE_TRIES, tally: RequestTally | None = None,
) -> RequestsPerConnectionResult:
    """Sequential requests on one connection until the server ends it, or `limit` requests,
    or `time_limit` seconds. Only the first request is tried again when cut (on a fresh
    connection): how a reused connection ends is what is measured."""
    target = parse_target(url, path)
    require(1 <= limit <= MAX_REQUESTS_PER_CONNECTION,
            f"limit must be within 1..{MAX_REQUESTS_PER_CONNECTION}")
    require_wait("time_limit", time_limit)
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
    require(attempts >= 1 and 1 <= len(plan) <= MAX_RACE_CONNECTIONS,
            f"offsets x attempts must be within 1..{MAX_RACE_CONNECTIONS} connections")
    require_wait("idle_close_s", idle_close_s)
    require_wait("the longest idle", idle_close_s + max(plan))
    require_tries(tries)
    retry = _Retry(tries, tally)
    results = await run_all(_race_once(target, offset, max(0.0, idle_close_s + offset),
                                       options, retry) for offset in plan)
    return race_result(idle_close_s, results)


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


# --- keep-alive and reuse race at once ---------------------------------------------------


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
    require(attempts >= 1 and 1 <= len(plan) <= MAX_RACE_CONNECTIONS,
            f"offsets x attempts must be within 1..{MAX_RACE_CONNECTIONS} connections")
    require(all(abs(offset) <= MAX_RACE_OFFSET for offset in plan),
            f"race offsets must be within ±{MAX_RACE_OFFSET:g} seconds")
    require_wait("max_wait", max_wait)
    require_tries(tries)
    retry = _Retry(tries, tally)
    lead = max(0.0, *plan)
    fire: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
    racers = [asyncio.ensure_future(_staggered_racer(target, offset, lead, fire, options,
                                                     retry))
              for offset in plan]
    try:
        keep_alive = await _keep_alive_then_fire(url, max_wait, lead, fire, path, options,
                                                 on_response, retry)
        attempts_made = await run_all(racers)
    finally:
        if not fire.done():
            fire.set_result(None)
        await cancel_all(racers)
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
    return IdleRaceResult(keep_alive, race_result(keep_alive.idle_close.seconds, attempts),
                          None)
