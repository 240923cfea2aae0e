"""`seatctl serve`: the reference booking server, with Node-like timeouts and faults."""


from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import get_app
from seatctl.cli.context import App

if TYPE_CHECKING:
    from seatctl.server.config import ServerConfig


class PresetName(StrEnum):
    node_default = "node-default"
    seed_fix = "seed-fix"


class DialectName(StrEnum):
    reference = "reference"
    seed = "seed"


class ShutdownName(StrEnum):
    graceful = "graceful"
    abrupt = "abrupt"


class Dependency(StrEnum):
    database = "database"
    redis = "redis"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        metavar="ADDRESS",
        help="Address to bind; anything but loopback exposes the server (a warning says so).",
    )] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port; 0 picks a free one.")] = 8080,
    db: Annotated[str | None, typer.Option(
        metavar="FILE",
        help="SQLite database path, or :memory:. [default: seatctl/server.db in the user "
             "data dir]", show_default=False,
    )] = None,
    ready_file: Annotated[str | None, typer.Option(
        metavar="FILE",
        help="Write the URL to this file once listening (for scripts and tests).",
    )] = None,
    dialect: Annotated[DialectName, typer.Option(
        help="reference: the contract plus seatctl's extensions (job state, long polling, "
             "Retry-After hints, RateLimit-* headers); seed: exactly the seed backend "
             "(none of them, X-RateLimit-* headers).",
    )] = DialectName.reference,
    server_header: Annotated[str | None, typer.Option(
        metavar="TEXT",
        help="The Server header to send, to imitate another server (`nginx/1.25.3`, "
             "`uvicorn`); \"\" for none. [default: seatctl-reference/VERSION]",
        show_default=False,
    )] = None,
    shutdown: Annotated[ShutdownName, typer.Option(
        help="On SIGTERM or Ctrl-C. graceful: stop accepting, answer in-flight requests "
             "with `Connection: close`, keep idle keep-alive connections open for --drain "
             "(answering what arrives with `Connection: close`), then close them (a FIN). "
             "abrupt: reset every open connection at once (a TCP RST), in-flight requests "
             "included, as Node's `server.closeAllConnections()`.",
    )] = ShutdownName.graceful,
    drain: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="Graceful shutdown: seconds idle keep-alive connections stay open after "
             "SIGTERM (0..60; ends early once no connection is left).",
    )] = 0.5,  # seatctl.server.config.DEFAULT_DRAIN (not imported here: start-up time)
    ready_delay: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="Listen at once but answer every request (health included) 503 `Service not "
             "ready` with Retry-After for this many seconds (0..3600).",
    )] = 0.0,
    timeouts: Annotated[PresetName, typer.Option(
        "--timeouts", help="Preset: node-default (Node 20) or seed-fix (60/65/66 s).",
    )] = PresetName.node_default,
    keep_alive_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Seconds idle after a response before the server closes (a FIN); 0 disables "
             "keep-alive. [preset]", show_default=False,
    )] = None,
    advertise_keep_alive: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="The N of the `Keep-Alive: timeout=N` header, if it should differ from the real "
             "idle close. [preset]", show_default=False,
    )] = None,
    keep_alive_header: Annotated[bool, typer.Option(
        "--keep-alive-header/--no-keep-alive-header",
        help="Send `Keep-Alive: timeout=N` on kept-alive responses.",
    )] = True,
    headers_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Seconds to receive a request's headers, then 408 and close; 0 = none. [preset]",
        show_default=False,
    )] = None,
    request_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Seconds to receive the whole request, then 408 and close; 0 = none. [preset]",
        show_default=False,
    )] = None,
    max_requests_per_connection: Annotated[int | None, typer.Option(
        metavar="N",
        help="Close a connection after this many responses; 0 = no limit. [preset]",
        show_default=False,
    )] = None,
    socket_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Seconds without I/O while a request is received or answered (a slow handler "
             "too), then the server closes without a response (a FIN); 0 = none. [preset]",
        show_default=False,
    )] = None,
    fault: Annotated[list[str] | None, typer.Option(
        metavar="KIND=P",
        help="KIND=P (probability 0..1): reset-before-response, reset-on-accept, "
             "close-without-response, proxy-502; stall=P:SECONDS; slow-job=SECONDS. "
             "Repeatable.", show_default=False,
    )] = None,
    fault_path: Annotated[str, typer.Option(
        metavar="PREFIX",
        help="Apply request faults only to paths under this prefix.",
    )] = "/",
    seed: Annotated[int | None, typer.Option(
        metavar="N",
        help="Seed for the fault dice, so a run reproduces.", show_default=False,
    )] = None,
    rate_limit: Annotated[str | None, typer.Option(
        metavar="N/WINDOW",
        help="N/WINDOW on /api/* per client IP, like express-rate-limit (e.g. 100/15m).",
        show_default=False,
    )] = None,
    degrade: Annotated[list[Dependency] | None, typer.Option(
        help="Report this dependency as down in /api/health (503). Repeatable.",
        show_default=False,
    )] = None,
    workers: Annotated[int, typer.Option(metavar="N", help="Booking queue workers.")] = 2,
    process_delay: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="Seconds a worker takes per job (jittered by 10%).",
    )] = 0.5,
    demo_user: Annotated[str | None, typer.Option(
        metavar="EMAIL:PASSWORD",
        help="EMAIL:PASSWORD of the demo account. [default: demo@example.com:demo12345]",
        show_default=False,
    )] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No request log.")] = False,
    log_json: Annotated[bool, typer.Option(help="Request log as JSON lines.")] = False,
) -> None:
    """Run the reference booking server (the seed's contract) until Ctrl-C or SIGTERM.

    Examples:
      seatctl serve
      seatctl serve --port 0 --ready-file url.txt
      seatctl serve --shutdown abrupt --ready-delay 5
      seatctl serve --fault reset-before-response=0.3 --fault-path /api/seats/book --seed 7
    """
    from seatctl.server.options import ServeOptions, build_config

    app = get_app(ctx)
    options = ServeOptions(
        host=host, port=port, db=db, ready_file=Path(ready_file) if ready_file else None,
        preset=timeouts.value,
        keep_alive_timeout=keep_alive_timeout, advertise_keep_alive=advertise_keep_alive,
        keep_alive_header=keep_alive_header, headers_timeout=headers_timeout,
        request_timeout=request_timeout,
        max_requests_per_connection=max_requests_per_connection,
        socket_timeout=socket_timeout, faults=tuple(fault or ()),
        fault_path=fault_path, seed=seed, rate_limit=rate_limit,
        degrade=tuple(item.value for item in degrade or ()), workers=workers,
        process_delay=process_delay, demo_user=demo_user, quiet=quiet, log_json=log_json,
        dialect=dialect.value, server_header=server_header, shutdown=shutdown.value,
        drain=drain, ready_delay=ready_delay,
    )
    _serve(app, build_config(options, app.env))


def _serve(app: App, config: "ServerConfig") -> None:
    """Until SIGTERM or Ctrl-C; the banner once it listens, the request log on stderr."""
    from seatctl.render import messages
    from seatctl.render.server import RequestLogWriter, banner
    from seatctl.server import ReferenceServer, serve_until_stopped
    from seatctl.server.options import is_loopback

    if not is_loopback(config.host):
        messages.warning(app.streams, f"listening on {config.host}: reachable from other "
                                      "machines, with a demo account and fault injection")
    log = None if config.quiet else RequestLogWriter(config.log_json, app.streams.err.file)
    server = ReferenceServer(config, log=log)
    serve_until_stopped(server, lambda running: banner(app.streams, running))
