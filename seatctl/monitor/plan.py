"""What a monitor run does, within its bounds: validated at construction (UsageError)."""

from __future__ import annotations

from dataclasses import dataclass, field

from seatctl.diagnostics.targets import ConnectOptions, Target, parse_target
from seatctl.errors import UsageError

MAX_CONNECTIONS = 64
MAX_RATE = 200.0  # requests per second, overall
MAX_DURATION = 3600.0
MAX_SETTLE = 3600.0
MAX_KEPT_INCIDENTS = 1000  # incidents kept in full; every one is counted
DEFAULT_IDLE_CLOSE = 5.0  # assumed when neither given nor advertised: httpx's and Node's
SUMMARY_EVERY = 10.0  # seconds between progress summaries
REQUEST_PATIENCE = 10.0  # no phase of one sample waits longer than this


@dataclass(frozen=True)
class MonitorPlan:
    url: str
    path: str | None = None  # None: the URL's path, else /health
    connections: int = 4
    rate: float = 10.0
    duration: float = 60.0  # without a command; with one, the command's run plus `settle`
    settle: float = 10.0
    idle_close: float | None = None  # the server's idle close, when known
    slow: float = 1.0
    post_path: str | None = None  # the only path a POST goes to; None: GET only
    instance_header: str | None = None
    max_errors: int = 0
    max_gap: float | None = None  # None: every gap counts as an error
    command: tuple[str, ...] = ()
    connect: ConnectOptions = field(default_factory=ConnectOptions)

    def __post_init__(self) -> None:
        _within("--connections", self.connections, 1, MAX_CONNECTIONS)
        _within("--rate", self.rate, 0.1, MAX_RATE)
        _within("--duration", self.duration, 0.1, MAX_DURATION)
        _within("--settle", self.settle, 0.0, MAX_SETTLE)
        _within("--slow", self.slow, 0.001, 3600.0)
        _within("--max-errors", self.max_errors, 0, 10**9)
        if self.idle_close is not None:
            _within("--idle-close", self.idle_close, 0.01, 86400.0)
        if self.max_gap is not None:
            _within("--max-gap", self.max_gap, 0.0, 86400.0)
        if self.instance_header is not None and not self.instance_header.strip():
            raise UsageError("--instance-header needs a header name")
        self.target  # noqa: B018 - validates the URL and path now, before any request
        if self.post_path is not None:
            parse_target(self.url, self.post_path)

    @property
    def target(self) -> Target:
        return parse_target(self.url, self.path)

    @property
    def post_target(self) -> Target | None:
        return None if self.post_path is None else parse_target(self.url, self.post_path)


def _within(option: str, value: float, lowest: float, highest: float) -> None:
    if not lowest <= value <= highest:
        raise UsageError(f"invalid {option} {value:g}: must be within {lowest:g}..{highest:g}")
