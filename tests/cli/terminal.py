"""Running seatctl as if on a terminal, for the config tests (#14)."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.render.streams import IOStreams
from tests.helpers import Outcome

TOKEN = "tok-" + "s3cr3t" * 8
WIDTHS = (40, 60, 80, 200)


def on_tty(*args: str, width: int = 120, env: dict[str, str] | None = None) -> Outcome:
    """`seatctl ARGS` with stdout and stderr on a terminal `width` columns wide."""
    streams = IOStreams.test(tty=True, width=width)
    obj = App(env={**os.environ, **(env or {})}, _streams=streams)
    result = CliRunner().invoke(seatctl_app, list(args), obj=obj, prog_name="seatctl")
    return Outcome(result.exit_code, streams.out_text(), streams.err_text())
