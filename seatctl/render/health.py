"""Rendering `seatctl ping`: the answer's line, then the health document as indented fields
(a nested object as indented sub-fields, a list joined or, of objects, one `-` item each),
the identifying headers and the rate-limit budget.

On a terminal a long value wraps under itself, never inside a token; elsewhere each field
stays one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.render.tokens import say
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.api.health import Health
    from seatctl.render.streams import IOStreams

STEP = 2  # spaces per level of nesting
HANGING = 4  # a wrapped value's further lines, beyond its field's indent


def render_health(streams: IOStreams, health: Health, *, as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps(health.as_dict()))
        return
    out = streams.out
    say(out, Text.assemble(
        ("✓ ", "green"), f"{printable(health.url)} answered {health.status_code} in ",
        (f"{health.latency_s * 1000:.0f} ms", "bold"),
        f" (attempt {health.attempts})" if health.attempts > 1 else "",
    ), STEP)
    for part in (health.body.model_dump(exclude_none=True), health.server_headers,
                 {"rate limit": health.budget_line()}):
        for line in field_lines(part, STEP):
            say(out, line, _indent_of(line) + HANGING)


def field_lines(document: Mapping[str, Any], indent: int) -> Iterator[Text]:
    """`name: value` per field at `indent` spaces; an object's fields on the lines below
    its name, `STEP` further in."""
    pad = " " * indent
    for name, value in document.items():
        label = (f"{printable(name)}:", "dim")
        if isinstance(value, Mapping) and value:
            yield Text.assemble(pad, label)
            yield from field_lines(value, indent + STEP)
        elif _is_list_of_objects(value):
            yield Text.assemble(pad, label)
            yield from _items(value, indent + STEP)
        else:
            yield Text.assemble(pad, label, " ", scalar(value))


def _items(values: list[Any], indent: int) -> Iterator[Text]:
    """A list of objects, YAML's way: `- ` before each one's first field."""
    for value in values:
        if not isinstance(value, Mapping) or not value:
            yield Text(" " * indent + "- " + scalar(value))
            continue
        lines = list(field_lines(value, indent + STEP))
        first = lines[0]
        yield Text.assemble(" " * indent, "- ", first[indent + STEP:])
        yield from lines[1:]


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, Mapping) for item in value)


def scalar(value: Any) -> str:
    """As JSON writes it (`true`, `null`, `3`), strings as they are; a list joined."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return ", ".join(scalar(item) for item in value)
    if isinstance(value, Mapping):
        return "{}"
    return printable(json.dumps(value, default=str))


def _indent_of(line: Text) -> int:
    return len(line.plain) - len(line.plain.lstrip(" "))
