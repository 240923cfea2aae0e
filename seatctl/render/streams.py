"""IOStreams: stdout for data, stderr for everything else; colour and TTY decided once.

Both consoles write through a redacting file, so a secret registered with `add_secret`
(the token) is masked in every byte seatctl prints, whatever code path printed it.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, cast

from rich.console import Console

from seatctl.redact import REDACTED

MIN_SECRET_LENGTH = 8


class RedactingFile(io.TextIOBase):
    """A text stream that masks registered secrets before they reach the real stream."""

    def __init__(self, stream: IO[str], secrets: list[str]) -> None:
        super().__init__()
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def binary(self) -> IO[bytes] | None:
        """The byte stream under the text one, for binary output (a PDF on stdout)."""
        buffer: IO[bytes] | None = getattr(self._stream, "buffer", None)
        return buffer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """`seatctl ... | head`: the reader has had enough. Stop quietly; that is success
        (Rich's own handler exits 1, which would read as an unexpected error)."""
        self.quiet = True
        raise BrokenPipeError


def color_wanted(stream_is_tty: bool, no_color_flag: bool, env: Mapping[str, str]) -> bool:
    """clig.dev's rule: off for --no-color, NO_COLOR or TERM=dumb; on for FORCE_COLOR or a TTY."""
    if no_color_flag or env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    if env.get("FORCE_COLOR", "0") not in ("", "0", "false"):
        return True
    return stream_is_tty


@dataclass
class IOStreams:
    out: Console
    err: Console
    stdin_is_tty: bool
    stdout_is_tty: bool
    stderr_is_tty: bool
    secrets: list[str] = field(default_factory=list)

    @classmethod
    def system(cls, *, no_color: bool = False, env: Mapping[str, str] | None = None) -> IOStreams:
        env = os.environ if env is None else env
        secrets: list[str] = []
        stdout, stderr = _open_or_null(sys.stdout), _open_or_null(sys.stderr)
        stdin_tty = _isatty(sys.stdin)
        stdout_tty, stderr_tty = _isatty(stdout), _isatty(stderr)
        out = _console(_redacting(stdout, secrets), stdout_tty, no_color, env)
        err = _console(_redacting(stderr, secrets), stderr_tty, no_color, env)
        return cls(out, err, stdin_tty, stdout_tty, stderr_tty, secrets)

    @classmethod
    def test(cls, *, tty: bool = False, color: bool = False, width: int = 80) -> IOStreams:
        """Buffered streams for tests; read them back with `out_text()` / `err_text()`."""
        secrets: list[str] = []
        options: dict[str, Any] = {"force_terminal": tty, "width": width,
                                   "color_system": "truecolor" if color else None}
        out = _Console(file=_redacting(io.StringIO(), secrets), **_quiet(), **options)
        err = _Console(file=_redacting(io.StringIO(), secrets), **_quiet(), **options)
        return cls(out, err, tty, tty, tty, secrets)

    def add_secret(self, secret: str | None) -> None:
        # Masking is by substring: a very short "secret" would mask pieces of every line
        # (and break JSON); real tokens are long (a JWT is well over 100 characters).
        if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in self.secrets:
            self.secrets.append(secret)

    @property
    def can_prompt(self) -> bool:
        return self.stdin_is_tty and self.stdout_is_tty

    @property
    def can_animate(self) -> bool:
        """Spinners and live views: only when a person watches both streams."""
        return self.stdout_is_tty and self.stderr_is_tty and not self.err.is_dumb_terminal

    def write_data(self, text: str) -> None:
        """Raw data (JSON) on stdout: no wrapping, no markup, no highlighting."""
        self.out.file.write(text if text.endswith("\n") else text + "\n")
        self.out.file.flush()

    def write_binary(self, data: bytes) -> bool:
        """Bytes on stdout (a PDF with `-o -`), past the text layers and the redaction (no
        token is in a server's binary); False when stdout has no byte stream under it."""
        self.out.file.flush()
        binary = getattr(self.out.file, "binary", None) or getattr(self.out.file, "buffer",
                                                                     None)
        if binary is None:
            return False
        binary.write(data)
        binary.flush()
        return True

    def out_text(self) -> str:
        return _buffer(self.out)

    def err_text(self) -> str:
        return _buffer(self.err)


def _redacting(stream: IO[str], secrets: list[str]) -> IO[str]:
    return cast(IO[str], RedactingFile(stream, secrets))


def _console(file: IO[str], is_tty: bool, no_color: bool, env: Mapping[str, str]) -> Console:
    color = color_wanted(is_tty, no_color, env)
    return _Console(
        file=file,
        force_terminal=True if color and not is_tty else None,
        color_system="auto" if color else None,
        **_quiet(),
    )


def _quiet() -> dict[str, Any]:
    # Markup, emoji and highlighting off: server-supplied text is printed as it is, never
    # reinterpreted as styling.
    return {"markup": False, "emoji": False, "highlight": False}


def _open_or_null(stream: IO[str] | None) -> IO[str]:
    """A stream closed by the caller (`seatctl ... >&-`) becomes /dev/null."""
    if stream is None or stream.closed:
        return open(os.devnull, "w", encoding="utf-8")
    return stream


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _buffer(console: Console) -> str:
    file = console.file
    inner = getattr(file, "_stream", file)
    return inner.getvalue() if isinstance(inner, io.StringIO) else ""
