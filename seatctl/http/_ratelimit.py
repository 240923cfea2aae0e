"""What a server says of its rate limit, from whichever header dialect it speaks.

express-rate-limit sends the IETF draft-6 headers (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`), draft-7's combined `RateLimit: limit=100, remaining=42, reset=30`, or
the legacy `X-RateLimit-*` (whose reset may be a Unix time).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

_COMBINED = re.compile(r"(limit|remaining|reset)\s*=\s*(\d+)")
EPOCH_THRESHOLD = 1_000_000_000  # a reset this large is a Unix time, not a delta


@dataclass(frozen=True)
class RateLimitInfo:
    limit: int
    remaining: int
    reset_s: float  # seconds until the window resets

    @property
    def used_fraction(self) -> float:
        return 1.0 - self.remaining / self.limit if self.limit else 0.0


def parse_rate_limit(headers: Mapping[str, str], now: float | None = None
                     ) -> RateLimitInfo | None:
    combined = headers.get("ratelimit")
    if combined:
        fields = dict(_COMBINED.findall(combined.lower()))
        if {"limit", "remaining"} <= fields.keys():
            return _info(fields["limit"], fields["remaining"], fields.get("reset"), now)
    for prefix in ("ratelimit-", "x-ratelimit-"):
        limit, remaining = headers.get(prefix + "limit"), headers.get(prefix + "remaining")
        if limit is not None and remaining is not None:
            return _info(limit, remaining, headers.get(prefix + "reset"), now)
    return None


def _info(limit: str, remaining: str, reset: str | None, now: float | None
          ) -> RateLimitInfo | None:
    try:
        limit_n, remaining_n = int(limit.split(",")[0]), int(remaining)
        reset_s = float(reset) if reset else 0.0
    except ValueError:
        return None
    if reset_s > EPOCH_THRESHOLD:
        reset_s = max(0.0, reset_s - (time.time() if now is None else now))
    return RateLimitInfo(limit_n, max(0, remaining_n), reset_s)
