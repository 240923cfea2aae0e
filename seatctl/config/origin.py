"""Where a stored token may go: to the origin (scheme, host, port) it belongs to, nowhere
else. The standard library only: command modules import it as they load (on every TAB)."""

from __future__ import annotations

from urllib.parse import urlsplit

from seatctl.urls import default_port


def same_origin(first: str, second: str) -> bool:
    """Scheme, host and port alike: where a token may go."""
    return origin(first) == origin(second)


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or default_port(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port
