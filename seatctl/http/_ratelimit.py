"""What a server says of its rate limit, from whichever header dialect it speaks, and the
budget that the HTTP core keeps from it.

express-rate-limit sends the IETF draft-6 headers (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`), draft-7's combined `RateLimit: limit=100, remaining=42, reset=30`, or
the legacy `X-RateLimit-*` (whose reset is a Unix time). A 429 adds `Retry-After`.

The budget is shared by everything a user does against one server (the seed's production
limit: 100 requests per 15 minutes per client IP on every `/api/` path), so it is kept as
absolute Unix times: it can be saved by one command and read by the next.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from seatctl.clock import Clock

_COMBINED = re.compile(r"(limit|remaining|reset)\s*=\s*(\d+)")
EPOCH_THRESHOLD = 1_000_000_000  # a reset this large is a Unix time, not a delta
LONGEST_WINDOW = 86_400.0  # a reset further away than a day is taken as a day away

WallClock = Callable[[], float]
UNKNOWN_RESET_TTL = 60.0  # seconds a budget without a reset time is believed


@dataclass(frozen=True)
class RateLimitInfo:
    limit: int  # 0 when the server refused (429) without announcing its limit
    remaining: int
    reset_at: float | None  # Unix time at which the window resets, when the server says

    def reset_in(self, now: float) -> float | None:
        """Seconds from the Unix time `now` until the window resets (0 once it has)."""
        return None if self.reset_at is None else max(0.0, self.reset_at - now)

    def describe(self, now: float) -> str:
        """"4 of 100 left, resets 18:28:05" (local time), for people."""
        left = f"{self.remaining} of {self.limit} left" if self.limit else "no requests left"
        if self.reset_at is None:
            return left
        return f"{left}, resets {local_time(self.reset_at, now)}"

    def as_dict(self) -> dict[str, int | float | None]:
        """The `rate_limit` object of `--json` documents."""
        return {"limit": self.limit, "remaining": self.remaining,
                "reset_at": None if self.reset_at is None else round(self.reset_at, 3)}


def local_time(moment: float, now: float) -> str:
    """A Unix time as local wall-clock time: 18:28:05, with the date when not today."""
    when, today = time.localtime(moment), time.localtime(now)
    if when[:3] == today[:3]:
        return time.strftime("%H:%M:%S", when)
    return time.strftime("%Y-%m-%d %H:%M:%S", when)


def parse_rate_limit(headers: Mapping[str, str], now: float | None = None
                     ) -> RateLimitInfo | None:
    """The rate limit the headers announce; `now` (Unix time) turns a delta into a time. A
    reset given as a Unix time is read against the answer's `Date`, when it has one: the
    server's clock may differ from ours."""
    when = time.time() if now is None else now
    combined = headers.get("ratelimit")
    if combined:
        fields = dict(_COMBINED.findall(combined.lower()))
        if {"limit", "remaining"} <= fields.keys():
            return _info(fields["limit"], fields["remaining"], fields.get("reset"), when,
                         headers.get("date"))
    for prefix in ("ratelimit-", "x-ratelimit-"):
        limit, remaining = headers.get(prefix + "limit"), headers.get(prefix + "remaining")
        if limit is not None and remaining is not None:
            return _info(limit, remaining, headers.get(prefix + "reset"), when,
                         headers.get("date"))
    return None


def _info(limit: str, remaining: str, reset: str | None, now: float, date: str | None
          ) -> RateLimitInfo | None:
    try:
        limit_n, remaining_n = int(limit.split(",")[0]), int(remaining)
        reset_value = float(reset) if reset else None
    except ValueError:
        return None
    if limit_n < 1:
        return None
    reset_at = None
    if reset_value is not None and math.isfinite(reset_value):
        delta = reset_value - _server_now(date, now) if reset_value > EPOCH_THRESHOLD \
            else reset_value
        reset_at = now + min(max(0.0, delta), LONGEST_WINDOW)
    return RateLimitInfo(limit_n, min(max(0, remaining_n), limit_n), reset_at)


def _server_now(date: str | None, now: float) -> float:
    """The server's clock at the answer, from its `Date` header; ours without one."""
    if not date:
        return now
    try:
        return parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, OverflowError):
        return now


class RateBudget:
    """The latest budget a server announced, aged on the clock: once its window has reset,
    the whole limit is available again. Fed by the HTTP core after every answer."""

    def __init__(self, clock: Clock, wall: WallClock = time.time,
                 known: RateLimitInfo | None = None, seen_at: float | None = None,
                 on_observe: Callable[[RateLimitInfo, float], None] | None = None) -> None:
        self._clock = clock
        self._on_observe = on_observe  # keeps it for the next command
        self._wall_at_start = wall()
        self._mono_at_start = clock.monotonic()
        self._known = known
        self.seen_at = seen_at if known is not None else None  # Unix time it was announced
        self.observed = False  # announced by an answer of this process

    def now(self) -> float:
        """Unix time, advanced on the monotonic clock (so that a fake clock ages it too)."""
        return self._wall_at_start + self._clock.monotonic() - self._mono_at_start

    @property
    def known(self) -> RateLimitInfo | None:
        """The budget as of now: a window whose reset has passed is full again; one whose
        reset was never said is forgotten after UNKNOWN_RESET_TTL."""
        info = self._known
        if info is None:
            return None
        if info.reset_at is None:
            stale = self.seen_at is not None and self.now() - self.seen_at > UNKNOWN_RESET_TTL
            return None if stale else info
        if info.reset_at > self.now():
            return info
        if info.limit == 0:  # a refusal that never named the limit: nothing more is known
            return None
        return RateLimitInfo(info.limit, info.limit, None)

    def reset_in(self) -> float | None:
        info = self._known
        return None if info is None else info.reset_in(self.now())

    def observe(self, headers: Mapping[str, str], status_code: int,
                retry_after: float | None) -> RateLimitInfo | None:
        """Take what one answer says; a 429 without budget headers still says "none left,
        until Retry-After"."""
        info = parse_rate_limit(headers, now=self.now())
        if status_code == 429:
            limit = info.limit if info else (self._known.limit if self._known else 0)
            reset_at = info.reset_at if info else None
            if retry_after is not None:
                reset_at = self.now() + min(retry_after, LONGEST_WINDOW)
            info = RateLimitInfo(limit, 0, reset_at)  # limit 0: not announced
        if info is not None:
            self._known, self.seen_at, self.observed = info, self.now(), True
            if self._on_observe is not None:
                self._on_observe(info, self.seen_at)
        return info
