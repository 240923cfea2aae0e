"""ApiClient: the only place seatctl sends HTTP requests.

Every request gets explicit per-phase timeouts (clipped to the command's overall deadline),
an `X-Request-ID`, the bearer token when it is meant to, one retry policy, and errors
translated into the seatctl tree. Nothing here prints: attempts are reported to an Observer.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from seatctl import __version__
from seatctl.clock import Clock, Deadline, SystemClock
from seatctl.errors import (
    ConfigError,
    DeadlineExceeded,
    PhaseTimeout,
    ReadTimeout,
    SeatctlError,
)
from seatctl.http._body import ACCEPT_ENCODING, read_capped
from seatctl.http._deadline import AttemptBudget, attempt_deadline
from seatctl.http._envelope import error_for_status, parse_retry_after
from seatctl.http._observe import AttemptTrace, Exchange, NullObserver, Observer
from seatctl.http._ratelimit import RateBudget
from seatctl.http._retry import RetryPolicy
from seatctl.http._timeouts import Timeouts
from seatctl.http._translate import Attempt, translate
from seatctl.http._transport import CoreTransport, core_transport
from seatctl.http.httpx_seam import set_decoded_body
from seatctl.redact import redact_headers
from seatctl.urls import DEFAULT_PORTS, default_port

if TYPE_CHECKING:
    from seatctl.config.settings import Settings

USER_AGENT = f"seatctl/{__version__}"
ATTEMPT_SECONDS = "seatctl.attempt_seconds"  # response.extensions: the answering attempt's time
ATTEMPT_NUMBER = "seatctl.attempt"  # response.extensions: 1 for the first attempt


@dataclass(frozen=True)
class ClientConfig:
    """What an ApiClient is built from; `from_settings` is the usual way to get one."""

    base_url: str
    timeouts: Timeouts
    retry: RetryPolicy
    token: str | None = None
    verify_tls: bool = True
    ca_bundle: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientConfig:
        return cls(
            base_url=settings.base_url,
            timeouts=Timeouts.from_settings(settings),
            retry=RetryPolicy(retries=settings.retries, deadline=settings.retry_deadline),
            token=settings.token.get_secret_value() if settings.token else None,
            verify_tls=settings.verify_tls,
            ca_bundle=settings.ca_bundle,
        )


class ApiClient:
    """A connection pool plus the policy around it. Use as a context manager."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        clock: Clock | None = None,
        deadline: Deadline | None = None,
        observer: Observer | None = None,
        transport: httpx.BaseTransport | None = None,
        budget: RateBudget | None = None,
    ) -> None:
        self.config = config
        self._clock = clock or SystemClock()
        self.budget = budget or RateBudget(self._clock)  # what the server's limiter announced
        self._deadline = deadline or Deadline(self._clock, None)
        self._observer = observer or NullObserver()
        self._http = httpx.Client(
            base_url=config.base_url,
            timeout=config.timeouts.as_httpx(),
            transport=transport or _deadline_transport(config),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                     "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,  # a redirect must never carry the token to another origin
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
        extra_read_time: float = 0.0,
        retry_rate_limited: bool = True,
    ) -> httpx.Response:
        """Send with retries; returns a 1xx/2xx response or raises a SeatctlError.

        `extra_read_time` lengthens the read timeout of this request only: a long poll that
        the server may legitimately hold for N seconds passes N.

        An `idempotency_key` makes a POST safe to repeat, so the policy may retry it; it is
        sent both ways the contract knows: the body's `idempotencyKey` (what the deployed
        backend reads) and the `Idempotency-Key` header (the extension).

        `retry_rate_limited=False` hands a 429 straight to the caller, for loops that plan
        their own requests against the budget (the watch) and must say why they wait.
        """
        if idempotency_key is not None:
            json = _with_body_key(json, idempotency_key)
        retrying = self.config.retry.retrying(
            clock=self._clock, overall=self._deadline, method=method,
            has_idempotency_key=idempotency_key is not None, notice=self._observer.retrying,
            retry_rate_limited=retry_rate_limited,
        )
        attempt_number = 0
        started = self._clock.monotonic()
        try:
            for attempt in retrying:
                with attempt:
                    attempt_number = attempt.retry_state.attempt_number
                    response = self._send_once(
                        method, path, params=params, json=json, attempt=attempt_number,
                        idempotency_key=idempotency_key, authenticated=authenticated,
                        extra_read_time=extra_read_time, request_started=started,
                    )
        except SeatctlError as error:
            error.attempts = attempt_number
            raise
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def _send_once(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any,
        attempt: int, idempotency_key: str | None, authenticated: bool, extra_read_time: float,
        request_started: float,
    ) -> httpx.Response:
        self._deadline.check(f"{method} {path}")
        timeouts = self.config.timeouts.longer_read(extra_read_time).clipped(
            self._deadline.remaining())
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        if authenticated and self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        trace = AttemptTrace(self._clock)
        request = self._http.build_request(
            method, path, params=params, json=json, headers=headers,
            timeout=timeouts.as_httpx(), extensions={"trace": trace},
        )
        started = self._clock.monotonic()
        budget = AttemptBudget(self._attempt_seconds(request_started, timeouts.read))
        try:
            response = self._receive(request, budget)
        except Exception as exc:
            target = f"{request.url.host}:{request.url.port or _default_port(request.url)}"
            error = translate(exc, Attempt(target, timeouts, trace.reused, trace.response_started))
            error = self._out_of_time(error, budget, target)
            self._report(request, attempt, started, trace, error=error)
            raise error from exc
        self.budget.observe(response.headers, response.status_code,
                            parse_retry_after(response.headers.get("retry-after")))
        self._report(request, attempt, started, trace, response=response)
        response.extensions[ATTEMPT_SECONDS] = self._clock.monotonic() - started
        response.extensions[ATTEMPT_NUMBER] = attempt
        failure = error_for_status(response, request_id)
        if failure is not None:
            raise failure
        return response

    def _attempt_seconds(self, request_started: float, read_timeout: float) -> float:
        """What one attempt may take in all, however slowly the server sends: the time left
        of the request's retry deadline (at least its read timeout), within --timeout."""
        spent = self._clock.monotonic() - request_started
        seconds = max(self.config.retry.deadline - spent, read_timeout)
        remaining = self._deadline.remaining()
        return seconds if remaining is None else max(min(seconds, remaining), 0.001)

    def _receive(self, request: httpx.Request, budget: AttemptBudget) -> httpx.Response:
        """Send, then read the body within the size cap, every wait within the budget."""
        with attempt_deadline(budget):
            response = self._http.send(request, stream=True)
            try:
                body = read_capped(response)
            finally:
                response.close()
        set_decoded_body(response, body)
        return response

    def _out_of_time(self, error: SeatctlError, budget: AttemptBudget, target: str
                     ) -> SeatctlError:
        if not isinstance(error, PhaseTimeout):
            return error
        if self._deadline.expired():
            return DeadlineExceeded(f"the command's overall deadline ran out: {error.message}",
                                    hint="raise --timeout (or SEATCTL_TIMEOUT)")
        if budget.passed():
            return ReadTimeout(
                f"{target} did not send a complete response within {budget.seconds:.3g}s "
                "(the request's retry_deadline, at least its read timeout)",
                seconds=budget.seconds,
                hint="the server sends too slowly, or without end; retry later, or raise "
                     "retry_deadline")
        return error

    def _report(
        self, request: httpx.Request, attempt: int, started: float, trace: AttemptTrace, *,
        response: httpx.Response | None = None, error: SeatctlError | None = None,
    ) -> None:
        self._observer.exchange(Exchange(
            method=request.method,
            url=str(request.url),
            attempt=attempt,
            request_id=request.headers.get("X-Request-ID", ""),
            elapsed=self._clock.monotonic() - started,
            status=response.status_code if response is not None else None,
            error=error.message if error is not None else None,
            reused=trace.reused,
            phases=trace.phases(),
            request_headers=redact_headers(_raw(request.headers)),
            response_headers=redact_headers(_raw(response.headers)) if response else [],
            rate_limit=self.budget.known if response is not None else None,
        ))


def _deadline_transport(config: ClientConfig) -> CoreTransport:
    return core_transport(verify=_tls_context(config))


def _with_body_key(body: Any, key: str) -> Any:
    if body is None:
        return {"idempotencyKey": key}
    if not isinstance(body, dict):
        raise TypeError("an idempotency key needs a JSON object body (or none)")
    if body.get("idempotencyKey", key) != key:
        raise ValueError("the body's idempotencyKey differs from idempotency_key")
    return {**body, "idempotencyKey": key}


def _raw(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Headers as sent or received, with their original capitalisation."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers.raw]


def _default_port(url: httpx.URL) -> int:
    return default_port(url.scheme) or DEFAULT_PORTS["http"]


def _tls_context(config: ClientConfig) -> ssl.SSLContext | bool:
    if not config.verify_tls:
        return False
    context = httpx.create_ssl_context()
    if config.ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(config.ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"invalid ca_bundle = {str(config.ca_bundle)!r}: {exc}",
                              key="ca_bundle",
                              hint="ca_bundle must be a PEM file of CA certificates") from None
    return context
