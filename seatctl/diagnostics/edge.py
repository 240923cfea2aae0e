"""The front door: which proxy or platform stands in front of a URL and which application
server answers behind it. Response headers name them; where the headers are silent, one
measured behaviour does (Node's http.Server closes an idle connection 1 s after the
`Keep-Alive: timeout=N` it advertises). Each identification carries the evidence that proves
it, and nothing is identified on weaker evidence. Headers follow the timeouts fact sheet's
"Headers that identify the edge". A library: nothing here prints. Weaker evidence (a close
at a well-known default, error-page bodies, the 408's timing), each with how sure it is, is
weighed by `seatctl.diagnostics.identify.infer`.

    result = identify(response.headers)
    if result.front_door is not None:
        documented = result.front_door_idle_timeout()
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from seatctl.diagnostics.defaults import COMPONENTS, Component, Documented, Governs, Role
from seatctl.diagnostics.results import parse_keep_alive
from seatctl.sanitize import printable

EVIDENCE_LIMIT = 100  # characters of a server-supplied header value kept as evidence
# Node's keepAliveTimeoutBuffer: an idle socket closes this long after the advertised timeout.
NODE_BUFFER_S = 1.0
NODE_BUFFER_TOLERANCE_S = 0.25
# Render repeats the origin's own `Server` value here (Cloudflare's replaces it in `server`).
ORIGIN_SERVER_HEADER = "x-render-origin-server"
ANY_VALUE = r"\S"


class IdentifiedBy(StrEnum):
    HEADER = "header"
    BEHAVIOUR = "behaviour"


@dataclass(frozen=True)
class Identified:
    component: Component
    evidence: tuple[str, ...]  # what proved it, e.g. ("server: cloudflare", "cf-ray: 8a1b-FRA")
    by: IdentifiedBy


@dataclass(frozen=True)
class EdgeResult:
    front_door: Identified | None  # the outermost proxy or platform in front, if any
    app_server: Identified | None  # the application server, if identifiable
    layers: tuple[Identified, ...]  # everything identified, outermost first

    def front_door_idle_timeout(self) -> Documented | None:
        """The front door's documented idle timeout toward the backend: its upstream idle
        timeout, else its idle timeout where the documentation says it applies to both sides
        (AWS ALB and CLB); None when nothing is documented."""
        if self.front_door is None:
            return None
        return documented_backend_idle(self.front_door.component)


def documented_backend_idle(component: Component) -> Documented | None:
    """How long `component` (a proxy or platform) keeps idle connections toward the backend,
    as documented: its upstream idle timeout, else its idle timeout where the documentation
    says it applies to both sides; None when nothing is documented."""
    upstream = component.default(Governs.UPSTREAM_IDLE)
    if upstream is not None and upstream.known:
        return upstream
    idle = component.default(Governs.IDLE_KEEP_ALIVE)
    return idle if idle is not None and idle.known and idle.both_sides else None


@dataclass(frozen=True)
class _HeaderRule:
    key: str  # the component a matching header identifies
    header: str
    value: re.Pattern[str]  # searched in the header's value
    # A `server` value that may name an origin behind a platform (see ORIGIN_SERVER_HEADER).
    names_origin: bool = False


def _rule(key: str, header: str, value: str = ANY_VALUE) -> _HeaderRule:
    return _HeaderRule(key, header, re.compile(value, re.IGNORECASE))


def _origin(key: str, server: str) -> _HeaderRule:
    return _HeaderRule(key, "server", re.compile(server, re.IGNORECASE), names_origin=True)


_HEADER_RULES = (
    _rule("cloudflare", "server", r"^cloudflare$"),
    _rule("cloudflare", "cf-ray"),
    _rule("cloudflare", "cf-cache-status"),
    _rule("heroku-legacy", "via", r"\bvegur\b"),
    _rule("heroku-router-2", "via", r"\bheroku-router\b"),
    _rule("render", "rndr-id"),
    _rule("render", ORIGIN_SERVER_HEADER),
    _rule("fly", "server", r"^Fly/"),
    _rule("fly", "via", r"\bfly\.io\b"),
    _rule("fly", "fly-request-id"),
    _rule("aws-alb", "server", r"^awselb/2\.0$"),
    _rule("vercel", "server", r"^Vercel$"),
    _rule("vercel", "x-vercel-cache"),
    _rule("vercel", "x-vercel-id"),
    _rule("railway", "server", r"^railway-edge\b"),
    _rule("railway", "x-railway-edge"),
    _rule("railway", "x-railway-request-id"),
    _rule("digitalocean", "x-do-app-origin"),
    _rule("digitalocean", "x-do-orig-status"),
    _rule("azure-front-door", "x-azure-ref"),
    _rule("gcp-alb", "via", r"\b1\.1 google\b"),
    _rule("envoy", "x-envoy-upstream-service-time"),
    _rule("express", "x-powered-by", r"^Express$"),
    _rule("nextjs", "x-powered-by", r"^Next\.js\b"),
    _origin("nginx", r"^nginx(/|$)"),
    _origin("caddy", r"^Caddy$"),
    _origin("envoy", r"^envoy$"),
    # Not `Apache-Coyote` (Tomcat).
    _origin("apache", r"^Apache(/\S*)?(\s|$)"),
    _origin("uvicorn", r"^uvicorn$"),
    _origin("gunicorn", r"^gunicorn(/|$)"),
    _origin("hypercorn", r"^hypercorn\b"),
    _origin("kestrel", r"^Kestrel$"),
    _origin("aiohttp", r"\baiohttp/"),
    _origin("seatctl-reference", r"^seatctl-reference/"),
)

# A CDN before the platform behind it, platforms and load balancers before the proxies they
# forward to, proxies before the application servers; frameworks before the bare server.
_OUTERMOST_FIRST = (
    "cloudflare", "azure-front-door", "gcp-alb", "aws-alb", "aws-clb", "heroku-router-2",
    "heroku-legacy", "heroku", "render", "fly", "vercel", "railway", "digitalocean",
    "envoy", "haproxy", "traefik", "caddy", "ingress-nginx", "nginx", "apache",
    "nextjs", "fastify", "express", "node", "uvicorn", "gunicorn", "hypercorn", "puma",
    "aiohttp", "kestrel", "go", "seatctl-reference",
)


def outermost_rank(component_key: str) -> int:
    """Where a component stands from the client inward: CDNs first, application servers
    last (unknown keys after every known one)."""
    return (_OUTERMOST_FIRST.index(component_key) if component_key in _OUTERMOST_FIRST
            else len(_OUTERMOST_FIRST))


@dataclass(frozen=True)
class _OwnResponses:
    """Statuses with which a component answers itself, not passing on the backend's."""

    statuses: frozenset[int] | None  # None: every response carrying its header is its own
    meaning: str


_OWN_RESPONSES: Mapping[str, _OwnResponses] = {
    "cloudflare": _OwnResponses(frozenset({520, 521, 522, 524}),
                                "a Cloudflare error, not the origin's"),
    "aws-alb": _OwnResponses(None, "generated by the ALB itself (awselb/2.0 is only on its "
                                   "own responses)"),
}


def identify(headers: Sequence[tuple[str, str]], *, advertised_keep_alive_s: float | None = None,
             idle_close_s: float | None = None, status: int | None = None) -> EdgeResult:
    """Name the layers a response passed through, from its `headers` (lower-cased names, as
    `RawResponse.headers`) and, when no header names anything, from behaviour.

    `advertised_keep_alive_s` is the response's `Keep-Alive: timeout` (read from `headers`
    when not given); `idle_close_s` is the measured time from the end of a response to the
    server's close (not a lower bound); `status` adds evidence for responses a proxy
    generated itself.
    """
    found = _header_evidence(headers)
    if status is not None:
        _add_own_response(found, status)
    layers = [Identified(COMPONENTS[key], tuple(evidence), IdentifiedBy.HEADER)
              for key, evidence in sorted(found.items(), key=_outermost_first)]
    if not layers:
        node = _node_by_behaviour(headers, advertised_keep_alive_s, idle_close_s)
        layers = [node] if node is not None else []
    app_server = next((layer for layer in layers if layer.component.role is Role.APP_SERVER),
                      None)
    return EdgeResult(front_door=_front_door(layers), app_server=app_server,
                      layers=tuple(layers))


def _header_evidence(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Per component key, the headers that name it, in the order received."""
    found: dict[str, list[str]] = {}
    for name, value in headers:
        lowered = name.lower()
        for rule in _rules_for(lowered):
            if rule.value.search(value):
                evidence = found.setdefault(rule.key, [])
                shown = f"{lowered}: {_shown(value)}"
                if shown not in evidence:
                    evidence.append(shown)
    return found


def _rules_for(header: str) -> tuple[_HeaderRule, ...]:
    rules = tuple(rule for rule in _HEADER_RULES if rule.header == header)
    if header == ORIGIN_SERVER_HEADER:
        rules += tuple(rule for rule in _HEADER_RULES if rule.names_origin)
    return rules


def _add_own_response(found: dict[str, list[str]], status: int) -> None:
    for key, own in _OWN_RESPONSES.items():
        if key in found and (own.statuses is None or status in own.statuses):
            found[key].append(f"status {status}: {own.meaning}")


def _outermost_first(item: tuple[str, list[str]]) -> int:
    return outermost_rank(item[0])


def _front_door(layers: Sequence[Identified]) -> Identified | None:
    """The outermost proxy or platform; a CDN that fronts an identified platform (Cloudflare
    before Render) is that platform's edge, not the front door."""
    fronting = {layer.component.fronted_by for layer in layers}
    return next((layer for layer in layers if layer.component.role is not Role.APP_SERVER
                 and layer.component.key not in fronting), None)


def _node_by_behaviour(headers: Sequence[tuple[str, str]], advertised_s: float | None,
                       idle_close_s: float | None) -> Identified | None:
    """Node's http.Server: `Connection: keep-alive`, `Keep-Alive: timeout=N`, and an idle
    close measured at N + 1 s (its keepAliveTimeoutBuffer)."""
    if advertised_s is None:
        advertised_s = parse_keep_alive(_joined(headers, "keep-alive")).timeout_s
    if advertised_s is None or advertised_s <= 0 or idle_close_s is None:
        return None
    connection = _joined(headers, "connection") or ""
    if "keep-alive" not in (token.strip().lower() for token in connection.split(",")):
        return None
    if abs(idle_close_s - (advertised_s + NODE_BUFFER_S)) > NODE_BUFFER_TOLERANCE_S:
        return None
    evidence = (f"Keep-Alive: timeout={advertised_s:g} and a measured close at "
                f"{idle_close_s:.1f} s: Node's {NODE_BUFFER_S:g} s buffer")
    return Identified(COMPONENTS["node"], (evidence,), IdentifiedBy.BEHAVIOUR)


def _joined(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def shown(value: str) -> str:
    """A server-supplied value made safe to print (no control characters), and short."""
    return _shown(value)


def _shown(value: str) -> str:
    safe = printable(value.strip())
    return safe if len(safe) <= EVIDENCE_LIMIT else f"{safe[:EVIDENCE_LIMIT - 1]}…"
