"""The application behind the connections: rate limit, routing, and errors as envelopes."""

from __future__ import annotations

from seatctl.server.messages import Request, Response
from seatctl.server.ratelimit import MESSAGE, FixedWindowLimiter
from seatctl.server.routing import Router
from seatctl.server.store import Conflict


class BookingApp:
    def __init__(self, router: Router, limiter: FixedWindowLimiter | None = None) -> None:
        self._router = router
        self._limiter = limiter

    async def __call__(self, request: Request) -> Response:
        limit_headers: list[tuple[str, str]] = []
        if self._limiter is not None and request.path.startswith("/api/"):
            verdict = self._limiter.hit(request.client)
            if not verdict.allowed:
                return Response.error(429, MESSAGE, verdict.headers)
            limit_headers = verdict.headers
        try:
            response = await self._router.dispatch(request)
        except Conflict as conflict:
            response = Response.error(conflict.status, conflict.message)
        response.headers.extend(limit_headers)
        return response
