"""The asyncio run: the sampling slots, the optional command, the summaries, the end.

    run = MonitorRun(plan)
    await run_monitor(run, on_incident=show, on_summary=tick)  # or, blocking:
    sample_until_done(run, on_incident=show, on_summary=tick)
    run.snapshot()  # counters, gaps, latency, the kept incidents, the command's status

`run.stop()` (Ctrl-C, wired by `catch_sigint`) ends the sampling early: without a command
at once; with one, the command gets COMMAND_GRACE seconds to end (on a terminal Ctrl-C
reached it too), then SIGTERM. Nothing here prints: incidents and summaries go to the
callbacks the caller passes.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from array import array
from collections import Counter, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from seatctl.diagnostics.failures import FailureKind
from seatctl.diagnostics.results import RawResponse, parse_keep_alive
from seatctl.diagnostics.targets import Target
from seatctl.errors import DNSError, UsageError
from seatctl.http import classify_os_error
from seatctl.monitor.incidents import GATEWAY_STATUSES, Classifier, Incident, IncidentClass, Outcome
from seatctl.monitor.plan import (
    DEFAULT_IDLE_CLOSE,
    MAX_DURATION,
    MAX_KEPT_INCIDENTS,
    SUMMARY_EVERY,
    MonitorPlan,
)
from seatctl.monitor.sampler import Sample, Sampler

COMMAND_GRACE = 3.0  # seconds a command has to end after Ctrl-C, before SIGTERM
COMMAND_KILL_AFTER = 3.0  # then SIGKILL
NODE_BUFFER_S = 1.0  # Node closes an idle socket 1 s after its advertised timeout
RECENT_WINDOW = 10.0  # the latency percentiles of a summary: the last 10 s
OUTPUT_CHUNK = 4096
TIMELINE_SECONDS = 600  # per-second outcome counts kept for the live timeline

SCHEMA = "seatctl.monitor/1"  # the summary object's (--json's last line, --report's input)
IncidentSink = Callable[[Incident], None]
SummarySink = Callable[["Snapshot"], None]
OutputSink = Callable[[bytes], None]


@dataclass(frozen=True)
class Snapshot:
    """Where the run stands: what a summary line and the end report show."""

    elapsed: float
    requests: int
    answered: int  # got a response with a status below 400
    by_class: dict[str, int]  # incidents counted per class
    errors: int  # incidents that count against --max-errors
    gaps: tuple[float, ...]  # lengths of the closed gaps
    open_gap: float | None  # the gap still open at the end: its length so far
    p50: float | None
    p95: float | None
    idle_close: float
    idle_close_source: str  # given, advertised, assumed
    incidents: tuple[Incident, ...]  # the first MAX_KEPT_INCIDENTS
    command: tuple[str, ...] = ()
    command_status: int | None = None
    command_started: float | None = None
    command_ended: float | None = None
    interrupted: bool = False
    max_open_connections: int = 0
    unanswered_at_end: int = 0  # samples still waiting for an answer when the run ended
    in_flight: int = 0  # requests sent and not yet answered (failed) at the snapshot
    target: str = ""
    started_wall: str | None = None  # ISO 8601, UTC

    @property
    def longest_gap(self) -> float | None:
        lengths = [*self.gaps, *([self.open_gap] if self.open_gap is not None else [])]
        return max(lengths) if lengths else None

    def as_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "type": "summary", "target": self.target,
                "started_at": self.started_wall, "elapsed_s": round(self.elapsed, 3),
                "requests": self.requests, "answered": self.answered,
                "incidents": dict(self.by_class), "errors": self.errors,
                "gaps_s": [round(gap, 3) for gap in self.gaps],
                "open_gap_s": None if self.open_gap is None else round(self.open_gap, 3),
                "p50_s": _rounded(self.p50), "p95_s": _rounded(self.p95),
                "idle_close_s": self.idle_close, "idle_close_source": self.idle_close_source,
                "unanswered_at_end": self.unanswered_at_end,
                "command": list(self.command), "command_status": self.command_status,
                "command_started_s": _rounded(self.command_started),
                "command_ended_s": _rounded(self.command_ended),
                "interrupted": self.interrupted}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class OutcomeLevel(IntEnum):
    """What one sample came to, ordered: a second of the timeline shows its worst."""

    OK = 0
    SLOW = 1
    ERROR_STATUS = 2  # an answer >= 400 other than 502/503/504
    GATEWAY = 3  # 502, 503, 504
    FAILED = 4  # no answer: a timeout, TLS, another failure
    CUT = 5  # reset or closed: a cut, a dropped connection, the keep-alive race
    REFUSED = 6  # nothing listening


def outcome_level(outcome: Outcome, slow: float) -> OutcomeLevel:
    failure = outcome.failure
    if failure is not None:
        if failure.kind is FailureKind.REFUSED:
            return OutcomeLevel.REFUSED
        cut = failure.kind in (FailureKind.RESET, FailureKind.CLOSED)
        return OutcomeLevel.CUT if cut else OutcomeLevel.FAILED
    if outcome.status is None:
        return OutcomeLevel.FAILED
    if outcome.status in GATEWAY_STATUSES:
        return OutcomeLevel.GATEWAY
    if outcome.status >= 400:
        return OutcomeLevel.ERROR_STATUS
    if outcome.seconds is not None and outcome.seconds > slow:
        return OutcomeLevel.SLOW
    return OutcomeLevel.OK


class PerSecond:
    """Samples counted per second of the run and per level, for the last `keep` seconds: a
    ring of fixed size, so a run of an hour holds as much as one of ten minutes. A sample
    counts in the second it was sent (a slow one is recorded later, in an older second)."""

    def __init__(self, keep: int = TIMELINE_SECONDS) -> None:
        self.keep = keep
        self._seconds = array("q", [-1] * keep)  # which second each slot holds
        self._counts = [array("L", [0] * len(OutcomeLevel)) for _ in range(keep)]
        self.newest = -1

    def add(self, at: float, level: OutcomeLevel) -> None:
        second = max(0, int(at))
        if second <= self.newest - self.keep:
            return  # older than what is kept
        slot = second % self.keep
        if self._seconds[slot] != second:
            self._seconds[slot] = second
            self._counts[slot] = array("L", [0] * len(OutcomeLevel))
        self._counts[slot][level] += 1
        self.newest = max(self.newest, second)

    def counts(self, second: int) -> tuple[int, ...]:
        """The samples of `second` per level (indexed by OutcomeLevel); zeros if none."""
        slot = second % self.keep
        if second < 0 or self._seconds[slot] != second:
            return (0,) * len(OutcomeLevel)
        return tuple(self._counts[slot])

    def worst(self, second: int) -> OutcomeLevel | None:
        """The worst level `second` saw; None when nothing was sent in it (or not kept)."""
        counts = self.counts(second)
        return next((OutcomeLevel(level) for level in reversed(range(len(counts)))
                     if counts[level]), None)


class MonitorRun:
    def __init__(self, plan: MonitorPlan, *, wall: Callable[[], datetime] | None = None
                 ) -> None:
        self.plan = plan
        self._wall = wall or (lambda: datetime.now(UTC))
        self.classifier = Classifier(slow=plan.slow, instance_header=plan.instance_header,
                                     idle_close=plan.idle_close or DEFAULT_IDLE_CLOSE)
        self.idle_close = plan.idle_close or DEFAULT_IDLE_CLOSE
        self.idle_close_source = "given" if plan.idle_close else "assumed"
        self.requests = 0
        self.answered = 0
        self.by_class: Counter[str] = Counter()
        self.errors = 0
        self.gaps: list[float] = []
        self.kept: list[Incident] = []
        self.latencies = array("d")  # at most rate x duration: bounded by the plan
        self.recent: deque[tuple[float, float]] = deque()
        self.per_second = PerSecond()
        self.command_status: int | None = None
        self.command_started: float | None = None
        self.command_ended: float | None = None
        self.interrupted = False
        self.started_at = 0.0
        self.started_wall: str | None = None
        self.ended_at: float | None = None
        self.max_open_connections = 0
        self.unanswered_at_end = 0
        self.in_flight: Callable[[], int] = lambda: 0
        self.on_incident: IncidentSink = lambda incident: None
        self._stopped = asyncio.Event()
        self._now: Callable[[], float] = lambda: 0.0

    def stop(self) -> None:
        """Ctrl-C: end the sampling (and the command's wait) early."""
        self.interrupted = True
        self._stopped.set()

    def wall_now(self) -> datetime:
        return self._wall()

    def elapsed(self) -> float:
        end = self.ended_at if self.ended_at is not None else self._now()
        return end - self.started_at

    def record(self, sample: Sample) -> None:
        outcome = self._outcome(sample)
        if sample.failure is not None and sample.failure.while_idle:
            self._record_idle_death(outcome)
            return
        self.requests += 1
        if outcome.ok:
            self.answered += 1
        sent_at = outcome.at if outcome.sent_at is None else outcome.sent_at
        self.per_second.add(sent_at, outcome_level(outcome, self.plan.slow))
        if sample.response is not None:
            self._learn_idle_close(sample.response)
            self._keep_latency(outcome)
        for incident in self.classifier.classify(outcome):
            self._count(incident)

    def _record_idle_death(self, outcome: Outcome) -> None:
        """A held connection closed while idle: not a request; on the timeline only when
        it is an incident."""
        for incident in self.classifier.classify(outcome):
            self.per_second.add(outcome.at, OutcomeLevel.CUT)
            self._count(incident)

    def _outcome(self, sample: Sample) -> Outcome:
        response = sample.response
        ended = sample.started if sample.ended is None else sample.ended
        return Outcome(
            at=ended - self.started_at, sent_at=sample.started - self.started_at,
            wall=self._wall().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            method=sample.method, path=sample.path, reused=sample.reused,
            connection_age=sample.connection_age, idle=sample.idle,
            seconds=None if response is None else response.ended_at - response.sent_at,
            status=None if response is None else response.status,
            headers=() if response is None else response.headers,
            error_body=b"" if response is None else response.error_body,
            failure=sample.failure)

    def _learn_idle_close(self, response: RawResponse) -> None:
        if self.idle_close_source != "assumed":
            return
        advertised = parse_keep_alive(response.header("keep-alive")).timeout_s
        if advertised is None or advertised <= 0:
            return
        names = [name for name, _ in response.headers
                 if name not in ("content-length", "transfer-encoding")]
        node = names[-3:] == ["date", "connection", "keep-alive"]  # Node's header order
        self.idle_close = advertised + (NODE_BUFFER_S if node else 0.0)
        self.idle_close_source = "advertised" + (" + Node's 1 s" if node else "")
        self.classifier.idle_close = self.idle_close

    def _keep_latency(self, outcome: Outcome) -> None:
        if outcome.seconds is None:
            return
        self.latencies.append(outcome.seconds)
        at = outcome.at if outcome.sent_at is None else outcome.sent_at
        self.recent.append((at, outcome.seconds))
        while self.recent and self.recent[0][0] < at - RECENT_WINDOW:
            self.recent.popleft()

    def _count(self, incident: Incident) -> None:
        self.by_class[incident.kind.value] += 1
        if incident.kind is IncidentClass.GAP_ENDED and incident.gap_s is not None:
            self.gaps.append(incident.gap_s)
        if incident.kind.counts_as_error and not (
                incident.kind is IncidentClass.REFUSED and self.plan.max_gap is not None):
            self.errors += 1
        if len(self.kept) < MAX_KEPT_INCIDENTS:
            self.kept.append(incident)
        self.on_incident(incident)

    def recent_percentiles(self) -> tuple[float | None, float | None]:
        """p50 and p95 of the answers sent in the last RECENT_WINDOW seconds (none during
        a gap: older answers no longer count)."""
        since = self.elapsed() - RECENT_WINDOW
        values = sorted(seconds for at, seconds in self.recent if at >= since)
        return _percentile(values, 0.50), _percentile(values, 0.95)

    def snapshot(self, *, recent: bool = False) -> Snapshot:
        values = sorted(seconds for _, seconds in self.recent) if recent \
            else sorted(self.latencies)
        gap_started = self.classifier.gap_started
        return Snapshot(
            elapsed=self.elapsed(), requests=self.requests, answered=self.answered,
            by_class=dict(self.by_class), errors=self.errors, gaps=tuple(self.gaps),
            open_gap=None if gap_started is None else self.elapsed() - gap_started,
            p50=_percentile(values, 0.50), p95=_percentile(values, 0.95),
            idle_close=self.idle_close, idle_close_source=self.idle_close_source,
            incidents=tuple(self.kept), command=self.plan.command,
            command_status=self.command_status, command_started=self.command_started,
            command_ended=self.command_ended, interrupted=self.interrupted,
            max_open_connections=self.max_open_connections,
            unanswered_at_end=self.unanswered_at_end,
            in_flight=self.unanswered_at_end if self.ended_at is not None else self.in_flight(),
            target=self.plan.url,
            started_wall=self.started_wall)


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run_monitor(run: MonitorRun, *, on_incident: IncidentSink,
                      on_summary: SummarySink | None = None,
                      command_output: OutputSink | None = None,
                      summary_every: float = SUMMARY_EVERY, catch_sigint: bool = False,
                      seed: int | None = None) -> None:
    """Sample until the duration ends (or the command ends and the settle passes, or
    `run.stop()`). A host that does not resolve raises DNSError before any request;
    anything else (refused included: a gap from the start) is an incident."""
    loop = asyncio.get_running_loop()
    plan = run.plan
    await _check_resolves(plan.target)
    run.on_incident = on_incident
    run._now = loop.time
    run.started_at = loop.time()
    run.started_wall = run.wall_now().isoformat(timespec="seconds").replace("+00:00", "Z")
    sampler = Sampler(plan, run.record, lambda: run.idle_close, seed=seed)
    run.in_flight = lambda: sampler.in_flight
    tasks = [asyncio.create_task(sampler.run_slot(role)) for role in sampler.slots()]
    tasks.append(asyncio.create_task(_watch_bounds(run, sampler)))
    if on_summary is not None:
        tasks.append(asyncio.create_task(_summaries(run, on_summary, summary_every)))
    if catch_sigint:
        loop.add_signal_handler(signal.SIGINT, run.stop)
    try:
        if plan.command:
            await _around_command(run, command_output)
        else:
            await _until_stopped(run, plan.duration)
    finally:
        if catch_sigint:
            loop.remove_signal_handler(signal.SIGINT)
        run.unanswered_at_end = sampler.in_flight
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        run.ended_at = loop.time()


def sample_until_done(run: MonitorRun, *, on_incident: IncidentSink,
                      on_summary: SummarySink | None = None,
                      command_output: OutputSink | None = None,
                      summary_every: float = SUMMARY_EVERY) -> None:
    """`run_monitor` on an event loop of its own, Ctrl-C ending the sampling early (the
    `seatctl monitor` entry point)."""
    asyncio.run(run_monitor(run, on_incident=on_incident, on_summary=on_summary,
                            command_output=command_output, summary_every=summary_every,
                            catch_sigint=True))


async def _until_stopped(run: MonitorRun, seconds: float) -> None:
    with suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await run._stopped.wait()


async def _check_resolves(target: Target) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        error = classify_os_error(exc, target.label)
        if isinstance(error, DNSError):
            raise error from None


async def _watch_bounds(run: MonitorRun, sampler: Sampler) -> None:
    while True:
        run.max_open_connections = max(run.max_open_connections, sampler.open_connections)
        await asyncio.sleep(0.01)


async def _summaries(run: MonitorRun, on_summary: SummarySink, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        on_summary(run.snapshot(recent=True))


async def _around_command(run: MonitorRun, output: OutputSink | None) -> None:
    """The command runs while the slots sample; then the settle; at most MAX_DURATION."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_DURATION
    process = await _spawn(run.plan.command, output)
    run.command_started = loop.time() - run.started_at
    pumps = [asyncio.create_task(_pump(stream, output))
             for stream in (process.stdout, process.stderr)
             if stream is not None and output is not None]
    try:
        run.command_status = await _wait_command(run, process, deadline)
    finally:
        if process.returncode is None:
            await _end_command(process)
        await asyncio.gather(*pumps, return_exceptions=True)
    run.command_ended = loop.time() - run.started_at
    if not run.interrupted:
        await _until_stopped(run, min(run.plan.settle, deadline - loop.time()))


async def _spawn(command: tuple[str, ...], output: OutputSink | None
                 ) -> asyncio.subprocess.Process:
    pipe = asyncio.subprocess.PIPE if output is not None else None
    try:
        return await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL
                                                    if output is not None else None,
                                                    stdout=pipe, stderr=pipe)
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]!r}: {exc.strerror or exc}",
                         hint="check the command after --") from None


async def _wait_command(run: MonitorRun, process: asyncio.subprocess.Process,
                        deadline: float) -> int:
    waiter = asyncio.create_task(process.wait())
    stopper = asyncio.create_task(run._stopped.wait())
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait({waiter, stopper}, timeout=max(0.0, deadline - loop.time()),
                           return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():  # Ctrl-C or the cap: give it its grace first
            await asyncio.wait({waiter}, timeout=COMMAND_GRACE)
    finally:
        stopper.cancel()
    if not waiter.done():
        waiter.cancel()
        await _end_command(process)
    return _status(await process.wait())


async def _end_command(process: asyncio.subprocess.Process) -> None:
    with suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(COMMAND_KILL_AFTER):
            await process.wait()
    except TimeoutError:
        with suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def _status(returncode: int) -> int:
    """A signal's death as the shell reports it: 128 + the signal's number."""
    return 128 - returncode if returncode < 0 else returncode


async def _pump(stream: asyncio.StreamReader, output: OutputSink | None) -> None:
    while chunk := await stream.read(OUTPUT_CHUNK):
        if output is not None:
            output(chunk)

