"""The bounds every probe checks its arguments against, and the one way it refuses them (a
UsageError naming the argument and its range)."""

from __future__ import annotations

from seatctl.errors import UsageError

MAX_WAIT_CEILING = 900.0  # seconds: no probe waits on one connection longer
MAX_TRIES = 10  # tries of one request cut or refused before its response


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)


def require_tries(tries: int) -> None:
    require(1 <= tries <= MAX_TRIES, f"tries must be within 1..{MAX_TRIES}")


def require_wait(name: str, seconds: float) -> None:
    require(0 < seconds <= MAX_WAIT_CEILING,
            f"{name} must be more than 0 and at most {MAX_WAIT_CEILING:g} seconds")
