"""Deciding, reproducibly, which request a fault hits. The connection layer carries it out."""

from __future__ import annotations

import random
from collections.abc import Iterable

from seatctl.server.config import Fault, FaultKind

CONNECTION_FAULTS = frozenset({FaultKind.RESET_ON_ACCEPT})


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it, by whole segments: `/api/seats/book` covers
    `/api/seats/book/x` but not `/api/seats/booking-status/x`."""
    base = prefix.rstrip("/")
    return not base or path == base or path.startswith(base + "/")


class FaultPlan:
    """Seeded dice for every configured fault; one roll per fault per request (or accept)."""

    def __init__(self, faults: tuple[Fault, ...], path_prefix: str = "/",
                 seed: int | None = None) -> None:
        self._faults = faults
        self._prefix = path_prefix
        self._random = random.Random(seed)

    def __bool__(self) -> bool:
        return bool(self._faults)

    def on_accept(self) -> Fault | None:
        """reset-on-accept: no request has been read yet, so the path prefix cannot apply."""
        return self._roll(fault for fault in self._faults if fault.kind in CONNECTION_FAULTS)

    def on_request(self, path: str) -> Fault | None:
        if not under(path, self._prefix):
            return None
        return self._roll(fault for fault in self._faults
                          if fault.kind not in CONNECTION_FAULTS)

    def _roll(self, candidates: Iterable[Fault]) -> Fault | None:
        for fault in candidates:
            if fault.probability > 0 and self._random.random() < fault.probability:
                return fault
        return None
