"""Building the completion scripts: Typer's dynamic script plus a header naming the tree.

The script itself asks `seatctl` for candidates on every TAB (so it never goes stale by
itself); the header lists every command and option, so the committed copies in
`completions/` change, and a test notices, whenever the command line does. When seatctl is
asked for candidates, `quote_candidates` prints them so that each shell inserts them whole
(values come from seatctl.cli.completers).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from seatctl.cli.typer_seam import (
    Command,
    Context,
    TyperArgument,
    TyperGroup,
    TyperOption,
    answer_completion_with,
    get_completion_script,
    pass_values_through_while_completing,
)

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
    only when the completion variable is set. It patches a private Typer class (in
    seatctl.cli.typer_seam), so it applies only to the Typer series it was written for
    (pinned in pyproject.toml); elsewhere completion still works, just slower.
    """
    pass_values_through_while_completing()


PLAIN = frozenset("_-.,/+@%")  # with letters and digits: never escaped for a shell


def quote_candidates() -> None:
    """Print every candidate so that the shell inserts it as one word, whatever it holds.

    Typer's own formats break names with spaces or quotes: bash inserts its candidates
    unquoted (`Symphony Night` as two words); its zsh output loses `'` and `"` and squeezes
    runs of spaces; and for zsh and fish it renders each candidate's help through rich
    (~70 ms on every TAB; seatctl's help has no markup). The replacements also read the
    line as a run reads it: global options after the command's name count
    (global_options_first). Called only when completing; like the coercion patch it replaces
    private Typer classes (in seatctl.cli.typer_seam), so it applies only to the Typer series
    it was written for.
    """
    answer_completion_with(SeatctlFormat())


class SeatctlFormat:
    """seatctl's answers to completion requests (a typer_seam.CompletionFormat)."""

    def words(self, args: list[str]) -> list[str]:
        return global_options_first(args)

    def bash(self, value: str) -> str:
        import os

        quote = open_quote(os.environ.get("COMP_WORDS", ""),
                           int(os.environ.get("COMP_CWORD") or 0))
        return bash_word(value, quote)

    def zsh(self, value: str, help: str | None) -> str:
        return zsh_item(value, help)

    def zsh_answer(self, items: list[str]) -> str:
        return zsh_command(items)

    def fish(self, value: str, help: str | None) -> str:
        return f"{value}\t{' '.join(help.split())}" if help else value


def global_options_first(args: list[str]) -> list[str]:
    """The words before the one being completed, with the global options typed after the
    command's name moved before it, as a run reads them (seatctl.cli.argv): `seatctl watch
    -p staging <TAB>` offers the jobs of profile staging. One still waiting for its value
    (`seatctl events -p <TAB>`) is completed as the root's option."""
    from seatctl.cli.app import COMMANDS, own_options
    from seatctl.cli.argv import GLOBAL_OPTIONS, hoist_global_options

    try:
        hoisted = hoist_global_options(args, list(COMMANDS), own_options)
    except Exception:  # a command that cannot be loaded: leave the line as typed
        return args
    if hoisted and args and GLOBAL_OPTIONS.get(args[-1], False) and hoisted[-1] != args[-1]:
        # the last word, a global option taking a value, moved: complete that value
        command = next(index for index, word in enumerate(hoisted) if word in COMMANDS)
        return hoisted[:command]
    return hoisted


@functools.cache  # asked once per candidate, always of the same line
def open_quote(words: str, cword: int) -> str | None:
    """The quote (`'` or `"`) that the word being completed opened and did not close, if
    any: `seatctl seats "Symph` is completed inside double quotes."""
    import shlex

    lexer = shlex.shlex(words, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    count = 0
    try:
        for _ in lexer:
            count += 1
    except ValueError:  # the line ends inside quotes (or after a lone backslash)
        state = getattr(lexer, "state", None)  # shlex's own, undocumented but long-standing
        if count == cword and state in ("'", '"'):
            return str(state)
    return None


def bash_word(value: str, quote: str | None) -> str:
    """`value` as bash must read it where it is inserted: after an opening quote (which
    readline closes), or escaped with backslashes (`:` and `=` too: bash splits words there
    when completing the next time)."""
    if quote == "'":
        return value.replace("'", "'\\''")
    if quote == '"':
        return "".join("\\" + char if char in '\\"$`' else char for char in value)
    return _escaped(value)


def zsh_item(value: str, help: str | None) -> str:
    """One entry of the `((value:help ...))` list that `_arguments` evaluates: a colon in the
    value escaped for `_describe`, then every special character for the evaluation."""
    entry = _escaped(value.replace("\\", "\\\\").replace(":", "\\:"))
    return f"{entry}:{_escaped(' '.join(help.split()))}" if help else entry


def zsh_command(items: list[str]) -> str:
    """What Typer's zsh script evaluates (after splitting it at whitespace: every space in
    an item is escaped, so none is lost): `_arguments` with the items, else files."""
    if not items:
        return "_files"
    spec = "*: :((" + " ".join(items) + "))"
    return "_arguments '" + spec.replace("'", "'\\''") + "'"


def _escaped(text: str) -> str:
    return "".join(char if char.isalnum() or char in PLAIN else "\\" + char for char in text)
