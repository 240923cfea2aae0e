"""`seatctl config show | path | set | unset`."""


from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import JsonFlag, get_app
from seatctl.cli.context import App

if TYPE_CHECKING:
    from pathlib import Path

app = typer.Typer(help="Show and change settings (config file, profiles).", no_args_is_help=True,
                  add_completion=False, rich_markup_mode=None)

ProfileOption = Annotated[str | None, typer.Option(
    "--profile", "-p", help="Profile to write (default: the active profile).", show_default=False,
)]
KeyArgument = Annotated[str, typer.Argument(
    metavar="KEY", help="A config key, as `config show` lists them.")]
# `config set` must take negative numbers as values, not as unknown options.
VALUE_SETTINGS = {"ignore_unknown_options": True}


@app.command("show")
def show(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Every setting in effect, with the source it came from (the token as ****)."""
    from seatctl.render.settings import render_settings

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    render_settings(seatctl.streams, seatctl.loaded, as_json=as_json)


@app.command("path")
def path(ctx: typer.Context, json: JsonFlag = False) -> None:
    """The config file's path (whether or not it exists yet)."""
    import json as jsonlib

    from seatctl.config.paths import config_file

    seatctl = get_app(ctx)
    location = str(config_file(seatctl.env))
    seatctl.streams.write_data(jsonlib.dumps({"path": location}) if seatctl.want_json(json)
                               else location)


@app.command("set", context_settings=VALUE_SETTINGS)
def set_(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[str, typer.Argument(
        metavar="VALUE", help="The value; validated before it is written.")],
    profile: ProfileOption = None,
    json: JsonFlag = False,
) -> None:
    """Write KEY = VALUE into the profile's table of the config file (mode 0600).

    `profile` itself is written at the top level: it chooses the active profile.
    """
    from seatctl.config.settings import active_profile, shown_value, validate_value
    from seatctl.config.store import set_value

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    seatctl.streams.add_secret(value if key == "token" else None)
    stored = validate_value(key, value, f"command line `config set {key}`")
    target, path = _target(seatctl, key, profile)
    if key == "profile":  # the profile it selects must exist, or every later command fails
        active_profile(stored, {}, path)
    set_value(path, target, key, stored)
    _report(seatctl, as_json, {"path": str(path), "profile": target, "key": key,
                               "value": shown_value(key, stored), "changed": True},
            f"set {key} = {shown_value(key, stored)} in {_where(target)} of {path}")


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArgument, profile: ProfileOption = None,
          json: JsonFlag = False) -> None:
    """Remove KEY from the profile's table, so the next layer's value applies again."""
    from seatctl.config.settings import KEYS, unknown_key
    from seatctl.config.store import unset_value

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    if key not in KEYS:
        raise unknown_key(key)
    target, path = _target(seatctl, key, profile)
    removed = unset_value(path, target, key)
    message = (f"removed {key} from {_where(target)} of {path}" if removed
               else f"{key} is not set in {_where(target)} of {path}")
    _report(seatctl, as_json, {"path": str(path), "profile": target, "key": key,
                               "changed": removed}, message, warn=not removed)


def _target(seatctl: App, key: str, profile: str | None) -> "tuple[str | None, Path]":
    """Where `config set/unset` writes: the profile's table, or the top level for `profile`.

    Only what choosing the table needs is read, so a broken setting elsewhere can be fixed.
    """
    from seatctl.config.paths import config_file
    from seatctl.config.settings import active_profile, check_profile_name
    from seatctl.errors import UsageError

    path = config_file(seatctl.env)
    if key == "profile":
        return None, path
    if profile is not None:
        try:
            return check_profile_name(profile), path
        except ValueError as exc:
            raise UsageError(f"invalid --profile {profile!r}: {exc}") from None
    return active_profile(seatctl.options.profile, seatctl.env, path), path


def _where(profile: str | None) -> str:
    return "the top level" if profile is None else f"[profiles.{profile}]"


def _report(seatctl: App, as_json: bool, document: dict[str, object], message: str, *,
            warn: bool = False) -> None:
    import json as jsonlib

    from seatctl.render import messages

    if as_json:
        seatctl.streams.write_data(jsonlib.dumps(document))
    (messages.warning if warn else messages.success)(seatctl.streams, message)
