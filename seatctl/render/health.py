"""Rendering `seatctl ping`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text

from seatctl.render.sanitize import printable

if TYPE_CHECKING:
    from seatctl.api.health import Health
    from seatctl.render.streams import IOStreams


def render_health(streams: IOStreams, health: Health, *, as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps(health.as_dict()))
        return
    streams.out.print(Text.assemble(
        ("✓ ", "green"), f"{printable(health.url)} answered {health.status_code} in ",
        (f"{health.latency_s * 1000:.0f} ms", "bold"),
        f" (attempt {health.attempts})" if health.attempts > 1 else "",
    ), soft_wrap=True)
    for name, value in health.body.model_dump(exclude_none=True).items():
        streams.out.print(Text.assemble("  ", (f"{printable(name)}:", "dim"),
                                        f" {printable(value)}"), soft_wrap=True)
    for name, value in health.server_headers.items():
        streams.out.print(Text.assemble("  ", (f"{name}:", "dim"), f" {printable(value)}"),
                          soft_wrap=True)
    streams.out.print(Text.assemble("  ", ("rate limit:", "dim"), f" {health.budget_line()}"),
                      soft_wrap=True)
