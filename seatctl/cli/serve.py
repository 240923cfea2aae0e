"""`seatctl serve`: the reference booking server, with Node-like timeouts and faults."""


from enum import StrEnum
from typing import Annotated

import typer

from seatctl.cli._common import get_app

TIMEOUTS = "Connection timeouts (Node http.Server)"
FAULTS = "Faults (off by default)"
QUEUE = "Data and queue"


class PresetName(StrEnum):
    node_default = "node-default"
    seed_fix = "seed-fix"


class DialectName(StrEnum):
    reference = "reference"
    seed = "seed"


class Dependency(StrEnum):
    database = "database"
    redis = "redis"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        help="Address to bind; anything but loopback exposes the server (a warning says so).",
    )] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8080,
    db: Annotated[str | None, typer.Option(
        help="SQLite database path, or :memory:. [default: seatctl/server.db in the user "
             "data dir]", show_default=False,
    )] = None,
    ready_file: Annotated[str | None, typer.Option(
        help="Write the URL to this file once listening (for scripts and tests).",
    )] = None,
    dialect: Annotated[DialectName, typer.Option(
        help="reference: the contract plus seatctl's extensions (job state, long polling, "
             "Retry-After hints, RateLimit-* headers); seed: exactly the seed backend "
             "(none of them, X-RateLimit-* headers).",
    )] = DialectName.reference,
    timeouts: Annotated[PresetName, typer.Option(
        "--timeouts", help="Preset: node-default (Node 20) or seed-fix (60/65/66 s).",
        rich_help_panel=TIMEOUTS,
    )] = PresetName.node_default,
    keep_alive_timeout: Annotated[float | None, typer.Option(
        help="Seconds idle after a response before the server closes (a FIN); 0 disables "
             "keep-alive. [preset]", show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    advertise_keep_alive: Annotated[float | None, typer.Option(
        help="The N of the `Keep-Alive: timeout=N` header, if it should differ from the real "
             "idle close. [preset]", show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    keep_alive_header: Annotated[bool, typer.Option(
        "--keep-alive-header/--no-keep-alive-header",
        help="Send `Keep-Alive: timeout=N` on kept-alive responses.", rich_help_panel=TIMEOUTS,
    )] = True,
    headers_timeout: Annotated[float | None, typer.Option(
        help="Seconds to receive a request's headers, then 408 and close; 0 = none. [preset]",
        show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    request_timeout: Annotated[float | None, typer.Option(
        help="Seconds to receive the whole request, then 408 and close; 0 = none. [preset]",
        show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    max_requests_per_connection: Annotated[int | None, typer.Option(
        help="Close a connection after this many responses; 0 = no limit. [preset]",
        show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    socket_timeout: Annotated[float | None, typer.Option(
        help="Seconds without I/O while a request is received or answered (a slow handler "
             "too), then the server closes without a response (a FIN); 0 = none. [preset]",
        show_default=False, rich_help_panel=TIMEOUTS,
    )] = None,
    fault: Annotated[list[str] | None, typer.Option(
        help="KIND=P (probability 0..1): reset-before-response, reset-on-accept, "
             "close-without-response, proxy-502; stall=P:SECONDS; slow-job=SECONDS. "
             "Repeatable.", show_default=False, rich_help_panel=FAULTS,
    )] = None,
    fault_path: Annotated[str, typer.Option(
        help="Apply request faults only to paths under this prefix.", rich_help_panel=FAULTS,
    )] = "/",
    seed: Annotated[int | None, typer.Option(
        help="Seed for the fault dice, so a run reproduces.", show_default=False,
        rich_help_panel=FAULTS,
    )] = None,
    rate_limit: Annotated[str | None, typer.Option(
        help="N/WINDOW on /api/* per client IP, like express-rate-limit (e.g. 100/15m).",
        show_default=False, rich_help_panel=FAULTS,
    )] = None,
    degrade: Annotated[list[Dependency] | None, typer.Option(
        help="Report this dependency as down in /api/health (503). Repeatable.",
        show_default=False, rich_help_panel=FAULTS,
    )] = None,
    workers: Annotated[int, typer.Option(help="Booking queue workers.",
                                         rich_help_panel=QUEUE)] = 2,
    process_delay: Annotated[float, typer.Option(
        help="Seconds a worker takes per job (jittered by 10%).", rich_help_panel=QUEUE,
    )] = 0.5,
    demo_user: Annotated[str | None, typer.Option(
        help="EMAIL:PASSWORD of the demo account. [default: demo@example.com:demo12345]",
        show_default=False, rich_help_panel=QUEUE,
    )] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No request log.")] = False,
    log_json: Annotated[bool, typer.Option(help="Request log as JSON lines.")] = False,
) -> None:
    """Run the reference booking server (the seed's contract) until Ctrl-C or SIGTERM."""
    import asyncio
    from pathlib import Path

    from seatctl.render import messages
    from seatctl.render.server import RequestLogWriter, banner
    from seatctl.server import ReferenceServer
    from seatctl.server.options import ServeOptions, build_config, is_loopback
    from seatctl.server.server import run_until_signalled

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
        dialect=dialect.value,
    )
    config = build_config(options, app.env)
    if not is_loopback(config.host):
        messages.warning(app.streams, f"listening on {config.host}: reachable from other "
                                      "machines, with a demo account and fault injection")
    log = None if config.quiet else RequestLogWriter(config.log_json, app.streams.err.file)
    server = ReferenceServer(config, log=log)
    asyncio.run(run_until_signalled(server, lambda running: banner(app.streams, running)))
