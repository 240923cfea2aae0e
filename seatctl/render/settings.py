"""Rendering `seatctl config show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from seatctl.redact import REDACTED

if TYPE_CHECKING:
    from seatctl.config.settings import LoadedSettings
    from seatctl.render.streams import IOStreams


def settings_rows(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """(key, shown value, source) for every key, secrets masked."""
    from seatctl.config.settings import KEYS, SECRET_KEYS

    rows = []
    for key in KEYS:
        value = getattr(loaded.settings, key)
        if key in SECRET_KEYS:
            value = REDACTED if value is not None else None
        elif isinstance(value, Path):
            value = str(value)
        rows.append((key, value, loaded.sources[key]))
    return rows


def render_settings(streams: IOStreams, loaded: LoadedSettings, *, as_json: bool) -> None:
    rows = settings_rows(loaded)
    if as_json:
        document = {
            "path": str(loaded.path),
            "settings": {key: {"value": value, "source": source} for key, value, source in rows},
        }
        streams.write_data(json.dumps(document))
        return
    if not streams.stdout_is_tty:  # one line per key, tab-separated: whole values for scripts
        for key, value, source in rows:
            streams.write_data(f"{key}\t{'' if value is None else value}\t{source}")
        return
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    table.add_column("source", style="dim")
    for key, value, source in rows:
        table.add_row(key, "-" if value is None else str(value), source)
    streams.out.print(table)
    streams.err.print(f"config file: {loaded.path}" + ("" if loaded.path.exists()
                                                       else " (does not exist yet)"),
                      soft_wrap=True)
