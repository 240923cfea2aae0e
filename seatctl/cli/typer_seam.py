"""The seam between seatctl and Typer's internals: every import of a private Typer name.

Typer documents its decorator API (`typer.Typer`, `typer.Option`, `typer.Context`, ...) and
`typer.main.get_command`. Since 0.29 it vendors click as `typer._click`, so there is no public
click to import, and the command line needs more than the documented API:

- click's classes, to extend the command tree and word its errors: Command, Context,
  HelpFormatter, UsageError, NoSuchOption, NoArgsIsHelpError;
- Typer's parameter and group classes, for readable help (`TyperOption.type_descriptor`,
  `TyperArgument.display_type_rich`) and the completion scripts' header;
- the completion machinery, to quote candidates and to skip value coercion (pydantic) on
  every TAB: the shell classes, `TyperParameter.process_value`, `register_completion_class`;
- click's text wrapper (`use_text_wrapper`), so that help never breaks an option at a hyphen;
  click's prompt function (`prompt_line`), which tests replace.

pyproject.toml pins typer>=0.29,<0.30 for all of it; tests/cli/test_typer_seam.py checks each
name and behaviour seatctl relies on and fails naming the pin when an upgrade breaks one. The
patches apply only to the pinned series (`in_pinned_series`). Everything here is loaded by
`import typer` already: the seam costs no start-up time.
"""

from __future__ import annotations

import typer
from typer import _completion_classes
from typer._click import _textwrap, termui
from typer._click._textwrap import TextWrapper
from typer._click.core import Command, Context
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption, UsageError
from typer._click.formatting import HelpFormatter
from typer._click.shell_completion import CompletionItem, ShellComplete, add_completion_class
from typer._completion_classes import BashComplete, FishComplete, ZshComplete
from typer._completion_shared import get_completion_script
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.core import _TyperParameter as TyperParameter

__all__ = [
    "TYPER_PIN",
    "TYPER_SERIES",
    "BashComplete",
    "Command",
    "CompletionItem",
    "Context",
    "FishComplete",
    "HelpFormatter",
    "NoArgsIsHelpError",
    "NoSuchOption",
    "ShellComplete",
    "TextWrapper",
    "TyperArgument",
    "TyperGroup",
    "TyperOption",
    "TyperParameter",
    "UsageError",
    "ZshComplete",
    "get_completion_script",
    "in_pinned_series",
    "prompt_line",
    "register_completion_class",
    "use_text_wrapper",
]

TYPER_PIN = "typer>=0.29,<0.30"
TYPER_SERIES = "0.29."


def in_pinned_series() -> bool:
    """Whether the installed Typer is the series the completion patches were written for."""
    return typer.__version__.startswith(TYPER_SERIES)


def use_text_wrapper(wrapper: type[TextWrapper]) -> None:
    """Wrap all help text with `wrapper`: click's `wrap_text` looks the class up in its module
    at each call."""
    _textwrap.TextWrapper = wrapper  # type: ignore[misc]


def register_completion_class(completion: type[ShellComplete], shell: str) -> None:
    """Answer `shell`'s completion requests with `completion`, a subclass of Typer's class of
    the same name: Typer registers its classes again whenever it builds a command
    (`completion_init` reads them from its module), so the module's name is replaced too."""
    setattr(_completion_classes, completion.__name__, completion)
    add_completion_class(completion, shell)


def prompt_line(prompt: str) -> str:
    """The line typed after `prompt`, read as click's prompts read it (tests replace
    `termui.visible_prompt_func`, so it is looked up at each call)."""
    return termui.visible_prompt_func(prompt)
