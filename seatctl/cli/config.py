"""`seatctl config show | get | profiles | use | path | set | unset`."""


from typing import TYPE_CHECKING, Annotated

import typer

from seatctl.cli._common import FormatOption, JsonFlag, chosen_output, get_app
from seatctl.cli.completers import complete_config_key
from seatctl.cli.context import App

if TYPE_CHECKING:
    from pathlib import Path

    from seatctl.config.profiles import Switch

app = typer.Typer(help="""Show and change settings (config file, profiles).

    Examples:
      seatctl config show
      seatctl config set base_url https://api.example.com --profile staging
      seatctl config use staging
    """, no_args_is_help=True,
                  add_completion=False, rich_markup_mode=None)

ProfileOption = Annotated[str | None, typer.Option(
    "--profile", "-p", help="Profile to write (default: the active profile).", show_default=False,
)]
KeyArgument = Annotated[str, typer.Argument(
    metavar="KEY", help="A config key, as `config show` lists them.",
    autocompletion=complete_config_key)]
ReadProfileOption = Annotated[str | None, typer.Option(
    "--profile", "-p", help="Profile to read (default: the active profile).", show_default=False,
)]


# `config set` must take negative numbers as values, not as unknown options.
VALUE_SETTINGS = {"ignore_unknown_options": True}


@app.command("show")
def show(ctx: typer.Context, profile: ReadProfileOption = None, output: FormatOption = None,
         json: JsonFlag = False) -> None:
    """Every setting in effect, with the source it came from (the token as ****).

    Examples:
      seatctl config show
      seatctl config show --profile staging
      seatctl config show --format json
    """
    from seatctl.render.settings import render_settings

    seatctl = _reading(get_app(ctx), profile)
    # first: an error loading the settings is a JSON document too
    chosen = chosen_output(seatctl, output, json=json)
    render_settings(seatctl.streams, seatctl.loaded, chosen)


@app.command("get")
def get(ctx: typer.Context, key: KeyArgument, profile: ReadProfileOption = None,
        json: JsonFlag = False) -> None:
    """The value of KEY in effect (with -v, its source); exit 1 when it is not set.

    Examples:
      seatctl config get base_url
      seatctl config get timeout -v
      seatctl config get base_url --profile staging --json
    """
    from seatctl.config.settings import KEYS, unknown_key
    from seatctl.render.settings import render_value

    seatctl = _reading(get_app(ctx), profile)
    as_json = seatctl.want_json(json)
    if key not in KEYS:
        raise unknown_key(key)
    loaded = seatctl.loaded
    render_value(seatctl.streams, loaded, key, as_json=as_json,
                 verbose=seatctl.options.verbose > 0)
    if getattr(loaded.settings, key) is None:
        raise typer.Exit(1)


@app.command("profiles")
def profiles(
    ctx: typer.Context,
    profile: ReadProfileOption = None,
    output: FormatOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the names only.")] = False,
    json: JsonFlag = False,
) -> None:
    """The profiles in the config file, which one is active and why, and their base URLs.

    Examples:
      seatctl config profiles
      seatctl config profiles --quiet
      seatctl config profiles --format json
    """
    from seatctl.config.paths import config_file
    from seatctl.config.profiles import list_profiles
    from seatctl.render.settings import render_profiles

    seatctl = _reading(get_app(ctx), profile)
    chosen = chosen_output(seatctl, output, json=json, quiet=quiet)
    listing = list_profiles(seatctl.options.profile, seatctl.env, config_file(seatctl.env))
    render_profiles(seatctl.streams, listing, chosen, quiet=quiet)


@app.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="A profile in the config file.")],
    json: JsonFlag = False,
) -> None:
    """Make NAME the active profile: writes the top-level `profile = NAME`.

    Examples:
      seatctl config use staging
      seatctl config use default
    """
    from seatctl.config.paths import config_file
    from seatctl.config.profiles import use_profile

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    switch = use_profile(name, config_file(seatctl.env))
    _report(seatctl, as_json, {"path": str(switch.path), "profile": name,
                               "previous": switch.previous, "changed": switch.changed},
            _switched(switch))
    _warn_if_overridden(seatctl, name)


@app.command("path")
def path(ctx: typer.Context, json: JsonFlag = False) -> None:
    """The config file's path (whether or not it exists yet).

    Examples:
      seatctl config path
      seatctl config path --json
    """
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

    Examples:
      seatctl config set base_url https://api.example.com
      seatctl config set retries 5 --profile staging
      seatctl config set timeout 30
    """
    from seatctl.config.settings import json_value, shown_value, validate_value
    from seatctl.config.store import set_value

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    seatctl.streams.add_secret(value if key == "token" else None)
    stored = validate_value(key, value, f"command line `config set {key}`")
    target, path = _target(seatctl, key, profile)
    if key == "profile":  # the profile it selects must exist, or every later command fails
        from seatctl.config.settings import existing_profile, read_config_document

        existing_profile(stored, "command line `config set profile`",
                         read_config_document(path), path)
    set_value(path, target, key, stored)
    _report(seatctl, as_json, {"path": str(path), "profile": target, "key": key,
                               "value": json_value(key, stored), "changed": True},
            f"set {key} = {shown_value(key, stored)} in {_where(target)} of {path}")


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArgument, profile: ProfileOption = None,
          json: JsonFlag = False) -> None:
    """Remove KEY from the profile's table, so the next layer's value applies again.

    Examples:
      seatctl config unset timeout
      seatctl config unset base_url --profile staging
    """
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


def _reading(seatctl: App, profile: str | None) -> App:
    """The command's own --profile (the profile to read) in place of the global one."""
    if profile is not None:
        from dataclasses import replace

        seatctl.options = replace(seatctl.options, profile=profile)
    return seatctl


def _switched(switch: "Switch") -> str:
    from seatctl.config.values import toml_string

    name = toml_string(switch.profile)
    if not switch.changed:
        return f"already using profile {name} in {switch.path}"
    was = "" if switch.previous is None else f" (was {toml_string(switch.previous)})"
    return f"switched to profile {name}{was} in {switch.path}"


def _warn_if_overridden(seatctl: App, name: str) -> None:
    """SEATCTL_PROFILE outranks the file: say so, or `config use` seems not to work."""
    from seatctl.config.settings import ENV_PREFIX, env_layer
    from seatctl.render import messages

    overriding = env_layer(seatctl.env).get("profile")
    if overriding is not None and overriding != name:
        messages.warning(seatctl.streams, f"{ENV_PREFIX}PROFILE={overriding} still chooses "
                                          "the profile in this environment")


def _where(profile: str | None) -> str:
    return "the top level" if profile is None else f"[profiles.{profile}]"


def _report(seatctl: App, as_json: bool, document: dict[str, object], message: str, *,
            warn: bool = False) -> None:
    import json as jsonlib

    from seatctl.render import messages

    if as_json:
        seatctl.streams.write_data(jsonlib.dumps(document))
    (messages.warning if warn else messages.success)(seatctl.streams, message)
