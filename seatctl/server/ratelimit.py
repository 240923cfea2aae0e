"""express-rate-limit's default behaviour: a fixed window per client IP, `Retry-After` on 429,
and the budget in headers: the IETF draft-6 `RateLimit-*` (`standardHeaders: true`) in the
reference dialect, the legacy `X-RateLimit-*` (`legacyHeaders: true`) in the seed dialect."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from seatctl.server.config import Dialect, RateLimit

MESSAGE = "Too many requests from this IP, please try again later."

Clock = Callable[[], float]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class Window:
    """One client's window: opened at `start` (the limiter's clock) and `started_at` (Unix
    time, read from the wall clock at the same moment), with `hits` counted so far."""

    start: float
    started_at: float
    hits: int


class FixedWindowLimiter:
    """`clock` (monotonic, e.g. `loop.time`) times the windows; `wall` (Unix time) only says
    when a window ends, for the seed dialect's `X-RateLimit-Reset`."""

    def __init__(self, rule: RateLimit, clock: Clock, *, dialect: Dialect = Dialect.REFERENCE,
                 wall: Clock = time.time) -> None:
        self._rule = rule
        self._clock = clock
        self._wall = wall
        self._headers = _legacy_headers if dialect is Dialect.SEED else _draft6_headers
        self._windows: dict[str, Window] = {}  # by client IP

    def hit(self, client: str) -> Verdict:
        now = self._clock()
        window = self._windows.get(client)
        if window is None or now - window.start >= self._rule.window:
            window = Window(now, self._wall(), 0)
        window = replace(window, hits=window.hits + 1)
        self._windows[client] = window
        # Whole seconds left, as express-rate-limit computes them from milliseconds; rounding
        # to milliseconds first keeps float noise (60.000000001) from announcing 61.
        left = max(0, math.ceil(round((window.start + self._rule.window - now) * 1000) / 1000))
        headers = self._headers(self._rule, window, left)
        if window.hits > self._rule.limit:
            return Verdict(False, [*headers, ("Retry-After", str(left))])
        return Verdict(True, headers)


def _remaining(rule: RateLimit, window: Window) -> str:
    return str(max(0, rule.limit - window.hits))


def _draft6_headers(rule: RateLimit, window: Window, left: int) -> list[tuple[str, str]]:
    return [
        ("RateLimit-Policy", f"{rule.limit};w={rule.window:g}"),
        ("RateLimit-Limit", str(rule.limit)),
        ("RateLimit-Remaining", _remaining(rule, window)),
        ("RateLimit-Reset", str(left)),
    ]


def _legacy_headers(rule: RateLimit, window: Window, left: int) -> list[tuple[str, str]]:
    # The window's end as a whole Unix second: Math.ceil(resetTime.getTime() / 1000), the
    # reset time being whole milliseconds. Fixed when the window opens, so every answer of
    # one window announces the same reset even if the wall clock is stepped meanwhile.
    reset_ms = round((window.started_at + rule.window) * 1000)
    return [
        ("X-RateLimit-Limit", str(rule.limit)),
        ("X-RateLimit-Remaining", _remaining(rule, window)),
        ("X-RateLimit-Reset", str(math.ceil(reset_ms / 1000))),
    ]
