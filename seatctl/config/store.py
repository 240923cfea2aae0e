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


def set_value(path: Path, profile: str, key: str, value: Any) -> None:
    """Write `key = value` into `[profiles.<profile>]`, creating file and table as needed."""
    document = _read(path)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    if profile not in profiles:
        profiles[profile] = tomlkit.table()
    profiles[profile][key] = value
    write_private(path, tomlkit.dumps(document))


def unset_value(path: Path, profile: str, key: str) -> bool:
    """Remove `key` from `[profiles.<profile>]`; returns whether it was there."""
    document = _read(path)
    table = document.get("profiles", {}).get(profile)
    if table is None or key not in table:
        return False
    del table[key]
    write_private(path, tomlkit.dumps(document))
    return True


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
    except TOMLKitError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}",
                          source=str(path)) from None
