"""`seatctl demo`: the tour on an embedded reference server."""


import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.context import App
from seatctl.errors import Reported, UsageError


def demo(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Tour seatctl on an embedded reference server, nothing to configure.

    Starts the reference server in this process (a free loopback port, Node's default
    timeouts, a temporary database), then shows the events, a seat map, a booking with its
    live watch, a booking whose POST is answered by a connection reset (re-sent with the
    same key: one booking on the server), and `doctor --quick` prescribing the keep-alive
    fix. Needs no configuration and writes nothing outside a temporary directory; takes
    about 10 seconds.

    Examples:
      seatctl demo
      seatctl demo --json > demo.json
    """
    from seatctl.demo import DemoTour
    from seatctl.render.demo import DemoView

    app = get_app(ctx)
    as_json = app.want_json(json)
    _refuse_connection_options(app)
    view = DemoView(app.streams, app.clock, as_json=as_json, verbose=app.options.verbose > 0,
                    trace=app.options.trace)
    tour = DemoTour(view, app.clock)
    error = tour.attempt()
    view.summary(tour.summary, error)
    if error is None:
        return
    if as_json:  # the summary above carries the error; stderr still says it in words
        from seatctl.render.messages import seatctl_error

        seatctl_error(app.streams, error, as_json=False)
        raise Reported(error.exit_code)
    raise error


def _refuse_connection_options(app: App) -> None:
    """The demo brings its own server, account and bounds: these flags cannot apply."""
    options = app.options
    given = [flag for flag, value in (("--base-url", options.base_url),
                                      ("--token", options.token),
                                      ("--profile", options.profile),
                                      ("--timeout", options.timeout)) if value is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot apply to the demo: it runs its own "
                         "server, with its own account and time bounds",
                         hint="run `seatctl demo` without them")
