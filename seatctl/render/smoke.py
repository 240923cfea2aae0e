"""Rendering `seatctl smoke`: a line per check as it ends (stdout), a spinner naming the
running check (stderr, on a terminal), the verdict; or the JSON document; and the GitHub
Actions annotations.

Messages carry server text (headers, error messages): it goes through `printable`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.status import Status
from rich.text import Text

from seatctl.render.tokens import fix_line, say, wrap
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.render.streams import IOStreams
    from seatctl.smoke.report import CheckResult, SmokeReport

LOOK = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "skip": ("-", "dim")}
NAME_WIDTH = 10
INDENT = " " * (NAME_WIDTH + 3)  # under a check's message: glyph, name, spaces
MIN_TEXT_WIDTH = 20
MAX_WIDTH = 100  # prose wider than this is hard to read, however wide the terminal
DOING = {
    "health": "GET /health and /api/health",
    "latency": "timing GET /api/events",
    "auth": "logging in",
    "booking": "booking a test seat, then cancelling it",
    "keep-alive": "watching an idle connection",
}


class SmokeDisplay:
    """Shows the run as it goes. Each check's line is printed when it ends (not with
    --json); on a terminal a spinner on stderr names the running check meanwhile."""

    def __init__(self, streams: IOStreams, *, as_json: bool, keep_alive_bound: float) -> None:
        self._streams = streams
        self._as_json = as_json
        self._bound = keep_alive_bound
        self._status: Status | None = None

    def started(self, name: str) -> None:
        self.close()
        if not self._streams.can_animate:
            return
        doing = DOING.get(name, name)
        if name == "keep-alive":
            doing += f" (up to {self._bound:g} s)"
        self._status = Status(Text(f"{name}: {doing}…"), console=self._streams.err)
        self._status.start()

    def finished(self, result: CheckResult) -> None:
        self.close()
        if not self._as_json:
            render_check(self._streams, result)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def render_header(streams: IOStreams, target: str, max_time: float) -> None:
    say(streams.err, Text(f"Smoke-testing {printable(target)} (at most {max_time:g} s)…",
                          style="dim"))


def render_check(streams: IOStreams, check: CheckResult) -> None:
    """The check's line, its message wrapped under itself; its warnings, hint and fix
    below, wrapped the same way (never inside a token: a fix's command keeps a line of its
    own when it does not fit)."""
    glyph, style = LOOK[check.status.value]
    out = streams.out
    width = _width(out)
    seconds = f"  {check.seconds:.2f} s" if check.seconds > 0 else ""  # 0: not run
    out.print(wrap(Text.assemble((glyph, style), " ", (check.name.ljust(NAME_WIDTH), "bold"),
                                 " ", printable(check.message), (seconds, "dim")),
                   width, len(INDENT)), soft_wrap=True)
    for warning in check.warnings:
        _indented(out, ("! ", "yellow"), printable(warning), width)
    if check.hint and (check.status.value == "fail" or check.not_verified):
        _indented(out, ("hint: ", "yellow"), printable(check.hint), width)
    for line in check.fix.split("\n") if check.fix else ():
        out.print(wrap(Text(INDENT + fix_line(printable(line)), style="cyan"), width,
                       len(INDENT)), soft_wrap=True)


def _width(out: Console) -> int:
    """Where the report's lines wrap (on a terminal or not: a CI log reads them too)."""
    return max(MIN_TEXT_WIDTH + len(INDENT), min(out.width, MAX_WIDTH))


def _indented(out: Console, lead: tuple[str, str], text: str, width: int) -> None:
    out.print(wrap(Text.assemble(INDENT, lead, text), width, len(INDENT) + len(lead[0])),
              soft_wrap=True)


def render_report(streams: IOStreams, report: SmokeReport, *, as_json: bool) -> None:
    """The verdict after the checks' lines, or the whole report as one JSON document."""
    if as_json:
        from seatctl.smoke.report import report_json

        streams.write_data(json.dumps(report_json(report)))
        return
    streams.out.print(wrap(verdict_line(report), _width(streams.out), 2), soft_wrap=True)


def verdict_line(report: SmokeReport) -> Text:
    from seatctl.smoke.report import CheckStatus

    counts = (f"{report.count(CheckStatus.PASS)} passed, {report.count(CheckStatus.FAIL)} "
              f"failed, {report.count(CheckStatus.SKIP)} skipped in {report.elapsed_s:.1f} s")
    if report.passed:
        unverified = (f" ({', '.join(report.not_verified)} not verified)"
                      if report.not_verified else "")
        return Text.assemble(("PASSED", "bold green"), f"{unverified}: {counts}")
    if report.rate_limited is not None and not report.failed:
        return Text.assemble(("CANNOT JUDGE", "bold yellow"), f" ({report.rate_limited}): "
                             f"{counts}")
    names = ", ".join(check.name for check in report.checks
                      if check.status is CheckStatus.FAIL)
    return Text.assemble(("FAILED", "bold red"), f" ({names}): {counts}")


def render_annotations(streams: IOStreams, lines: list[str], *, as_json: bool) -> None:
    """Workflow commands, raw (never wrapped): on stdout beside the human report; on
    stderr with --json, which keeps stdout one JSON document (the runner reads both)."""
    if not lines:
        return
    text = "".join(line + "\n" for line in lines)
    if as_json:
        streams.err.file.write(text)
        streams.err.file.flush()
    else:
        streams.out.file.write(text)
        streams.out.file.flush()
