"""How a booking's state looks: a glyph and a style each, so it reads without colour too."""

from __future__ import annotations

STATES: dict[str, tuple[str, str]] = {
    "created": ("○", "dim"),  # written, not yet answered by the server
    "submitted": ("…", "cyan"),  # answered with a job id, no status seen yet
    "queued": ("…", "cyan"),
    "processing": ("↻", "cyan"),
    "pending": ("…", "cyan"),
    "contended": ("~", "yellow"),
    "confirmed": ("✓", "bold green"),
    "rejected": ("✗", "bold red"),
    "failed": ("✗", "bold red"),
    "cancelled": ("⊖", "dim"),  # confirmed, then cancelled
    "refused": ("⊘", "yellow"),  # the POST was refused for who sent it (401/403)
    "unknown": ("?", "yellow"),  # the status could not be read
}
UNKNOWN = ("?", "")


def glyph_and_style(state: str) -> tuple[str, str]:
    return STATES.get(state, UNKNOWN)
