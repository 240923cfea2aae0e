"""`seatctl config show | path | set | unset`."""

from __future__ import annotations

from typing import Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app

app = typer.Typer(help="Show and change settings (config file, profiles).", no_args_is_help=True)

ProfileOption = Annotated[str | None, typer.Option(
    "--profile", "-p", help="Profile to write (default: the active profile).", show_default=False,
)]


@app.command("show")
def show(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Every setting in effect, with the source it came from (the token as ****)."""
    from seatctl.render.settings import render_settings

    seatctl = get_app(ctx)
    render_settings(seatctl.streams, seatctl.loaded, as_json=seatctl.want_json(json))


@app.command("path")
def path(ctx: typer.Context) -> None:
    """The config file's path (whether or not it exists yet)."""
    from seatctl.config.paths import config_file

    seatctl = get_app(ctx)
    seatctl.streams.write_data(str(config_file(seatctl.env)))


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A config key, as `config show` lists them.")],
    value: Annotated[str, typer.Argument(help="The value; validated before it is written.")],
    profile: ProfileOption = None,
) -> None:
    """Write KEY = VALUE into the profile's table of the config file (mode 0600)."""
    from seatctl.config.settings import SECRET_KEYS, validate_value
    from seatctl.config.store import set_value
    from seatctl.render import messages

    seatctl = get_app(ctx)
    if key in SECRET_KEYS:
        seatctl.streams.add_secret(value)
    target = profile or seatctl.settings.profile
    path = seatctl.loaded.path
    stored = validate_value(key, value, f"command line `config set {key}`")
    set_value(path, target, key, stored)
    shown = "****" if key in SECRET_KEYS else repr(stored)
    messages.success(seatctl.streams, f"set {key} = {shown} in [profiles.{target}] of {path}")


@app.command("unset")
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A config key.")],
    profile: ProfileOption = None,
) -> None:
    """Remove KEY from the profile's table, so the next layer's value applies again."""
    from seatctl.config.settings import KEYS
    from seatctl.config.store import unset_value
    from seatctl.errors import ConfigError
    from seatctl.render import messages

    seatctl = get_app(ctx)
    if key not in KEYS:
        raise ConfigError(f"unknown key {key!r}; known keys: {', '.join(KEYS)}", key=key)
    target = profile or seatctl.settings.profile
    path = seatctl.loaded.path
    if unset_value(path, target, key):
        messages.success(seatctl.streams, f"removed {key} from [profiles.{target}] of {path}")
    else:
        messages.warning(seatctl.streams, f"{key} is not set in [profiles.{target}] of {path}")
