"""A smoke run: the checks in order, all within `max_time`.

health -> latency -> auth -> booking -> keep-alive. Every request goes through the HTTP core
with the run's deadline, so its timeouts and retries shrink to what is left; a check that
finds no time left is not started and fails as "not run: out of time". When the very first
request cannot reach the server (refused, DNS, TLS, no connection), the run stops there:
the report carries that error, and the command exits 6.

The keep-alive check's connection is opened right after the health check and left idle
while the other checks run (keepalive.IdleWatch, bounded by the run's end); it is judged
last. What it could not verify within `max_time` is a skip, or a failure with `strict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from seatctl.api.endpoints import cancel_booking
from seatctl.booking.journal import JournalEntry
from seatctl.clock import Clock, Deadline, SystemClock
from seatctl.diagnostics.results import KeepAliveResult
from seatctl.diagnostics.targets import ConnectOptions, parse_target
from seatctl.errors import (
    ConnectionRefused,
    ConnectTimeout,
    DeadlineExceeded,
    DNSError,
    Interrupted,
    RateLimited,
    SeatctlError,
    TLSError,
    UsageError,
    hint_at_the_url,
)
from seatctl.http import (
    ApiClient,
    ClientConfig,
    NullObserver,
    Observer,
    RateBudget,
    RetryPolicy,
    window_resets,
)
from seatctl.smoke.attempts import AttemptLog, attempt_json, attempt_warning
from seatctl.smoke.checks import (
    LATENCY_SAMPLES,
    BookingInterrupted,
    BookingTest,
    Login,
    StepFailed,
    auth_check,
    booking_check,
    describe,
    health_check,
    latency_check,
    log_in,
)
from seatctl.smoke.keepalive import (
    END_RESERVE,
    MAX_MIN_IDLE,
    STOP_WAIT,
    IdleWatch,
    judge,
    with_failed_tries,
)
from seatctl.smoke.report import (
    AUTH,
    BOOKING,
    CHECK_NAMES,
    HEALTH,
    KEEP_ALIVE,
    LATENCY,
    CheckResult,
    CheckStatus,
    SmokeReport,
    failed,
    skipped,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_MAX_TIME = 75.0  # room to see an idle connection held the default --min-idle of 60 s
# Far above a healthy API's tens of milliseconds (a new TLS connection included), far below
# the seconds after which a person calls the site broken.
DEFAULT_MAX_LATENCY_MS = 1000.0
BOOKING_MIN_TIME = 5.0  # a booking round trip is not started with less time left
CANCEL_RESERVE = 2.0  # of the time left, kept from the watch for the cancel after it
INTERRUPT_CANCEL_TIME = 2.0  # after Ctrl-C, the most the test booking's cancel may take
# What each check may spend of the rate limit (the `/api/` paths), at most: the latency
# samples; a login and the profile; the event, the seat map, the POST, the polls, the cancel.
API_REQUESTS = {LATENCY: LATENCY_SAMPLES, AUTH: 2, BOOKING: 12}
UNREACHABLE = (ConnectionRefused, DNSError, TLSError, ConnectTimeout)
NO_CREDENTIALS = ("no credentials: set SEATCTL_EMAIL and SEATCTL_PASSWORD, or a token for "
                  "this server (SEATCTL_TOKEN, `seatctl --token`; a stored login is used only "
                  "against its profile's base_url)")


@dataclass(frozen=True)
class SmokePlan:
    """What to check; validated at construction (UsageError, exit 2)."""

    url: str
    max_time: float = DEFAULT_MAX_TIME
    max_latency_ms: float = DEFAULT_MAX_LATENCY_MS
    # Idle seconds the keep-alive connection must survive; None: the front door's documented
    # idle timeout when the headers identify it, else keepalive.DEFAULT_MIN_IDLE.
    min_idle: float | None = None
    strict: bool = False  # what is not verified within max_time fails
    login: Login | None = None
    token: str | None = field(default=None, repr=False)
    book_test: str | None = None  # an event for the booking round trip
    seats: tuple[str, ...] = ()
    profile: str = "default"

    def __post_init__(self) -> None:
        check_url(self.url)
        if not self.max_time > 0:
            raise UsageError("--max-time must be more than 0 seconds")
        if not self.max_latency_ms > 0:
            raise UsageError("--max-latency-ms must be more than 0")
        if self.min_idle is not None and not 0 < self.min_idle <= MAX_MIN_IDLE:
            raise UsageError(f"--min-idle must be more than 0 and at most {MAX_MIN_IDLE:g} "
                             f"seconds (a day): {self.min_idle:g}")
        if self.book_test is not None and not self.book_test.strip():
            raise UsageError("--book-test needs an event: an id or a name")
        if self.seats and self.book_test is None:
            raise UsageError("--seat needs --book-test EVENT")
        if self.book_test is not None and self.login is None and self.token is None:
            raise UsageError(f"--book-test needs a login: {NO_CREDENTIALS}")


def check_url(url: str) -> None:
    parse_target(url)  # http(s), a host, a valid port
    parts = urlsplit(url.strip())
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"the URL must not contain credentials: {parts.hostname}",
                         hint="give a token with SEATCTL_TOKEN, or SEATCTL_EMAIL and "
                              "SEATCTL_PASSWORD")
    if parts.query or parts.fragment:
        raise UsageError(f"the URL must be the API's root, without ?query or #fragment: {url}")


def _ignore(_: Any) -> None:
    pass


@dataclass
class SmokeEnvironment:
    """What a run takes from outside: the HTTP settings (its base URL and token are the
    plan's), raw-connection options, the clock, and callbacks for the command's display."""

    client_config: ClientConfig
    connect: ConnectOptions = field(default_factory=ConnectOptions)
    clock: Clock = field(default_factory=SystemClock)
    observer: Observer = field(default_factory=NullObserver)  # -v and --trace
    transport: httpx.BaseTransport | None = None
    on_start: Callable[[str], None] = _ignore  # a check's name, as it starts
    on_result: Callable[[CheckResult], None] = _ignore  # as each check ends
    on_secret: Callable[[str], None] = _ignore  # the token a login returned: mask it
    budget: RateBudget | None = None  # as earlier commands left it; kept up to date


def run_smoke(plan: SmokePlan, environment: SmokeEnvironment) -> SmokeReport:
    return _Run(plan, environment).run()


class _Unreachable(Exception):
    def __init__(self, failure: StepFailed) -> None:
        super().__init__(failure.message)
        self.failure = failure


class _Run:
    def __init__(self, plan: SmokePlan, environment: SmokeEnvironment) -> None:
        self.plan = plan
        self.env = environment
        self.clock = environment.clock
        self.started = self.clock.monotonic()
        self.deadline = Deadline(self.clock, self.started + plan.max_time)
        self.log = AttemptLog(environment.observer)
        self.results: list[CheckResult] = []
        self.token: str | None = None  # once the auth check passed
        self.budget = environment.budget or RateBudget(self.clock)
        self.rate_limited: str | None = None  # why the API checks cannot be judged
        self.api_checks = [LATENCY, *([AUTH] if plan.login or plan.token else []),
                           *([BOOKING] if plan.book_test else [])]  # not yet run

    def run(self) -> SmokeReport:
        watch: IdleWatch | None = None
        try:
            with self._client() as anonymous:
                try:
                    self._check(HEALTH, lambda: _health(anonymous))
                except _Unreachable as stop:
                    return self._stopped(stop.failure)
                watch = self._idle_watch()
                self._check(LATENCY, self._latency)
                self._auth(anonymous)
            self._booking()
            self._keep_alive(watch)
            return self._report()
        finally:
            if watch is not None:
                watch.stop()

    # --- the checks ---------------------------------------------------------------------

    def _latency(self) -> CheckResult:
        budget_s = self.plan.max_latency_ms / 1000
        base = self.env.client_config
        # No retries (a retry would hide the slowness) and every timeout cut to the budget;
        # its attempts are the check's samples, so they stay out of the attempt log.
        config = replace(base, retry=RetryPolicy(retries=0),
                         timeouts=base.timeouts.clipped(budget_s))
        with self._client(config=config, observer=self.env.observer) as client:
            return latency_check(client, self.plan.max_latency_ms)

    def _auth(self, anonymous: ApiClient) -> None:
        if self.plan.login is None and self.plan.token is None:
            self._record(skipped(AUTH, NO_CREDENTIALS))
        else:
            self._check(AUTH, lambda: self._authenticate(anonymous))

    def _authenticate(self, anonymous: ApiClient) -> CheckResult:
        if self.plan.login is not None:
            token = log_in(anonymous, self.plan.login)
            self.env.on_secret(token)
            token_from = f"logged in as {self.plan.login.email}; its token"
        else:
            assert self.plan.token is not None
            token, token_from = self.plan.token, "the configured token"
        with self._client(token=token) as client:
            result = auth_check(client, token_from)
        self.token = token
        return result

    def _booking(self) -> None:
        if self.plan.book_test is None:
            self._record(skipped(BOOKING, "not asked (--book-test EVENT --seat LABEL)"))
        elif self.token is None:
            self._record(skipped(BOOKING, "not run: no login (see the auth check)"))
        else:
            self._check(BOOKING, self._book, min_time=BOOKING_MIN_TIME)

    def _booking_test(self) -> BookingTest:
        return BookingTest(self.plan.book_test or "", self.plan.seats, self.plan.profile,
                           self.plan.url, logged_in=self.plan.login is not None)

    def _book(self) -> CheckResult:
        assert self.plan.book_test is not None
        test = self._booking_test()
        watch_timeout = max(0.0, self._remaining() - CANCEL_RESERVE)
        with self._client(token=self.token) as client:
            try:
                return booking_check(client, self.clock, test, watch_timeout)
            except BookingInterrupted as interrupted:
                raise self._interrupted_booking(interrupted.entry) from None

    def _interrupted_booking(self, entry: JournalEntry | None) -> Interrupted:
        """Ctrl-C during the test booking: cancel it if it was made (at most
        INTERRUPT_CANCEL_TIME seconds more), and name what may be left to cancel by hand."""
        if entry is None:
            return Interrupted("interrupted before the test booking was submitted")
        names = f"key {entry.key}, job {entry.job_id or 'not known'}"
        test = self._booking_test()
        if entry.booking_id is None:
            watch = test.command("watch", entry.job_id) if entry.job_id else \
                test.command("jobs")
            return Interrupted(
                f"interrupted during the test booking ({names}): it may still be made",
                hint=test.hint(f"check with `{watch}` (or `{test.command('bookings')}`) and "
                               "cancel it if it was"))
        names += f", booking {entry.booking_id}"
        try:
            with self._cancel_client() as client:
                cancel_booking(client, entry.booking_id)
        except (SeatctlError, KeyboardInterrupt) as error:
            why = error.message if isinstance(error, SeatctlError) else "interrupted again"
            return Interrupted(
                f"interrupted during the test booking ({names}); the cancel failed: {why}",
                hint=test.hint(f"cancel it with `{test.cancel_command(entry.booking_id)}`"))
        return Interrupted(f"interrupted during the test booking ({names}); it was cancelled")

    def _cancel_client(self) -> ApiClient:
        """The run's settings, without retries, every timeout and the whole request cut to
        INTERRUPT_CANCEL_TIME: Ctrl-C is not held up by a slow server."""
        base = self.env.client_config
        config = replace(base, base_url=self.plan.url.strip(), token=self.token,
                         retry=RetryPolicy(retries=0),
                         timeouts=base.timeouts.clipped(INTERRUPT_CANCEL_TIME))
        return ApiClient(config, clock=self.clock,
                         deadline=Deadline.after(self.clock, INTERRUPT_CANCEL_TIME),
                         observer=self.log, transport=self.env.transport, budget=self.budget)

    def _idle_watch(self) -> IdleWatch | None:
        """The keep-alive connection, opened now and watched until the run's end; None when
        no time is left for it."""
        time_left = self._remaining() - END_RESERVE
        if time_left <= 0:
            return None
        url = self.plan.url.strip().rstrip("/") + "/health"
        watch = IdleWatch(url, self.plan.min_idle, time_left, self.env.connect)
        watch.start()
        return watch

    def _keep_alive(self, watch: IdleWatch | None) -> None:
        if watch is None:
            self._record(failed(KEEP_ALIVE, f"not run: out of time (--max-time "
                                            f"{self.plan.max_time:g} s)"))
            return
        self.env.on_start(KEEP_ALIVE)
        outcome = watch.outcome(max(0.0, self._remaining()) + STOP_WAIT)
        try:
            result = self._judged(outcome)
        except Exception as exc:  # a server's answer the verdict did not foresee
            result = failed(KEEP_ALIVE, f"unexpected {type(exc).__name__} while checking: "
                                        f"{exc}", {"error": type(exc).__name__})
        self._record(replace(with_failed_tries(result, watch.request, watch.failed_tries),
                             seconds=watch.seconds))

    def _judged(self, outcome: KeepAliveResult | BaseException | None) -> CheckResult:
        if isinstance(outcome, KeepAliveResult):
            return judge(outcome, self.plan.min_idle, max_time=self.plan.max_time,
                         strict=self.plan.strict)
        if outcome is None or isinstance(outcome, TimeoutError):
            return failed(KEEP_ALIVE, "no answer to the request that opens the idle "
                                      f"connection within --max-time ({self.plan.max_time:g} "
                                      "s)", {"error": "DeadlineExceeded",
                                             "hint": "raise --max-time"})
        if isinstance(outcome, SeatctlError):
            return failed(KEEP_ALIVE, f"the request that opens the idle connection: "
                                      f"{describe(outcome)}", error_details(outcome))
        raise outcome

    # --- running one check --------------------------------------------------------------

    def _check(self, name: str, body: Callable[[], CheckResult], *,
               min_time: float = 0.0) -> None:
        if not self._affordable(name):
            assert self.rate_limited is not None
            self._record(skipped(name, f"not judged: {self.rate_limited}"))
            return
        if self._remaining() <= min_time:
            needs = f"; it needs {min_time:g} s" if min_time else ""
            self._record(failed(name, f"not run: out of time (--max-time "
                                      f"{self.plan.max_time:g} s{needs})"))
            return
        self.env.on_start(name)
        mark, began = self.log.mark(), self.clock.monotonic()
        try:
            result = body()
        except Interrupted:
            raise  # Ctrl-C ends the run, not just the check
        except SeatctlError as error:
            if _refused_by_rate_limit(error):
                self._cannot_judge(_refusal(name, error))
                result = skipped(name, f"not judged: {self.rate_limited}")
            else:
                result = failed(name, describe(error), error_details(error))
        except _Unreachable:
            raise
        except Exception as exc:  # a server's answer no check foresaw: that check fails
            result = failed(name, f"unexpected {type(exc).__name__} while checking: {exc}",
                            {"error": type(exc).__name__})
        failures = self.log.failed_since(mark)
        warnings = result.warnings
        if result.status is CheckStatus.PASS:
            warnings += tuple(attempt_warning(exchange) for exchange in failures)
        self._record(replace(
            result, seconds=self.clock.monotonic() - began, warnings=warnings,
            details={**result.details,
                     "failed_attempts": [attempt_json(exchange) for exchange in failures]}))

    def _affordable(self, name: str) -> bool:
        """Whether the budget covers this API check and those after it; once it did not,
        no API check is run (their failures would say nothing of the deploy)."""
        if name not in self.api_checks:
            return True
        if self.rate_limited is None:
            needed = sum(API_REQUESTS[check] for check in self.api_checks)
            known = self.budget.known
            if known is not None and known.remaining < needed:
                self._cannot_judge(f"{known.describe(self.budget.now())}; the checks need "
                                   f"{needed}")
        self.api_checks.remove(name)
        return self.rate_limited is None

    def _cannot_judge(self, why: str) -> None:
        self.rate_limited = f"rate limited, cannot judge: {why}"

    def _record(self, result: CheckResult) -> None:
        self.results.append(result)
        self.env.on_result(result)

    def _stopped(self, failure: StepFailed) -> SmokeReport:
        """The server cannot be reached: the other checks are not run."""
        hint_at_the_url(failure, failure.cause)
        self.results.append(failed(HEALTH, describe(failure), error_details(failure)))
        self.results.extend(skipped(name, "not run: the server cannot be reached")
                            for name in CHECK_NAMES if name != HEALTH)
        return self._report(failure.cause)

    def _report(self, unreachable: SeatctlError | None = None) -> SmokeReport:
        return SmokeReport(self.plan.url, self.plan.max_time,
                           self.clock.monotonic() - self.started, tuple(self.results),
                           unreachable, self.rate_limited, self.budget.known,
                           strict=self.plan.strict)

    def _remaining(self) -> float:
        remaining = self.deadline.remaining()
        assert remaining is not None
        return remaining

    def _client(self, *, token: str | None = None, config: ClientConfig | None = None,
                observer: Observer | None = None) -> ApiClient:
        config = replace(config or self.env.client_config, base_url=self.plan.url.strip(),
                         token=token)
        return ApiClient(config, clock=self.clock, deadline=self.deadline,
                         observer=observer or self.log, transport=self.env.transport,
                         budget=self.budget)


def _refusal(check: str, error: SeatctlError) -> str:
    """"the latency check was refused (429); the window resets at 18:28:05 (in 840 s)"."""
    cause = error.cause if isinstance(error, StepFailed) else error
    retry_after = cause.retry_after if isinstance(cause, RateLimited) else None
    return f"the {check} check was refused (429){window_resets(retry_after)}"


def _refused_by_rate_limit(error: SeatctlError) -> bool:
    cause = error.cause if isinstance(error, StepFailed) else error
    return isinstance(cause, RateLimited)


def _health(client: ApiClient) -> CheckResult:
    try:
        return health_check(client)
    except StepFailed as failure:
        if isinstance(failure.cause, UNREACHABLE):
            raise _Unreachable(failure) from failure
        raise


def error_details(error: SeatctlError) -> dict[str, Any]:
    cause = error.cause if isinstance(error, StepFailed) else error
    # The core's hint for its deadline names --timeout; here --max-time set it.
    hint = "raise --max-time" if isinstance(cause, DeadlineExceeded) else error.hint
    return {"error": type(cause).__name__, "hint": hint}
