"""Values as a TOML file writes them: `true`, `5.0`, `"https://api.example"`.

`config show`, `get` and `set` print values this way, so what is printed can be pasted into
the config file as it is. Standard library only.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
_TEMPORAL = (datetime.datetime, datetime.date, datetime.time)


def toml_literal(value: Any) -> str:
    """`value` as TOML writes it ("" for None, which TOML cannot hold)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # 5, 5.0, 1e+20, inf, nan: all TOML
    if isinstance(value, str | PurePath):
        return toml_string(str(value))
    if isinstance(value, _TEMPORAL):
        return value.isoformat()
    return _compound(value)


def toml_string(text: str) -> str:
    """A basic (double-quoted) TOML string; control characters escaped."""
    return '"' + "".join(_escaped(ch) for ch in text) + '"'


def _escaped(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    return f"\\u{ord(ch):04X}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch


def _compound(value: Any) -> str:
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(str(key))} = {toml_literal(item)}"
                          for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    return toml_string(str(value))


def _key(name: str) -> str:
    bare = name and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name)
    return name if bare else toml_string(name)
