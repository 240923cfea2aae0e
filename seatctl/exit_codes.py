"""The documented exit codes: one enum, mapped from errors only in the CLI entry point."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # unexpected error, or findings at or above the chosen threshold
    USAGE = 2  # usage or configuration error (click's own code for usage errors)
    REJECTED = 3  # booking rejected or failed
    PENDING = 4  # still pending when the wait ended
    AUTH = 5  # authentication or permission
    NETWORK = 6  # network failure after retries: DNS, refused, reset, TLS, timeout
    SERVER = 7  # server error, rate limited, or malformed response
    NOT_FOUND = 8
    INTERRUPTED = 130


EXIT_CODE_TABLE: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success"),
    (ExitCode.FAILURE, "unexpected error, findings at or above the chosen threshold, "
                       "`config get` of a key with no value, or no at a confirmation prompt"),
    (ExitCode.USAGE, "usage or configuration error"),
    (ExitCode.REJECTED, "booking rejected or failed, an event that has started, a ticket not "
                        "admitted (also other 4xx rejections: 400, 409, 422)"),
    (ExitCode.PENDING, "still pending when the wait ended"),
    (ExitCode.AUTH, "authentication or permission (401, 403)"),
    (ExitCode.NETWORK, "network failure after retries (DNS, refused, reset, TLS, timeout)"),
    (ExitCode.SERVER, "server error (5xx), rate limited (429), or malformed response"),
    (ExitCode.NOT_FOUND, "not found (404)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)
