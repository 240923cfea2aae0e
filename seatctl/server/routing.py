"""Method + path template to handler; unknown paths 404, known paths with another method 405."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from seatctl.server.messages import Request, Response

Params = dict[str, str]
RouteHandler = Callable[[Request, Params], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: RouteHandler

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", self.template)
        return re.compile(f"^{regex}/?$")


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = [(route, route.pattern) for route in routes]

    async def dispatch(self, request: Request) -> Response:
        allowed: list[str] = []
        method = "GET" if request.method == "HEAD" else request.method
        for route, pattern in self._routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if route.method == method:
                # Path parameters arrive percent-decoded, as Express's req.params do.
                params = {name: unquote(value) for name, value in match.groupdict().items()}
                return await route.handler(request, params)
            allowed.append(route.method)
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            return Response.error(405, f"Method {request.method} not allowed on {request.path}",
                                  [("Allow", methods)])
        return Response.error(404, f"Route {request.path} not found")
