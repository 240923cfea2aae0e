"""The seam between seatctl and Typer's internals: every import of a private Typer name.

Typer documents its decorator API (`typer.Typer`, `typer.Option`, `typer.Context`, ...) and
`typer.main.get_command`. Since 0.29 it vendors click as `typer._click`, so there is no public
click to import, and the command line needs more than the documented API:

- click's classes, to extend the command tree and word its errors: Command, Context,
  HelpFormatter, UsageError, NoSuchOption, NoArgsIsHelpError;
- Typer's parameter and group classes, for readable help (`TyperOption.type_descriptor`,
  `TyperArgument.display_type_rich`) and the completion scripts' header;
- the completion machinery, to quote candidates and to skip value coercion (pydantic) on
  every TAB: the shell classes (`answer_completion_with`), `TyperParameter.process_value`
  (`pass_values_through_while_completing`), `register_completion_class`;
- click's text wrapper (`use_text_wrapper`), so that help never breaks an option at a hyphen;
  click's prompt function (`prompt_line`), which tests replace.

pyproject.toml pins typer>=0.29,<0.30 for all of it; tests/cli/test_typer_seam.py checks each
name and behaviour seatctl relies on and fails naming the pin when an upgrade breaks one. The
patches apply only to the pinned series (`in_pinned_series`). Everything here is loaded by
`import typer` already: the seam costs no start-up time.
"""

from __future__ import annotations

from typing import Protocol

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
    "CompletionFormat",
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
    "answer_completion_with",
    "get_completion_script",
    "in_pinned_series",
    "pass_values_through_while_completing",
    "prompt_line",
    "register_completion_class",
    "use_text_wrapper",
]

# Typer's own shell classes, the bases of answer_completion_with's (which take their names)
_TyperBashComplete = BashComplete
_TyperZshComplete = ZshComplete
_TyperFishComplete = FishComplete

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


def pass_values_through_while_completing() -> None:
    """Let every option and argument value through unconverted while click parses only to
    find the cursor (`ctx.resilient_parsing`, as a completion request does); otherwise
    coerce as before. Patches `TyperParameter.process_value`, for the pinned series only."""
    if not in_pinned_series():
        return
    coercing = TyperParameter.process_value

    def process_value(self: TyperParameter, ctx: Context, value: object) -> object:
        if ctx.resilient_parsing:
            return value
        return coercing(self, ctx, value)

    TyperParameter.process_value = process_value  # type: ignore[method-assign]


class CompletionFormat(Protocol):
    """What seatctl changes in Typer's answer to a completion request."""

    def words(self, args: list[str]) -> list[str]:
        """The words before the one being completed, as the request should read them."""

    def bash(self, value: str) -> str:
        """One candidate, as bash inserts it."""

    def zsh(self, value: str, help: str | None) -> str:
        """One candidate and its help, as an item of `zsh_answer`."""

    def zsh_answer(self, items: list[str]) -> str:
        """What zsh evaluates, given every candidate's `zsh` item."""

    def fish(self, value: str, help: str | None) -> str:
        """One candidate and its help, as fish reads them."""


def answer_completion_with(form: CompletionFormat) -> None:
    """Answer bash, zsh and fish completion requests through `form`: subclasses of Typer's
    shell classes (of the same names, see `register_completion_class`), for the pinned
    series only. Defined here when called, so a run that is no completion never builds them."""
    if not in_pinned_series():
        return
    for shell, completion in (("bash", _bash_class(form)), ("zsh", _zsh_class(form)),
                              ("fish", _fish_class(form))):
        register_completion_class(completion, shell)


def _reworded(form: CompletionFormat, asked: tuple[list[str], str]) -> tuple[list[str], str]:
    args, incomplete = asked
    return form.words(args), incomplete


def _bash_class(form: CompletionFormat) -> type[ShellComplete]:
    class BashComplete(_TyperBashComplete):
        def get_completion_args(self) -> tuple[list[str], str]:
            return _reworded(form, super().get_completion_args())

        def format_completion(self, item: CompletionItem) -> str:
            return form.bash(str(item.value))

    return BashComplete


def _zsh_class(form: CompletionFormat) -> type[ShellComplete]:
    class ZshComplete(_TyperZshComplete):
        def get_completion_args(self) -> tuple[list[str], str]:
            return _reworded(form, super().get_completion_args())

        def format_completion(self, item: CompletionItem) -> str:
            return form.zsh(str(item.value), item.help)

        def complete(self) -> str:
            args, incomplete = self.get_completion_args()
            items = [self.format_completion(item)
                     for item in self.get_completions(args, incomplete)]
            return form.zsh_answer(items)

    return ZshComplete


def _fish_class(form: CompletionFormat) -> type[ShellComplete]:
    class FishComplete(_TyperFishComplete):
        def get_completion_args(self) -> tuple[list[str], str]:
            return _reworded(form, super().get_completion_args())

        def format_completion(self, item: CompletionItem) -> str:
            return form.fish(str(item.value), item.help)

    return FishComplete
