"""Where the probes go and how they connect, as plain data: the target parsed from a URL and
the connect options. Sans-IO: nothing here opens a socket (`connection` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from seatctl.errors import UsageError
from seatctl.urls import DEFAULT_PORTS

if TYPE_CHECKING:
    from seatctl.http import Timeouts

DEFAULT_PATH = "/health"
REQUEST_TARGET = re.compile(r"[!-~]+")  # visible ASCII: what a request line may carry


@dataclass(frozen=True)
class Target:
    """Where the probes go: scheme, host, port, and the path every request asks for."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def uses_tls(self) -> bool:
        return self.scheme == "https"

    @property
    def label(self) -> str:
        """host:port, as error messages name it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def authority(self) -> str:
        """The Host header: the port only when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_target(url: str, path: str | None = None) -> Target:
    """An http(s) URL; `path` wins, else the URL's own path, else `DEFAULT_PATH`."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UsageError(f"not an http:// or https:// URL: {url!r}")
    if not parts.hostname:
        raise UsageError(f"no host in the URL {url!r}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise UsageError(f"invalid port in the URL {url!r}") from None
    chosen = path or _path_of(parts) or DEFAULT_PATH
    if not chosen.startswith("/"):
        raise UsageError(f"invalid path {chosen!r}: must start with /")
    if not REQUEST_TARGET.fullmatch(chosen):
        raise UsageError(f"invalid path {chosen!r}: percent-encode spaces, control and "
                         "non-ASCII characters (e.g. %20)")
    return Target(scheme, parts.hostname, port, chosen)


def _path_of(parts: SplitResult) -> str | None:
    if parts.path in ("", "/"):
        return None
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def default_timeouts() -> Timeouts:
    """The raw connections' timeouts when none are given."""
    # Built on use, not imported at the top: importing the HTTP core loads httpx.
    from seatctl.http import Timeouts

    return Timeouts(connect=5.0, read=30.0, write=30.0, pool=5.0)


@dataclass(frozen=True)
class ConnectOptions:
    timeouts: Timeouts = field(default_factory=default_timeouts)
    verify_tls: bool = True
    ca_bundle: Path | None = None  # PEM file of extra trusted CAs; None: the system's
