"""`seatctl help [COMMAND [SUBCOMMAND]]`: the help `--help` shows, for those who type it first."""


from typing import Annotated

import typer

from seatctl.cli.typer_seam import Command, Context, TyperGroup


def _command_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """TAB after `seatctl help`: the commands (a group's subcommands after the group)."""
    shown = ctx.find_root()
    for name in (value for value in ctx.params.values() if isinstance(value, str)):
        found = _subcommand(shown, name)
        if found is None:
            return []
        shown = Context(found, info_name=name, parent=shown)
    return [name for name in _names(shown) if name.startswith(incomplete)]


def help_(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Argument(
        metavar="COMMAND", help="A command, as `seatctl --help` lists them.",
        show_default=False, autocompletion=_command_names)] = None,
    subcommand: Annotated[str | None, typer.Argument(
        metavar="SUBCOMMAND", help="One of COMMAND's subcommands (`config set`).",
        show_default=False, autocompletion=_command_names)] = None,
) -> None:
    """Show the help of a command (what COMMAND --help shows), or of seatctl.

    The same text on stdout, exit 0. A name that is not a command is a usage error (exit 2)
    with the nearest names as the hint.

    Examples:
      seatctl help
      seatctl help book
      seatctl help config set
    """
    from seatctl.cli.usage import UnknownCommand

    shown = ctx.find_root()
    for name in (name for name in (command, subcommand) if name is not None):
        found = _subcommand(shown, name)
        if found is None:
            group = shown.command_path if _names(shown) else "seatctl"
            raise UnknownCommand(name, _names(shown), shown, group=group)
        shown = Context(found, info_name=name, parent=shown)
    typer.echo(shown.get_help())


def _names(ctx: Context) -> list[str]:
    group = ctx.command
    return group.list_commands(ctx) if isinstance(group, TyperGroup) else []


def _subcommand(ctx: Context, name: str) -> Command | None:
    group = ctx.command
    if name not in _names(ctx) or not isinstance(group, TyperGroup):
        return None
    return group.get_command(ctx, name)
