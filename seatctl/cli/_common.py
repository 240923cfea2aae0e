"""Pieces every command shares: getting the App, the per-command --json flag."""


from typing import Annotated

import typer

from seatctl.cli.context import App

JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print exactly one JSON document on stdout (same as the global --json).",
)]


def get_app(ctx: typer.Context) -> App:
    app = ctx.find_object(App)
    if app is None:  # a command invoked without the root callback (tests of one command)
        app = App()
        ctx.obj = app
    return app
