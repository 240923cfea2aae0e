"""`seatctl completion SHELL`: the script that `completions/` commits, for bash, zsh and fish."""


from enum import StrEnum
from typing import Annotated

import typer

from seatctl.cli._common import get_app


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script (see also --install-completion).

    Examples:
      seatctl completion bash > ~/.local/share/bash-completion/completions/seatctl
      seatctl completion zsh > ~/.zfunc/_seatctl
      seatctl completion fish > ~/.config/fish/completions/seatctl.fish
    """
    from seatctl.cli.completion_script import completion_script

    root = ctx.find_root().command
    get_app(ctx).streams.write_data(completion_script(root, shell.value))
