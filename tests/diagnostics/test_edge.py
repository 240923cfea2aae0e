"""The front door: proxies, platforms and application servers named from response headers
and from Node's measured keep-alive buffer; the documented defaults attached to them."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from seatctl import __version__
from seatctl.diagnostics import connect, parse_target
from seatctl.diagnostics.defaults import (
    CLIENT_POOLS,
    COMPONENTS,
    Documented,
    Governs,
    Role,
    Status,
)
from seatctl.diagnostics.edge import (
    EdgeResult,
    Identified,
    IdentifiedBy,
    documented_backend_idle,
    identify,
    outermost_rank,
    shown,
)
from seatctl.server.config import PRESETS, Preset
from tests.conftest import StartServer
from tests.support.servers import WAIT_LIMIT, serving_callback

Headers = list[tuple[str, str]]

CLOUDFLARE: Headers = [("server", "cloudflare"), ("cf-ray", "8a1b2c3d4e5f6a7b-FRA")]
NODE_LIKE: Headers = [("connection", "keep-alive"), ("keep-alive", "timeout=5")]

# (headers, every layer outermost first, the front door, the application server)
IDENTIFIED: dict[str, tuple[Headers, tuple[str, ...], str | None, str | None]] = {
    "cloudflare alone": (CLOUDFLARE, ("cloudflare",), "cloudflare", None),
    "cloudflare cache status": ([("cf-cache-status", "DYNAMIC")], ("cloudflare",),
                                "cloudflare", None),
    "heroku legacy router": ([("server", "Cowboy"), ("via", "1.1 vegur")],
                             ("heroku-legacy",), "heroku-legacy", None),
    "heroku router 2.0": ([("via", "2.0 heroku-router")], ("heroku-router-2",),
                          "heroku-router-2", None),
    "heroku behind the user's cloudflare": ([*CLOUDFLARE, ("via", "2.0 heroku-router")],
                                            ("cloudflare", "heroku-router-2"), "cloudflare",
                                            None),
    "render behind cloudflare, uvicorn behind render": (
        [*CLOUDFLARE, ("rndr-id", "3f1c2a9b-1b2c-4d5e"), ("x-render-origin-server", "uvicorn")],
        ("cloudflare", "render", "uvicorn"), "render", "uvicorn"),
    "render naming gunicorn": ([*CLOUDFLARE, ("x-render-origin-server", "gunicorn/21.2.0")],
                               ("cloudflare", "render", "gunicorn"), "render", "gunicorn"),
    "render naming nginx": ([("rndr-id", "abc"), ("x-render-origin-server", "nginx")],
                            ("render", "nginx"), "render", None),
    "render naming an unknown origin": ([*CLOUDFLARE, ("x-render-origin-server", "Render")],
                                        ("cloudflare", "render"), "render", None),
    "fly": ([("server", "Fly/8a2c1f0e (2024-05-01)"), ("via", "2 fly.io"),
             ("fly-request-id", "01HX-ams")], ("fly",), "fly", None),
    "fly via http/1.1": ([("via", "1.1 fly.io")], ("fly",), "fly", None),
    "aws alb": ([("server", "awselb/2.0")], ("aws-alb",), "aws-alb", None),
    "vercel": ([("server", "Vercel"), ("x-vercel-cache", "MISS"),
                ("x-vercel-id", "fra1::iad1::abc")], ("vercel",), "vercel", None),
    "railway": ([("server", "railway-edge"), ("x-railway-edge", "railway/us-west2"),
                 ("x-railway-request-id", "Xy12")], ("railway",), "railway", None),
    "digitalocean behind cloudflare": (
        [*CLOUDFLARE, ("x-do-app-origin", "6f0a"), ("x-do-orig-status", "200")],
        ("cloudflare", "digitalocean"), "digitalocean", None),
    "azure front door": ([("x-azure-ref", "0abcDEF=")], ("azure-front-door",),
                         "azure-front-door", None),
    "gcp load balancer": ([("via", "1.1 google")], ("gcp-alb",), "gcp-alb", None),
    "nginx": ([("server", "nginx/1.25.3")], ("nginx",), "nginx", None),
    "express behind nginx": ([("server", "nginx"), ("x-powered-by", "Express")],
                             ("nginx", "express"), "nginx", "express"),
    "caddy": ([("server", "Caddy")], ("caddy",), "caddy", None),
    "envoy": ([("server", "envoy"), ("x-envoy-upstream-service-time", "12")], ("envoy",),
              "envoy", None),
    "an envoy that renamed itself": ([("server", "istio-envoy"),
                                      ("x-envoy-upstream-service-time", "3")],
                                     ("envoy",), "envoy", None),
    "apache": ([("server", "Apache/2.4.41 (Ubuntu)")], ("apache",), "apache", None),
    "express": ([("x-powered-by", "Express")], ("express",), None, "express"),
    "next.js": ([("x-powered-by", "Next.js")], ("nextjs",), None, "nextjs"),
    "uvicorn": ([("server", "uvicorn")], ("uvicorn",), None, "uvicorn"),
    "gunicorn": ([("server", "gunicorn")], ("gunicorn",), None, "gunicorn"),
    "hypercorn": ([("server", "hypercorn-h11")], ("hypercorn",), None, "hypercorn"),
    "kestrel": ([("server", "Kestrel")], ("kestrel",), None, "kestrel"),
    "aiohttp": ([("server", "Python/3.11 aiohttp/3.9.1")], ("aiohttp",), None, "aiohttp"),
    "seatctl reference": ([("server", "seatctl-reference/0.1.0")], ("seatctl-reference",),
                          None, "seatctl-reference"),
}

UNKNOWN: dict[str, Headers] = {
    "no headers": [],
    "ordinary headers": [("content-type", "application/json"), ("content-length", "2")],
    "tomcat, not apache": [("server", "Apache-Coyote/1.1")],
    "other servers": [("server", "openresty"), ("x-powered-by", "PHP/8.2")],
    "another via": [("via", "1.1 varnish (Varnish/7.1)")],
    "names inside other words": [("server", "nginxish"), ("via", "1.1 vegurs")],
    "an empty cf-ray": [("cf-ray", "")],
}


@pytest.mark.parametrize("case", IDENTIFIED)
def test_headers_name_the_layers_the_front_door_and_the_app_server(case: str) -> None:
    headers, layers, front_door, app_server = IDENTIFIED[case]
    result = identify(headers)
    assert tuple(layer.component.key for layer in result.layers) == layers
    assert all(layer.by is IdentifiedBy.HEADER and layer.evidence for layer in result.layers)
    assert (result.front_door.component.key if result.front_door else None) == front_door
    assert (result.app_server.component.key if result.app_server else None) == app_server


@pytest.mark.parametrize("case", UNKNOWN)
def test_unknown_headers_identify_nothing(case: str) -> None:
    assert identify(UNKNOWN[case]) == EdgeResult(None, None, ())


def test_the_evidence_names_the_headers_that_proved_it() -> None:
    result = identify([*CLOUDFLARE, ("content-type", "text/html"), ("cf-ray", "8a1b-FRA")])
    assert result.layers[0].evidence == (
        "server: cloudflare", "cf-ray: 8a1b2c3d4e5f6a7b-FRA", "cf-ray: 8a1b-FRA")
    origin = identify([("x-render-origin-server", "uvicorn")])
    assert origin.app_server is not None
    assert origin.app_server.evidence == ("x-render-origin-server: uvicorn",)


def test_the_evidence_is_sanitized_and_short() -> None:
    result = identify([("cf-ray", "8a1b\x1b]0;owned\x07-FRA\n"), ("fly-request-id", "x" * 500)])
    cloudflare, fly = result.layers
    assert cloudflare.evidence == ("cf-ray: 8a1b\\x1b]0;owned\\x07-FRA",)
    (shown,) = fly.evidence
    assert shown.startswith("fly-request-id: xxx") and shown.endswith("…")
    assert len(shown) <= len("fly-request-id: ") + 100


@pytest.mark.parametrize(("headers", "status", "added"), [
    ([("server", "awselb/2.0")], 502, "status 502: generated by the ALB itself"),
    (CLOUDFLARE, 522, "status 522: a Cloudflare error, not the origin's"),
])
def test_a_status_the_proxy_generated_itself_is_evidence(
    headers: Headers, status: int, added: str,
) -> None:
    (layer,) = identify(headers, status=status).layers
    assert layer.evidence[-1].startswith(added)


def test_an_ordinary_status_adds_no_evidence() -> None:
    assert identify(CLOUDFLARE, status=200).layers[0].evidence == (
        "server: cloudflare", "cf-ray: 8a1b2c3d4e5f6a7b-FRA")
    assert identify([("server", "uvicorn")], status=502).layers[0].evidence == (
        "server: uvicorn",)


def test_nodes_one_second_buffer_identifies_node_where_headers_are_silent() -> None:
    result = identify(NODE_LIKE, idle_close_s=6.02)
    (node,) = result.layers
    assert node.component.key == "node" and node.by is IdentifiedBy.BEHAVIOUR
    assert node.evidence == (
        "Keep-Alive: timeout=5 and a measured close at 6.0 s: Node's 1 s buffer",)
    assert result.app_server == node and result.front_door is None


@pytest.mark.parametrize("idle_close_s", [5.76, 6.0, 6.24])
def test_the_buffer_is_matched_within_a_quarter_second(idle_close_s: float) -> None:
    assert identify(NODE_LIKE, idle_close_s=idle_close_s).app_server is not None


@pytest.mark.parametrize(("headers", "advertised", "idle_close_s"), [
    (NODE_LIKE, None, 5.0),  # closed when it promised: no buffer
    (NODE_LIKE, None, 5.7),
    (NODE_LIKE, None, 6.3),
    (NODE_LIKE, None, 7.0),
    (NODE_LIKE, None, None),  # not measured (or only a lower bound)
    ([("keep-alive", "timeout=5")], None, 6.0),  # no Connection: keep-alive
    ([("connection", "close"), ("keep-alive", "timeout=5")], None, 6.0),
    ([("connection", "keep-alive")], None, 1.0),  # nothing advertised
    ([("connection", "keep-alive"), ("keep-alive", "timeout=0")], None, 1.0),
    ([("connection", "keep-alive"), ("keep-alive", "max=100")], None, 1.0),
    ([("connection", "keep-alive")], 5.0, 7.5),
])
def test_no_node_without_its_buffer(
    headers: Headers, advertised: float | None, idle_close_s: float | None,
) -> None:
    result = identify(headers, advertised_keep_alive_s=advertised, idle_close_s=idle_close_s)
    assert result == EdgeResult(None, None, ())


def test_the_advertised_timeout_may_be_given_instead_of_read() -> None:
    result = identify([("connection", "Keep-Alive")], advertised_keep_alive_s=0.2,
                      idle_close_s=1.2)
    assert result.app_server is not None and result.app_server.component.key == "node"
    assert result.app_server.evidence == (
        "Keep-Alive: timeout=0.2 and a measured close at 1.2 s: Node's 1 s buffer",)


def test_behaviour_does_not_override_headers() -> None:
    """Through a proxy, or from a named server, the measured close is not the app's."""
    for named in ([("server", "uvicorn")], CLOUDFLARE, [("server", "nginx")]):
        result = identify([*named, *NODE_LIKE], idle_close_s=6.0)
        assert result.layers and all(layer.by is IdentifiedBy.HEADER for layer in result.layers)
        assert "node" not in {layer.component.key for layer in result.layers}


# --- the documented defaults ------------------------------------------------------------


def front_door(key: str) -> EdgeResult:
    door = Identified(COMPONENTS[key], ("stated",), IdentifiedBy.HEADER)
    return EdgeResult(front_door=door, app_server=None, layers=(door,))


@pytest.mark.parametrize(("headers", "seconds", "status"), [
    ([("server", "awselb/2.0")], 60.0, Status.CONFIRMED),
    (CLOUDFLARE, 900.0, Status.CONFIRMED),
    ([("via", "2.0 heroku-router")], 90.0, Status.SECONDARY),
    ([("via", "1.1 google")], 600.0, Status.CONFIRMED),
    ([("server", "nginx")], 60.0, Status.CONFIRMED),
])
def test_the_front_doors_documented_idle_timeout_toward_the_backend(
    headers: Headers, seconds: float, status: Status,
) -> None:
    documented = identify(headers).front_door_idle_timeout()
    assert documented is not None
    assert (documented.value, documented.status) == (seconds, status)
    assert documented.source


def test_the_classic_load_balancers_idle_timeout_applies_to_both_sides() -> None:
    documented = front_door("aws-clb").front_door_idle_timeout()
    assert documented is not None and documented.value == 60.0 and documented.both_sides


@pytest.mark.parametrize("headers", [
    [*CLOUDFLARE, ("rndr-id", "abc")],  # Render: not documented
    [*CLOUDFLARE, ("x-do-app-origin", "6f0a")],  # DigitalOcean: not documented
    [("via", "1.1 vegur")],  # Heroku's legacy router: unconfirmed
    [("x-azure-ref", "0abc")],  # Azure Front Door: only a response timeout
    [("server", "Fly/8a2c1f0e")],  # Fly: not said to apply toward the app
    [("server", "uvicorn")],  # no front door
    [("content-type", "text/plain")],  # nothing identified
])
def test_an_undocumented_front_door_idle_timeout_is_unknown(headers: Headers) -> None:
    assert identify(headers).front_door_idle_timeout() is None


@pytest.mark.parametrize("key", ["render", "digitalocean"])
def test_a_platform_behind_cloudflare_notes_cloudflares_values_as_probable(key: str) -> None:
    component = COMPONENTS[key]
    assert component.fronted_by == "cloudflare"
    upstream = component.default(Governs.UPSTREAM_IDLE)
    assert upstream is not None
    assert (upstream.value, upstream.status, upstream.known) == (None, Status.UNCONFIRMED, False)
    assert "Cloudflare" in upstream.note and "900 s" in upstream.note


def every_documented() -> list[Documented]:
    return [doc for component in COMPONENTS.values() for doc in component.defaults]


def test_every_documented_value_has_a_source_and_a_status() -> None:
    for doc in every_documented():
        assert doc.source.strip() and doc.setting.strip(), doc
        assert doc.status in set(Status), doc
        if doc.status is Status.UNCONFIRMED:
            assert doc.value is None and doc.note, doc  # reported as unknown, and why
        assert doc.value is None or doc.value >= 0, doc


def test_the_table_holds_every_component_the_doctor_names() -> None:
    roles = {
        Role.APP_SERVER: {"node", "express", "fastify", "nextjs", "uvicorn", "gunicorn",
                          "hypercorn", "aiohttp", "go", "kestrel", "puma",
                          "seatctl-reference"},
        Role.PROXY: {"nginx", "haproxy", "apache", "caddy", "envoy", "traefik",
                     "ingress-nginx", "aws-alb", "aws-clb", "aws-nlb", "gcp-alb"},
        Role.PLATFORM: {"cloudflare", "aws-cloudfront", "azure-front-door", "heroku-legacy",
                        "heroku-router-2", "heroku", "render", "fly", "vercel", "railway",
                        "digitalocean"},
    }
    for role, keys in roles.items():
        assert keys <= {key for key, component in COMPONENTS.items()
                       if component.role is role}, role
    assert all(key == component.key for key, component in COMPONENTS.items())
    assert all(component.defaults for component in COMPONENTS.values())


def test_express_inherits_nodes_values_and_says_so() -> None:
    node, express = COMPONENTS["node"].defaults, COMPONENTS["express"].defaults
    assert [(d.governs, d.value, d.grace_s) for d in express] == [
        (d.governs, d.value, d.grace_s) for d in node]
    assert all("inherited from Node" in doc.note for doc in express)


def test_node_closes_one_second_after_its_advertised_keep_alive() -> None:
    idle = COMPONENTS["node"].default(Governs.IDLE_KEEP_ALIVE)
    assert idle is not None and (idle.value, idle.closes_at_s) == (5.0, 6.0)
    assert COMPONENTS["node"].default(Governs.MAX_REQUESTS) is not None


def test_the_reference_servers_entry_matches_its_node_default_preset() -> None:
    preset = PRESETS[Preset.NODE_DEFAULT]
    reference = COMPONENTS["seatctl-reference"]
    idle = reference.default(Governs.IDLE_KEEP_ALIVE)
    headers = reference.default(Governs.HEADERS)
    request = reference.default(Governs.REQUEST)
    assert idle is not None and headers is not None and request is not None
    assert (idle.value, idle.closes_at_s) == (preset.advertised_keep_alive,
                                              preset.keep_alive_timeout)
    assert (headers.value, request.value) == (preset.headers_timeout, preset.request_timeout)
    assert {doc.source for doc in reference.defaults} == {
        "seatctl/server/config.py PRESETS node-default"}


@pytest.mark.parametrize(("key", "advertised", "closes_at"), [
    ("fastify", 72.0, 73.0),  # on Node's http.Server: its 1 s buffer applies
    ("nextjs", 5.0, 6.0),
    ("uvicorn", 5.0, 5.0),
    ("puma", 20.0, 20.0),
])
def test_the_documented_idle_close_includes_nodes_buffer_where_it_applies(
    key: str, advertised: float, closes_at: float,
) -> None:
    idle = COMPONENTS[key].default(Governs.IDLE_KEEP_ALIVE)
    assert idle is not None and (idle.value, idle.closes_at_s) == (advertised, closes_at)
    assert idle.status is Status.CONFIRMED or key == "nextjs"


@pytest.mark.parametrize(("key", "seconds"), [
    ("aws-alb", 60.0), ("cloudflare", 900.0), ("gcp-alb", 600.0), ("nginx", 60.0),
    ("heroku", None), ("render", None), ("uvicorn", None),
])
def test_the_documented_idle_toward_the_backend_of_any_component(
    key: str, seconds: float | None,
) -> None:
    documented = documented_backend_idle(COMPONENTS[key])
    assert (documented.value if documented else None) == seconds


def test_components_stand_from_the_client_inward() -> None:
    keys = ["express", "unknown-thing", "nginx", "render", "cloudflare", "haproxy"]
    assert sorted(keys, key=outermost_rank) == [
        "cloudflare", "render", "haproxy", "nginx", "express", "unknown-thing"]


def test_shown_values_are_safe_and_short() -> None:
    assert shown("  nginx\x1b[2J ") == "nginx\\x1b[2J"
    assert len(shown("x" * 500)) == 100


def test_gunicorns_sync_workers_are_noted() -> None:
    assert "sync worker" in COMPONENTS["gunicorn"].note


def test_client_pool_defaults() -> None:
    pools = {pool.key: pool for pool in CLIENT_POOLS}
    assert {key: pool.value for key, pool in pools.items()}.items() >= {
        "httpx": 5.0, "undici": 4.0, "node-agent": 5.0, "aiohttp-client": 15.0,
        "requests": None, "go-transport": 90.0}.items()
    for pool in CLIENT_POOLS:
        assert pool.source and pool.setting and pool.status in set(Status), pool
        assert pool.how_to_set and "\n" not in pool.how_to_set, pool
    assert pools["httpx"].how_to_set == "httpx.Client(limits=httpx.Limits(keepalive_expiry=4))"


# --- end to end -------------------------------------------------------------------------


def test_the_reference_server_is_identified_from_a_real_response(
    start_server: StartServer,
) -> None:
    server = start_server()

    async def first_response() -> tuple[tuple[tuple[str, str], ...], int]:
        async with connect(parse_target(server.url)) as connection:
            response = await connection.request()
        return response.headers, response.status

    headers, status = asyncio.run(first_response())
    result = identify(headers, status=status)
    assert result.front_door is None and result.front_door_idle_timeout() is None
    assert result.app_server is not None
    assert result.app_server.component.key == "seatctl-reference"
    assert result.app_server.evidence == (f"server: seatctl-reference/{__version__}",)


ADVERTISED = 0.2  # what the Node-like server promises; it closes 1 s later


async def node_like(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """No identifying headers; `Keep-Alive: timeout=ADVERTISED`, and an idle close 1 s later."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
                 b"Keep-Alive: timeout=%g\r\nContent-Length: 2\r\n\r\nok" % ADVERTISED)
    await writer.drain()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ADVERTISED + 1.0):
            await reader.read(1)  # the client's close, or nothing until the idle timer
    writer.close()
    await writer.wait_closed()


def test_nodes_buffer_is_identified_from_a_measured_close() -> None:
    async def measure(url: str) -> EdgeResult:
        async with connect(parse_target(url)) as connection:
            response = await connection.request()
            closed = await connection.wait_for_close(WAIT_LIMIT)
        assert not closed.lower_bound
        return identify(response.headers, idle_close_s=closed.seconds, status=response.status)

    with serving_callback(node_like) as url:
        result = asyncio.run(measure(url))
    assert result.app_server is not None and result.app_server.component.key == "node"
    assert result.app_server.by is IdentifiedBy.BEHAVIOUR
