"""`seatctl login | logout | whoami`."""


import sys
from typing import Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.context import App
from seatctl.errors import UsageError


def login(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Option(
        "--email", metavar="EMAIL", help="Account email; asked for when omitted on a terminal.",
        show_default=False)] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).",
    )] = False,
    json: JsonFlag = False,
) -> None:
    """Log in and store the token for the active profile (a 0600 file; never printed).

    Examples:
      seatctl login
      seatctl login --email ops@example.com -p staging
      echo "$PASSWORD" | seatctl login --email ops@example.com --password-stdin
    """
    from seatctl.api.endpoints import login as login_call
    from seatctl.config.credentials import credentials_path, store_token
    from seatctl.render.account import render_login

    app = get_app(ctx)
    as_json = app.want_json(json)
    email = email or _ask(app, "Email", hide=False, flag="--email")
    password = _password(app, password_stdin)
    with app.client(with_token=False) as client:
        result = login_call(client, email, password)
    path = credentials_path(app.env)
    store_token(path, app.settings.profile, result.token, app.settings.base_url)
    app.streams.add_secret(result.token)
    render_login(app.streams, result.user, profile=app.settings.profile, stored_in=path,
                 as_json=as_json)


def logout(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Forget the stored token of the active profile.

    Examples:
      seatctl logout
      seatctl logout -p staging
    """
    from seatctl.config.credentials import credentials_path, remove_token
    from seatctl.render.account import render_logout

    app = get_app(ctx)
    as_json = app.want_json(json)
    removed = remove_token(credentials_path(app.env), app.settings.profile)
    render_logout(app.streams, profile=app.settings.profile, removed=removed,
                  token_source=app.loaded.sources["token"], as_json=as_json)


def whoami(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Who the token belongs to (GET /api/auth/profile).

    Examples:
      seatctl whoami
      seatctl whoami -p staging --json
    """
    from seatctl.api.endpoints import profile
    from seatctl.render.account import render_whoami

    app = get_app(ctx)
    as_json = app.want_json(json)
    with app.client() as client:
        user = profile(client)
    render_whoami(app.streams, user, profile=app.settings.profile,
                  base_url=app.settings.base_url, token_source=app.loaded.sources["token"],
                  as_json=as_json)


def _password(app: App, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input gave no password")
        return password
    return _ask(app, "Password", hide=True, flag="--password-stdin")


def _ask(app: App, prompt: str, *, hide: bool, flag: str) -> str:
    if not app.streams.can_prompt:
        raise UsageError(f"{prompt.lower()} needed and standard input is not a terminal: "
                         f"pass {flag}")
    answer = str(typer.prompt(prompt, hide_input=hide, err=True))
    if not hide:  # a password is taken as typed, spaces and all (as --password-stdin does)
        answer = answer.strip()
    if not answer:
        raise UsageError(f"no {prompt.lower()} given")
    return answer
