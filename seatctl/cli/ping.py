"""`seatctl ping`: GET /health through the HTTP core."""


import typer

from seatctl.cli._common import JsonFlag, get_app


def ping(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Check that the API answers: status, latency and the server-identifying headers.

    Examples:
      seatctl ping
      seatctl ping --base-url https://api.example.com -v
      seatctl ping -p staging --json
    """
    from seatctl.api.health import check_health
    from seatctl.render.health import render_health

    app = get_app(ctx)
    as_json = app.want_json(json)
    with app.client() as client:
        health = check_health(client)
    render_health(app.streams, health, as_json=as_json)
