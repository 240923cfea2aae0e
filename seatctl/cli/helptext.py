"""How a command's help reads (#14): readable metavars, whole summaries, Examples at the end.

`polish` is applied once to each command tree as `seatctl.cli.app.load_command` builds it,
so every command gets it, including those added later, without repeating it per option:

- a value's metavar says what to type (`EVENT`, `SECONDS`, `N`, `[table|tsv|json]`), never
  Typer 0.29's type (`<str>`, `<list[str]>`, `<int range>`), and a required argument is shown
  as click shows it (`EVENT`, not `{EVENT}`). An explicit `metavar=` wins; otherwise an int
  is `N`, a file `FILE`, a choice its choices, any other value its option's name (`--email`
  takes `EMAIL`);
- a group lists its subcommands with their whole one-line summaries (click cuts them at
  the width of the terminal with `...`);
- a docstring's `Examples:` section (its last, one command line a line) is shown at the end
  of the help, after the options, as gh does, and never re-wrapped.

Standard library and typer only: this runs whenever a command is loaded, completion too.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any, get_args

from seatctl.cli.typer_seam import Command, Context, TyperArgument, TyperGroup, TyperOption

EXAMPLES = "Examples:"
NO_REWRAP = "\b"  # click writes the lines of a paragraph that starts with it as they are


class ReadableArgument(TyperArgument):
    """An argument shown by its metavar alone: `EVENT` when required, `[EVENT]` when not."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None  # the metavar says what to type; `<str>` says nothing

    def get_usage_pieces(self, ctx: Context) -> list[str]:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return [name if self.required else f"[{name}]"]


def polish(command: Command) -> None:
    """Readable metavars, whole summaries and Examples at the end, for `command` and its
    subcommands."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.metavar = param.metavar or (param.name or "value").upper()
            param.__class__ = ReadableArgument
        elif isinstance(param, TyperOption) and not (param.is_flag or param.count):
            param.metavar = param.metavar or option_metavar(param)
    command.help, examples = split_examples(command.help or "")
    if examples:
        section = "\n".join([EXAMPLES, "", NO_REWRAP, *(f"  {line}" for line in examples)])
        command.epilog = f"{command.epilog}\n\n{section}" if command.epilog else section
    if isinstance(command, TyperGroup):
        for subcommand in command.commands.values():
            polish(subcommand)
            subcommand.short_help = summary(subcommand.help or "")


def option_metavar(option: TyperOption) -> str:
    described = option.type_descriptor
    if described.choices:
        return "[" + "|".join(choice_text(choice) for choice in described.choices) + "]"
    kind: Any = described.annotation
    if described.is_list:
        kind = (get_args(kind) or (str,))[0]
    if kind is int:
        return "N"
    if described.is_path:
        return described.path_type.upper()
    longest = max([*option.opts, *option.secondary_opts], key=len)
    return longest.lstrip("-").replace("-", "_").upper() or "VALUE"


def choice_text(choice: Any) -> str:
    """A choice as it is typed: an enum member by its value."""
    return str(choice.value) if isinstance(choice, Enum) else str(choice)


def split_examples(help_text: str) -> tuple[str, list[str]]:
    """The help without its `Examples:` section, and that section's lines."""
    lines = inspect.cleandoc(help_text).splitlines()
    if EXAMPLES not in lines:
        return "\n".join(lines), []
    at = lines.index(EXAMPLES)
    examples = [line.strip() for line in lines[at + 1:] if line.strip()]
    return "\n".join(lines[:at]).rstrip(), examples


def summary(help_text: str) -> str:
    """The first paragraph of a help text, on one line."""
    return " ".join(inspect.cleandoc(help_text).split("\n\n", 1)[0].split())


def examples(command: Command) -> list[str]:
    """The command lines of a command's Examples section, as its help shows them."""
    lines = inspect.cleandoc(command.epilog or "").splitlines()
    if EXAMPLES not in lines:
        return []
    found: list[str] = []
    for line in lines[lines.index(EXAMPLES) + 1:]:
        if line.strip() and line != NO_REWRAP:
            found.append(line.strip())
        elif found:  # the blank line after the section
            break
    return found
