"""The command line's seam with Typer's internals (seatctl/cli/typer_seam.py), checked so that
a Typer upgrade fails here, loudly and naming the pin, rather than as odd help, unquoted
completion candidates or a slow TAB.

Each test checks one thing seatctl relies on: a name the seam re-exports and the attributes
or hooks the command line uses of it. The seam is imported by a fixture, so that a name gone
from Typer is reported as such rather than as a collection error.
"""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest
import typer
from packaging.requirements import Requirement

from seatctl.cli.typer_seam import BashComplete as SeamBashComplete
from seatctl.cli.typer_seam import TextWrapper, TyperArgument

ROOT = Path(__file__).resolve().parents[2]
SEAM = "seatctl/cli/typer_seam.py"


def pinned(package: str) -> str:
    """`package`'s requirement as pyproject.toml states it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(next(spec for spec in project["dependencies"]
                    if Requirement(spec).name == package))


def changed(what: str) -> str:
    return (f"typer {typer.__version__} changed: {what}; seatctl pins {pinned('typer')} in "
            f"pyproject.toml; see {SEAM}")


@pytest.fixture(scope="module")
def seam() -> ModuleType:
    try:
        return importlib.import_module("seatctl.cli.typer_seam")
    except ImportError as exc:
        pytest.fail(changed(f"a name the seam imports is gone ({exc})"))


class Format(StrEnum):
    table = "table"
    json = "json"


def sample_group() -> Any:
    """A small Typer app as click sees it: a group, an argument and options of each kind."""
    app = typer.Typer(rich_markup_mode=None)

    @app.command()
    def show(event: str, count: int = 1, config: Path = Path("seatctl.toml"),
             output: Format = Format.table,
             tag: Annotated[list[str] | None, typer.Option()] = None,
             email: str = "", verbose: bool = False) -> None:
        """Show it."""

    @app.command()
    def other() -> None:
        """Another."""

    return typer.main.get_command(app)


def command_context(seam: ModuleType, name: str = "show") -> tuple[Any, Any]:
    group = sample_group()
    root = seam.Context(group, info_name="seatctl")
    command = group.get_command(root, name)
    return command, seam.Context(command, info_name=name, parent=root)


def param(command: Any, name: str) -> Any:
    return next(each for each in command.params if each.name == name)


# --- the pin ------------------------------------------------------------------------------


def test_the_seams_pin_is_pyprojects_and_the_installed_typer_is_its_series(
    seam: ModuleType,
) -> None:
    assert pinned("typer") == seam.TYPER_PIN, f"{SEAM} names {seam.TYPER_PIN}, pyproject another"
    specifier = Requirement(seam.TYPER_PIN).specifier
    assert specifier.contains(seam.TYPER_SERIES + "0"), f"{SEAM}: TYPER_SERIES is not the pin's"
    assert specifier.contains(typer.__version__) and seam.in_pinned_series(), (
        f"typer {typer.__version__} is installed; seatctl pins {seam.TYPER_PIN} in "
        f"pyproject.toml for {SEAM}: check it, then move the pin")


def test_every_name_the_seam_exports_is_there(seam: ModuleType) -> None:
    missing = [name for name in seam.__all__ if getattr(seam, name, None) is None]
    assert not missing, changed(f"the seam lacks {missing}")


# --- click's errors (seatctl/cli/usage.py, main.py, app.py) ---------------------------------


def test_usage_errors_carry_what_seatctl_rewords(seam: ModuleType) -> None:
    ctx = seam.Context(sample_group(), info_name="seatctl")
    error = seam.UsageError("Bad value", ctx)
    unknown = seam.NoSuchOption("--sat", possibilities=["--seat"], ctx=ctx)
    bare = seam.NoArgsIsHelpError(ctx)

    assert (error.message, error.ctx, error.format_message()) == ("Bad value", ctx, "Bad value"), \
        changed("UsageError's message, ctx or format_message")
    assert (unknown.option_name, list(unknown.possibilities)) == ("--sat", ["--seat"]), \
        changed("NoSuchOption's option_name or possibilities")
    assert isinstance(unknown, seam.UsageError) and isinstance(bare, seam.UsageError), \
        changed("NoSuchOption or NoArgsIsHelpError is no longer a UsageError")
    assert bare.ctx is ctx and ctx.command_path == "seatctl", changed("a usage error's context")
    assert issubclass(seam.UsageError, typer.TyperException) and error.exit_code == 2, \
        changed("a UsageError is no longer a TyperException exiting 2 (main.py catches both)")


# --- the command tree (helptext.py, completion_script.py, app.py, help.py) -----------------


def test_a_group_lists_and_finds_its_commands(seam: ModuleType) -> None:
    group = sample_group()
    ctx = seam.Context(group, info_name="seatctl")

    assert isinstance(group, seam.TyperGroup), changed("a Typer app is no longer a TyperGroup")
    assert group.list_commands(ctx) == ["show", "other"], changed("TyperGroup.list_commands")
    assert isinstance(group.get_command(ctx, "show"), seam.Command), changed("get_command")
    assert set(group.commands) == {"show", "other"}, changed("TyperGroup.commands")
    assert ctx.find_root() is ctx and not ctx.resilient_parsing, changed("Context's attributes")


def test_parameters_have_what_help_and_completion_read(seam: ModuleType) -> None:
    command, _ = command_context(seam)
    event, verbose = param(command, "event"), param(command, "verbose")

    assert isinstance(event, seam.TyperArgument), changed("an argument is not a TyperArgument")
    assert isinstance(verbose, seam.TyperOption), changed("an option is not a TyperOption")
    assert (event.name, event.required, event.nargs, event.metavar) == ("event", True, 1, None), \
        changed("a TyperArgument's name, required, nargs or metavar")
    assert (verbose.opts, verbose.secondary_opts, verbose.is_flag, verbose.count,
            verbose.hidden) == (["--verbose"], ["--no-verbose"], True, False, False), \
        changed("a TyperOption's opts, secondary_opts, is_flag, count or hidden")
    assert (command.help, command.epilog, command.short_help) == ("Show it.", None, None), \
        changed("a command's help, epilog or short_help")


def test_an_options_type_descriptor_says_what_to_type(seam: ModuleType) -> None:
    command, _ = command_context(seam)

    def described(name: str) -> tuple[Any, ...]:
        kind = param(command, name).type_descriptor
        return (kind.choices, kind.annotation, kind.is_list, kind.is_path,
                kind.path_type if kind.is_path else None)

    try:
        seen = {name: described(name) for name in ("count", "config", "output", "tag", "email")}
    except AttributeError as exc:
        pytest.fail(changed(f"TyperOption.type_descriptor ({exc}); helptext.option_metavar"))
    assert seen == {
        "count": (None, int, False, False, None),
        "config": (None, Path, False, True, "path"),
        "output": ((Format.table, Format.json), Format, False, False, None),
        "tag": (None, list[str], True, False, None),
        "email": (None, str, False, False, None),
    }, changed(f"what TyperOption.type_descriptor says ({seen}); helptext.option_metavar")


def test_an_arguments_help_and_usage_go_through_the_hooks_seatctl_overrides(
    seam: ModuleType,
) -> None:
    command, ctx = command_context(seam)
    event = param(command, "event")

    class Hooked(TyperArgument):  # as helptext.ReadableArgument replaces the class
        def display_type_rich(self, ctx: Any) -> str | None:
            return None

        def get_usage_pieces(self, ctx: Any) -> list[str]:
            return ["HOOKED"]

    event.__class__ = Hooked

    assert event.display_name_raw == "event", changed("TyperArgument.display_name_raw")
    assert event.get_help_record(ctx)[0] == "event", \
        changed("an argument's help no longer asks display_type_rich for its type")
    assert "HOOKED" in command.get_usage(ctx), \
        changed("a command's usage no longer asks its arguments' get_usage_pieces")


# --- the completion machinery (completion_script.py) ---------------------------------------


def test_every_parameter_coerces_through_one_patchable_method(
    seam: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    overriding = [kind.__name__ for kind in (seam.TyperOption, seam.TyperArgument)
                  if "process_value" in vars(kind)]
    assert not overriding and issubclass(seam.TyperOption, seam.TyperParameter), changed(
        f"{overriding or 'TyperOption'} no longer inherits TyperParameter.process_value")
    seen: list[object] = []

    def recording(self: Any, ctx: Any, value: object) -> object:
        seen.append(value)
        return value

    monkeypatch.setattr(seam.TyperParameter, "process_value", recording)
    command, _ = command_context(seam)
    command.main(["evt1", "--count", "3"], standalone_mode=False)

    assert "3" in seen and "evt1" in seen, \
        changed("parsing no longer passes each value through TyperParameter.process_value")


def test_the_coercion_patch_passes_raw_values_only_while_completing(
    seam: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(seam.TyperParameter, "process_value",  # restored afterwards
                        seam.TyperParameter.process_value)
    seam.pass_values_through_while_completing()
    command, ctx = command_context(seam)
    count = param(command, "count")

    ctx.resilient_parsing = True
    assert count.process_value(ctx, "3") == "3", changed("the coercion patch")
    ctx.resilient_parsing = False
    assert count.process_value(ctx, "3") == 3, changed("the coercion patch")


def test_the_shell_classes_have_the_methods_seatctl_overrides(seam: ModuleType) -> None:
    methods = ("get_completion_args", "format_completion", "complete", "get_completions")
    for shell in (seam.BashComplete, seam.ZshComplete, seam.FishComplete):
        absent = [name for name in methods if not callable(getattr(shell, name, None))]
        assert issubclass(shell, seam.ShellComplete) and not absent, \
            changed(f"{shell.__name__} lacks {absent} or is no ShellComplete")
    item = seam.CompletionItem("Symphony Night", help="8 pm")
    assert (item.value, item.help) == ("Symphony Night", "8 pm"), changed("CompletionItem")


def test_a_registered_class_answers_even_after_typer_registers_its_own(
    seam: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    classes = sys.modules[seam.BashComplete.__module__]
    shells = sys.modules[seam.ShellComplete.__module__]
    monkeypatch.setattr(classes, "BashComplete", classes.BashComplete)  # restored afterwards
    monkeypatch.setitem(shells._available_shells, "bash", shells.get_completion_class("bash"))

    class BashComplete(SeamBashComplete):
        pass

    seam.register_completion_class(BashComplete, "bash")
    classes.completion_init()  # what Typer does whenever it builds a command

    assert shells.get_completion_class("bash") is BashComplete, \
        changed("Typer's completion_init no longer registers the classes of its module")


def test_the_completion_script_names_the_completion_variable(seam: ModuleType) -> None:
    for shell in ("bash", "zsh", "fish"):
        script = seam.get_completion_script(prog_name="seatctl",
                                            complete_var="_SEATCTL_COMPLETE", shell=shell)
        assert "_SEATCTL_COMPLETE" in script, changed(f"get_completion_script for {shell}")


# --- help's text wrapper and the prompt (app.py, _common.py) --------------------------------


def test_help_text_is_wrapped_by_the_class_the_seam_sets(
    seam: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    textwrap_module = sys.modules[seam.TextWrapper.__module__]
    monkeypatch.setattr(textwrap_module, "TextWrapper", textwrap_module.TextWrapper)
    made: list[dict[str, Any]] = []

    class Recording(TextWrapper):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    seam.use_text_wrapper(Recording)
    formatter = seam.HelpFormatter(width=30)
    formatter.write_text("seatctl --install-completion installs completion for this shell")

    assert made and "break_on_hyphens" not in made[0], \
        changed("click's help formatter no longer wraps with its module's TextWrapper")


def test_a_prompt_reads_through_clicks_replaceable_prompt_function(
    seam: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    termui = importlib.import_module("typer._click.termui")
    monkeypatch.setattr(termui, "visible_prompt_func", lambda prompt: prompt + "y")

    assert seam.prompt_line("Cancel? ") == "Cancel? y", \
        changed("click's prompts no longer read through termui.visible_prompt_func")


# --- the seam is the only way in ----------------------------------------------------------


def typer_imports(path: Path) -> Iterator[str]:
    """The imports in `path` of anything of Typer's beyond `import typer`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names if alias.name.startswith("typer.")]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            inside = node.module.startswith("typer.")
            private = node.module == "typer" and any(a.name.startswith("_") for a in node.names)
            found = [node.module] if inside or private else []
        else:
            continue
        yield from (f"{path.relative_to(ROOT)}:{node.lineno}: {name}" for name in found)


def test_only_the_seam_imports_typers_internals() -> None:
    offenders = [found for path in sorted((ROOT / "seatctl").rglob("*.py"))
                 if path != ROOT / SEAM for found in typer_imports(path)]
    assert not offenders, (
        f"only {SEAM} imports Typer beyond `import typer` (its pinned internals in one place): "
        "import these names from the seam instead:\n  " + "\n  ".join(offenders))
