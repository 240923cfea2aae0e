"""Writing the config file: comments and layout kept (tomlkit), owner-only permissions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from seatctl.errors import ConfigError

FILE_MODE = 0o600  # the file may hold a token
DIR_MODE = 0o700


def set_value(path: Path, profile: str | None, key: str, value: Any) -> None:
    """Write `key = value` into `[profiles.<profile>]` (the top level when profile is None),
    creating the file and the table as needed."""
    document = _read(path)
    if profile is None:
        _set_top_level(document, key, value)
    else:
        profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        if profile not in profiles:
            profiles[profile] = tomlkit.table()
        profiles[profile][key] = value
    write_private(path, tomlkit.dumps(document))


def unset_value(path: Path, profile: str | None, key: str) -> bool:
    """Remove `key` from `[profiles.<profile>]` (or the top level); returns whether it was
    there. An emptied profile table stays: it still names an existing profile."""
    document = _read(path)
    table = document if profile is None else document.get("profiles", {}).get(profile)
    if table is None or key not in table:
        return False
    del table[key]
    write_private(path, tomlkit.dumps(document))
    return True


def _set_top_level(document: tomlkit.TOMLDocument, key: str, value: Any) -> None:
    # Top-level keys must come before the first table, or TOML reads them as the table's.
    if key in document:
        document[key] = value
        return
    body = document.body
    first_table = next((index for index, (name, item) in enumerate(body)
                        if name is not None and isinstance(item, tomlkit.items.Table)), None)
    if first_table is None:
        document[key] = value
    else:
        document.body.insert(first_table, (tomlkit.key(key), tomlkit.item(value)))


def write_private(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, readable by its owner only (0600)."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)  # O_CREAT's mode is masked by the umask
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text", source=str(path)) from None
    except TOMLKitError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}",
                          source=str(path)) from None
