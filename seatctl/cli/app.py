"""The root command: global options, the App object, and the command tree.

Start-up matters (shell completion runs this on every TAB): only typer and the standard
library are imported here; httpx, pydantic and rich load inside the commands that use them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer._click.core import Context
from typer.core import TyperGroup

from seatctl import __version__
from seatctl.cli import auth, completion, config, jobs, ping, serve
from seatctl.cli import book as booking
from seatctl.cli import events as looking
from seatctl.cli import watch as watching
from seatctl.cli.context import App, GlobalOptions
from seatctl.exit_codes import EXIT_CODE_TABLE

# "\b" keeps click from re-wrapping the table into one paragraph.
EXIT_CODES_HELP = "Exit codes:\n\n\b\n" + "\n".join(
    f"{int(code):>5}  {meaning}" for code, meaning in EXIT_CODE_TABLE
)
ENVIRONMENT_HELP = (
    "Environment: SEATCTL_BASE_URL, SEATCTL_TOKEN, SEATCTL_PROFILE, SEATCTL_TIMEOUT and "
    "SEATCTL_<KEY> for every config key; SEATCTL_CONFIG (config file path); NO_COLOR, "
    "FORCE_COLOR."
)


class SeatctlGroup(TyperGroup):
    """Routes every error a command raises through the one handler in `seatctl.cli.main`."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            from seatctl.cli.main import handle_error

            raise handle_error(ctx, exc) from None


app = typer.Typer(
    name="seatctl",
    cls=SeatctlGroup,
    help="Book seats against a queue-based booking API, and diagnose the connection resets "
         "(ECONNRESET, 502) of its deployment.",
    epilog=f"{EXIT_CODES_HELP}\n\n{ENVIRONMENT_HELP}",
    no_args_is_help=True,
    # Locals in a traceback can hold the token. seatctl's own entry point renders errors
    # itself; this covers the app being called as `app()` (Typer's runner, tests).
    pretty_exceptions_show_locals=False,
    # Plain click help: Rich-formatted help imports rich.markdown and doubles start-up time.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config.app, name="config")
app.command("ping")(ping.ping)
app.command("events")(looking.events)
app.command("seats")(looking.seats)
app.command("login")(auth.login)
app.command("logout")(auth.logout)
app.command("whoami")(auth.whoami)
app.command("book")(booking.book)
app.command("watch")(watching.watch)
app.command("jobs")(jobs.jobs)
app.command("serve")(serve.serve)
app.command("completion")(completion.completion)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"seatctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="API base URL. [env: SEATCTL_BASE_URL]", show_default=False,
    )] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="Bearer token; visible to other local users in the process list, "
                        "prefer SEATCTL_TOKEN or `seatctl config set token`.",
        show_default=False,
    )] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", "-p", help="Config profile to use. [env: SEATCTL_PROFILE]",
        show_default=False,
    )] = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Overall deadline for the command, in seconds. [env: SEATCTL_TIMEOUT]",
        show_default=False,
    )] = None,
    json: Annotated[bool, typer.Option(
        "--json", help="Print exactly one JSON document on stdout; messages go to stderr.",
    )] = False,
    verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True, show_default=False,
        help="One line per HTTP request on stderr.",
    )] = 0,
    trace: Annotated[bool, typer.Option(
        "--trace", help="Like -v plus per-phase timings and headers (tokens redacted), and "
                        "tracebacks of unexpected errors.",
    )] = False,
    no_color: Annotated[bool, typer.Option(
        "--no-color", help="No colour (also when NO_COLOR is set or output is not a TTY).",
    )] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.",
    )] = False,
) -> None:
    options = GlobalOptions(
        base_url=base_url, token=token, profile=profile, timeout=timeout, json=json,
        verbose=verbose, trace=trace, no_color=no_color,
    )
    if isinstance(ctx.obj, App):  # a test handed one in: keep its substitutes
        ctx.obj.options = options
    else:
        ctx.obj = App(options)
