"""The transport the core sends through: httpx over an httpcore pool with the deadline backend.

httpx.HTTPTransport builds its httpcore pool itself and takes no network backend (httpx
0.28). httpcore's ConnectionPool takes one (`network_backend=`), and httpx.Client takes any
`httpx.BaseTransport`, so this transport owns its pool as HTTPTransport does for a direct
connection (seatctl sets no proxy, and a client given a transport reads none from the
environment): the same SSL context and limits, HTTP/1.1 only, no connect retries, httpx's
exceptions for httpcore's (httpx_seam.httpx_errors).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from types import TracebackType

import httpcore
import httpx

from seatctl.http._deadline import DeadlineBackend
from seatctl.http._timeouts import POOL_KEEPALIVE_EXPIRY
from seatctl.http.httpx_seam import httpx_errors

MAX_CONNECTIONS = 20  # a CLI needs few; bounded so that pool_timeout means something
MAX_KEEPALIVE_CONNECTIONS = 10


def core_transport(*, verify: ssl.SSLContext | bool = True, local_address: str | None = None
                   ) -> CoreTransport:
    """The transport the core sends through: bounded pool, the keep-alive expiry, the
    per-attempt budget; `local_address` binds it to a source address (benchmarks give each
    booking its own, as a rate limiter per client IP sees distinct users)."""
    return CoreTransport(
        verify=verify, local_address=local_address,
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS,
                            max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
                            keepalive_expiry=POOL_KEEPALIVE_EXPIRY),
    )


class CoreTransport(httpx.BaseTransport):
    """httpx.HTTPTransport without a proxy, whose every socket wait keeps to the attempt's
    deadline (seatctl.http._deadline)."""

    def __init__(self, *, limits: httpx.Limits, verify: ssl.SSLContext | bool = True,
                 local_address: str | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            local_address=local_address,
            network_backend=DeadlineBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("CoreTransport sends only a synchronous request body")
        url = request.url
        with httpx_errors():
            response = self._pool.handle_request(httpcore.Request(
                method=request.method,
                url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                 target=url.raw_path),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            ))
        if not isinstance(response.stream, Iterable):
            raise TypeError("httpcore's synchronous pool answered with an asynchronous body")
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=ResponseStream(response.stream),
                              extensions=response.extensions)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> CoreTransport:
        self._pool.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None,
                 exc_value: BaseException | None = None,
                 traceback: TracebackType | None = None) -> None:
        with httpx_errors():
            self._pool.__exit__(exc_type, exc_value, traceback)


class ResponseStream(httpx.SyncByteStream):
    """httpcore's response body, its errors raised as httpx's."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()
