"""`seatctl doctor [URL]`: measure keep-alive, resets and timeouts; explain; prescribe."""


from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
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
from seatctl.errors import DeadlineExceeded, Interrupted, Reported, UsageError
from seatctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from seatctl.diagnostics.report import Report
    from seatctl.diagnostics.runs import DoctorPlan
    from seatctl.diagnostics.targets import ConnectOptions

class FailOn(StrEnum):
    warn = "warn"
    fail = "fail"


def doctor(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(
        metavar="URL", help="The deployment to diagnose (http or https). [default: the "
        "profile's base URL]", show_default=False, callback=url_argument)] = None,
    origin: Annotated[str | None, typer.Option(
        metavar="URL",
        help="Also probe the backend directly (behind the proxy) and compare its idle close "
             "with the proxy's idle timeout.", show_default=False, callback=url_argument,
    )] = None,
    lb_idle_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="The proxy's/load balancer's idle timeout in seconds, when you know it. "
             "[default: documented for the identified front door, else 60, said so]",
        show_default=False, min=0.001, max=86400,
    )] = None,
    client_expiry: Annotated[float | None, typer.Option(
        metavar="SECONDS",
        help="Your clients' pool idle expiry in seconds. [default: 5, httpx and Node]",
        show_default=False, min=0.001, max=86400,
    )] = None,
    path: Annotated[str | None, typer.Option(
        metavar="PATH",
        help="The path every probe requests. [default: the URL's path, else /health]",
        show_default=False,
    )] = None,
    max_wait: Annotated[float, typer.Option(
        metavar="SECONDS",
        help="Longest wait on one connection (idle close, slow client), seconds.",
        min=0.1, max=900,
    )] = 75.0,
    quick: Annotated[bool, typer.Option(
        "--quick", help="Timing, keep-alive, race and burst only: no slow-client probes.",
    )] = False,
    http1: Annotated[bool, typer.Option(
        "--http1", help="Only the HTTP/1.1 probes: no HTTP/2 probe.",
    )] = False,
    http2: Annotated[bool, typer.Option(
        "--http2", help="Only the HTTP/2 probe (after one HTTP/1.1 request that checks the "
                        "URL answers). https: negotiated with ALPN; http: needs --h2c.",
    )] = False,
    h2c: Annotated[bool, typer.Option(
        "--h2c", help="Probe HTTP/2 on an http:// URL with prior knowledge (h2c). Without "
                      "it, http:// gets the HTTP/1.1 probes only.",
    )] = False,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify the TLS certificate.",
    )] = False,
    json: JsonFlag = False,
    junit: Annotated[Path | None, typer.Option(
        metavar="FILE",
        help="Also write a JUnit XML report (one test case per rule) to this file.",
        show_default=False, dir_okay=False,
    )] = None,
    fail_on: Annotated[FailOn, typer.Option(
        help="Exit 1 when a finding reaches this severity.",
    )] = FailOn.fail,
    report: PasteReportOption = None,
) -> None:
    """Diagnose keep-alive, resets and timeouts of a deployment, and prescribe the fixes.

    Examples:
      seatctl doctor --quick
      seatctl doctor https://api.example.com --lb-idle-timeout 60 --client-expiry 4
      seatctl doctor https://app.onrender.com --origin http://10.0.0.5:3000 --http1
      seatctl doctor https://api.example.com --junit doctor.xml --report doctor.html --fail-on warn
    """
    from seatctl.diagnostics.report import report_json
    from seatctl.diagnostics.runs import DoctorPlan

    if http1 and http2:
        raise UsageError("give --http1 or --http2, not both: together they leave no probe",
                         hint="give neither to run both protocols' probes")
    app = get_app(ctx)
    as_json = app.want_json(json)
    app.deadline.check("the doctor's probes")
    plan = DoctorPlan(
        url=url or app.settings.base_url, origin=origin, path=path, max_wait=max_wait,
        quick=quick, lb_idle_timeout=lb_idle_timeout, client_expiry=client_expiry,
        connect=_connect_options(app, insecure), time_limit=app.deadline.remaining(),
        http1=not http2, http2=not http1, h2c=h2c,
    )
    if junit is not None:
        check_report_writable(junit)
    check_paste_reports(report)
    started = datetime.now(UTC)
    measured = _measure(app, plan)
    _emit(app, measured, junit, FailOn(fail_on), as_json=as_json,
          paste=lambda: write_paste_reports(app, report, report_json(measured), started))


def _connect_options(app: App, insecure: bool) -> "ConnectOptions":
    from seatctl.diagnostics.targets import ConnectOptions
    from seatctl.http import Timeouts

    settings = app.settings
    return ConnectOptions(timeouts=Timeouts.from_settings(settings), verify_tls=not insecure,
                          ca_bundle=settings.ca_bundle)


def _measure(app: App, plan: "DoctorPlan") -> "Report":
    from seatctl.diagnostics.doctor import diagnose
    from seatctl.diagnostics.report import build_report
    from seatctl.diagnostics.runs import DoctorRun
    from seatctl.render.doctor import doctor_progress

    run = DoctorRun(plan, clock=app.clock.monotonic)
    diagnose(run, progress=lambda run: doctor_progress(app.streams, run))
    return build_report(run)


def _emit(app: App, report: "Report", junit: Path | None, fail_on: FailOn, *,
          as_json: bool, paste: Callable[[], None]) -> None:
    from seatctl.diagnostics.findings import Severity
    from seatctl.diagnostics.report import junit_xml
    from seatctl.diagnostics.runs import CutBy
    from seatctl.render.doctor import render_report

    threshold = Severity(fail_on.value)
    render_report(app.streams, report, as_json=as_json)
    if junit is not None:
        write_report(junit, junit_xml(report, threshold), app.streams.secrets)
    paste()
    cut_by = report.run.cut_by
    if cut_by is CutBy.INTERRUPTED:
        if as_json:
            raise Reported(ExitCode.INTERRUPTED)
        raise Interrupted("interrupted: the report above has what was measured so far")
    if cut_by is CutBy.DEADLINE:
        if as_json:
            raise Reported(DeadlineExceeded.exit_code)
        raise DeadlineExceeded("the overall deadline ran out: the report above has what was "
                               "measured so far", hint="raise --timeout (or SEATCTL_TIMEOUT)")
    if report.reaches(threshold):
        raise Reported(ExitCode.FAILURE)
