"""The HTTP/2 probe of `seatctl doctor`: what an HTTP/2 client (a browser, `httpx[http2]`)
meets at the edge. Three connections at most, one request each, returned as frozen plain
data; nothing here prints.

1. The first connection: ALPN (offered, selected), the server's SETTINGS, one request, then
   a passive idle wait for the server's GOAWAY and the transport's end (the idle close).
2. A second one, idle but for a PING every so often: does it outlive the first one's close?
3. A third one, idle until its own GOAWAY arrives, then a request at once: what does a
   request that crosses a GOAWAY get?

The three run at once, so the probe takes about one idle close (at most `max_wait` plus
`SLACK_S` after the first response, plus the connects and requests, each bounded by the
connect options' timeouts). Failures of the first connection raise their classified error,
as the HTTP/1.1 probes do; those of the other two are reported in their results.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import h2.errors

from seatctl.diagnostics.bounds import HTTP2_SLACK_S as SLACK_S
from seatctl.diagnostics.bounds import (
    MAX_WAIT_CEILING,
    PROBE_TRIES,
    require,
    require_tries,
    require_wait,
)
from seatctl.diagnostics.failures import Failure, classify_failure
from seatctl.diagnostics.h2connection import (
    IDLE_FRAMES_LIMIT,
    AnsweredInHttp1,
    Http2Connection,
    StreamState,
    connect_http2,
    error_name,
    open_http2,
)
from seatctl.diagnostics.probes import RETRYABLE
from seatctl.diagnostics.results import (
    CloseKind,
    FailedTry,
    GoawayRaceOutcome,
    GoawayRaceResult,
    Http2IdleClose,
    Http2Response,
    Http2Result,
    PingOutcome,
    PingResult,
    RequestTally,
    failed_try,
)
from seatctl.diagnostics.targets import ConnectOptions, Target, parse_target
from seatctl.diagnostics.tasks import cancel_all
from seatctl.errors import (
    ConnectionCut,
    ConnectionRefused,
    ConnectionReset,
    NetworkError,
    ResponseError,
)

MAX_CONNECTIONS = 3
MIN_PING_GAP_S = 0.25  # never more than 4 PINGs a second
DEFAULT_PING_INTERVAL_S = 2.0
# A connection outlived the idle close when still open this long after it: server timers are
# precise to milliseconds, the two connections' idle waits start a round trip apart.
OUTLIVE_MARGIN_S = 0.5
OUTLIVE_MARGIN_SHARE = 0.05
RACE_ANSWER_WAIT_S = 1.0  # after the racing request, at most (and within the read timeout)
REFUSED_STREAM = int(h2.errors.ErrorCodes.REFUSED_STREAM)

ResponseSink = Callable[[Http2Response], None]
# Given a snapshot: the result so far, whenever it is called (see `http2_probe`).
SnapshotSink = Callable[[Callable[[], Http2Result]], None]


@dataclass(frozen=True)
class _Plan:
    target: Target
    options: ConnectOptions
    h2c: bool
    max_wait: float
    ping_interval: float | None
    tally: RequestTally | None = None  # each connection's first request, each try

    def count(self, failure: FailedTry | None = None) -> None:
        if self.tally is not None:
            self.tally.count(failure)


async def http2_probe(url: str, max_wait: float, *, path: str | None = None,
                      options: ConnectOptions, h2c: bool = False,
                      ping_interval: float | None = None,
                      on_response: ResponseSink | None = None,
                      on_idle: SnapshotSink | None = None, tries: int = PROBE_TRIES,
                      tally: RequestTally | None = None) -> Http2Result:
    """HTTP/2 at `url` (https: ALPN offers h2 and http/1.1; http: only with `h2c`).

    `ping_interval`: seconds between PINGs on the second connection (at least 0.25). By
    default a third of the first connection's idle close; until that is known, a third of
    the idle so far, between 0.25 and 2 s (so a close sooner than 2 s still meets PINGs).
    `on_response` sees the first response before the idle wait; `on_idle` a snapshot: the
    result so far, its idle close a lower bound while the wait goes on (an interrupted wait
    still has ALPN, SETTINGS and the time waited). The first request, cut or refused before
    its response, is tried again on a fresh connection, `tries` in all (as the HTTP/1.1
    probes do), each try counted in `tally` with the other connections' first requests.
    h2c against a server that answers in HTTP/1.x is a skipped result, not a failure.
    """
    target = parse_target(url, path)
    require_wait("max_wait", max_wait)
    require(ping_interval is None or MIN_PING_GAP_S <= ping_interval <= MAX_WAIT_CEILING,
            f"ping_interval must be within {MIN_PING_GAP_S:g}..{MAX_WAIT_CEILING:g} seconds")
    require_tries(tries)
    plan = _Plan(target, options, h2c, max_wait, ping_interval, tally)
    first = await _answered_h2(plan, tries)
    if first.response is None:
        return _without_h2(first, max_wait)
    try:
        return await _measure(first.connection, first.response, plan, first.failed_tries,
                              on_response, on_idle)
    finally:
        await first.connection.aclose()


async def _measure(first: Http2Connection, response: Http2Response, plan: _Plan,
                   failed: tuple[FailedTry, ...], on_response: ResponseSink | None,
                   on_idle: SnapshotSink | None) -> Http2Result:
    if on_response is not None:
        on_response(response)
    settings = first.session.settings
    if settings is not None:
        settings = replace(settings, connection_window=first.session.connection_window())
    so_far = Http2Result(
        h2c=plan.h2c, alpn_offered=first.alpn_offered, alpn_selected=_alpn(first),
        speaks_h2=True, skipped=None, tls=first.tls, connect=first.timing, settings=settings,
        response=response, idle_close=None, ping=None, goaway_race=None,
        max_wait_s=plan.max_wait, connections=MAX_CONNECTIONS, failed_tries=failed)
    if on_idle is not None:
        on_idle(lambda: _snapshot(so_far, first, response))
    idle, ping, race = await _three_at_once(first, response, plan)
    return replace(so_far, idle_close=idle, ping=ping, goaway_race=race)


@dataclass(frozen=True)
class _First:
    """The first connection: answered in HTTP/2 (`response`), or it does not speak h2
    (`response` None; closed): ALPN chose otherwise, or h2c was answered in HTTP/1.x."""

    connection: Http2Connection
    response: Http2Response | None
    failed_tries: tuple[FailedTry, ...]
    http1_version: str | None = None  # h2c answered in HTTP/1.x: "1.1", "1.0" or "1.x"


async def _answered_h2(plan: _Plan, tries: int) -> _First:
    """The first connection and its answered request. A try cut or refused before its
    response is counted and made again on a fresh connection; the last one's error is
    raised, with `attempts`."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    failed: list[FailedTry] = []
    for number in range(1, tries + 1):
        try:
            connection = await open_http2(plan.target, plan.options, h2c=plan.h2c)
        except RETRYABLE as exc:
            _failed(plan, failed, number, loop.time() - began, exc, tries)
            continue
        if not connection.speaks_h2:
            await connection.aclose()
            return _First(connection, None, tuple(failed))
        try:
            response = await connection.request()
        except AnsweredInHttp1 as exc:
            await connection.aclose()
            if not plan.h2c:
                raise
            plan.count()
            return _First(connection, None, tuple(failed), exc.version)
        except RETRYABLE as exc:
            await connection.aclose()
            _failed(plan, failed, number, loop.time() - began, exc, tries)
            continue
        except BaseException:
            await connection.aclose()
            raise
        plan.count()
        return _First(connection, response, tuple(failed))
    raise AssertionError("unreachable: the last try returns or raises")


def _failed(plan: _Plan, failed: list[FailedTry], number: int, at_s: float,
            error: ConnectionCut | ConnectionRefused, tries: int) -> None:
    """Record a failed try; raise its error after the last one."""
    failed.append(failed_try(number, at_s, error))
    plan.count(failed[-1])
    if number == tries:
        error.attempts = tries
        raise error


def _snapshot(so_far: Http2Result, first: Http2Connection, response: Http2Response
              ) -> Http2Result:
    """The result while the idle wait goes on (or after it was cut): the idle close a lower
    bound unless the GOAWAY or the transport's end has come; the other two unfinished."""
    since = response.ended_at
    now = asyncio.get_running_loop().time() if _loop_running() else time.monotonic()
    goaway, ended = first.goaway, first.ended
    idle = Http2IdleClose(
        goaway=goaway, goaway_after_s=goaway.received_at - since if goaway else None,
        end=ended.kind if ended else None, end_after_s=(ended.at if ended else now) - since,
        frames=())
    unfinished = "the probe did not finish"
    ping = PingResult(outcome=None, skipped=unfinished, failure=None, reference_close_s=None,
                      interval_s=None, pings_sent=0, pings_acked=0, longest_gap_s=None,
                      ack_rtt_s=None, open_for_s=None, goaway=None, end=None)
    return replace(so_far, idle_close=idle, ping=ping, goaway_race=_race_skipped(unfinished))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _alpn(connection: Http2Connection) -> str | None:
    return connection.tls.alpn if connection.tls else None


def _without_h2(first: _First, max_wait: float) -> Http2Result:
    connection = first.connection
    offered = ", ".join(connection.alpn_offered)
    selected = _alpn(connection)
    if first.http1_version is not None:
        why = f"the server does not speak h2c (answered in HTTP/{first.http1_version})"
    elif selected is None:
        why = (f"the server took no part in ALPN (offered {offered}): HTTP/2 is not "
               "negotiated, clients speak HTTP/1.1 to it")
    else:
        why = (f"the edge does not speak HTTP/2 to this client: ALPN selected {selected} "
               f"(offered {offered})")
    return Http2Result(
        h2c=first.http1_version is not None, alpn_offered=connection.alpn_offered,
        alpn_selected=selected, speaks_h2=False, skipped=why, tls=connection.tls,
        connect=connection.timing, settings=None, response=None, idle_close=None, ping=None,
        goaway_race=None, max_wait_s=max_wait, connections=1,
        failed_tries=first.failed_tries,
    )


async def _three_at_once(first: Http2Connection, response: Http2Response, plan: _Plan
                         ) -> tuple[Http2IdleClose, PingResult, GoawayRaceResult]:
    """The idle close on `first`, the PING and GOAWAY-race connections meanwhile."""
    reference: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
    ping = asyncio.ensure_future(_ping_connection(plan, reference))
    race = asyncio.ensure_future(_goaway_race(plan))
    try:
        idle = await _watch_idle_close(first, response, plan.max_wait, reference)
        return idle, await ping, await race
    finally:
        if not reference.done():
            reference.set_result(None)
        await cancel_all((ping, race))


# --- the idle close ---------------------------------------------------------------------


async def _watch_idle_close(connection: Http2Connection, response: Http2Response,
                            max_wait: float, reference: asyncio.Future[float | None]
                            ) -> Http2IdleClose:
    """Read (sending nothing but h2's acknowledgements) until the GOAWAY, then until the
    transport's end, at most `max_wait` from the end of the response. `reference` gets the
    idle close as soon as it is known (None: none within `max_wait`)."""
    since = response.ended_at
    until = since + max_wait
    frames_before = len(connection.session.frames)
    await connection.read_until(until, lambda: connection.closing)
    reference.set_result(_closed_after(connection, since))
    await connection.read_until(until, lambda: False)
    goaway, ended = connection.goaway, connection.ended
    loop_now = asyncio.get_running_loop().time()
    frames = [name for name, _ in connection.session.frames[frames_before:]]
    return Http2IdleClose(
        goaway=goaway, goaway_after_s=goaway.received_at - since if goaway else None,
        end=ended.kind if ended else None,
        end_after_s=(ended.at if ended else loop_now) - since,
        frames=tuple(frames[:IDLE_FRAMES_LIMIT]),
    )


def _closed_after(connection: Http2Connection, since: float) -> float | None:
    """Seconds from `since` to the GOAWAY, else to the transport's end; None: neither."""
    if connection.goaway is not None:
        return connection.goaway.received_at - since
    if connection.ended is not None:
        return connection.ended.at - since
    return None


async def _first_answer(plan: _Plan, connection: Http2Connection) -> Http2Response:
    """The PING and race connections' first request, counted (not tried again: a cut one
    leaves only that part unmeasured)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        response = await connection.request()
    except RETRYABLE as exc:
        plan.count(failed_try(1, loop.time() - began, exc))
        raise
    plan.count()
    return response


# --- PINGs ------------------------------------------------------------------------------


async def _ping_connection(plan: _Plan, reference: asyncio.Future[float | None]
                           ) -> PingResult:
    try:
        async with connect_http2(plan.target, plan.options, h2c=plan.h2c) as connection:
            if not connection.speaks_h2:
                return _ping_skipped(plan, _not_h2_again(connection))
            response = await _first_answer(plan, connection)
            return await _ping_while_idle(connection, response.ended_at, plan, reference)
    except (NetworkError, ResponseError) as exc:
        return _ping_skipped(plan, f"the PING connection failed: {exc.message}",
                             classify_failure(exc))


async def _ping_while_idle(connection: Http2Connection, since: float, plan: _Plan,
                           reference: asyncio.Future[float | None]) -> PingResult:
    """PINGs until the connection closes, or it has outlived the first one's idle close, or
    the first one saw no close (nothing to outlive)."""
    loop = asyncio.get_running_loop()
    stop_at = since + plan.max_wait + SLACK_S
    last_ping = since
    interval = plan.ping_interval  # the gap before the last PING sent
    while not connection.closing:
        now = loop.time()
        close_s = reference.result() if reference.done() else None
        if reference.done() and close_s is None:
            break
        watch_until = stop_at
        if close_s is not None:
            watch_until = min(stop_at, since + close_s + _margin(close_s))
        if now >= watch_until:
            break
        gap = _ping_gap(plan.ping_interval, close_s, last_ping - since)
        next_ping = last_ping + gap
        if now >= next_ping:
            await connection.ping()
            last_ping, interval = now, gap
            continue
        wake = None if reference.done() else reference
        await connection.read_until(min(next_ping, watch_until), lambda: connection.closing,
                                    wake=wake)
    if connection.closing and not reference.done():
        # Closed before the first connection: its close is due about now.
        await asyncio.wait([reference], timeout=max(0.0, stop_at - loop.time()))
    return _ping_result(connection, since, plan, reference, interval)


def _ping_gap(asked: float | None, close_s: float | None, idle_s: float) -> float:
    if asked is not None:
        return asked
    third = close_s / 3 if close_s is not None else min(DEFAULT_PING_INTERVAL_S, idle_s / 3)
    return max(MIN_PING_GAP_S, third)


def _margin(close_s: float) -> float:
    return max(OUTLIVE_MARGIN_S, OUTLIVE_MARGIN_SHARE * close_s)


def _ping_result(connection: Http2Connection, since: float, plan: _Plan,
                 reference: asyncio.Future[float | None], interval: float | None
                 ) -> PingResult:
    close_s = reference.result() if reference.done() else None
    closed_at = _closed_at(connection)
    watched_to = closed_at if closed_at is not None else asyncio.get_running_loop().time()
    pings = [record for record in connection.session.pings.values()
             if record.sent_at < watched_to]
    rtts = [record.acked_at - record.sent_at for record in pings if record.acked_at is not None]
    skipped = _ping_skip_reason(closed_at, close_s, bool(pings), plan.max_wait)
    outcome = None if skipped else (PingOutcome.NOT_KEPT_ALIVE if closed_at is not None
                                    else PingOutcome.KEPT_ALIVE)
    return PingResult(
        outcome=outcome, skipped=skipped, failure=None, reference_close_s=close_s,
        interval_s=interval, pings_sent=len(pings),
        pings_acked=sum(record.acked_at is not None for record in pings),
        longest_gap_s=_longest_gap(since, [record.sent_at for record in pings], watched_to),
        ack_rtt_s=statistics.median(rtts) if rtts else None, open_for_s=watched_to - since,
        goaway=connection.goaway, end=connection.ended.kind if connection.ended else None,
    )


def _ping_skip_reason(closed_at: float | None, close_s: float | None, pinged: bool,
                      max_wait: float) -> str | None:
    if closed_at is None and close_s is None:
        return (f"the first connection saw no idle close within {max_wait:g} s: "
                "nothing to outlive")
    if not pinged:
        until = ("closed" if closed_at is not None
                 else "outlived the first one's idle close")
        return f"no PING was sent before the connection {until}"
    return None


def _closed_at(connection: Http2Connection) -> float | None:
    if connection.goaway is not None:
        return connection.goaway.received_at
    return connection.ended.at if connection.ended is not None else None


def _longest_gap(since: float, sent: Sequence[float], until: float) -> float:
    moments = [since, *sorted(sent), until]
    return max(later - earlier for earlier, later in itertools.pairwise(moments))


def _ping_skipped(plan: _Plan, why: str, failure: Failure | None = None) -> PingResult:
    return PingResult(outcome=None, skipped=why, failure=failure, reference_close_s=None,
                      interval_s=plan.ping_interval, pings_sent=0, pings_acked=0,
                      longest_gap_s=None, ack_rtt_s=None, open_for_s=None, goaway=None,
                      end=None)


def _not_h2_again(connection: Http2Connection) -> str:
    return (f"the connection negotiated {connection.protocol or 'no protocol'}, not h2, "
            "unlike the first")


# --- a request at the GOAWAY ------------------------------------------------------------


async def _goaway_race(plan: _Plan) -> GoawayRaceResult:
    try:
        async with connect_http2(plan.target, plan.options, h2c=plan.h2c) as connection:
            if not connection.speaks_h2:
                return _race_skipped(_not_h2_again(connection))
            response = await _first_answer(plan, connection)
            return await _request_at_goaway(connection, response.ended_at, plan)
    except (NetworkError, ResponseError) as exc:
        return _race_skipped(f"the GOAWAY race connection failed: {exc.message}",
                             classify_failure(exc))


async def _request_at_goaway(connection: Http2Connection, since: float, plan: _Plan
                             ) -> GoawayRaceResult:
    """Idle until this connection's own GOAWAY (no timer to miss it by), then a request at
    once, then its answer."""
    await connection.read_until(since + plan.max_wait, lambda: connection.closing)
    goaway = connection.goaway
    if goaway is None:
        if connection.ended is None:
            return _race_skipped(f"no GOAWAY within {plan.max_wait:g} s")
        return _race_result(connection, since, GoawayRaceOutcome.NO_GOAWAY, None)
    loop = asyncio.get_running_loop()
    try:
        stream = await connection.send_request()
        wait = min(RACE_ANSWER_WAIT_S, plan.options.timeouts.read)
        await connection.read_until(loop.time() + wait, lambda: stream.finished)
    except ConnectionCut as exc:
        outcome = (GoawayRaceOutcome.CONNECTION_RESET if isinstance(exc, ConnectionReset)
                   else GoawayRaceOutcome.CONNECTION_CLOSED)
        return _race_result(connection, since, outcome, _last_stream(connection))
    except (NetworkError, ResponseError) as exc:
        return _race_result(connection, since, GoawayRaceOutcome.ERROR,
                            _last_stream(connection), classify_failure(exc))
    return _race_result(connection, since, _answer(connection, stream), stream)


def _last_stream(connection: Http2Connection) -> StreamState | None:
    """The racing request's stream, if it was created before the failure."""
    streams = connection.session.streams
    return streams[max(streams)] if len(streams) > 1 else None


def _answer(connection: Http2Connection, stream: StreamState) -> GoawayRaceOutcome:
    if stream.status is not None:
        return GoawayRaceOutcome.RESPONSE
    if stream.reset_code is not None:
        return (GoawayRaceOutcome.REFUSED_STREAM if stream.reset_code == REFUSED_STREAM
                else GoawayRaceOutcome.STREAM_RESET)
    if connection.ended is not None:
        return (GoawayRaceOutcome.CONNECTION_RESET if connection.ended.kind is CloseKind.RESET
                else GoawayRaceOutcome.CONNECTION_CLOSED)
    return GoawayRaceOutcome.NO_ANSWER


def _race_result(connection: Http2Connection, since: float, outcome: GoawayRaceOutcome,
                 stream: StreamState | None, failure: Failure | None = None
                 ) -> GoawayRaceResult:
    goaway, ended = connection.goaway, connection.ended
    sent = stream is not None and goaway is not None
    return GoawayRaceResult(
        outcome=outcome, skipped=None, failure=failure, goaway=goaway,
        goaway_after_s=goaway.received_at - since if goaway else None,
        stream_id=stream.stream_id if stream else None,
        sent_after_goaway_s=stream.sent_at - goaway.received_at if stream and goaway else None,
        answered_after_s=_answered_at(stream, ended.at if ended else None) if sent else None,
        status=stream.status if stream else None,
        reset_code=_reset_name(stream), safe_to_retry=_safe_to_retry(connection, stream, outcome),
        end=ended.kind if ended else None, end_after_s=ended.at - since if ended else None,
    )


def _answered_at(stream: StreamState | None, ended_at: float | None) -> float | None:
    if stream is None:
        return None
    moment = stream.ended_at or stream.reset_at or stream.first_byte_at or ended_at
    return moment - stream.sent_at if moment is not None else None


def _reset_name(stream: StreamState | None) -> str | None:
    if stream is None or stream.reset_code is None:
        return None
    return error_name(stream.reset_code)


def _safe_to_retry(connection: Http2Connection, stream: StreamState | None,
                   outcome: GoawayRaceOutcome) -> bool | None:
    if outcome is GoawayRaceOutcome.RESPONSE or stream is None:
        return None
    if outcome is GoawayRaceOutcome.REFUSED_STREAM:
        return True
    goaways = connection.session.goaways
    return bool(goaways) and stream.stream_id > goaways[-1].last_stream_id


def _race_skipped(why: str, failure: Failure | None = None) -> GoawayRaceResult:
    return GoawayRaceResult(
        outcome=None, skipped=why, failure=failure, goaway=None, goaway_after_s=None,
        stream_id=None, sent_after_goaway_s=None, answered_after_s=None, status=None,
        reset_code=None, safe_to_retry=None, end=None, end_after_s=None)
