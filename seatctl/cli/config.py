"""`seatctl config show | get | profiles | use | path | set | unset`."""


from dataclasses import replace
from typing import Annotated

import typer

from seatctl.cli._common import FormatOption, JsonFlag, chosen_output, get_app
from seatctl.cli.completers import complete_config_key
from seatctl.cli.context import App
from seatctl.config.paths import config_file

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
    from seatctl.config.profiles import overridden_by_environment, use_profile
    from seatctl.render.settings import render_switch

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    switch = use_profile(name, config_file(seatctl.env))
    render_switch(seatctl.streams, switch, as_json=as_json,
                  overriding=overridden_by_environment(name, seatctl.env))


@app.command("path")
def path(ctx: typer.Context, json: JsonFlag = False) -> None:
    """The config file's path (whether or not it exists yet).

    Examples:
      seatctl config path
      seatctl config path --json
    """
    from seatctl.render.settings import render_config_path

    seatctl = get_app(ctx)
    render_config_path(seatctl.streams, config_file(seatctl.env),
                       as_json=seatctl.want_json(json))


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
    from seatctl.config.profiles import set_setting
    from seatctl.render.settings import render_set

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    seatctl.streams.add_secret(value if key == "token" else None)
    change = set_setting(key, value, profile=profile, active=seatctl.options.profile,
                         env=seatctl.env, path=config_file(seatctl.env))
    render_set(seatctl.streams, change, as_json=as_json)


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArgument, profile: ProfileOption = None,
          json: JsonFlag = False) -> None:
    """Remove KEY from the profile's table, so the next layer's value applies again.

    Examples:
      seatctl config unset timeout
      seatctl config unset base_url --profile staging
    """
    from seatctl.config.profiles import unset_setting
    from seatctl.render.settings import render_unset

    seatctl = get_app(ctx)
    as_json = seatctl.want_json(json)
    change = unset_setting(key, profile=profile, active=seatctl.options.profile,
                           env=seatctl.env, path=config_file(seatctl.env))
    render_unset(seatctl.streams, change, as_json=as_json)


def _reading(seatctl: App, profile: str | None) -> App:
    """The command's own --profile (the profile to read) in place of the global one."""
    if profile is not None:
        seatctl.options = replace(seatctl.options, profile=profile)
    return seatctl
