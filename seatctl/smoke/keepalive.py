"""The keep-alive check of `seatctl smoke`: one idle connection, watched for the whole run.

Right after the health check (which tells whether the server can be reached at all), one
request on a raw connection to the health check's path (tried again on a fresh connection
when it is cut before its response, PROBE_TRIES in all, each failed try kept in the run's
`RequestTally`); the connection is then left idle,
in a thread of its own (`IdleWatch`), while the other checks run. It must stay open for

* the `Keep-Alive: timeout=N` its response advertised: clients and proxies that trust the
  header reuse the connection until then, so a close before it is a reset they meet; and
* `min_idle` (--min-idle): by default the front door's documented idle timeout toward the
  backend when the response's headers identify one (edge.py), else DEFAULT_MIN_IDLE. The
  proxy in front reuses its idle connections that long; a server that closes them sooner
  causes its 502s and the clients' ECONNRESETs.

The watch ends at the first of: the server's close (before a requirement: fail, with the
measured close and the doctor's fix for the identified server), the longest requirement
reached with the connection still open (pass, "observed"), or the end of the run's
--max-time. Then what was not reached is not verified: a skip that says how long the
connection was seen open, or a failure with --strict. Nothing is taken on the header's
word: the issue this answers is a server advertising 65 s and closing at 6 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from seatctl.diagnostics.bounds import PROBE_TRIES
from seatctl.diagnostics.connection import CLOSE_WAIT
from seatctl.diagnostics.edge import EdgeResult, identify
from seatctl.diagnostics.findings import PROXY_IDLE_MARGIN, Basis, proxy_idle
from seatctl.diagnostics.fixes import keep_alive_fix
from seatctl.diagnostics.probes import answered_connection
from seatctl.diagnostics.results import (
    ADVERTISED_SLACK,
    CloseKind,
    FailedTry,
    Headers,
    KeepAliveResult,
    RequestTally,
    keep_alive_result,
    parse_keep_alive,
)
from seatctl.diagnostics.targets import ConnectOptions, parse_target
from seatctl.smoke.attempts import failed_tries_json, failed_try_warning
from seatctl.smoke.report import (
    KEEP_ALIVE,
    CheckResult,
    CheckStatus,
    failed,
    not_verified,
    passed,
)

# AWS ALB, Fly.io and nginx's upstream keep-alive: the common idle timeout of a proxy.
DEFAULT_MIN_IDLE = 60.0
MAX_MIN_IDLE = 86400.0  # seconds: a day
MAX_PLAUSIBLE_TIMEOUT = 86400.0  # seconds: a longer advertised timeout counts as unparsed
END_RESERVE = 0.05  # seconds before the run's end the watch stops: time to judge and report
STOP_WAIT = CLOSE_WAIT + 0.5  # the most the run waits for the watch's thread to end


class Source(StrEnum):
    """Where a requirement comes from."""

    ADVERTISED = "advertised"  # the response's `Keep-Alive: timeout=N`
    OPTION = "option"  # --min-idle
    FRONT_DOOR = "front-door"  # the identified front door's documented idle timeout
    DEFAULT = "default"  # DEFAULT_MIN_IDLE: no front door identified


@dataclass(frozen=True)
class Requirement:
    """Seconds the idle connection must stay open, and why."""

    seconds: float
    source: Source
    front_door: str | None = None  # its name, for Source.FRONT_DOOR

    @property
    def label(self) -> str:
        if self.source is Source.ADVERTISED:
            return f"its advertised Keep-Alive: timeout={self.seconds:g}"
        named = f"--min-idle {self.seconds:g} s"
        if self.source is Source.FRONT_DOOR:
            return f"{named} ({self.front_door}'s documented idle timeout)"
        if self.source is Source.DEFAULT:
            return f"{named} (the default: no front door identified)"
        return named

    def held_by(self, open_s: float) -> bool:
        """Whether `open_s` seconds open meet it (scheduling jitter allowed)."""
        return open_s + ADVERTISED_SLACK >= self.seconds


def requirements(headers: Headers, status: int, min_idle: float | None
                 ) -> tuple[Requirement, ...]:
    """What a response's connection must survive idle: its advertised timeout (when it
    sends a plausible one), and the minimum idle, always last."""
    advertised = _advertised_timeout(_joined(headers, "keep-alive"))
    found = (Requirement(advertised, Source.ADVERTISED),) if advertised else ()
    return (*found, min_idle_requirement(headers, status, min_idle))


def min_idle_requirement(headers: Headers, status: int, min_idle: float | None
                         ) -> Requirement:
    if min_idle is not None:
        return Requirement(min_idle, Source.OPTION)
    edge = identify(headers, status=status)
    documented = edge.front_door_idle_timeout()
    if edge.front_door and documented and documented.value:
        return Requirement(documented.value, Source.FRONT_DOOR, edge.front_door.component.name)
    return Requirement(DEFAULT_MIN_IDLE, Source.DEFAULT)


# --- the measurement --------------------------------------------------------------------


async def watch_idle(url: str, min_idle: float | None, ends_at: float,
                     options: ConnectOptions,
                     on_result: Callable[[KeepAliveResult], None] | None = None,
                     tally: RequestTally | None = None) -> KeepAliveResult:
    """One request (tried again on a fresh connection when cut or refused before its
    response, PROBE_TRIES in all, each failed try counted in `tally`), then a passive wait
    until the server closes, the longest requirement is reached, or `ends_at` (the event
    loop's time): the first of them. A request not answered by `ends_at` raises
    TimeoutError; the last try's error is raised when none was answered. `on_result` sees
    the result before the connection is closed (a TLS close may wait for the peer)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    time_left = ends_at - began
    if time_left <= 0:
        raise TimeoutError
    clipped = replace(options, timeouts=options.timeouts.clipped(time_left))
    async with contextlib.AsyncExitStack() as stack:
        async with asyncio.timeout_at(ends_at):
            answered = await stack.enter_async_context(answered_connection(
                parse_target(url), clipped, tries=PROBE_TRIES, tally=tally, began=began))
        response = answered.response
        needed = requirements(response.headers, response.status, min_idle)
        longest = max(requirement.seconds for requirement in needed)
        wait = max(0.0, min(longest, ends_at - response.ended_at))
        idle_close = await answered.connection.wait_for_close(
            wait if response.keeps_alive else 0.0)
        result = keep_alive_result(response, idle_close, wait, answered.failed_tries)
        if on_result is not None:
            on_result(result)
    return result


Outcome = KeepAliveResult | BaseException


class IdleWatch:
    """`watch_idle` in a thread of its own (with its own event loop), so that the connection
    idles while the run's synchronous checks go on. `start()`, later `outcome(timeout)`, and
    always `stop()`. The event loop's clock is `time.monotonic`, as `ends_at` is."""

    def __init__(self, url: str, min_idle: float | None, time_left: float,
                 options: ConnectOptions) -> None:
        self._url = url
        self._min_idle = min_idle
        self._options = options
        self._began = time.monotonic()
        self._ends_at = self._began + time_left
        self._settled = threading.Event()
        self._outcome: Outcome | None = None
        self._ended: float | None = None
        self._tally = RequestTally()  # written by the watch's thread, read after its outcome
        self._running = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="seatctl-smoke-keep-alive",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def outcome(self, timeout: float) -> Outcome | None:
        """The result, or the error that ended the watch; None: not over within `timeout`."""
        return self._outcome if self._settled.wait(max(0.0, timeout)) else None

    @property
    def seconds(self) -> float:
        """From the start of the watch to its result (or to now)."""
        return (self._ended or time.monotonic()) - self._began

    @property
    def request(self) -> str:
        """The opening request, as the report names it: "GET /health"."""
        return request_name(self._url)

    @property
    def failed_tries(self) -> tuple[FailedTry, ...]:
        """The opening request's tries cut or refused before a response, so far."""
        return tuple(self._tally.failed)

    def stop(self) -> None:
        """End the watch (cancelled if it is still measuring) and wait for its thread."""
        if not self._thread.is_alive():
            return
        self._running.wait(STOP_WAIT)
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not self._settled.is_set():
            # RuntimeError: its loop has just closed, the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(STOP_WAIT)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        self._running.set()
        try:
            await watch_idle(self._url, self._min_idle, self._ends_at, self._options,
                             on_result=self._settle, tally=self._tally)
        except asyncio.CancelledError:
            pass  # stopped: the run ended before the watch (Ctrl-C, an unreachable server)
        except Exception as error:  # handed to the run, which reports it as the check's
            self._settle(error)

    def _settle(self, outcome: Outcome) -> None:
        if not self._settled.is_set():
            self._outcome, self._ended = outcome, time.monotonic()
            self._settled.set()


async def keep_alive_check(url: str, min_idle: float | None, time_left: float,
                           options: ConnectOptions, *, max_time: float | None = None,
                           strict: bool = False) -> CheckResult:
    """The check at once, within `time_left` seconds (a run watches in an IdleWatch while
    its other checks go on). A connection or request failure raises its SeatctlError."""
    ends_at = asyncio.get_running_loop().time() + time_left
    tally = RequestTally()
    try:
        result = await watch_idle(url, min_idle, ends_at, options, tally=tally)
    except TimeoutError:
        check = failed(KEEP_ALIVE, f"no answer to the request that opens the idle connection "
                                   f"within the {time_left:.1f} s left (--max-time)")
    else:
        check = judge(result, min_idle, max_time=max_time or time_left, strict=strict)
    return with_failed_tries(check, request_name(url), tally.failed)


def with_failed_tries(check: CheckResult, request: str, tries: Sequence[FailedTry]
                      ) -> CheckResult:
    """The check with its opening request's failed tries in `failed_attempts`, and, when it
    passed anyway, a warning for each (as the other checks' retried requests get)."""
    warnings = check.warnings
    if check.status is CheckStatus.PASS:
        warnings += tuple(failed_try_warning(request, failure) for failure in tries)
    return replace(check, warnings=warnings,
                   details={**check.details, "failed_attempts": failed_tries_json(request,
                                                                                  tries)})


def request_name(url: str) -> str:
    return f"GET {parse_target(url).path}"


# --- the verdict ------------------------------------------------------------------------


def judge(result: KeepAliveResult, min_idle: float | None = None, *,
          max_time: float | None = None, strict: bool = False) -> CheckResult:
    """The verdict on a watched connection: `min_idle` None is the default (the front
    door's documented idle timeout, else DEFAULT_MIN_IDLE); `max_time` is the run's bound,
    named when something could not be verified within it."""
    needed = requirements(result.headers, result.status, min_idle)
    closed = result.idle_close
    advertised = _advertised_timeout(result.keep_alive_header)
    edge = identify(result.headers, advertised_keep_alive_s=advertised,
                    idle_close_s=None if closed.lower_bound else closed.seconds,
                    status=result.status)
    details = {**_common(needed, closed.seconds, closed.lower_bound, edge),
               "status": result.status, "keep_alive_header": result.keep_alive_header,
               "advertised_timeout_s": advertised, "idle_close_s": round(closed.seconds, 3),
               "idle_close_lower_bound": closed.lower_bound,
               "close_kind": closed.kind.value if closed.kind else None}
    warnings = _answer_warnings(result.status)
    if not result.persistent:
        return passed(KEEP_ALIVE, "the server does not keep connections alive "
                                  "(Connection: close): no idle connection to lose",
                      {**details, "basis": "not-persistent"},
                      ("every response says Connection: close: each request pays a new "
                       "connection (and TLS handshake)", *warnings))
    short = tuple(requirement for requirement in needed
                  if not requirement.held_by(closed.seconds))
    if short and not closed.lower_bound:
        return _closed_too_soon(result, short, min_idle, edge, {**details, "basis": "closed"})
    if short:
        return _not_verified(closed.seconds, short, max_time, details, strict)
    what = and_joined(requirement.label for requirement in needed)
    if closed.lower_bound:
        message = (f"an idle connection stayed open {closed.seconds:.1f} s: at least {what} "
                   "(observed)")
    else:
        message = (f"the server closed an idle connection after {closed.seconds:.1f} s: no "
                   f"sooner than {what} (observed)")
    return passed(KEEP_ALIVE, message, {**details, "basis": "observed"}, warnings)


def _not_verified(open_s: float, short: Sequence[Requirement], max_time: float | None,
                  details: dict[str, Any], strict: bool) -> CheckResult:
    """"idle connection still open after 12.3 s of 60 s, so --min-idle 60 s is not verified
    within --max-time 15", and the hint: "to verify 60 s of idle, give --max-time 64 or
    more"."""
    longest = max(requirement.seconds for requirement in short)
    within = f"--max-time {max_time:g}" if max_time is not None else "the time given"
    verb = "is" if len(short) == 1 else "are"
    message = (f"idle connection still open after {open_s:.1f} s of {longest:g} s, so "
               f"{and_joined(requirement.label for requirement in short)} {verb} not "
               f"verified within {within}")
    action = "raise --max-time"
    if max_time is not None:
        # The idle starts after the health check and a request: that much more run time.
        needed_time = math.ceil(longest + max(0.0, max_time - open_s) + 1)
        action = f"give --max-time {needed_time} or more"
    return not_verified(KEEP_ALIVE, message,
                        {**details, "basis": "not-verified",
                         "hint": f"to verify {longest:g} s of idle, {action}"},
                        strict=strict)


def _closed_too_soon(result: KeepAliveResult, short: Sequence[Requirement],
                     min_idle: float | None, edge: EdgeResult,
                     details: dict[str, Any]) -> CheckResult:
    closed = result.idle_close
    how = "reset" if closed.kind is CloseKind.RESET else "closed"
    advertised = _advertised_timeout(result.keep_alive_header)
    promised = (f" (its Keep-Alive header promised {advertised:g} s)"
                if advertised and all(r.source is not Source.ADVERTISED for r in short) else "")
    target, longer_than, proxy_details = _fix_target(edge, min_idle)
    app_server = edge.app_server.component.key if edge.app_server else None
    return failed(
        KEEP_ALIVE,
        f"the server {how} an idle connection after {closed.seconds:.2f} s, before "
        f"{and_joined(requirement.label for requirement in short)}{promised}: a proxy or "
        "client that reuses it later gets a 502 or ECONNRESET",
        {**details, "fix_keep_alive_s": target, "proxy_idle_timeout": proxy_details},
        fix=f"Keep idle connections open longer than {longer_than}:\n"
            f"{keep_alive_fix(app_server, target)}",
    )


def _fix_target(edge: EdgeResult, min_idle: float | None
                ) -> tuple[float, str, dict[str, Any]]:
    """The idle timeout the fix sets (longer than the proxy in front, and than --min-idle),
    what it must outlast, in words, and the proxy's timeout for the JSON."""
    proxy = proxy_idle(None, edge)
    if proxy.basis is Basis.ASSUMED:
        source = "the common load-balancer default (AWS ALB, Fly.io, nginx upstream)"
        longer_than = (f"the proxy in front ({proxy.seconds:g} s is {source}; `seatctl "
                       "doctor URL --lb-idle-timeout N` compares with yours)")
    else:
        source = proxy.source
        longer_than = f"the proxy in front ({proxy.seconds:g} s, {proxy.basis.value}: {source})"
    proxy_details = {"seconds": proxy.seconds, "basis": proxy.basis.value, "source": source}
    if min_idle is not None and min_idle > proxy.seconds:
        return min_idle + PROXY_IDLE_MARGIN, f"--min-idle ({min_idle:g} s)", proxy_details
    return proxy.seconds + PROXY_IDLE_MARGIN, longer_than, proxy_details


def _common(needed: Sequence[Requirement], open_s: float, still_open: bool,
            edge: EdgeResult) -> dict[str, Any]:
    minimum = needed[-1]
    return {"min_idle_s": minimum.seconds, "min_idle_source": minimum.source.value,
            "required_s": max(requirement.seconds for requirement in needed),
            "requirements": [_requirement_json(requirement, open_s, still_open)
                             for requirement in needed],
            "front_door": edge.front_door.component.key if edge.front_door else None,
            "app_server": edge.app_server.component.key if edge.app_server else None}


def _requirement_json(requirement: Requirement, open_s: float,
                      still_open: bool) -> Mapping[str, Any]:
    unmet = "not-verified" if still_open else "broken"
    verdict = "held" if requirement.held_by(open_s) else unmet
    return {"source": requirement.source.value, "seconds": requirement.seconds,
            "verdict": verdict}


def _answer_warnings(status: int) -> tuple[str, ...]:
    if status < 400:
        return ()
    return (f"the health check's path answered {status}: the connection measured may be a "
            "proxy's, not the application's",)


def _advertised_timeout(header: str | None) -> float | None:
    """The header's `timeout=N`; None when absent, zero, unparsed or implausible (over a
    day: no server keeps an idle connection that long, so the header is not a promise)."""
    timeout = parse_keep_alive(header).timeout_s
    return timeout if timeout and timeout <= MAX_PLAUSIBLE_TIMEOUT else None


def _joined(headers: Headers, name: str) -> str | None:
    values = [value for key, value in headers if key == name]
    return ", ".join(values) if values else None


def and_joined(parts: Iterable[str]) -> str:
    words = list(parts)
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"
