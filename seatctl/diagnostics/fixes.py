"""The settings to change, per server kind, as snippets ready to paste.

Keyed by the component keys of `seatctl.diagnostics.defaults`; every function takes the
seconds to set and returns the text of the fix.
"""

from __future__ import annotations

from collections.abc import Callable

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
    return f"servers {{\n    timeouts {{\n        idle {_seconds(idle)}s\n    }}\n}}"


def _haproxy(idle: float) -> str:
    return f"timeout http-keep-alive {_seconds(idle)}s"


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
    "nextjs": _node,
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
    """The Keep-Alive header promises `promised` seconds; the server closes at `closed`."""
    if component_key == "seatctl-reference":
        return (f"seatctl serve --advertise-keep-alive {_seconds(closed)} (or drop "
                "--advertise-keep-alive: the header then promises the real close)")
    if component_key in ("node", "express", "nextjs", "fastify"):
        return ("Let Node write the header: remove any hand-set `Keep-Alive` header; "
                "server.keepAliveTimeout sets both the header and the close.")
    return (f"Advertise at most the real idle close ({_seconds(closed)} s), or keep idle "
            f"connections at least {_seconds(promised)} s.")


def probe_path_fix(status: int) -> str:
    if status == 429:
        return ("The rate limit counts the doctor's requests too: run it from an address "
                "the limit allows, or give --path a path outside the limit.")
    return ("Give --path a path that answers 200 (a health check such as /health): the "
            f"connection measurements hold for any answer, but {status}s hide the "
            "application's own failures.")
