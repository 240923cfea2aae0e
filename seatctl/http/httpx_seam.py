"""The seam between seatctl and httpx's internals: what the core needs of them, in one place.

- A streamed response's decoded body (`set_decoded_body`), the one private name. The core
  reads every body itself (`read_capped`: within a size cap, inflating gzip in bounded steps)
  rather than let `Response.read()` inflate a bomb in one go, and httpx has no public way to
  hand the result back: `.content`, `.text` and `.json()` read the private `_content` that
  `read()` sets, and a response built anew would decode the body again (its
  Content-Encoding still says gzip) and change the headers callers see.
- The errors of the core's own transport (`httpx_errors`): httpx.HTTPTransport raises httpx's
  exceptions for httpcore's through a private mapping; seatctl's transport does the same
  with public names of both, and the translation boundary (`_translate.py`) reads httpx's.

pyproject.toml pins httpx>=0.28,<0.29 for these; tests/http/test_seams.py fails, naming the
pin, when an upgrade breaks one. Everything else is public: the deadline backend reaches the
pool through httpcore's `network_backend=` (`_transport.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

HTTPX_PIN = "httpx>=0.28,<0.29"

# httpcore's exception classes and the httpx classes of the same names, as httpx.HTTPTransport
# maps them; the most specific match wins (a ReadTimeout is also a TimeoutException).
HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
)


def set_decoded_body(response: httpx.Response, body: bytes) -> None:
    """Make `body`, already decoded, what `response.content`, `.text` and `.json()` return:
    what `response.read()` would have set."""
    response._content = body


@contextmanager
def httpx_errors() -> Iterator[None]:
    """Raise httpx's class (HTTPCORE_TO_HTTPX) for an httpcore error, caused by it."""
    try:
        yield
    except Exception as exc:
        mapped = httpx_class(exc)
        if mapped is None:
            raise
        raise mapped(str(exc)) from exc


def httpx_class(exc: Exception) -> type[httpx.TransportError] | None:
    """The most specific httpx class for an httpcore exception; None for any other."""
    found: type[httpx.TransportError] | None = None
    for core_class, httpx_type in HTTPCORE_TO_HTTPX:
        if isinstance(exc, core_class) and (found is None or issubclass(httpx_type, found)):
            found = httpx_type
    return found
