"""`seatctl doctor`'s workflow: run the probes concurrently against one URL (and its origin),
collecting each result as it arrives, so that an interrupted run still has everything that
finished. Nothing here prints: progress is observed through `DoctorRun`.

Wall time: every probe runs during the keep-alive probe's idle wait, so a run takes about one
idle close (at most `max_wait`), plus the slow-client probes' own wait unless `quick`. The
HTTP/2 probe (https: ALPN; http: only with `h2c`) waits for its own idle close meanwhile.

The run's state (`DoctorPlan`, `DoctorRun`, each probe's `ProbeRun`) is the plain data of
`runs`; a probe cut short is recorded there, never as a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext

from seatctl.diagnostics.bounds import REQUESTS_TIME_LIMIT
from seatctl.diagnostics.burst import burst_probe
from seatctl.diagnostics.connection import connect
from seatctl.diagnostics.h2probe import http2_probe
from seatctl.diagnostics.probes import (
    keep_alive_probe,
    keep_alive_race_probe,
    requests_per_connection_probe,
    timing_probe,
)
from seatctl.diagnostics.results import Http2Result, RawResponse, RequestTally, failed_try
from seatctl.diagnostics.runs import (
    BOUND_SLACK,
    CutBy,
    DoctorPlan,
    DoctorRun,
    Probe,
    ProbeState,
    keep_http2_so_far,
    keep_idle_lower_bound,
)
from seatctl.diagnostics.slow_client import slow_client_probe
from seatctl.diagnostics.targets import parse_target
from seatctl.errors import (
    ConnectionCut,
    ConnectionRefused,
    ConnectTimeout,
    DNSError,
    NetworkError,
    ResponseError,
    hint_at_the_url,
)

RACE_ATTEMPTS = 2  # connections per race offset: one sample is not a pattern
PREFLIGHT_SLACK = 1.0  # seconds the preflight's request may run past max_wait, in all


def diagnose(run: DoctorRun, progress: Callable[[DoctorRun], AbstractContextManager[object]]
             = lambda _run: nullcontext()) -> DoctorRun:
    """`run_doctor` on an event loop of its own, inside `progress(run)` (the caller's view
    of it): the `seatctl doctor` entry point. Ctrl-C, even while the view starts, ends it
    with what was measured so far (`mark_interrupted`), never with nothing; a target that
    cannot be reached raises its error, with the hint to check the URL."""
    try:
        with progress(run):
            asyncio.run(run_doctor(run))
    except (ConnectionRefused, ConnectTimeout, DNSError) as exc:
        hint_at_the_url(exc)
        raise
    except KeyboardInterrupt:
        run.mark_interrupted()
    return run


async def run_doctor(run: DoctorRun) -> DoctorRun:
    """Every probe of `run.plan`; a probe that fails is recorded as failed, not raised.

    A target that cannot be reached at all raises its classified error before any probe.
    When `plan.time_limit` runs out, the probes still running are cut (`CutBy.DEADLINE`).
    """
    run.started_at = run.clock()
    deadline = asyncio.timeout(run.plan.time_limit)
    try:
        async with deadline:
            await _measure(run)
    except TimeoutError:
        if not deadline.expired():
            raise
        run.mark_cut(CutBy.DEADLINE, "cut by the --timeout deadline")
    finally:
        run.ended_at = run.clock()
    return run


async def _measure(run: DoctorRun) -> None:
    plan = run.plan
    run.first_response = await _preflight(plan, run.tallies["preflight"])
    works: dict[Probe, Callable[[DoctorRun], Awaitable[None]]] = {
        Probe.TIMING: _timing, Probe.KEEPALIVE: _idle, Probe.REQUESTS: _requests,
        Probe.BURST: _burst, Probe.SLOW_CLIENT: _slow_client, Probe.ORIGIN: _origin,
        Probe.HTTP2: _http2,
    }
    probes = [_record(run, probe, work(run)) for probe, work in works.items()
              if run.runs[probe].state is ProbeState.PENDING]
    await asyncio.gather(*probes)


async def _preflight(plan: DoctorPlan, tally: RequestTally | None = None
                     ) -> RawResponse | None:
    """One request on a fresh connection: a target that cannot be reached (DNS, refused,
    connect timeout, TLS) fails here, once, with its classified error, instead of in every
    probe. A request that fails once connected is for the probes to measure and report.

    A response that never ends (a body, headers or 1xx answers dripped forever) is cut off
    after `max_wait` + PREFLIGHT_SLACK: each read is bounded by the read timeout (at most
    `max_wait`, so a server that sends nothing fails with it first), the whole request by this.
    A reset during the TCP connect (the server accepted, then reset at once) is a server that
    answers, if badly: for the probes too. One try, counted in `tally`.
    """
    target = parse_target(plan.url, plan.path)
    tally = tally or RequestTally()
    began = time.monotonic()  # the event loop's clock
    try:
        async with connect(target, plan.options) as connection:
            async with asyncio.timeout(plan.max_wait + PREFLIGHT_SLACK):
                response = await connection.request()
    except ConnectionCut as cut:  # for the probes to count and report
        tally.count(failed_try(1, time.monotonic() - began, cut))
        return None
    except TimeoutError:
        return None
    tally.count()
    return response


async def _record(run: DoctorRun, probe: Probe, work: Awaitable[None]) -> None:
    record = run.runs[probe]
    record.state, record.started_at = ProbeState.RUNNING, run.clock()
    try:
        async with asyncio.timeout(record.bound_s + BOUND_SLACK):
            await work
    except TimeoutError:
        why = f"cut by its own bound ({record.bound_s + BOUND_SLACK:g} s)"
        if probe is Probe.KEEPALIVE:
            keep_idle_lower_bound(run, f"{why} before the idle close")
        if probe is Probe.HTTP2:
            keep_http2_so_far(run)
        record.cut(CutBy.DEADLINE, why, run.clock())
    except (NetworkError, ResponseError) as exc:
        tries = f" (after {exc.attempts} tries)" if exc.attempts > 1 else ""
        record.state, record.error = ProbeState.FAILED, exc.message + tries
    else:
        record.state = ProbeState.DONE
    finally:
        record.ended_at = run.clock()


async def _timing(run: DoctorRun) -> None:
    plan = run.plan
    run.timing = await timing_probe(plan.url, plan.samples, path=plan.path,
                                    options=plan.options, tries=plan.tries,
                                    tally=run.tallies[Probe.TIMING.value])


async def _idle(run: DoctorRun) -> None:
    plan = run.plan
    def waiting_since(response: RawResponse) -> None:
        run.keep_alive_response = response

    run.idle = await keep_alive_race_probe(plan.url, plan.max_wait, path=plan.path,
                                           options=plan.options, attempts=RACE_ATTEMPTS,
                                           on_response=waiting_since, tries=plan.tries,
                                           tally=run.tallies[Probe.KEEPALIVE.value])


async def _requests(run: DoctorRun) -> None:
    plan = run.plan
    # Within the idle wait: a slow server's count ends as a lower bound, not a longer run.
    run.requests = await requests_per_connection_probe(
        plan.url, plan.requests_limit, path=plan.path, options=plan.options,
        time_limit=min(REQUESTS_TIME_LIMIT, plan.max_wait), tries=plan.tries,
        tally=run.tallies[Probe.REQUESTS.value])


async def _burst(run: DoctorRun) -> None:
    plan = run.plan
    run.burst = await burst_probe(plan.url, plan.burst_connections, plan.burst_requests,
                                  path=plan.path, options=plan.options,
                                  time_limit=plan.burst_time_limit)


async def _slow_client(run: DoctorRun) -> None:
    plan = run.plan
    run.slow_client = await slow_client_probe(plan.url, plan.max_wait,
                                              interval=plan.slow_client_interval,
                                              path=plan.path, options=plan.options)


async def _origin(run: DoctorRun) -> None:
    plan = run.plan
    assert plan.origin is not None
    run.origin = await keep_alive_probe(plan.origin, plan.max_wait, path=plan.path,
                                        options=plan.options, tries=plan.tries,
                                        tally=run.tallies[Probe.ORIGIN.value])


async def _http2(run: DoctorRun) -> None:
    plan = run.plan
    def waiting(so_far: Callable[[], Http2Result]) -> None:
        run.http2_so_far = so_far

    run.http2 = await http2_probe(plan.url, plan.max_wait, path=plan.path,
                                  options=plan.options, h2c=plan.h2c, on_idle=waiting,
                                  tries=plan.tries, tally=run.tallies[Probe.HTTP2.value])
