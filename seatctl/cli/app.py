"""The root command: global options, the App object, and the command tree.

Start-up matters (shell completion runs this on every TAB): only typer and the standard
library are imported here. Each command's module is imported only when that command runs
(or its help is shown): `seatctl --help` lists them from the summaries in COMMANDS, and a
completion request loads only the commands whose names match what is typed. httpx,
pydantic and rich load inside the commands that use them.
"""

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from seatctl import __version__
from seatctl.cli.argv import hoist_global_options
from seatctl.cli.completers import complete_profile
from seatctl.cli.context import App, GlobalOptions
from seatctl.cli.errors import handle_error
from seatctl.cli.helptext import polish
from seatctl.cli.typer_seam import (
    Command,
    Context,
    HelpFormatter,
    NoArgsIsHelpError,
    TextWrapper,
    TyperGroup,
    TyperOption,
    UsageError,
    use_text_wrapper,
)
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
# Each command's own Examples end its help (seatctl.cli.helptext); these end the root's.
EXAMPLES_HELP = "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in (
    "seatctl events --search symphony",
    "seatctl book symphony --seat Orchestra:A12",
    "seatctl jobs --pending -p staging",
    "seatctl help book",
))


@dataclass(frozen=True)
class LazyCommand:
    module: str
    attribute: str  # a command function, or a Typer app (a group of commands)
    summary: str  # for `seatctl --help`; tests/test_repo.py keeps it equal to the real help


COMMANDS: dict[str, LazyCommand] = {
    "ping": LazyCommand(
        "seatctl.cli.ping", "ping",
        "Check that the API answers: status, latency and the server-identifying headers."),
    "events": LazyCommand(
        "seatctl.cli.events", "events",
        "List events: venue, start, price, free seats, and the id other commands take."),
    "seats": LazyCommand(
        "seatctl.cli.events", "seats",
        "Show an event's seat map: free, booked and blocked seats per section and row."),
    "login": LazyCommand(
        "seatctl.cli.auth", "login",
        "Log in and store the token for the active profile (a 0600 file; never printed)."),
    "logout": LazyCommand(
        "seatctl.cli.auth", "logout",
        "Forget the stored token of the active profile."),
    "whoami": LazyCommand(
        "seatctl.cli.auth", "whoami",
        "Who the token belongs to (GET /api/auth/profile)."),
    "book": LazyCommand(
        "seatctl.cli.book", "book",
        "Book seats (or general-admission tickets) and watch the booking to its end."),
    "watch": LazyCommand(
        "seatctl.cli.watch", "watch",
        "Watch a booking job until it is confirmed or fails (exit 3), or the wait ends (4)."),
    "bookings": LazyCommand(
        "seatctl.cli.bookings", "bookings",
        "Your bookings on the server: event, start, seats, total, status, and the booking id."),
    "cancel": LazyCommand(
        "seatctl.cli.bookings", "cancel",
        "Cancel bookings (asks first on a terminal); one already cancelled is not an error."),
    "ticket": LazyCommand(
        "seatctl.cli.ticket", "ticket",
        "Show a booking's ticket and its QR code; --download saves the PDF."),
    "verify": LazyCommand(
        "seatctl.cli.ticket", "verify",
        "Venue staff: check that a ticket is valid for check-in now, without checking in."),
    "checkin": LazyCommand(
        "seatctl.cli.ticket", "checkin",
        "Venue staff: verify a ticket, then check it in."),
    "jobs": LazyCommand(
        "seatctl.cli.jobs", "jobs",
        "Recent bookings of the active profile, from the local journal."),
    "doctor": LazyCommand(
        "seatctl.cli.doctor", "doctor",
        "Diagnose keep-alive, resets and timeouts of a deployment, and prescribe the fixes."),
    "monitor": LazyCommand(
        "seatctl.cli.monitor", "monitor",
        "Watch a deployment through a deploy: every reset, refusal and 502, classified."),
    "smoke": LazyCommand(
        "seatctl.cli.smoke", "smoke",
        "Check a deployment for CI: health, latency, login, a test booking, keep-alive."),
    "demo": LazyCommand(
        "seatctl.cli.demo", "demo",
        "Tour seatctl on an embedded reference server, nothing to configure."),
    "serve": LazyCommand(
        "seatctl.cli.serve", "serve",
        "Run the reference booking server (the seed's contract) until Ctrl-C or SIGTERM."),
    "config": LazyCommand(
        "seatctl.cli.config", "app",
        "Show and change settings (config file, profiles)."),
    "completion": LazyCommand(
        "seatctl.cli.completion", "completion",
        "Print the shell completion script (see also --install-completion)."),
    "help": LazyCommand(
        "seatctl.cli.help", "help_",
        "Show the help of a command (what COMMAND --help shows), or of seatctl."),
}
_loaded: dict[str, Command] = {}


def load_command(name: str) -> Command:
    """The click command behind `seatctl NAME`, built on first use."""
    if name not in _loaded:
        spec = COMMANDS[name]
        target = getattr(importlib.import_module(spec.module), spec.attribute)
        if isinstance(target, typer.Typer):
            command = typer.main.get_command(target)
        else:
            holder = typer.Typer(add_completion=False, rich_markup_mode=None)
            holder.command(name)(target)
            command = typer.main.get_command(holder)
        command.name = name
        polish(command)
        _loaded[name] = command
    return _loaded[name]


class SeatctlGroup(TyperGroup):
    """Loads commands lazily, and routes every error a command raises through the one
    handler in `seatctl.cli.errors`."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # completion parses what is typed so far, as typed
            args = hoist_global_options(args, list(COMMANDS), own_options)
        return super().parse_args(ctx, args)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def resolve_command(self, ctx: Context, args: list[str]
                        ) -> tuple[str | None, Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS \
                and not ctx.resilient_parsing:
            from seatctl.cli.usage import UnknownCommand

            raise UnknownCommand(name, COMMANDS, ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        # Whole summaries, wrapped by the formatter (click's own cuts them with "...").
        rows = [(name, spec.summary) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Context | None = None, **extra: Any) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except typer.TyperException as exc:
            raise _in_seatctls_words(exc) from None

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as exc:  # click's usage errors echo what was typed
            raise _in_seatctls_words(exc) from None
        except (Exception, KeyboardInterrupt) as exc:
            raise handle_error(ctx, exc) from None


def own_options(name: str, rest: Sequence[str] = ()) -> dict[str, bool]:
    """The options of `seatctl NAME`, and of the subcommand that `rest` runs when NAME is a
    group (`config use`): option name -> whether it takes a value."""
    command = load_command(name)
    chain = [command]
    subcommands = getattr(command, "commands", {})
    chosen = next((word for word in rest if not word.startswith("-")), None)
    if chosen in subcommands:
        chain.append(subcommands[chosen])
    options: dict[str, bool] = {}
    for each in chain:
        for param in each.params:
            if isinstance(param, TyperOption):
                takes_value = not (param.is_flag or param.count)
                options.update(dict.fromkeys([*param.opts, *param.secondary_opts],
                                             takes_value))
    return options


def _in_seatctls_words(exc: typer.TyperException) -> typer.TyperException:
    """Click's own errors in seatctl's words (`error:`, `hint:`), with what they quote of the
    command line made printable: a control character or a bidi override typed (or pasted)
    there must not reach the terminal raw. A bare group's "no arguments" is its help."""
    from seatctl.cli.usage import ExplainedUsageError
    from seatctl.sanitize import printable

    if isinstance(exc, NoArgsIsHelpError):
        typer.echo(exc.ctx.get_help())
        raise typer.Exit(0)
    if isinstance(exc, UsageError):
        return ExplainedUsageError(exc)
    exc.message = printable(exc.message)
    return exc


class _WholeWords(TextWrapper):
    """Click wraps help with a TextWrapper that breaks words at hyphens: `--install-` on one
    line, `completion` on the next. An option, a URL or a command is a token, never broken."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "break_on_hyphens": False})


use_text_wrapper(_WholeWords)

app = typer.Typer(
    name="seatctl",
    cls=SeatctlGroup,
    help="Book seats against a queue-based booking API, and diagnose the connection resets "
         "(ECONNRESET, 502) of its deployment.",
    epilog=f"{EXIT_CODES_HELP}\n\n{ENVIRONMENT_HELP}\n\n{EXAMPLES_HELP}",
    no_args_is_help=True,
    # Locals in a traceback can hold the token. seatctl's own entry point renders errors
    # itself; this covers the app being called as `app()` (Typer's runner, tests).
    pretty_exceptions_show_locals=False,
    # Plain click help: Rich-formatted help imports rich.markdown and doubles start-up time.
    rich_markup_mode=None,
    # Up to 100 columns (click's own cap is 80): a wide terminal shows each command's
    # summary on one line.
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"seatctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", metavar="URL", help="API base URL. [env: SEATCTL_BASE_URL]",
        show_default=False,
    )] = None,
    token: Annotated[str | None, typer.Option(
        "--token", metavar="TOKEN",
        help="Bearer token; visible to other local users in the process list, "
             "prefer SEATCTL_TOKEN or `seatctl config set token`.",
        show_default=False,
    )] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", "-p", metavar="NAME", help="Config profile to use. [env: SEATCTL_PROFILE]",
        show_default=False, autocompletion=complete_profile,
    )] = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", metavar="SECONDS",
        help="Overall deadline for the command, in seconds. [env: SEATCTL_TIMEOUT]",
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
