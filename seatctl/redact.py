"""Masking credentials. Standard library only: used by the consoles and the HTTP core."""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "****"
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
})


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers with every credential replaced; the auth scheme is kept for the reader."""
    shown = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization") and " " in value:
            value = f"{value.split(' ', 1)[0]} {REDACTED}"
        elif lowered in SECRET_HEADERS or "token" in lowered or "secret" in lowered:
            value = REDACTED
        shown.append((name, value))
    return shown


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced, as the consoles do (for files seatctl writes)."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
