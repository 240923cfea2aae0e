"""The settings to change, per server kind and per front door, as snippets ready to paste.

Keyed by the component keys of `seatctl.diagnostics.defaults`. The application servers' and
proxies' keep-alive fixes take the seconds to set (`keep_alive_fix`); the front doors' fixes
(`front_door_fix`) say what the platform or proxy does to idle connections and which setting
of it to change. Each vendor's setting is named as its documentation names it (the timeouts
fact sheet cites the pages: `defaults.SOURCE_URLS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

MAX_SECONDS = 86400.0  # a server's promise of more is shown as this much (hostile headers)


def _seconds(value: float) -> str:
    return f"{min(value, MAX_SECONDS):g}"


def _ms(value: float) -> str:
    return f"{round(min(value, MAX_SECONDS) * 1000):_}"


def _node(idle: float) -> str:
    return (
        "In the Node.js server (Express: the object `app.listen()` returns):\n"
        "    const server = app.listen(port);\n"
        f"    server.keepAliveTimeout = {_ms(idle)};  // above the proxy's idle timeout\n"
        f"    server.headersTimeout = {_ms(idle + 1)};    // above keepAliveTimeout"
    )


def _fastify(idle: float) -> str:
    return f"fastify({{ keepAliveTimeout: {_ms(idle)} }})  // above the proxy's idle timeout"


def _nextjs(idle: float) -> str:
    return (
        f"next start --keepAliveTimeout {round(min(idle, MAX_SECONDS) * 1000)}\n"
        f"(standalone output: KEEP_ALIVE_TIMEOUT={round(min(idle, MAX_SECONDS) * 1000)} "
        "node server.js; a custom server: as for Node.js below)\n"
        f"{_node(idle)}"
    )


def _nginx(idle: float) -> str:
    return f"In nginx's http or server block:\n    keepalive_timeout {_seconds(idle)}s;"


def _uvicorn(idle: float) -> str:
    return f"uvicorn app:app --timeout-keep-alive {_seconds(idle)}"


def _gunicorn(idle: float) -> str:
    return (f"gunicorn --keep-alive {_seconds(idle)} --worker-class gthread app:app\n"
            "(sync workers ignore --keep-alive and close every connection)")


def _hypercorn(idle: float) -> str:
    return f"hypercorn --keep-alive {_seconds(idle)} app:app"


def _apache(idle: float) -> str:
    return f"KeepAliveTimeout {_seconds(idle)}"


def _go(idle: float) -> str:
    return f"srv := &http.Server{{IdleTimeout: {_seconds(idle)} * time.Second}}"


def _kestrel(idle: float) -> str:
    return ("builder.WebHost.ConfigureKestrel(o => o.Limits.KeepAliveTimeout = "
            f"TimeSpan.FromSeconds({_seconds(idle)}));")


def _aiohttp(idle: float) -> str:
    return f"web.run_app(app, keepalive_timeout={_seconds(idle)})"


def _caddy(idle: float) -> str:
    return ("In the Caddyfile's global options:\n"
            f"{{\n    servers {{\n        timeouts {{\n            idle {_seconds(idle)}s\n"
            "        }\n    }\n}")


def _haproxy(idle: float) -> str:
    return ("In haproxy.cfg's defaults (or frontend) section:\n"
            f"    timeout http-keep-alive {_seconds(idle)}s\n"
            f"    timeout client {_seconds(idle)}s")


def _traefik(idle: float) -> str:
    return ("In Traefik's static configuration (per entry point):\n"
            f"    --entryPoints.web.transport.respondingTimeouts.idleTimeout={_seconds(idle)}s")


def _envoy(idle: float) -> str:
    return ("In the HTTP connection manager:\n"
            f"    common_http_protocol_options: {{ idle_timeout: {_seconds(idle)}s }}")


def _puma(idle: float) -> str:
    return f"In config/puma.rb:\n    persistent_timeout {_seconds(idle)}"


SEED_FIX_CLOSE = 66.0  # `--timeouts seed-fix` closes idle connections at 66 s


def _reference(idle: float) -> str:
    fix = (f"seatctl serve --keep-alive-timeout {_seconds(idle)} "
           f"--headers-timeout {_seconds(idle + 1)}")
    if idle <= SEED_FIX_CLOSE:
        fix += "\n(or --timeouts seed-fix: the seed's fix, closing at 66 s)"
    return fix


KEEP_ALIVE_FIXES: dict[str, Callable[[float], str]] = {
    "node": _node,
    "express": _node,
    "nextjs": _nextjs,
    "fastify": _fastify,
    "nginx": _nginx,
    "ingress-nginx": _nginx,
    "uvicorn": _uvicorn,
    "gunicorn": _gunicorn,
    "hypercorn": _hypercorn,
    "apache": _apache,
    "go": _go,
    "kestrel": _kestrel,
    "aiohttp": _aiohttp,
    "caddy": _caddy,
    "haproxy": _haproxy,
    "traefik": _traefik,
    "envoy": _envoy,
    "puma": _puma,
    "seatctl-reference": _reference,
}


def keep_alive_fix(component_key: str | None, idle: float) -> str:
    """How to make the server keep idle connections `idle` seconds."""
    fix = KEEP_ALIVE_FIXES.get(component_key or "")
    if fix is not None:
        return fix(idle)
    return (f"Raise the application server's idle keep-alive timeout to {_seconds(idle)} s. "
            f"For Node.js/Express:\n{_node(idle)}")


def headers_timeout_fix(component_key: str | None, keep_alive: float) -> str:
    if component_key == "seatctl-reference":
        return f"seatctl serve --headers-timeout {_seconds(keep_alive + 1)}"
    if component_key in ("node", "express", "nextjs", "seatctl-reference", None):
        return ("In Node.js, headersTimeout must exceed keepAliveTimeout:\n"
                f"    server.headersTimeout = {_ms(keep_alive + 1)};")
    return (f"Give the server at least {_seconds(keep_alive + 1)} s to receive request "
            "headers: longer than it keeps idle connections.")


CLIENT_POOL_FIX = (
    "Expire the client's idle pooled connections before the server closes them:\n"
    "    httpx.Client(limits=httpx.Limits(keepalive_expiry={seconds}))\n"
    "    new http.Agent({{ keepAlive: true, timeout: {ms} }})  // Node\n"
    "    new undici.Agent({{keepAliveTimeout: {ms}, keepAliveMaxTimeout: {ms}}})\n"
    "Retry automatically only idempotent requests; retry a POST only with an "
    "Idempotency-Key the server honours (seatctl sends one with every booking)."
)


def client_pool_fix(expiry: float) -> str:
    return CLIENT_POOL_FIX.format(seconds=_seconds(expiry), ms=_ms(expiry))


def keep_alive_on_fix(component_key: str | None) -> str:
    if component_key == "gunicorn":
        return ("gunicorn's sync workers close every connection: use "
                "`--worker-class gthread` (or uvicorn workers) with `--keep-alive`.")
    if component_key in ("nginx", "ingress-nginx"):
        return "Remove `keepalive_timeout 0;` (nginx's default keeps connections 75 s)."
    if component_key == "seatctl-reference":
        return "Drop `--keep-alive-timeout 0` (the default keeps connections 6 s)."
    return ("Let the server keep connections alive (HTTP/1.1's default): do not answer "
            "`Connection: close` on every response.")


def advertised_fix(component_key: str | None, closed: float, promised: float) -> str:
    """The Keep-Alive header promises `promised` seconds; the server closes at `closed`.
    The header's timeout is whole seconds: what may be promised is the close rounded down."""
    whole = int(closed)
    if component_key == "seatctl-reference":
        if whole < 1:
            return ("Drop --advertise-keep-alive: the header then promises the real close "
                    "(under a second: no whole number of seconds is true)")
        return (f"seatctl serve --advertise-keep-alive {whole} (or drop "
                "--advertise-keep-alive: the header then promises the real close)")
    if component_key in ("node", "express", "nextjs", "fastify"):
        return ("Let Node write the header: remove any hand-set `Keep-Alive` header; "
                "server.keepAliveTimeout sets both the header and the close.")
    return (f"Advertise at most the real idle close, rounded down to whole seconds "
            f"(`Keep-Alive: timeout={max(0, whole)}` for a close at {_seconds(closed)} s), or "
            f"keep idle connections at least {_seconds(promised)} s.")


def probe_path_fix(status: int) -> str:
    if status == 429:
        return ("The rate limit counts the doctor's requests too: run it from an address "
                "the limit allows, or give --path a path outside the limit.")
    return ("Give --path a path that answers 200 (a health check such as /health): the "
            f"connection measurements hold for any answer, but {status}s hide the "
            "application's own failures.")


# --- the front door -----------------------------------------------------------------------

BACKEND_IDLE_MARGIN = 5.0  # seconds a backend keeps idle connections beyond its front door
COMMON_PROXY_IDLE = 60.0  # AWS ALB/CLB, Fly.io, nginx upstream: when nothing better is known

# What the vendors themselves tell backends to keep idle connections, in seconds.
BACKEND_IDLE_GUIDANCE: Mapping[str, float] = MappingProxyType({
    "gcp-alb": 620.0,  # Google: more than the Google Front End's fixed 600 s
    "heroku-router-2": 95.0,  # Heroku's sample apps: above Router 2.0's 90 s
    "heroku": 95.0,
    "render": 120.0,  # Render's Express example: above its proxy's "longer than 60 s"
})


def backend_idle_target(front_door_key: str | None, documented_s: float | None) -> float:
    """How long the backend behind `front_door_key` should keep idle connections: the
    vendor's own guidance, else the front door's documented idle timeout toward it
    (`documented_s`) plus a margin, else the common 60 s plus the margin."""
    guidance = BACKEND_IDLE_GUIDANCE.get(front_door_key or "")
    if guidance is not None:
        return guidance
    return (documented_s if documented_s is not None else COMMON_PROXY_IDLE) + BACKEND_IDLE_MARGIN


_ALB = (
    "The ALB closes idle connections on both sides after its idle timeout (attribute "
    "idle_timeout.timeout_seconds, 60 s by default; HTTP/2 PING frames do not reset it). "
    "Keep the application's idle keep-alive above it; to change the ALB's:\n"
    "    aws elbv2 modify-load-balancer-attributes --load-balancer-arn <ARN> "
    "--attributes Key=idle_timeout.timeout_seconds,Value=60"
)
_CLB = (
    "The Classic Load Balancer closes idle connections on both sides after its idle timeout "
    "(ConnectionSettings.IdleTimeout, 60 s by default); AWS asks for a backend keep-alive "
    "above it. To change it:\n"
    "    aws elb modify-load-balancer-attributes --load-balancer-name <NAME> "
    "--load-balancer-attributes '{\"ConnectionSettings\":{\"IdleTimeout\":60}}'"
)
_GCP = (
    "Google Front Ends keep connections to the backends for 600 s (fixed): set the backend "
    "software's keep-alive above it (620 s leaves a margin). The backend service timeout "
    "(30 s by default) is a response timeout, not an idle timeout:\n"
    "    gcloud compute backend-services update <NAME> --global --timeout=30\n"
    "The keep-alive toward clients is the target proxy's httpKeepAliveTimeoutSec (610 s):\n"
    "    gcloud compute target-https-proxies update <NAME> --http-keep-alive-timeout-sec=610"
)
_CLOUDFLARE = (
    "Cloudflare reuses its connections to the origin for up to 900 s (Proxy Idle Timeout): "
    "keep the origin's idle keep-alive above 900 s, or a reuse fails as a 520. Its "
    "keep-alive toward clients (400 s) is not configurable; a response slower than the Proxy "
    "Read Timeout becomes a 524 (Enterprise plans can raise it)."
)
_RENDER = (
    "Render's proxy reuses its connections to the service for longer than 60 s (Render's own "
    "Express example keeps them 120 s, with headersTimeout above it); Render documents no "
    "value. Cloudflare sits in front of Render's edge (400 s toward clients)."
)
_HEROKU_ROUTER_2 = (
    "Heroku Router 2.0 keeps connections to the dynos and closes them after 90 s idle: keep "
    "the app's idle keep-alive above it (Heroku's sample apps use 95 s), or opt out:\n"
    "    heroku labs:enable http-disable-keepalive-to-dyno -a <APP>\n"
    "The router answers 503 (H12) when the first response byte takes more than 30 s."
)
_HEROKU_LEGACY = (
    "Heroku's legacy router opens a new connection to the dyno per request, so the dyno's "
    "keep-alive does not race it. It answers 503 (H12) when the first response byte takes "
    "more than 30 s, and cuts a response that stays silent for 55 s."
)
_FLY = (
    "Fly's proxy closes connections idle for 60 s on every public service, and the client "
    "sees a reset: clients must expire their pooled connections before 60 s (httpx: "
    "keepalive_expiry below 60), and long-lived connections need traffic more often."
)
_NGINX_UPSTREAM = (
    "nginx as the proxy: close idle upstream connections before the backend does:\n"
    "    upstream app {\n"
    "        server 127.0.0.1:3000;\n"
    "        keepalive 32;\n"
    "        keepalive_timeout 60s;  # below the backend's keep-alive\n"
    "    }\n"
    "    location / {\n"
    "        proxy_pass http://app;\n"
    "        proxy_http_version 1.1;\n"
    "        proxy_set_header Connection \"\";\n"
    "    }\n"
    "Toward clients, keepalive_timeout 75s; is nginx's default."
)
_INGRESS_NGINX = (
    "ingress-nginx closes idle connections to the pods after 60 s (ConfigMap key "
    "upstream-keepalive-timeout) and to clients after 75 s (keep-alive): keep the pods' "
    "keep-alive above the first, or lower it in the controller's ConfigMap:\n"
    "    upstream-keepalive-timeout: \"60\""
)
_HAPROXY = (
    "HAProxy has no built-in idle timeouts; set them in haproxy.cfg's defaults section:\n"
    "    timeout client 60s\n"
    "    timeout http-keep-alive 60s\n"
    "    timeout server 60s\n"
    "It passes the backend's Keep-Alive header on unchanged, so only a measurement tells "
    "what it keeps."
)
_CADDY = (
    "Caddy closes idle client connections after 5 min (servers > timeouts > idle) and idle "
    "backend connections after 2 min (the reverse_proxy transport's keepalive): keep the "
    "backend's keep-alive above the latter, or lower it:\n"
    "    reverse_proxy 127.0.0.1:3000 {\n"
    "        transport http {\n"
    "            keepalive 60s\n"
    "        }\n"
    "    }"
)
_TRAEFIK = (
    "Traefik closes idle backend connections after 90 s (serversTransport "
    "forwardingTimeouts.idleConnTimeout) and idle client connections after 180 s "
    "(entryPoints respondingTimeouts.idleTimeout): keep the backend's keep-alive above 90 s, "
    "or lower it in the static configuration:\n"
    "    --serversTransport.forwardingTimeouts.idleConnTimeout=60s"
)
_ENVOY = (
    "Envoy closes idle connections after 1 h by default, toward clients (the HTTP connection "
    "manager's common_http_protocol_options.idle_timeout) and toward the backend (the "
    "cluster's): set the cluster's below the backend's keep-alive, e.g. idle_timeout: 60s. "
    "Its 503 'upstream connect error or disconnect/reset before headers. reset reason: "
    "connection termination' is a backend that closed a reused connection."
)

FRONT_DOOR_FIXES: Mapping[str, str] = MappingProxyType({
    "aws-alb": _ALB,
    "aws-clb": _CLB,
    "gcp-alb": _GCP,
    "cloudflare": _CLOUDFLARE,
    "render": _RENDER,
    "heroku": _HEROKU_ROUTER_2,
    "heroku-router-2": _HEROKU_ROUTER_2,
    "heroku-legacy": _HEROKU_LEGACY,
    "fly": _FLY,
    "nginx": _NGINX_UPSTREAM,
    "ingress-nginx": _INGRESS_NGINX,
    "haproxy": _HAPROXY,
    "caddy": _CADDY,
    "traefik": _TRAEFIK,
    "envoy": _ENVOY,
})


def front_door_fix(component_key: str | None) -> str | None:
    """What the proxy or platform does to idle connections and which of its settings to
    change; None for a front door with nothing documented to set."""
    return FRONT_DOOR_FIXES.get(component_key or "")
