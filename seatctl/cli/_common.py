"""Pieces every command shares: getting the App, the per-command --json flag."""


import os
import sys
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from seatctl.cli.context import App
from seatctl.cli.typer_seam import prompt_line
from seatctl.errors import Declined, UsageError
from seatctl.render.tables import OutputFormat, output_format

JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print exactly one JSON document on stdout (same as the global --json).",
)]
FormatOption = Annotated[OutputFormat | None, typer.Option(
    "--format", help="table, tsv (tab-separated rows, no header) or json (as --json). "
                     "[default: table on a terminal, tsv otherwise]",
    case_sensitive=False, show_default=False,
)]


def chosen_output(app: App, output: OutputFormat | None, *, json: bool, quiet: bool = False
                  ) -> OutputFormat:
    """What --json (the command's or the global one), --format and -q ask for, checked
    before any request is sent (the rules: `seatctl.render.tables.output_format`)."""
    as_json = app.want_json(json or output is OutputFormat.JSON)
    return output_format(output, as_json=as_json, quiet=quiet,
                         stdout_is_tty=app.streams.stdout_is_tty)


YesFlag = Annotated[bool, typer.Option(
    "--yes", "-y", help="Do not ask for confirmation (for scripts).")]


def confirm(app: App, question: str, *, yes: bool, required: bool, action: str = "go on"
            ) -> None:
    """Go on only when the user agrees: `--yes`, or "y" at a prompt on a terminal.

    The question goes to stderr, so it is asked with --json too (stdout stays one
    document). Nobody can answer when stdin or stdout is not a terminal: with `required`
    (an action that cannot be undone, such as a cancellation) that is a usage error (exit 2)
    naming --yes, worded from `action` ("cancel"); without it the command goes on, as
    scripts expect. "No", or the end of input (Ctrl-D), raises Declined (exit 1); Ctrl-C
    stays an interrupt (exit 130)."""
    if yes:
        return
    if not app.streams.can_prompt:
        if required:
            raise _unconfirmable(app, action)
        return
    if not _agreed(question):
        raise Declined("nothing sent: not confirmed")


def require_confirmation(app: App, *, yes: bool, action: str) -> None:
    """Refuse at once (exit 2), before any request, an action that must be confirmed
    when nobody can answer a prompt and --yes was not given."""
    if not yes and not app.streams.can_prompt:
        raise _unconfirmable(app, action)


def _unconfirmable(app: App, action: str) -> UsageError:
    stream = "output" if app.streams.stdin_is_tty else "input"
    return UsageError(f"will not {action} without confirmation: standard {stream} is not a "
                      "terminal", hint="add --yes to confirm")


def _agreed(question: str) -> bool:
    """`QUESTION [y/N]: ` on stderr until y or n (Enter: n). The end of input (Ctrl-D) is
    a no; it and Ctrl-C first end the prompt's line, so what follows starts a line."""
    while True:
        try:
            with redirect_stdout(sys.stderr):  # the prompt function writes to stdout
                answer = prompt_line(f"{question} [y/N]: ").strip().lower()
        except (EOFError, KeyboardInterrupt) as stop:
            sys.stderr.write("\n")
            sys.stderr.flush()
            if isinstance(stop, KeyboardInterrupt):
                raise
            return False
        if answer in ("", "n", "no"):
            return False
        if answer in ("y", "yes"):
            return True
        sys.stderr.write("answer y or n\n")


def get_app(ctx: typer.Context) -> App:
    app = ctx.find_object(App)
    if app is None:  # a command invoked without the root callback (tests of one command)
        app = App()
        ctx.obj = app
    return app


MAX_ARGUMENT = 1000  # an event name or id; longer ones cannot fit a request line anyway


def sendable_text(value: str | None) -> str | None:
    """Refuse an argument that cannot be sent: bytes that are not UTF-8 in the command line
    arrive as lone surrogates, which no URL or JSON body can carry."""
    if value is not None and not _utf8(value):
        raise typer.BadParameter("contains bytes that are not UTF-8 text")
    if value is not None and len(value) > MAX_ARGUMENT:
        raise typer.BadParameter(f"is too long ({len(value)} characters; at most "
                                 f"{MAX_ARGUMENT})")
    return value


def url_argument(value: str | None) -> str | None:
    """Refuse a URL the HTTP core could not address (an invalid IDNA host, a lone
    surrogate) as a usage error, before any command runs."""
    if value is None:
        return None
    from seatctl.config.settings import check_addressable

    try:
        check_addressable(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


PasteReportOption = Annotated[list[Path] | None, typer.Option(
    "--report", metavar="FILE",
    help="Also write the report to paste: FILE.md (GitHub Markdown) or FILE.html (one page, "
         "nothing loaded, the timeline drawn, the JSON embedded). Repeatable. Under GitHub "
         "Actions the Markdown is also appended to the job summary.",
    show_default=False, dir_okay=False,
)]


def check_report_writable(path: Path, what: str = "JUnit report") -> None:
    """Before the run (a minute of probing, a deploy check), not after it."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the {what} {path}: no writable folder {folder}")


def check_paste_reports(paths: list[Path] | None) -> None:
    """--report FILE.md / FILE.html: a known kind and a writable folder, before the run."""
    from seatctl.render.paste import paste_format

    for path in paths or []:
        if paste_format(path) is None:
            raise UsageError(f"--report {path}: give a .md or .html file",
                             hint="FILE.md for a ticket or a job summary, FILE.html for a page")
        check_report_writable(path, "report")


def write_paste_reports(app: App, paths: list[Path] | None, document: dict[str, object],
                        when: datetime) -> None:
    """Each --report file, and the Markdown appended to $GITHUB_STEP_SUMMARY when set (the
    GitHub Actions job summary); masked like every output, so no token reaches them.

    Called once the run's own report is out: a file that cannot be written is a warning,
    never the loss of what was measured (nor a change of the run's exit code)."""
    from seatctl.render.messages import warning
    from seatctl.render.paste import PasteFormat, paste_format, paste_report

    writes: list[tuple[Path, PasteFormat, str, bool]] = []
    for path in paths or []:
        kind = paste_format(path)
        assert kind is not None  # check_paste_reports ran before the run
        writes.append((path, kind, "report", False))
    summary = app.env.get("GITHUB_STEP_SUMMARY", "").strip()
    if summary:
        writes.append((Path(summary), "markdown", "GitHub job summary", True))
    for path, fmt, what, append in writes:
        try:
            write_report(path, paste_report(document, fmt, when=when), app.streams.secrets,
                         what, append=append)
        except UsageError as error:
            warning(app.streams, error.message)


def write_report(path: Path, text: str, secrets: list[str], what: str = "JUnit report", *,
                 append: bool = False) -> None:
    """A report file, masked like the streams (no token reaches a CI artifact)."""
    from seatctl.redact import mask
    from seatctl.reports import write_report_file

    write_report_file(path, mask(text, secrets), what, append=append)
