"""express-rate-limit's default behaviour: a fixed window per client IP, with the IETF
draft-6 `RateLimit-*` headers (`standardHeaders: true`) and `Retry-After` on 429."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from seatctl.server.config import RateLimit

MESSAGE = "Too many requests from this IP, please try again later."


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: list[tuple[str, str]]


class FixedWindowLimiter:
    def __init__(self, rule: RateLimit, clock: Callable[[], float]) -> None:
        self._rule = rule
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # ip -> (window start, hits)

    def hit(self, client: str) -> Verdict:
        now = self._clock()
        start, hits = self._windows.get(client, (now, 0))
        if now - start >= self._rule.window:
            start, hits = now, 0
        hits += 1
        self._windows[client] = (start, hits)
        # Whole seconds left, as express-rate-limit computes them from milliseconds; rounding
        # to milliseconds first keeps float noise (60.000000001) from announcing 61.
        reset = max(0, math.ceil(round((start + self._rule.window - now) * 1000) / 1000))
        headers = [
            ("RateLimit-Policy", f"{self._rule.limit};w={self._rule.window:g}"),
            ("RateLimit-Limit", str(self._rule.limit)),
            ("RateLimit-Remaining", str(max(0, self._rule.limit - hits))),
            ("RateLimit-Reset", str(reset)),
        ]
        if hits > self._rule.limit:
            return Verdict(False, [*headers, ("Retry-After", str(reset))])
        return Verdict(True, headers)
