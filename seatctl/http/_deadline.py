"""A network backend whose every socket wait is clipped to the current attempt's deadline.

httpx's timeouts are per socket operation: a server that drips one byte per second, or sends
header lines forever, never lets a single read wait out the read timeout. The core sets the
attempt's deadline (`attempt_deadline`) around each send and each body read; every connect,
read and write below is clipped to it and fails as a timeout once it has passed. The core's
transport (`_transport.py`) hands the backend to its httpcore pool (`network_backend=`).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore

_UNTIL: ContextVar[float | None] = ContextVar("seatctl_attempt_until", default=None)
DEADLINE_PASSED = "the attempt's deadline passed"


class AttemptBudget:
    """`seconds` from its creation for everything one attempt waits on, in total."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.until


@contextmanager
def attempt_deadline(budget: AttemptBudget) -> Iterator[None]:
    """Bound every socket wait inside the block by the budget's end."""
    token = _UNTIL.set(budget.until)
    try:
        yield
    finally:
        _UNTIL.reset(token)


def _clipped(timeout: float | None, expired: type[Exception]) -> float | None:
    until = _UNTIL.get()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise expired(DEADLINE_PASSED)
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clipped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clipped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _clipped(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clipped(timeout, httpcore.ConnectTimeout),
                                         local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _clipped(timeout, httpcore.ConnectTimeout), socket_options)
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
