"""Documented connection defaults of servers, proxies, platforms and client pools: what
`seatctl doctor` can say a component does when it is not configured otherwise.

Only documented values are here, each with the source that documents it and a status:
*confirmed* (read in a vendor's docs or the project's source), *secondary* (a third-party
write-up, or a vendor engineer's PR or comment), *unconfirmed* (sources disagree, or none was
found: the value is None and a report says "unknown"). Compiled from the project's timeouts
fact sheet; its wording of each source is kept. Values are seconds, or a count for
`Governs.MAX_REQUESTS`. Plain data: nothing here measures or prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType


class Governs(StrEnum):
    IDLE_KEEP_ALIVE = "idle-keep-alive"  # server side, toward its clients
    UPSTREAM_IDLE = "upstream-idle"  # a proxy's idle keep-alive toward the backend
    HEADERS = "headers"  # time to receive the request headers
    REQUEST = "request"  # time to receive the whole request
    RESPONSE = "response"  # a proxy's wait for the upstream's response
    MAX_REQUESTS = "max-requests"
    LIFETIME = "lifetime"  # the longest a connection may live, busy or not
    INACTIVITY = "inactivity"  # socket inactivity in any direction, even mid-request


class Status(StrEnum):
    CONFIRMED = "confirmed"
    SECONDARY = "secondary"
    UNCONFIRMED = "unconfirmed"


CONFIRMED = Status.CONFIRMED
SECONDARY = Status.SECONDARY
UNCONFIRMED = Status.UNCONFIRMED
NO_SOURCE = "none found (timeouts fact sheet)"


@dataclass(frozen=True)
class Documented:
    """One documented default. A None `value` with a known status is documented as "none"
    (no limit); with `Status.UNCONFIRMED` it is unknown."""

    setting: str  # e.g. "keepAliveTimeout"
    value: float | None  # seconds (a count for MAX_REQUESTS)
    governs: Governs
    source: str  # as the fact sheet cites it
    status: Status
    note: str = ""
    # The documented idle timeout applies to the backend side too (AWS ALB and CLB).
    both_sides: bool = False
    # Documented extra time before the socket really closes (Node's keepAliveTimeoutBuffer).
    grace_s: float = 0.0

    @property
    def known(self) -> bool:
        return self.status != Status.UNCONFIRMED

    @property
    def closes_at_s(self) -> float | None:
        """When the connection really closes: the value plus the documented grace."""
        return None if self.value is None else self.value + self.grace_s


class Role(StrEnum):
    PROXY = "proxy"  # a reverse proxy or load balancer you run (nginx, HAProxy, Envoy, ALB...)
    PLATFORM = "platform"  # a hosting platform's edge (Render, Heroku, Fly, Cloudflare...)
    APP_SERVER = "app-server"  # the application server (Node/Express, uvicorn, gunicorn...)


@dataclass(frozen=True)
class Component:
    key: str  # stable id: "node", "nginx", "cloudflare", "aws-alb", "render", ...
    name: str  # human name: "Node.js http.Server"
    role: Role
    defaults: tuple[Documented, ...]
    note: str = ""  # what a report should know about it beyond its values
    # The key of the CDN this platform's edge sits behind (Render: "cloudflare"); that CDN's
    # values probably apply, but they are not the platform's own documented values.
    fronted_by: str | None = None

    def default(self, governs: Governs) -> Documented | None:
        return next((doc for doc in self.defaults if doc.governs is governs), None)


@dataclass(frozen=True)
class ClientPool:
    """A client library's pool: how long an idle pooled connection is kept for reuse."""

    key: str
    name: str
    setting: str
    value: float | None  # seconds; None: pooled connections never expire
    source: str
    how_to_set: str  # one line of code
    status: Status = CONFIRMED
    note: str = ""


def _inherited(defaults: Iterable[Documented], source: str, note: str) -> tuple[Documented, ...]:
    return tuple(replace(doc, source=f"{doc.source}; {source}",
                         note=f"{note}. {doc.note}" if doc.note else note)
                 for doc in defaults)


# --- application servers ----------------------------------------------------------------

NODE_DEFAULTS = (
    Documented(
        "keepAliveTimeout", 5.0, Governs.IDLE_KEEP_ALIVE,
        "nodejs.org/nodejs.cn API `server.keepAliveTimeout` (v12-v25 pages); nodejs-ko post on "
        "CVE-2019-5739; PR #59243 \"http: add server.keepAliveTimeoutBuffer option\"",
        CONFIRMED, grace_s=1.0,
        note="5000 ms from v8.0.0 through v25, advertised as `Keep-Alive: timeout=5`; the "
             "socket really closes at keepAliveTimeout + 1 s (keepAliveTimeoutBuffer, an "
             "option since v24.6.0). Node main raises the default to 65 s (PR #62782, aimed "
             "at v26; the first release that ships it is unconfirmed)"),
    Documented(
        "headersTimeout", 60.0, Governs.HEADERS,
        "nodejs.cn `server.headersTimeout` (v12-v25); commit 1722280 (PR #30071); PR #45778",
        CONFIRMED,
        note="min(60000, requestTimeout) after PR #45778 (40 s in v11.3-v12); counted from "
             "the connection's start, expiry -> 408 and close. Checked every "
             "connectionsCheckingInterval (30 s), so expiry can lag by up to 30 s"),
    Documented(
        "requestTimeout", 300.0, Governs.REQUEST,
        "nodejs.cn v16 vs v18 `server.requestTimeout`; commit e54483c", CONFIRMED,
        note="from v18.0.0 (PR #41263); 0 (none) before"),
    Documented(
        "maxRequestsPerSocket", None, Governs.MAX_REQUESTS,
        "nodejs.cn v18/v24 `server.maxRequestsPerSocket`; Kotlin wrappers \"Since v16.10.0\"",
        CONFIRMED,
        note="0: no limit. At a set limit it sends `Connection: close`; later requests on "
             "that socket get 503"),
    Documented(
        "timeout (server.setTimeout)", None, Governs.INACTIVITY,
        "nodejs commit 86686cc; nodejs.cn v18/v22 `server.timeout`", CONFIRMED,
        note="0 (none) since v13.0.0; 120 s before"),
)

EXPRESS_SOURCE = "Express 5.x API `app.listen` (nodejs.cn/express/5x mirror)"

REFERENCE_SOURCE = "seatctl/server/config.py PRESETS node-default"

APP_SERVERS = (
    Component("node", "Node.js http.Server", Role.APP_SERVER, NODE_DEFAULTS),
    Component(
        "express", "Express (on Node.js http.Server)", Role.APP_SERVER,
        _inherited(NODE_DEFAULTS, EXPRESS_SOURCE, "inherited from Node's http.Server"),
        note="no timeouts of its own: app.listen() builds a plain Node http.Server, so "
             "Node's values apply"),
    Component("fastify", "Fastify", Role.APP_SERVER, (
        Documented(
            "keepAliveTimeout", 72.0, Governs.IDLE_KEEP_ALIVE,
            "fastify.dev Reference/Server (`keepAliveTimeout`); mcollina's comment on nodejs "
            "PR #59203", CONFIRMED, grace_s=1.0,
            note="set above the 60 s ALB/ELB idle timeout on purpose; advertised as "
                 "`Keep-Alive: timeout=72`, closed 1 s later (Node's keepAliveTimeoutBuffer)"),
        Documented(
            "requestTimeout", None, Governs.REQUEST,
            "fastify test `requestTimeout.test.js` (\"requestTimeout should 0\"); socket.dev "
            "fastify 4.0.0-rc diff", CONFIRMED,
            note="0 (none): overrides Node >= 18's 300 s"),
        Documented(
            "maxRequestsPerSocket", None, Governs.MAX_REQUESTS,
            "socket.dev fastify 4.0.0-rc diff (defaultInitOptions)", CONFIRMED,
            note="0: no limit"),
        Documented(
            "connectionTimeout", None, Governs.INACTIVITY,
            "fastify docs Server.md; fastify test `connectionTimeout.test.js`", CONFIRMED,
            note="0 (none); maps to Node's server.timeout"),
    ), note="runs on Node's http.Server with its own defaults"),
    Component("nextjs", "Next.js (next start)", Role.APP_SERVER, (
        Documented(
            "next start --keepAliveTimeout", 5.0, Governs.IDLE_KEEP_ALIVE,
            "nextjs.org/docs/app/api-reference/cli/next (`--keepAliveTimeout`); "
            "flightcontrol.dev \"Random 502 Errors Behind a Load Balancer\"", SECONDARY,
            grace_s=1.0,
            note="inherits Node's 5 s (closed 1 s later) unless set; standalone output reads "
                 "KEEP_ALIVE_TIMEOUT (ms; vercel/next.js PR #50221)"),
    ), note="runs on Node's http.Server; `x-powered-by: Next.js` unless poweredByHeader is "
            "false"),
    Component("uvicorn", "uvicorn", Role.APP_SERVER, (
        Documented(
            "timeout_keep_alive", 5.0, Governs.IDLE_KEEP_ALIVE,
            "encode/uvicorn@e6c7ce7 (0.35.0+) `uvicorn/config.py` L214, `main.py` L276-280",
            CONFIRMED, note="set with `--timeout-keep-alive`"),
    )),
    Component("gunicorn", "gunicorn", Role.APP_SERVER, (
        Documented(
            "keepalive", 2.0, Governs.IDLE_KEEP_ALIVE,
            "benoitc/gunicorn@65ac1a3 `gunicorn/config.py` L890-909", CONFIRMED,
            note="confirmed in 25.3.0, 26.0.0, 26.1.0 and HEAD (a Heroku PR text says 5 s; "
                 "that is wrong). Set with `--keep-alive`; ignored by the sync worker"),
    ), note="the default sync worker does not keep connections alive: each request gets its "
            "own connection. A worker silent for `timeout` (30 s) is killed, and the proxy "
            "then sees a reset or a 502"),
    Component("hypercorn", "Hypercorn", Role.APP_SERVER, (
        Documented(
            "keep_alive_timeout", 5.0, Governs.IDLE_KEEP_ALIVE,
            "pgjones/hypercorn@0e2311f `src/hypercorn/config.py` L88-89", CONFIRMED),
        Documented(
            "keep_alive_max_requests", 1000, Governs.MAX_REQUESTS,
            "pgjones/hypercorn@0e2311f `src/hypercorn/config.py` L88-89", CONFIRMED),
    )),
    Component("aiohttp", "aiohttp web server", Role.APP_SERVER, (
        Documented(
            "keepalive_timeout", 3630.0, Governs.IDLE_KEEP_ALIVE,
            "aio-libs/aiohttp@v3.14.3 `web_protocol.py` L182, `web.py` L452; commit de997af",
            CONFIRMED,
            note="since aiohttp 3.11.0 (75 s before; PR #9285 chose it to outlast reverse "
                 "proxies). In 3.14.3 `run_app()` still has 75.0 in its signature, although "
                 "the docs say 3630"),
    )),
    Component("go", "Go net/http Server", Role.APP_SERVER, (
        Documented(
            "IdleTimeout", None, Governs.IDLE_KEEP_ALIVE,
            "Go `net/http` Server field docs (as quoted in public code); go.googlesource "
            "commit 1962dc8", CONFIRMED,
            note="zero: falls back to ReadTimeout; if that is zero too, a bare http.Server{} "
                 "never closes idle keep-alive connections"),
        Documented(
            "ReadHeaderTimeout", None, Governs.HEADERS,
            "Go `net/http` Server field docs (as quoted in public code)", CONFIRMED,
            note="0 (none); falls back to ReadTimeout"),
        Documented(
            "ReadTimeout", None, Governs.REQUEST,
            "Go `net/http` Server field docs (as quoted in public code)", CONFIRMED,
            note="0 (none)"),
    )),
    Component("kestrel", "ASP.NET Core Kestrel", Role.APP_SERVER, (
        Documented(
            "KeepAliveTimeout", 130.0, Governs.IDLE_KEEP_ALIVE,
            "learn.microsoft.com KestrelServerLimits.KeepAliveTimeout", CONFIRMED),
    )),
    Component("puma", "Puma (Rails)", Role.APP_SERVER, (
        Documented(
            "persistent_timeout", 20.0, Governs.IDLE_KEEP_ALIVE,
            "rubydoc.info Puma::DSL#persistent_timeout (\"The default is 20 seconds\"); "
            "flightcontrol.dev troubleshooting page", CONFIRMED,
            note="sends no `Keep-Alive` header; puma/puma PR #3378 proposed 65 s (closed)"),
    )),
    Component("seatctl-reference", "seatctl reference server", Role.APP_SERVER, (
        Documented(
            "keep_alive_timeout / advertised_keep_alive", 5.0, Governs.IDLE_KEEP_ALIVE,
            REFERENCE_SOURCE, CONFIRMED, grace_s=1.0,
            note="Node 20's: advertises `Keep-Alive: timeout=5` and closes idle connections "
                 "at 6 s"),
        Documented("headers_timeout", 60.0, Governs.HEADERS, REFERENCE_SOURCE, CONFIRMED),
        Documented("request_timeout", 300.0, Governs.REQUEST, REFERENCE_SOURCE, CONFIRMED),
        Documented("max_requests_per_connection", None, Governs.MAX_REQUESTS,
                   REFERENCE_SOURCE, CONFIRMED, note="0: no limit"),
        Documented("socket_timeout", None, Governs.INACTIVITY, REFERENCE_SOURCE, CONFIRMED,
                   note="0: none"),
    ), note="the project's own server; `Server: seatctl-reference/<version>`; mirrors Node "
            "20's http.Server"),
)


# --- reverse proxies and load balancers you run -----------------------------------------

NGINX_SOURCE = "nginx@3f6f782 `src/http/ngx_http_core_module.c`"
NGINX_UPSTREAM_SOURCE = "nginx@3f6f782 `ngx_http_upstream_keepalive_module.c`"
HAPROXY_SOURCE = "haproxy/haproxy@50872da `doc/configuration.txt`"
APACHE_SOURCE = "apache/httpd@0cb6804 `docs/manual/mod/core.xml`"
TRAEFIK_SOURCE = "traefik/traefik@fd5a576 `pkg/config/static/static_config.go`"
TRAEFIK_TRANSPORT_SOURCE = f"{TRAEFIK_SOURCE} L222; `pkg/config/dynamic/http_config.go` L573"
INGRESS_NGINX_SOURCE = ("kubernetes/ingress-nginx@dbb11b9 "
                        "`internal/ingress/controller/config/config.go`")
ENVOY_FAQ = "envoyproxy.io \"How do I configure timeouts?\" (v1.12-v1.39)"
ENVOY_SUMMARY = "cnblogs hugetong \"envoy timeout 说明\""

PROXIES = (
    Component("nginx", "nginx", Role.PROXY, (
        Documented(
            "keepalive_timeout", 75.0, Governs.IDLE_KEEP_ALIVE,
            f"{NGINX_SOURCE} (merge 75000; keepalive_header 0) and "
            "`ngx_http_header_filter_module.c` L570; nginx.org core module doc", CONFIRMED,
            note="no `Keep-Alive:` header unless a second parameter sets one; 0 disables "
                 "client keep-alive"),
        Documented(
            "keepalive_requests", 1000, Governs.MAX_REQUESTS,
            f"{NGINX_SOURCE} (merge 1000); changes.xml 1.19.10", CONFIRMED,
            note="100 before 1.19.10"),
        Documented(
            "keepalive_time", 3600.0, Governs.LIFETIME,
            f"{NGINX_SOURCE} (merge 3600000); changes.xml 1.19.10", CONFIRMED,
            note="added in 1.19.10"),
        Documented(
            "client_header_timeout", 60.0, Governs.HEADERS,
            f"{NGINX_SOURCE} (merge 60000); nginx.org doc text", CONFIRMED,
            note="expiry -> 408"),
        Documented(
            "keepalive_timeout (upstream block)", 60.0, Governs.UPSTREAM_IDLE,
            f"{NGINX_UPSTREAM_SOURCE} L549; changes.xml 1.15.3, 1.29.7", CONFIRMED,
            note="upstream keep-alive is off before 1.29.7 (it needs `keepalive N;`, "
                 "`proxy_http_version 1.1;` and `proxy_set_header Connection \"\";`); on by "
                 "default from 1.29.7 mainline / 1.30.0 stable (`keepalive 32 local`)"),
        Documented(
            "proxy_read_timeout", 60.0, Governs.RESPONSE,
            "nginx@3f6f782 `ngx_http_proxy_module.c` L3734; nginx.org proxy doc", CONFIRMED,
            note="between two reads from the upstream; expiry -> 504"),
    ), note="an nginx-generated 502 page carries `server: nginx`"),
    Component("haproxy", "HAProxy", Role.PROXY, (
        Documented(
            "timeout http-keep-alive", None, Governs.IDLE_KEEP_ALIVE,
            f"{HAPROXY_SOURCE} §timeout http-keep-alive", CONFIRMED,
            note="no built-in value: falls back to `timeout http-request`, then to `timeout "
                 "client`; expiry closes silently (no 408)"),
        Documented(
            "timeout http-request", None, Governs.HEADERS,
            f"{HAPROXY_SOURCE} §timeout http-request", CONFIRMED,
            note="no built-in value; expiry -> 408 and close. Headers only (the body too "
                 "with `option http-buffer-request`)"),
        Documented(
            "timeout server", None, Governs.RESPONSE,
            f"{HAPROXY_SOURCE} §timeout server", CONFIRMED,
            note="unset = infinite, with a startup warning; expiry -> 504"),
        Documented(
            "timeout client", None, Governs.INACTIVITY,
            f"{HAPROXY_SOURCE} §timeout client", CONFIRMED,
            note="unset = infinite, with a startup warning"),
    ), note="idle backend connections have no fixed timeout: every pool-purge-delay (5 s) "
            "HAProxy closes half of them; http-reuse is `safe` (configuration.txt)"),
    Component("apache", "Apache httpd", Role.PROXY, (
        Documented(
            "KeepAliveTimeout", 5.0, Governs.IDLE_KEEP_ALIVE,
            f"{APACHE_SOURCE}; opensource.apple.com httpd-default.conf", CONFIRMED,
            note="Apache 1.x used 15 s"),
        Documented("MaxKeepAliveRequests", 100, Governs.MAX_REQUESTS, APACHE_SOURCE,
                   CONFIRMED),
        Documented("TimeOut", 60.0, Governs.INACTIVITY, APACHE_SOURCE, CONFIRMED),
        Documented("ProxyTimeout", 60.0, Governs.RESPONSE, "Apache httpd docs mod_proxy.xml",
                   CONFIRMED, note="the value of TimeOut"),
        Documented(
            "RequestReadTimeout", 20.0, Governs.HEADERS, "Apache httpd docs mod_reqtimeout.xml",
            CONFIRMED,
            note="`header=20-40,MinRate=500`: 20 s, extended up to 40 s while data arrives "
                 "at 500 bytes/s"),
    )),
    Component("caddy", "Caddy 2", Role.PROXY, (
        Documented(
            "servers > timeouts > idle", 300.0, Governs.IDLE_KEEP_ALIVE,
            "caddyserver/caddy@0cf03d3 `modules/caddyhttp/app.go` L895", CONFIRMED),
        Documented(
            "servers > timeouts > read_header", 60.0, Governs.HEADERS,
            "caddyserver/caddy@0cf03d3 `modules/caddyhttp/app.go` L902", CONFIRMED),
        Documented(
            "reverse_proxy transport keepalive_idle", 120.0, Governs.UPSTREAM_IDLE,
            "caddy `modules/caddyhttp/reverseproxy/httptransport.go` L215-216", CONFIRMED,
            note="IdleConnTimeout of the transport"),
    )),
    Component("envoy", "Envoy", Role.PROXY, (
        Documented("idle_timeout (HCM, downstream)", 3600.0, Governs.IDLE_KEEP_ALIVE,
                   ENVOY_FAQ, CONFIRMED),
        Documented("idle_timeout (cluster, upstream)", 3600.0, Governs.UPSTREAM_IDLE,
                   ENVOY_FAQ, CONFIRMED),
        Documented("route timeout", 15.0, Governs.RESPONSE, ENVOY_SUMMARY, SECONDARY,
                   note="values from a summary of the v1.32 FAQ"),
        Documented("request_timeout (HCM)", None, Governs.REQUEST, ENVOY_SUMMARY, SECONDARY,
                   note="disabled"),
        Documented("stream_idle_timeout (HCM)", 300.0, Governs.INACTIVITY, ENVOY_SUMMARY,
                   SECONDARY, note="per stream"),
    )),
    Component("traefik", "Traefik v3", Role.PROXY, (
        Documented(
            "entryPoints respondingTimeouts.idleTimeout", 180.0, Governs.IDLE_KEEP_ALIVE,
            f"{TRAEFIK_SOURCE} L48; PR #1340", CONFIRMED),
        Documented(
            "entryPoints respondingTimeouts.readTimeout", 60.0, Governs.REQUEST,
            f"{TRAEFIK_SOURCE} L51", CONFIRMED),
        Documented(
            "serversTransport forwardingTimeouts.idleConnTimeout", 90.0, Governs.UPSTREAM_IDLE,
            TRAEFIK_TRANSPORT_SOURCE, CONFIRMED),
        Documented(
            "serversTransport forwardingTimeouts.responseHeaderTimeout", None,
            Governs.RESPONSE, TRAEFIK_TRANSPORT_SOURCE, CONFIRMED, note="0: none"),
    ), note="values of the v3.7.x source"),
    Component("ingress-nginx", "Kubernetes ingress-nginx", Role.PROXY, (
        Documented("keep-alive", 75.0, Governs.IDLE_KEEP_ALIVE,
                   f"{INGRESS_NGINX_SOURCE} L809-810", CONFIRMED),
        Documented("keep-alive-requests", 1000, Governs.MAX_REQUESTS,
                   f"{INGRESS_NGINX_SOURCE} L809-810", CONFIRMED),
        Documented(
            "upstream-keepalive-timeout", 60.0, Governs.UPSTREAM_IDLE,
            f"{INGRESS_NGINX_SOURCE} L888-891", CONFIRMED,
            note="toward the pods; upstream-keepalive-requests 10000, -time 1h, "
                 "-connections 320"),
        Documented("proxy-read-timeout", 60.0, Governs.RESPONSE,
                   f"{INGRESS_NGINX_SOURCE} L858-860", CONFIRMED),
    ), note="controller v1.15.x; it answers as `server: nginx`"),
    Component("aws-alb", "AWS Application Load Balancer", Role.PROXY, (
        Documented(
            "idle_timeout.timeout_seconds", 60.0, Governs.IDLE_KEEP_ALIVE,
            "docs.aws.amazon.com \"Edit attributes for your Application Load Balancer\" "
            "(Connection idle timeout)", CONFIRMED, both_sides=True,
            note="for both client and target connections. AWS advises an app idle timeout "
                 "above it, else the ALB may send a request to a closing target -> 502. "
                 "HTTP/2 PINGs do not reset it"),
        Documented(
            "client_keep_alive.seconds", 3600.0, Governs.LIFETIME,
            "pulumi_aws `LoadBalancer.clientKeepAlive`; AWS ALB attributes page (section "
            "title)", SECONDARY,
            note="the longest a client connection lives (60-604800 s); the AWS page lists the "
                 "attribute, the value comes from Pulumi's provider docs"),
    ), note="`server: awselb/2.0` appears only on responses the ALB generates itself (its own "
            "502/503/504/403 and WAF pages); proxied responses keep the target's Server"),
    Component("aws-clb", "AWS Classic Load Balancer", Role.PROXY, (
        Documented(
            "ConnectionSettings.IdleTimeout", 60.0, Governs.IDLE_KEEP_ALIVE,
            "docs.aws.amazon.com \"Configure the idle connection timeout for your Classic Load "
            "Balancer\"; SDK doc `connectionSettings`", CONFIRMED, both_sides=True,
            note="1-3600 s; AWS asks for a backend keep-alive greater than this"),
    )),
    Component("aws-nlb", "AWS Network Load Balancer", Role.PROXY, (
        Documented(
            "tcp.idle_timeout.seconds", 350.0, Governs.IDLE_KEEP_ALIVE,
            "docs.aws.amazon.com \"Update the TCP idle timeout for your Network Load Balancer "
            "listener\"", CONFIRMED,
            note="a TCP flow's idle timeout (60-6000 s for TCP listeners; fixed at 350 s for "
                 "TLS listeners). The NLB passes connections through, so the client or the app "
                 "should close idle connections before it"),
    )),
    Component("gcp-alb", "Google Cloud external Application Load Balancer", Role.PROXY, (
        Documented(
            "backend keep-alive (GFE)", 600.0, Governs.UPSTREAM_IDLE,
            "cloud.google.com \"Request distribution for external Application Load Balancers\" "
            "(zh-cn copy); yunke.me copy of the GCP \"Backend HTTP keepalive timeout\" section",
            CONFIRMED,
            note="fixed; Google asks for a backend keep-alive above 600 s"),
        Documented(
            "httpKeepAliveTimeoutSec", 610.0, Governs.IDLE_KEEP_ALIVE,
            "Google compute API docs `TargetHttpProxy.httpKeepAliveTimeoutSec`", CONFIRMED,
            note="client side, 5-1200 s; not available on the classic load balancer"),
        Documented(
            "backend service timeoutSec", 30.0, Governs.RESPONSE,
            "Google API docs `BackendService.timeoutSec`; gcpdiag lb/BP/2025_002", CONFIRMED,
            note="a response timeout, not an idle timeout"),
    ), note="identified by `via: 1.1 google` (unconfirmed in Google's docs)"),
)


# --- platforms and CDNs -----------------------------------------------------------------

CLOUDFLARE_LIMITS = "developers.cloudflare.com \"Connection limits\""
HEROKU_REQUEST_TIMEOUT = "devcenter.heroku.com \"Request Timeout\""
HEROKU_ROUTER_TIMEOUTS = (
    Documented(
        "request timeout (H12)", 30.0, Governs.RESPONSE, HEROKU_REQUEST_TIMEOUT, CONFIRMED,
        note="to the response's first byte, counted from when the router has sent the request "
             "to the dyno; not configurable"),
    Documented(
        "rolling window after the first byte", 55.0, Governs.INACTIVITY,
        f"{HEROKU_REQUEST_TIMEOUT} (long-polling section); \"HTTP Routing\" (2012)", CONFIRMED,
        note="each byte in either direction restarts it"),
)
CLOUDFLARE_PROBABLY = ("Cloudflare's values probably apply (its 900 s origin idle timeout), "
                       "but they are not this platform's documented values")

PLATFORMS = (
    Component("cloudflare", "Cloudflare", Role.PLATFORM, (
        Documented(
            "HTTP/1.1 keep-alive (client <-> Cloudflare)", 400.0, Governs.IDLE_KEEP_ALIVE,
            CLOUDFLARE_LIMITS, CONFIRMED, note="HTTP/2 idle: 400 s too"),
        Documented(
            "Proxy Idle Timeout (Cloudflare <-> origin)", 900.0, Governs.UPSTREAM_IDLE,
            CLOUDFLARE_LIMITS, CONFIRMED,
            note="Cloudflare reuses origin connections for up to 900 s, so the origin's "
                 "keep-alive should be longer; a broken reuse -> 520"),
        Documented(
            "Proxy Read Timeout", None, Governs.RESPONSE,
            f"developers.cloudflare.com \"Error 524\"; {CLOUDFLARE_LIMITS}", UNCONFIRMED,
            note="sources disagree: the Error 524 page says 100 s, the Connection-limits page "
                 "120 s; Enterprise can raise it to 6000 s. Expiry -> 524"),
    ), note="errors 520/521/522/524 come from Cloudflare, not the origin. Several platforms "
            "(Render, DigitalOcean App Platform) sit behind Cloudflare, so `server: "
            "cloudflare` alone does not prove the user's own Cloudflare zone"),
    Component("aws-cloudfront", "AWS CloudFront", Role.PLATFORM, (
        Documented(
            "originKeepaliveTimeout", 5.0, Governs.UPSTREAM_IDLE,
            "AWS SDK docs `originKeepaliveTimeout`", CONFIRMED, note="1-60 s, more via quota"),
        Documented(
            "originReadTimeout", 30.0, Governs.RESPONSE, "AWS SDK docs `originReadTimeout`",
            CONFIRMED, note="1-120 s"),
    )),
    Component("azure-front-door", "Azure Front Door", Role.PLATFORM, (
        Documented(
            "origin response timeout", 30.0, Governs.RESPONSE,
            "learn.microsoft.com \"Troubleshoot Azure Front Door common issues\"", CONFIRMED,
            note="16-240 s; expiry -> 503/504"),
    ), note="Standard/Premium; no documented idle timeout toward the origin"),
    Component("heroku-legacy", "Heroku router (legacy, Vegur)", Role.PLATFORM, (
        Documented(
            "keep-alive to dynos", None, Governs.UPSTREAM_IDLE, NO_SOURCE, UNCONFIRMED,
            note="no keep-alive to dynos (implied, not documented)"),
        *HEROKU_ROUTER_TIMEOUTS,
    )),
    Component("heroku-router-2", "Heroku Router 2.0", Role.PLATFORM, (
        Documented(
            "keep-alive to dynos", 90.0, Governs.UPSTREAM_IDLE,
            "devcenter \"Heroku Labs: Disabling Keepalives to Dyno for Router 2.0\"; "
            "heroku/python-getting-started PR #261/#263; heroku/nodejs-getting-started PR "
            "#371; ruby-getting-started PR #190", SECONDARY,
            note="on by default (confirmed); the 90 s is quoted from the devcenter "
                 "\"#keepalives\" anchor in Heroku-authored PRs. Heroku's sample apps set a "
                 "95 s keep-alive in gunicorn, Node and Puma. Opt out with the labs feature "
                 "`http-disable-keepalive-to-dyno`"),
        *HEROKU_ROUTER_TIMEOUTS,
    )),
    Component("heroku", "Heroku router", Role.PLATFORM, (
        Documented(
            "keep-alive to dynos", None, Governs.UPSTREAM_IDLE,
            "devcenter.heroku.com \"HTTP Routing\" (#keepalives); \"Error Pages\"",
            UNCONFIRMED,
            note="which router served the page is unknown: Router 2.0 keeps dyno connections "
                 "90 s (secondary), the legacy router keeps none"),
        *HEROKU_ROUTER_TIMEOUTS,
    ), note="named by its own error page (503, an iframe of herokucdn.com/error-pages/); the "
            "`Via` header tells the router"),
    Component("render", "Render", Role.PLATFORM, (
        Documented(
            "idle timeout toward the service", None, Governs.UPSTREAM_IDLE,
            "docs.mergent.co \"Request Timeouts\"; public captures showing `server: "
            "cloudflare` + `rndr-id`", UNCONFIRMED,
            note=f"no documented value. Render's edge is fronted by Cloudflare: "
                 f"{CLOUDFLARE_PROBABLY}"),
        Documented(
            "request timeout", None, Governs.RESPONSE, "docs.mergent.co \"Request Timeouts\"",
            UNCONFIRMED, note="no documented value; one third-party list says unlimited"),
    ), fronted_by="cloudflare",
       note="free-tier services spin down after 15 min idle; a failed wake answers 503 with "
            "`x-render-routing: hibernate-wake-error` (secondary: runhooks.app)"),
    Component("fly", "Fly.io proxy", Role.PLATFORM, (
        Documented(
            "idle connection timeout", 60.0, Governs.IDLE_KEEP_ALIVE,
            "fly.io/docs/reference/services \"Idle Connection Timeouts\"", CONFIRMED,
            note="closes idle TCP connections on every public service; the client sees "
                 "ECONNRESET. The page does not say whether it also applies to the proxy's "
                 "connections to the app"),
    )),
    Component("vercel", "Vercel", Role.PLATFORM, (
        Documented(
            "Functions maxDuration", 300.0, Governs.RESPONSE,
            "vercel.com/docs/functions/limitations; /configuring-functions/duration",
            CONFIRMED,
            note="a function's run time: Hobby at most 300 s, Pro/Enterprise up to 800 s, "
                 "more with Fluid compute"),
    )),
    Component("railway", "Railway edge", Role.PLATFORM, (
        Documented(
            "keep-alive", None, Governs.IDLE_KEEP_ALIVE,
            "docs-frontend-docs-pr-1042.up.railway.app \"Specs & Limits\"; docs.railway.com "
            "\"Public Networking\" (older)", UNCONFIRMED,
            note="the newest text (a docs PR preview) says 60 s, the older docs 900 s; which "
                 "is live is unknown"),
        Documented(
            "max request duration", None, Governs.RESPONSE,
            "docs-frontend-docs-pr-1042.up.railway.app \"Specs & Limits\"; docs.railway.com "
            "\"Public Networking\" (older)", UNCONFIRMED,
            note="the newest text says 15 min, the older docs 5 min"),
    )),
    Component("digitalocean", "DigitalOcean App Platform", Role.PLATFORM, (
        Documented(
            "idle timeout toward the app", None, Governs.UPSTREAM_IDLE, NO_SOURCE, UNCONFIRMED,
            note=f"not found. The edge is fronted by Cloudflare: {CLOUDFLARE_PROBABLY}"),
        Documented(
            "file-upload timeout", 100.0, Governs.REQUEST,
            "docs.digitalocean.com App Platform \"Limits\"", CONFIRMED,
            note="for uploads; no general request timeout was found"),
    ), fronted_by="cloudflare"),
)

COMPONENTS: Mapping[str, Component] = MappingProxyType(
    {component.key: component for component in (*APP_SERVERS, *PROXIES, *PLATFORMS)})


# Official documentation per component: the page the timeouts fact sheet cites for the
# values and settings named here (a vendor's own repository where it documents nothing).
SOURCE_URLS: Mapping[str, str] = MappingProxyType({
    "node": "https://nodejs.org/api/http.html#serverkeepalivetimeout",
    "express": "https://expressjs.com/en/api.html#app.settings.table",
    "fastify": "https://fastify.dev/docs/latest/Reference/Server/#keepalivetimeout",
    "nextjs": "https://nextjs.org/docs/app/api-reference/cli/next",
    "uvicorn": "https://www.uvicorn.org/settings/#timeouts",
    "gunicorn": "https://docs.gunicorn.org/en/stable/settings.html#keepalive",
    "hypercorn": "https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html",
    "puma": "https://www.rubydoc.info/gems/puma/Puma/DSL#persistent_timeout-instance_method",
    "apache": "https://httpd.apache.org/docs/2.4/mod/core.html#keepalivetimeout",
    "go": "https://pkg.go.dev/net/http#Server",
    "kestrel": "https://learn.microsoft.com/en-us/dotnet/api/"
               "microsoft.aspnetcore.server.kestrel.core.kestrelserverlimits.keepalivetimeout",
    "aiohttp": "https://docs.aiohttp.org/en/stable/web_reference.html",
    "nginx": "https://nginx.org/en/docs/http/ngx_http_core_module.html#keepalive_timeout",
    "ingress-nginx": "https://kubernetes.github.io/ingress-nginx/user-guide/"
                     "nginx-configuration/configmap/",
    "haproxy": "https://docs.haproxy.org/3.2/configuration.html",
    "caddy": "https://caddyserver.com/docs/caddyfile/options#timeouts",
    "traefik": "https://doc.traefik.io/traefik/routing/entrypoints/#respondingtimeouts",
    "envoy": "https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts",
    "aws-alb": "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
               "edit-load-balancer-attributes.html#connection-idle-timeout",
    "aws-clb": "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/"
               "config-idle-timeout.html",
    "aws-nlb": "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
               "update-idle-timeout.html",
    "gcp-alb": "https://cloud.google.com/load-balancing/docs/https#timeouts_and_retries",
    "cloudflare": "https://developers.cloudflare.com/fundamentals/reference/connection-limits/",
    "heroku": "https://devcenter.heroku.com/articles/error-pages",
    "heroku-router-2": "https://devcenter.heroku.com/articles/http-routing#keepalives",
    "heroku-legacy": "https://devcenter.heroku.com/articles/request-timeout",
    "render": "https://github.com/render-examples/express-hello-world/pull/32",
    "fly": "https://fly.io/docs/reference/services/",
})


# --- client pools -----------------------------------------------------------------------

CLIENT_POOLS: tuple[ClientPool, ...] = (
    ClientPool(
        "httpx", "httpx", "Limits.keepalive_expiry", 5.0,
        "python-httpx.org \"Resource Limits\"; encode/httpx@ae1b9f6 `httpx/_config.py` L178, "
        "L247", "httpx.Client(limits=httpx.Limits(keepalive_expiry=4))"),
    ClientPool(
        "undici", "undici (and Node's built-in fetch)", "keepAliveTimeout", 4.0,
        "nodejs/undici@7eb7c8e `lib/dispatcher/client.js` L307; docs/api/Client.md",
        "setGlobalDispatcher(new Agent({ keepAliveTimeout: 4000 }))",
        note="used when the server gives no `Keep-Alive: timeout` hint; a hint is honoured "
             "minus keepAliveTimeoutThreshold (2 s; 1 s before undici 6.14.1), capped at "
             "keepAliveMaxTimeout (600 s)"),
    ClientPool(
        "node-agent", "Node http.globalAgent", "timeout", 5.0,
        "nodejs commit 655b327 (PR #52392); nodejs.cn `http.globalAgent` (v22-v24); issue "
        "#48821", "http.globalAgent = new http.Agent({ keepAlive: true, timeout: 4000 })",
        note="since v19 the global agent keeps connections alive (a new http.Agent does not); "
             "it reads the server's `Keep-Alive: timeout=N` and expires the socket 1 s before "
             "it (agentKeepAliveTimeoutBuffer)"),
    ClientPool(
        "aiohttp-client", "aiohttp TCPConnector", "keepalive_timeout", 15.0,
        "aiohttp@495e778 `aiohttp/connector.py` L343-344",
        "aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=4))"),
    ClientPool(
        "requests", "requests / urllib3", "no idle-expiry option", None,
        "urllib3/urllib3 issue #3184 (open); psf/requests issues #4664, #3458; urllib3 PR "
        "#1911",
        "session.mount(\"https://\", HTTPAdapter(max_retries=Retry(total=2)))  "
        "# retries idempotent methods only",
        note="a pooled socket is reused however old it is; a server-closed one surfaces as "
             "RemoteDisconnected / ConnectionError"),
    ClientPool(
        "go-transport", "Go http.DefaultTransport", "IdleConnTimeout", 90.0,
        "golang.google.cn `src/net/http/transport.go`",
        "transport.IdleConnTimeout = 4 * time.Second",
        note="MaxIdleConns 100, MaxIdleConnsPerHost 2"),
    ClientPool(
        "ruby-net-http", "Ruby Net::HTTP", "keep_alive_timeout", 2.0,
        "rubydoc Net::HTTP#keep_alive_timeout", "http.keep_alive_timeout = 2"),
)
