"""Rendering `seatctl ping`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from seatctl.api.health import Health
    from seatctl.render.streams import IOStreams


def render_health(streams: IOStreams, health: Health, *, as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps(health.as_dict()))
        return
    body = health.body
    streams.out.print(Text.assemble(
        ("✓ ", "green"), f"{health.url} answered {health.status_code} in ",
        (f"{health.latency_s * 1000:.0f} ms", "bold"),
    ), soft_wrap=True)
    details = [f"{name} {value}" for name, value in (
        ("status", body.status), ("environment", body.environment), ("version", body.version),
    ) if value]
    if body.message:
        details.insert(0, repr(body.message))
    if details:
        streams.out.print(f"  {', '.join(details)}", soft_wrap=True)
    for name, value in health.server_headers.items():
        streams.out.print(Text.assemble("  ", (f"{name}:", "dim"), f" {value}"), soft_wrap=True)
