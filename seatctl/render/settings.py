"""Rendering `seatctl config show | get | profiles | use | path | set | unset`: values as
TOML writes them, the token as ****.

Tables follow gh's convention (`seatctl.render.tables`): on a terminal a table, otherwise
tab-separated rows in a fixed column order, one record per line, no header, padding,
wrapping or colour.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.render import messages
from seatctl.render.tables import Column, OutputFormat, fit, lines, print_table, write_tsv
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from pathlib import Path

    from seatctl.config.profiles import Change, ProfileListing, Switch
    from seatctl.config.settings import LoadedSettings
    from seatctl.render.streams import IOStreams

Row = Sequence[str]

# The tab-separated fields (README: Configuration). Append only.
SETTINGS_COLUMNS = ("key", "value", "source")
PROFILE_COLUMNS = ("name", "active", "base_url", "chosen_by")


def settings_rows(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """(key, value as JSON carries it, source) for every key, secrets masked."""
    from seatctl.config.settings import KEYS, json_value

    return [(key, json_value(key, getattr(loaded.settings, key)), loaded.sources[key])
            for key in KEYS]


def text_value(key: str, value: Any) -> str:
    """A value as TOML writes it, a secret as ****, nothing for None."""
    from seatctl.config.settings import shown_value

    return "" if value is None else shown_value(key, value)


def render_settings(streams: IOStreams, loaded: LoadedSettings, output: OutputFormat
                    ) -> None:
    rows = settings_rows(loaded)
    if output is OutputFormat.JSON:
        document = {
            "path": str(loaded.path),
            "settings": {key: {"value": value, "source": source} for key, value, source in rows},
        }
        streams.write_data(json.dumps(document))
        return
    cells = [(key, text_value(key, value), source) for key, value, source in rows]
    write_rows(streams, SETTINGS_COLUMNS, cells, output, empty="-")
    if output is OutputFormat.TABLE:
        exists = "" if loaded.path.exists() else " (does not exist yet)"
        streams.err.print(f"config file: {printable(loaded.path)}{exists}", soft_wrap=True)


def render_value(streams: IOStreams, loaded: LoadedSettings, key: str, *, as_json: bool,
                 verbose: bool) -> None:
    """`config get KEY`: the value (nothing when unset), with its source if asked."""
    from seatctl.config.settings import json_value
    from seatctl.render import messages

    value = json_value(key, getattr(loaded.settings, key))
    source = loaded.sources[key]
    if as_json:
        streams.write_data(json.dumps({"key": key, "value": value, "source": source,
                                       "profile": loaded.settings.profile}))
    elif value is not None:
        shown = [text_value(key, value), *([source] if verbose else [])]
        streams.write_data("\t".join(printable(cell) for cell in shown))
    elif verbose:
        messages.note(streams, f"{key} is not set ({source})")


def render_profiles(streams: IOStreams, listing: ProfileListing, output: OutputFormat, *,
                    quiet: bool) -> None:
    if output is OutputFormat.JSON:
        # default=str: a base_url the file gives as a date (TOML has them) is still shown
        streams.write_data(json.dumps(profiles_document(listing), default=str))
    elif quiet:
        for profile in listing.profiles:
            streams.write_data(printable(profile.name))
    else:
        write_rows(streams, PROFILE_COLUMNS, _profile_rows(listing, output), output)
    if listing.problem is not None:
        from seatctl.render import messages

        messages.warning(streams, str(listing.problem))  # the message and its hint


def profiles_document(listing: ProfileListing) -> dict[str, Any]:
    return {
        "path": str(listing.path),
        "active": listing.active,
        "active_source": listing.active_source,
        "active_error": None if listing.problem is None else listing.problem.message,
        "profiles": [{"name": profile.name, "active": profile.active,
                      "base_url": profile.base_url, "base_url_source": profile.base_url_source}
                     for profile in listing.profiles],
    }


def _profile_rows(listing: ProfileListing, output: OutputFormat) -> list[Row]:
    from seatctl.config.values import toml_literal

    marks = ({True: "*", False: ""} if output is OutputFormat.TABLE
             else {True: "true", False: "false"})
    return [(profile.name, marks[profile.active], toml_literal(profile.base_url),
             listing.active_source if profile.active else "")
            for profile in listing.profiles]


def write_rows(streams: IOStreams, columns: Row, rows: Sequence[Row], output: OutputFormat,
               *, empty: str = "") -> None:
    """Tab-separated rows, or a table: every column but the last (a source) is never
    narrower than its widest cell; the last wraps between tokens (a path stays whole)."""
    if output is OutputFormat.TSV:
        write_tsv(streams, rows)
        return
    shown = [[printable(cell) or empty for cell in row] for row in rows]
    *fixed, last = columns
    table = [*(Column.fixed(name.replace("_", " "), [row[index] for row in shown])
               for index, name in enumerate(fixed)),
             Column.prose(last.replace("_", " "), [row[-1] for row in shown])]
    widths = fit(table, streams.out.width)
    print_table(streams.out, table, widths, [_cells(row, widths[-1] or 0) for row in shown])


def _cells(row: Row, last_width: int) -> list[Text]:
    *fixed, last = row
    return [Text(fixed[0], style="bold"), *(Text(cell) for cell in fixed[1:]),
            Text("\n".join(lines(last, last_width)), style="dim")]


# --- changes: `config use | set | unset`, and `config path` ---------------------------------


def render_switch(streams: IOStreams, switch: Switch, *, as_json: bool,
                  overriding: str | None) -> None:
    """`overriding`: the profile SEATCTL_PROFILE chooses instead, said in a warning."""
    from seatctl.config.settings import ENV_PREFIX
    from seatctl.config.values import toml_string

    name = toml_string(switch.profile)
    if not switch.changed:
        message = f"already using profile {name} in {switch.path}"
    else:
        was = "" if switch.previous is None else f" (was {toml_string(switch.previous)})"
        message = f"switched to profile {name}{was} in {switch.path}"
    _report(streams, as_json, {"path": str(switch.path), "profile": switch.profile,
                               "previous": switch.previous, "changed": switch.changed}, message)
    if overriding is not None:
        messages.warning(streams, f"{ENV_PREFIX}PROFILE={overriding} still chooses the "
                                  "profile in this environment")


def render_set(streams: IOStreams, change: Change, *, as_json: bool) -> None:
    from seatctl.config.settings import json_value, shown_value

    key, where = change.key, f"{_where(change.profile)} of {change.path}"
    _report(streams, as_json, {"path": str(change.path), "profile": change.profile, "key": key,
                               "value": json_value(key, change.value), "changed": True},
            f"set {key} = {shown_value(key, change.value)} in {where}")


def render_unset(streams: IOStreams, change: Change, *, as_json: bool) -> None:
    key, where = change.key, f"{_where(change.profile)} of {change.path}"
    message = (f"removed {key} from {where}" if change.changed
               else f"{key} is not set in {where}")
    _report(streams, as_json, {"path": str(change.path), "profile": change.profile, "key": key,
                               "changed": change.changed}, message, warn=not change.changed)


def render_config_path(streams: IOStreams, path: Path, *, as_json: bool) -> None:
    streams.write_data(json.dumps({"path": str(path)}) if as_json else str(path))


def _where(profile: str | None) -> str:
    return "the top level" if profile is None else f"[profiles.{profile}]"


def _report(streams: IOStreams, as_json: bool, document: dict[str, object], message: str, *,
            warn: bool = False) -> None:
    if as_json:
        streams.write_data(json.dumps(document))
    (messages.warning if warn else messages.success)(streams, message)
