"""Building the completion scripts: Typer's dynamic script plus a header naming the tree.

The script itself asks `seatctl` for candidates on every TAB (so it never goes stale by
itself); the header lists every command and option, so the committed copies in
`completions/` change, and a test notices, whenever the command line does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from typer._click.core import Command, Context
from typer._completion_shared import get_completion_script
from typer.core import TyperArgument, TyperGroup, TyperOption

if TYPE_CHECKING:
    from typer.core import _TyperParameter

TYPER_SERIES = "0.29."
PROG_NAME = "seatctl"
COMPLETE_VAR = "_SEATCTL_COMPLETE"


def completion_script(root: Command, shell: str) -> str:
    header = [
        f"# {shell} completion for {PROG_NAME}; regenerate with",
        f"#   {PROG_NAME} completion {shell} > completions/{PROG_NAME}.{shell}",
        "# Command tree:",
        *(f"#   {line}" for line in command_tree(root)),
    ]
    script = get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell)
    return "\n".join(header) + "\n" + script.strip() + "\n"


def command_tree(command: Command, path: str = PROG_NAME) -> Iterator[str]:
    options = sorted(opt for param in command.params if isinstance(param, TyperOption)
                     for opt in param.opts if not param.hidden)
    arguments = [(param.name or "").upper() for param in command.params
                 if isinstance(param, TyperArgument)]
    yield " ".join([path, *arguments, *options])
    if isinstance(command, TyperGroup):
        ctx = Context(command)
        for name in sorted(command.list_commands(ctx)):
            subcommand = command.get_command(ctx, name)
            if subcommand is not None:
                yield from command_tree(subcommand, f"{path} {name}")


def skip_coercion_while_completing() -> None:
    """Keep a completion request from importing pydantic: ~70 ms on every TAB.

    Typer 0.29 coerces every non-bool option value through a pydantic TypeAdapter, built on
    first use even when the value is None. A completion request parses the options only to
    find where the cursor is (click's resilient parsing), never runs a command and never
    uses the coerced values, so there the raw values can pass through unconverted. Called
    only when the completion variable is set. It touches a private Typer class, so it applies
    only to the Typer series it was written for (pinned in pyproject.toml); elsewhere
    completion still works, just slower.
    """
    import typer
    from typer import core

    parameter = getattr(core, "_TyperParameter", None)
    if not typer.__version__.startswith(TYPER_SERIES) or parameter is None:
        return
    _patch_process_value(parameter)


def _patch_process_value(parameter: type[_TyperParameter]) -> None:
    coercing = parameter.process_value

    def process_value(self: _TyperParameter, ctx: Context, value: object) -> object:
        if ctx.resilient_parsing:
            return value
        return coercing(self, ctx, value)

    parameter.process_value = process_value  # type: ignore[method-assign]
