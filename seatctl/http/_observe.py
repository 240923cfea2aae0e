"""What the core reports about each attempt, for `-v` and `--trace`: data, never printing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from seatctl.clock import Clock

if TYPE_CHECKING:
    from seatctl.http._ratelimit import RateLimitInfo


@dataclass
class Exchange:
    """One attempt of one request, as `-v` and `--trace` show it."""

    method: str
    url: str
    attempt: int
    request_id: str
    elapsed: float
    status: int | None = None
    error: str | None = None
    reused: bool | None = None
    phases: dict[str, float] = field(default_factory=dict)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    rate_limit: RateLimitInfo | None = None  # the budget after this answer, when announced


class Observer(Protocol):
    def exchange(self, exchange: Exchange) -> None: ...

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None: ...


class NullObserver:
    def exchange(self, exchange: Exchange) -> None:
        pass

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        pass


# httpcore trace event names (without .started/.complete) and the phase each one times.
_PHASES: Mapping[str, str] = {
    "connection.connect_tcp": "connect",  # includes DNS resolution: httpcore does both at once
    "connection.start_tls": "tls",
    "http11.send_request_headers": "send",
    "http11.receive_response_body": "body",
}


class AttemptTrace:
    """httpcore's `trace` extension callback: timestamps of one attempt's events."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.events: dict[str, float] = {}

    def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        self.events.setdefault(name, self._clock.monotonic())

    @property
    def reused(self) -> bool | None:
        if not self.events:
            return None
        return "connection.connect_tcp.started" not in self.events

    @property
    def response_started(self) -> bool:
        return "http11.receive_response_headers.complete" in self.events

    def phases(self) -> dict[str, float]:
        """Seconds per phase, plus `wait` (time to first byte after the request was sent)."""
        timed = {}
        for event, phase in _PHASES.items():
            started = self.events.get(f"{event}.started")
            completed = self.events.get(f"{event}.complete")
            if started is not None and completed is not None:
                timed[phase] = completed - started
        sent = self.events.get("http11.send_request_headers.started")
        first_byte = self.events.get("http11.receive_response_headers.complete")
        if sent is not None and first_byte is not None:
            timed["ttfb"] = first_byte - sent
        return timed
