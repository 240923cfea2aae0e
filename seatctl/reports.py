"""Report files (JUnit XML, the report to paste) written all or nothing: a CI job that reads
one while it is written, or a run killed meanwhile, never sees half a report.

    write_report_file(Path("doctor.xml"), xml, "JUnit report")
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path

from seatctl.errors import UsageError

# As `open(path, "w")` creates a file: read and write for all, less the umask (the kernel
# applies it). A file already there keeps its permissions.
NEW_FILE_MODE = 0o666


def write_report_file(path: Path, text: str, what: str, *, append: bool = False,
                      mode: int | None = None) -> None:
    """`text` into `path`: a temporary file beside it, flushed to disk, renamed over it
    (written into in place where a rename would not do the same: see `_replaceable`).

    `append` (the GitHub job summary, a file the runner shares between steps) adds to the
    end in place instead. `mode`: the permissions to give the file, whatever they were.
    Any failure is a UsageError "cannot write the WHAT PATH: REASON"."""
    try:
        if append:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(text)
        else:
            _replace(path, text, mode)
    except OSError as exc:
        raise UsageError(f"cannot write the {what} {path}: {exc.strerror}") from None


def _replace(path: Path, text: str, mode: int | None) -> None:
    if not _replaceable(path):
        _write_in_place(path, text, mode)
        return
    folder = path.parent if str(path.parent) else Path(".")
    kept = _mode_of(path) if mode is None else mode
    descriptor, temporary = _create_beside(folder, path.name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if kept is not None:
            os.chmod(temporary, kept)
        os.replace(temporary, path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)


def _replaceable(path: Path) -> bool:
    """Whether renaming a new file over `path` writes what writing into it would: not for a
    link (symbolic or hard: the other names would keep the old report), a FIFO or a device
    (`/dev/stdout`), or a file its owner made read-only (the rename would not ask)."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return True
    return (stat.S_ISREG(status.st_mode) and status.st_nlink == 1
            and os.access(path, os.W_OK))


def _write_in_place(path: Path, text: str, mode: int | None) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
    if mode is not None and path.is_file():
        os.chmod(path, mode)


def _mode_of(path: Path) -> int | None:
    """The permissions of the file `path` names, if there is one."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None


def _create_beside(folder: Path, name: str) -> tuple[int, Path]:
    """A new file `.NAME.RANDOM.part` in `folder`, open for writing, created with
    NEW_FILE_MODE less the umask."""
    while True:
        temporary = folder / f".{name}.{secrets.token_hex(4)}.part"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            return os.open(temporary, flags, NEW_FILE_MODE), temporary
        except FileExistsError:
            continue
