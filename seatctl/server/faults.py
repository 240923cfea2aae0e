"""Deciding, reproducibly, which request a fault hits. The connection layer carries it out."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable

from seatctl.server.config import Fault, FaultKind

CONNECTION_FAULTS = frozenset({FaultKind.RESET_ON_ACCEPT})


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it, by whole segments: `/api/seats/book` covers
    `/api/seats/book/x` but not `/api/seats/booking-status/x`."""
    base = prefix.rstrip("/")
    return not base or path == base or path.startswith(base + "/")


class FaultPlan:
    """Seeded dice for every configured fault; one roll per fault per request (or accept).
    Armed faults (`arm`) come first: each hits the next request under its own path, once."""

    def __init__(self, faults: tuple[Fault, ...], path_prefix: str = "/",
                 seed: int | None = None) -> None:
        self._faults = faults
        self._prefix = path_prefix
        self._random = random.Random(seed)
        self._armed: deque[tuple[Fault, str]] = deque()
        # arm() is called from other threads (a test, `seatctl demo`) while the server's
        # loop takes armed faults: the lock makes "find and remove" one step.
        self._armed_lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._faults) or bool(self._armed)

    def arm(self, fault: Fault, path_prefix: str = "/") -> None:
        """One shot: `fault` hits the next request under `path_prefix` (whatever its
        probability, before any dice and whatever the configured fault path), then is
        spent. Armed faults fire in the order they were armed. Safe from any thread."""
        if fault.kind in CONNECTION_FAULTS:
            raise ValueError(f"{fault.kind.value} strikes before a request's path is known: "
                             "it cannot be armed for a path")
        if not path_prefix.startswith("/"):
            raise ValueError(f"the path prefix must start with /: {path_prefix!r}")
        if fault.kind is FaultKind.STALL and fault.seconds <= 0:
            raise ValueError("a stall needs its length: seconds > 0")
        with self._armed_lock:
            self._armed.append((fault, path_prefix))

    def on_accept(self) -> Fault | None:
        """reset-on-accept: no request has been read yet, so the path prefix cannot apply."""
        return self._roll(fault for fault in self._faults if fault.kind in CONNECTION_FAULTS)

    def on_request(self, path: str) -> Fault | None:
        armed = self._take_armed(path)
        if armed is not None:
            return armed
        if not under(path, self._prefix):
            return None
        return self._roll(fault for fault in self._faults
                          if fault.kind not in CONNECTION_FAULTS)

    def _take_armed(self, path: str) -> Fault | None:
        if not self._armed:
            return None
        with self._armed_lock:
            for index, (fault, prefix) in enumerate(self._armed):
                if under(path, prefix):
                    del self._armed[index]
                    return fault
        return None

    def _roll(self, candidates: Iterable[Fault]) -> Fault | None:
        for fault in candidates:
            if fault.probability > 0 and self._random.random() < fault.probability:
                return fault
        return None
