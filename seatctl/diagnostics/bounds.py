"""The bounds every probe checks its arguments against, and the one way it refuses them (a
UsageError naming the argument and its range)."""

from __future__ import annotations

from seatctl.errors import UsageError

MAX_WAIT_CEILING = 900.0  # seconds: no probe waits on one connection longer
MAX_TRIES = 10  # tries of one request cut or refused before its response
# Tries of one request cut or refused before its response, each on a fresh connection. At a
# 30% random reset rate, 3 tries all fail in 1 run of 37 and the idle close goes unmeasured;
# 5 tries in 1 of 400. At most MAX_TRIES.
PROBE_TRIES = 5
DEFAULT_RACE_OFFSETS = (-0.2, 0.0, 0.2)  # seconds from the idle close the reuse race aims at
REQUESTS_TIME_LIMIT = 30.0  # seconds the requests-per-connection probe counts for
BURST_TIME_LIMIT = 30.0
HTTP2_SLACK_S = 2.0  # seconds past `max_wait` the PING connection may watch; the race's answer wait


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)


def require_tries(tries: int) -> None:
    require(1 <= tries <= MAX_TRIES, f"tries must be within 1..{MAX_TRIES}")


def require_wait(name: str, seconds: float) -> None:
    require(0 < seconds <= MAX_WAIT_CEILING,
            f"{name} must be more than 0 and at most {MAX_WAIT_CEILING:g} seconds")
