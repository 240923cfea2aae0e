"""`seatctl smoke [URL]`: the post-deploy check for CI."""


from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import (
    JsonFlag,
    PasteReportOption,
    check_paste_reports,
    check_report_writable,
    get_app,
    url_argument,
    write_paste_reports,
    write_report,
)
from seatctl.cli.context import App
from seatctl.errors import Reported, UsageError
from seatctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from seatctl.smoke import Login, SmokePlan, SmokeReport
    from seatctl.smoke.annotations import CommandsStopped

def smoke(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(
        metavar="URL", help="The deployment's API root (http or https). [default: the "
        "profile's base URL]", show_default=False, callback=url_argument)] = None,
    max_time: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="Seconds for the whole run, the keep-alive watch included; checks left without "
             "time fail as not run. The default leaves room to see an idle connection held "
             "for the default --min-idle of 60 s.",
        min=0.1, max=3600,
    )] = 75.0,
    max_latency_ms: Annotated[float, typer.Option(
        metavar="MS",
        help="Latency budget of GET /api/events (the median of 3), in milliseconds.",
        min=1, max=600_000,
    )] = 1000.0,
    min_idle: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Idle seconds the keep-alive connection must survive (a close sooner fails, as "
             "does one before its advertised Keep-Alive timeout). At most 86400. [default: "
             "the front door's documented idle timeout when identified, else 60]",
        show_default=False,
    )] = None,
    strict: Annotated[bool, typer.Option(
        "--strict",
        help="Fail (exit 1) when keep-alive cannot be verified within --max-time, instead "
             "of reporting it as not verified (skipped).",
    )] = False,
    keep_alive_bound: Annotated[float | None, typer.Option(
        metavar="SECONDS", help="The old name of --min-idle.", hidden=True,
    )] = None,
    book_test: Annotated[str | None, typer.Option(
        metavar="EVENT", help="Book a test seat of EVENT (an id or a name), then cancel it. "
        "Needs SEATCTL_EMAIL and SEATCTL_PASSWORD, or a token.", show_default=False,
    )] = None,
    seat: Annotated[list[str] | None, typer.Option(
        "--seat", metavar="LABEL", help="The test seat: A12, SECTION:A12 or a seat id. "
        "Repeatable; none for a general-admission event (one ticket).", show_default=False,
    )] = None,
    json: JsonFlag = False,
    junit: Annotated[Path | None, typer.Option(
        metavar="FILE",
        help="Also write a JUnit XML report (one test case per check) to this file.",
        show_default=False, dir_okay=False,
    )] = None,
    report: PasteReportOption = None,
) -> None:
    """Check a deployment for CI: health, latency, login, a test booking, keep-alive.

    Keep-alive: a connection opened after the health check idles for the rest of the run;
    it fails when the server closes it before its advertised Keep-Alive timeout or before
    --min-idle (default: the front door's documented idle timeout when the headers
    identify it, else 60 s). What --max-time leaves no time to see is not verified: a
    skip, never a pass; a failure with --strict.

    Exit 0 when every check passes (skipped and not verified ones allowed), 1 when one
    fails (with --strict, also when one is not verified), 6 when the URL cannot be reached
    at all. Credentials come from SEATCTL_EMAIL and SEATCTL_PASSWORD (used for one login,
    never stored) or the token (SEATCTL_TOKEN, --token). With GITHUB_ACTIONS=true,
    failures (and what is not verified) are also printed as GitHub annotations.

    Examples:
      seatctl smoke
      seatctl smoke https://api.example.com --max-time 30 --junit smoke.xml --report smoke.md
      seatctl smoke https://api.example.com --book-test symphony --seat Orchestra:A12
      seatctl smoke https://api.example.com --max-time 75 --min-idle 60 --strict
    """
    from seatctl.smoke.annotations import commands_stopped

    app = get_app(ctx)
    as_json = app.want_json(json)
    min_idle = _min_idle(app, min_idle, keep_alive_bound)
    plan = _plan(app, url, max_time=max_time, max_latency_ms=max_latency_ms,
                 min_idle=min_idle, strict=strict, book_test=book_test, seats=seat or [])
    if junit is not None:
        check_report_writable(junit)
    check_paste_reports(report)
    started = datetime.now(UTC)
    stop = commands_stopped(app.env, as_json=as_json)
    result = _run(app, plan, as_json=as_json, stop=stop)

    def paste() -> None:
        from seatctl.smoke import report_json

        write_paste_reports(app, report, report_json(result), started)

    _emit(app, result, junit, as_json=as_json, stop=stop, paste=paste)


def _min_idle(app: App, min_idle: float | None, keep_alive_bound: float | None
              ) -> float | None:
    """--min-idle, or its old name --keep-alive-bound (with a note), not both."""
    from seatctl.render.messages import warning

    if keep_alive_bound is None:
        return min_idle
    if min_idle is not None:
        raise UsageError("give --min-idle only (--keep-alive-bound is its old name)")
    warning(app.streams, "--keep-alive-bound is now --min-idle; the connection must also "
                         "survive its advertised Keep-Alive timeout")
    return keep_alive_bound


def _plan(app: App, url: str | None, *, max_time: float, max_latency_ms: float,
          min_idle: float | None, strict: bool, book_test: str | None, seats: list[str]
          ) -> "SmokePlan":
    from seatctl.booking.labels import split_labels
    from seatctl.smoke import SmokePlan

    settings = app.settings
    remaining = app.deadline.remaining()  # the global --timeout, when shorter
    target = (url or settings.base_url).strip()
    total = max_time if remaining is None else max(0.001, round(min(max_time, remaining), 1))
    return SmokePlan(
        url=target, max_time=total, max_latency_ms=max_latency_ms, min_idle=min_idle,
        strict=strict, login=_login(app), token=app.token_for(target), book_test=book_test,
        seats=tuple(split_labels(seats)), profile=settings.profile,
    )


def _login(app: App) -> "Login | None":
    """SEATCTL_EMAIL and SEATCTL_PASSWORD, both or neither (an empty one counts as unset)."""
    from seatctl.smoke import Login

    email = app.env.get("SEATCTL_EMAIL", "").strip()
    password = app.env.get("SEATCTL_PASSWORD", "")
    if bool(email) != bool(password):
        missing = "SEATCTL_PASSWORD" if email else "SEATCTL_EMAIL"
        raise UsageError(f"{missing} is not set: give SEATCTL_EMAIL and SEATCTL_PASSWORD "
                         "together (or neither, to use the token)")
    app.streams.add_secret(password)
    return Login(email, password) if email else None


def _run(app: App, plan: "SmokePlan", *, as_json: bool, stop: "CommandsStopped | None"
         ) -> "SmokeReport":
    from seatctl.diagnostics.targets import ConnectOptions
    from seatctl.http import ClientConfig, Timeouts
    from seatctl.render.smoke import SmokeDisplay, render_header
    from seatctl.render.trace import StderrObserver
    from seatctl.smoke import SmokeEnvironment, run_smoke

    settings = app.settings
    # The keep-alive watch lasts until the run's end at most.
    display = SmokeDisplay(app.streams, as_json=as_json, keep_alive_bound=plan.max_time)
    environment = SmokeEnvironment(
        client_config=ClientConfig.from_settings(settings),
        connect=ConnectOptions(timeouts=Timeouts.from_settings(settings),
                               verify_tls=settings.verify_tls, ca_bundle=settings.ca_bundle),
        clock=app.clock,
        observer=StderrObserver(app.streams, verbose=app.options.verbose > 0,
                                trace=app.options.trace),
        transport=app.transport,
        on_start=display.started, on_result=display.finished,
        on_secret=app.streams.add_secret,
        budget=app.budget(plan.url),
    )
    if stop is not None:  # until the annotations
        app.streams.write_data(stop.stop_line)
    render_header(app.streams, plan.url, plan.max_time)
    try:
        return run_smoke(plan, environment)
    finally:
        display.close()


def _emit(app: App, report: "SmokeReport", junit: Path | None, *, as_json: bool,
          stop: "CommandsStopped | None", paste: Callable[[], None]) -> None:
    from seatctl.render.smoke import render_annotations, render_report
    from seatctl.smoke import github_actions, junit_xml, workflow_commands

    if report.unreachable is None:
        render_report(app.streams, report, as_json=as_json)
    if junit is not None:
        write_report(junit, junit_xml(report), app.streams.secrets)
    if github_actions(app.env):
        if stop is not None:
            app.streams.write_data(stop.resume_line)
        render_annotations(app.streams, workflow_commands(report), as_json=as_json)
    paste()  # the reports to paste last: a file that cannot be written loses nothing
    if report.unreachable is not None:
        raise report.unreachable
    if report.failed:
        raise Reported(ExitCode.FAILURE)
    if report.rate_limited is not None:
        raise Reported(ExitCode.SERVER)
