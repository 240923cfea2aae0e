"""Per-phase timeouts, shared by the httpx client and the raw-socket diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from seatctl.config.settings import Settings

POOL_KEEPALIVE_EXPIRY = 4.0
"""Seconds an idle pooled connection may be reused.

Reusing a pooled connection that the server has just closed is the client-side ECONNRESET:
the request goes out on a socket whose FIN (or RST) is already in flight. Node's
http.Server closes idle connections after keepAliveTimeout = 5 s by default, and httpx's
own default expiry is also 5 s, which races it exactly. 4 s is undici's default for the
same reason: drop the connection on our side first.
"""


@dataclass(frozen=True)
class Timeouts:
    """Seconds per phase; never None: seatctl never waits without a bound."""

    connect: float
    read: float
    write: float
    pool: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.write_timeout,
            pool=settings.pool_timeout,
        )

    def clipped(self, remaining: float | None) -> Timeouts:
        """Each phase shortened so that none outlives an overall deadline."""
        if remaining is None:
            return self
        bound = max(remaining, 0.001)
        return replace(
            self,
            connect=min(self.connect, bound),
            read=min(self.read, bound),
            write=min(self.write, bound),
            pool=min(self.pool, bound),
        )

    def longer_read(self, seconds: float) -> Timeouts:
        return self if seconds <= 0 else replace(self, read=self.read + seconds)

    def as_httpx(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write,
                             pool=self.pool)
