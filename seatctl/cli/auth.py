"""`seatctl login | logout | whoami`."""


from typing import Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.context import App


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
    import json as jsonlib

    from seatctl.api.endpoints import login as login_call
    from seatctl.config.credentials import credentials_path, store_token
    from seatctl.render import messages

    app = get_app(ctx)
    as_json = app.want_json(json)
    email = email or _ask(app, "Email", hide=False, flag="--email")
    password = _password(app, password_stdin)
    with app.client(with_token=False) as client:
        result = login_call(client, email, password)
    path = credentials_path(app.env)
    profile = app.settings.profile
    store_token(path, profile, result.token, app.settings.base_url)
    app.streams.add_secret(result.token)
    if as_json:
        app.streams.write_data(jsonlib.dumps({
            "user": result.user.model_dump(by_alias=True), "profile": profile,
            "credentials": str(path)}))
    messages.success(app.streams, f"logged in as {result.user.email} (profile {profile}); "
                                  f"token stored in {path}")


def logout(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Forget the stored token of the active profile.

    Examples:
      seatctl logout
      seatctl logout -p staging
    """
    import json as jsonlib

    from seatctl.config.credentials import credentials_path, remove_token
    from seatctl.render import messages

    app = get_app(ctx)
    as_json = app.want_json(json)
    path = credentials_path(app.env)
    profile = app.settings.profile
    removed = remove_token(path, profile)
    if as_json:
        app.streams.write_data(jsonlib.dumps({"profile": profile, "removed": removed}))
    if removed:
        messages.success(app.streams, f"logged out of profile {profile}")
    else:
        messages.warning(app.streams, f"profile {profile} had no stored token")
    if app.loaded.sources["token"].startswith(("environment", "command line", "config file")):
        messages.warning(app.streams, f"a token still comes from {app.loaded.sources['token']}")


def whoami(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Who the token belongs to (GET /api/auth/profile).

    Examples:
      seatctl whoami
      seatctl whoami -p staging --json
    """
    import json as jsonlib

    from seatctl.api.endpoints import profile as profile_call
    from seatctl.sanitize import printable

    app = get_app(ctx)
    as_json = app.want_json(json)
    with app.client() as client:
        user = profile_call(client)
    if as_json:
        app.streams.write_data(jsonlib.dumps({
            "user": user.model_dump(by_alias=True), "profile": app.settings.profile,
            "base_url": app.settings.base_url}))
        return
    name = f" ({printable(user.name)})" if user.name else ""
    role = f", role {printable(user.role)}" if user.role else ""
    app.streams.out.print(f"{printable(user.email)}{name}{role}", soft_wrap=True)
    app.streams.err.print(f"profile {app.settings.profile} at {app.settings.base_url}; token "
                          f"from {app.loaded.sources['token']}", soft_wrap=True)


def _password(app: App, from_stdin: bool) -> str:
    import sys

    from seatctl.errors import UsageError

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input gave no password")
        return password
    return _ask(app, "Password", hide=True, flag="--password-stdin")


def _ask(app: App, prompt: str, *, hide: bool, flag: str) -> str:
    from seatctl.errors import UsageError

    if not app.streams.can_prompt:
        raise UsageError(f"{prompt.lower()} needed and standard input is not a terminal: "
                         f"pass {flag}")
    answer = str(typer.prompt(prompt, hide_input=hide, err=True))
    if not hide:  # a password is taken as typed, spaces and all (as --password-stdin does)
        answer = answer.strip()
    if not answer:
        raise UsageError(f"no {prompt.lower()} given")
    return answer
