"""`seatctl monitor` run in-process through a Typer app of its own (until it is registered
in seatctl.cli.app), with test streams."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from seatctl.cli.context import App
from seatctl.cli.monitor import monitor
from seatctl.render.streams import IOStreams
from tests.helpers import Outcome

MonitorCli = Callable[..., Outcome]


def monitor_app() -> typer.Typer:
    holder = typer.Typer(add_completion=False, rich_markup_mode=None)
    holder.command("monitor")(monitor)
    return holder


@pytest.fixture
def monitor_cli() -> MonitorCli:
    def run(*args: str) -> Outcome:
        streams = IOStreams.test()
        result = CliRunner().invoke(monitor_app(), list(args),
                                    obj=App(env=dict(os.environ), _streams=streams))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, streams.out_text(), streams.err_text())

    return run
