"""Every HTTP attempt of a smoke run, kept for the report.

The HTTP core retries a GET (and a keyed POST) after a reset, a timeout or a 502/503/504.
That is right for a check too: a deployment that answers on the second try is up. But a
502 that went away on a retry is what users of that deployment will see now and then, so a
passing check still reports it as a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from seatctl.diagnostics.results import FailedTry
from seatctl.http import Exchange, NullObserver, Observer


class AttemptLog:
    """An Observer that keeps every attempt and passes it on (to `-v` and `--trace`)."""

    def __init__(self, inner: Observer | None = None) -> None:
        self._inner = inner or NullObserver()
        self.exchanges: list[Exchange] = []

    def exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        self._inner.exchange(exchange)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        self._inner.retrying(attempt, wait, error)

    def mark(self) -> int:
        """A position in the log: `failed_since(mark)` looks only at what came after."""
        return len(self.exchanges)

    def failed_since(self, mark: int) -> list[Exchange]:
        return [exchange for exchange in self.exchanges[mark:] if attempt_failed(exchange)]

    def cut_on_reuse(self) -> bool:
        """Whether an attempt on a reused keep-alive connection got no answer (a reset, a
        close): the idle close a Keep-Alive header promised did not hold."""
        return any(exchange.reused and exchange.status is None and exchange.error is not None
                   for exchange in self.exchanges)


def attempt_failed(exchange: Exchange) -> bool:
    """No answer, a 5xx or a 429: what a retry is for (a 4xx is the answer itself)."""
    status = exchange.status
    return exchange.error is not None or (status is not None and (status >= 500 or status == 429))


def request_name(exchange: Exchange) -> str:
    return f"{exchange.method} {urlsplit(exchange.url).path}"


def attempt_json(exchange: Exchange) -> dict[str, Any]:
    return {"request": request_name(exchange), "attempt": exchange.attempt,
            "status": exchange.status, "error": exchange.error,
            "seconds": round(exchange.elapsed, 3)}


def attempt_warning(exchange: Exchange) -> str:
    what = f"answered {exchange.status}" if exchange.status is not None else exchange.error
    return f"{request_name(exchange)} failed on attempt {exchange.attempt} ({what})"


def failed_tries_json(request: str, tries: Sequence[FailedTry]) -> list[dict[str, Any]]:
    """A raw-connection request's failed tries (the keep-alive check's), in `attempt_json`'s
    shape. Each try starts when the one before it failed: its seconds are the difference."""
    attempts: list[dict[str, Any]] = []
    ended = 0.0
    for failure in tries:
        attempts.append({"request": request, "attempt": failure.number, "status": None,
                         "error": failure.message,
                         "seconds": round(max(0.0, failure.at_s - ended), 3)})
        ended = failure.at_s
    return attempts


def failed_try_warning(request: str, failure: FailedTry) -> str:
    return f"{request} failed on attempt {failure.number} ({failure.failure.words})"
