"""`seatctl monitor URL [-- COMMAND ...]`: sample a deployment through a deploy and classify
every reset, refusal and 502 as it happens."""


from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import (
    PasteReportOption,
    check_paste_reports,
    check_report_writable,
    get_app,
    url_argument,
    write_paste_reports,
)
from seatctl.cli.context import App

if TYPE_CHECKING:
    from seatctl.diagnostics.targets import ConnectOptions
    from seatctl.monitor.metrics import MetricsServer
    from seatctl.monitor.plan import MonitorPlan
    from seatctl.monitor.run import MonitorRun


def monitor(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(
        metavar="URL", help="The deployment to watch (http or https).",
        callback=url_argument)],
    command: Annotated[list[str] | None, typer.Argument(
        metavar="-- COMMAND",
        help="A command to run while sampling (a deploy script); its output goes to stderr.",
        show_default=False)] = None,
    duration: Annotated[float, typer.Option(
        metavar="SECONDS", help="How long to sample without a command (at most 3600).",
        min=0.1, max=3600)] = 60.0,
    settle: Annotated[float, typer.Option(
        metavar="SECONDS", help="With a command: keep sampling this long after it ends.",
        min=0, max=3600)] = 10.0,
    path: Annotated[str | None, typer.Option(
        metavar="PATH", help="The path every GET asks for. [default: the URL's path, else "
                             "/health]", show_default=False)] = None,
    connections: Annotated[int, typer.Option(
        metavar="N", help="Connections sampling at once: steady, fresh and idle ones mixed "
                          "(at most 64).", min=1, max=64)] = 4,
    rate: Annotated[float, typer.Option(
        metavar="PER_SECOND", help="Requests per second, all connections together (at most "
                                   "200).", min=0.1, max=200)] = 10.0,
    idle_close: Annotated[float | None, typer.Option(
        metavar="SECONDS", help="The server's idle close, when known; idle connections are "
        "reused after 0.5x to 1.5x of it. [default: from its Keep-Alive header, else 5]",
        show_default=False, min=0.01, max=86400)] = None,
    slow: Annotated[float, typer.Option(
        metavar="SECONDS", help="An answer slower than this is an incident (not an error).",
        min=0.001, max=3600)] = 1.0,
    post: Annotated[str | None, typer.Option(
        "--post", metavar="PATH", help="Also send a POST with the body {} to this path "
        "(every fifth request). Without it only GETs are sent.", show_default=False)] = None,
    instance_header: Annotated[str | None, typer.Option(
        metavar="NAME", help="A response header naming the instance; a new value is an "
                             "incident (as a new Server or X-Powered-By is).",
        show_default=False)] = None,
    max_errors: Annotated[int, typer.Option(
        metavar="N", help="Exit 1 when more error incidents than this happen.", min=0,
    )] = 0,
    max_gap: Annotated[float | None, typer.Option(
        metavar="SECONDS", help="Exit 1 when nothing listens for longer than this; gaps up "
        "to it are then not counted as errors. [default: every gap is an error]",
        show_default=False, min=0, max=86400)] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify the TLS certificate.")] = False,
    json: Annotated[bool, typer.Option(
        "--json", help="JSON lines on stdout: one object per incident as it happens, one "
                       "summary object at the end (as the global --json).")] = False,
    junit: Annotated[Path | None, typer.Option(
        metavar="FILE", help="Also write a JUnit XML report (one test case per incident "
        "class) to this file, after the run.", show_default=False, dir_okay=False,
    )] = None,
    report: PasteReportOption = None,
    metrics: Annotated[str | None, typer.Option(
        metavar="ADDR", help="Serve Prometheus metrics at http://ADDR/metrics while the run "
        "lasts: HOST:PORT or :PORT (host 127.0.0.1; port 0 picks a free one).",
        show_default=False)] = None,
) -> None:
    """Watch a deployment through a deploy: every reset, refusal and 502, classified.

    Samples URL over a few connections at a bounded rate (fresh ones, and reused ones held
    idle around the server's idle close) and ends with a verdict that explains each class
    and its fix. On a terminal a live view shows a timeline of the outcomes per second, the
    counters, the latency of the last 10 s and the last incidents (a command's output
    scrolls above it). Elsewhere: one line per incident on stdout as it happens
    (tab-separated: seconds since the start, time, class, detail) and a summary every 10 s
    on stderr. With --json: one JSON object per incident, and one summary object at the
    end. --junit FILE writes a test case per incident class, for CI; --report FILE.md or
    FILE.html the report to paste (the HTML with a timeline); --metrics ADDR serves
    Prometheus metrics for as long as the run lasts.

    With `-- COMMAND`, the command runs while sampling goes on, sampling continues --settle
    seconds after it ends, and the exit status is the command's when it failed, else the
    monitor's. Without one, it samples for --duration or until Ctrl-C. Exit 1 when the
    incidents exceed --max-errors or a gap exceeds --max-gap; 130 for Ctrl-C on a run that
    passed. A server down from the start is a gap from the start (exit 1), not exit 6; a
    host that does not resolve is exit 6.

    Examples:
      seatctl monitor http://127.0.0.1:8080 --duration 30
      seatctl monitor https://api.example.com --max-gap 2 -- ./deploy.sh
      seatctl monitor https://api.example.com --json --rate 20 -- kubectl rollout restart deploy/api
      seatctl monitor https://api.example.com --junit monitor.xml -- ./deploy.sh
    """
    from seatctl.monitor.plan import MonitorPlan

    app = get_app(ctx)
    as_json = app.want_json(json)
    plan = MonitorPlan(
        url=url, path=path, connections=connections, rate=rate, duration=duration,
        settle=settle, idle_close=idle_close, slow=slow, post_path=post,
        instance_header=instance_header, max_errors=max_errors, max_gap=max_gap,
        command=tuple(command or ()), connect=_connect_options(app, insecure))
    if junit is not None:
        check_report_writable(junit)
    check_paste_reports(report)
    code = _monitor(app, plan, as_json=as_json, junit=junit, reports=report, metrics=metrics)
    if code:
        raise typer.Exit(code)


def _connect_options(app: App, insecure: bool) -> "ConnectOptions":
    from seatctl.diagnostics.targets import ConnectOptions
    from seatctl.http import Timeouts
    from seatctl.monitor.plan import REQUEST_PATIENCE

    settings = app.settings
    timeouts = Timeouts.from_settings(settings).clipped(REQUEST_PATIENCE)
    return ConnectOptions(timeouts=timeouts, verify_tls=not insecure,
                          ca_bundle=settings.ca_bundle)


def _monitor(app: App, plan: "MonitorPlan", *, as_json: bool, junit: Path | None,
             reports: list[Path] | None, metrics: str | None) -> int:
    from seatctl.monitor.run import MonitorRun
    from seatctl.monitor.verdict import exit_status, judge
    from seatctl.render.monitor import render_end

    run = MonitorRun(plan)
    server = _serve_metrics(app, run, metrics)
    try:
        if app.streams.can_animate and not as_json:
            _sample_live(app, run)
        else:
            _sample_in_lines(app, run, as_json=as_json)
    finally:
        if server is not None:
            server.close()
    snapshot = run.snapshot()
    verdict = judge(snapshot, plan)
    render_end(app.streams, snapshot, verdict, as_json=as_json)
    if junit is not None:
        from seatctl.monitor.junit import junit_xml, write_junit
        from seatctl.redact import mask

        write_junit(junit, mask(junit_xml(snapshot, verdict, plan), app.streams.secrets))
    document = {**snapshot.as_dict(), "verdict": verdict.as_dict(),
                "kept_incidents": [incident.as_dict() for incident in snapshot.incidents]}
    write_paste_reports(app, reports, document, run.wall_now())
    return exit_status(verdict, snapshot)


def _serve_metrics(app: App, run: "MonitorRun", address: str | None) -> "MetricsServer | None":
    """--metrics: started before the run (a bad or busy address is exit 2 at once)."""
    if address is None:
        return None
    from seatctl.monitor.metrics import start_metrics
    from seatctl.render import messages

    server = start_metrics(run, address)
    if server.exposed:
        messages.warning(app.streams, f"--metrics {server.url} is reachable from other "
                                      "machines")
    messages.note(app.streams, f"metrics: {server.url}")
    return server


def _sample_live(app: App, run: "MonitorRun") -> None:
    """On a terminal: the live view on stderr, the command's output above it."""
    from seatctl.monitor.run import sample_until_done
    from seatctl.render.monitor import REFRESH_EVERY, MonitorView

    with MonitorView(app.streams, run) as view:
        sample_until_done(run, on_incident=view.incident, on_summary=view.tick,
                          command_output=view.command_output, summary_every=REFRESH_EVERY)


def _sample_in_lines(app: App, run: "MonitorRun", *, as_json: bool) -> None:
    from seatctl.monitor.run import sample_until_done
    from seatctl.render.monitor import command_output, show_incident, show_summary

    streams = app.streams
    passthrough = None if streams.stdout_is_tty and not as_json else command_output(streams)
    sample_until_done(
        run, on_incident=lambda incident: show_incident(streams, incident, as_json=as_json),
        on_summary=lambda snapshot: show_summary(streams, snapshot), command_output=passthrough)
