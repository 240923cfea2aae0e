"""Where the catalog's file lives, and its events listing read with the json module alone.

The catalog (`seatctl.booking.catalog`) validates its file with pydantic, which takes about
0.2 s to import: too much for shell completion, which runs seatctl on every TAB and offers
the cached event names. `fresh_listing` reads the same file without it and gives the events
`Catalog.events()` would give while the listing is fresh, else None. It never raises, never
writes, and never asks the network. Standard library only, and only what loads fast.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from seatctl.config.paths import cache_dir

EVENTS_MAX_AGE = 300.0  # seconds
FORMAT_VERSION: Literal[1] = 1


def catalog_path(base_url: str, env: Mapping[str, str] | None = None) -> Path:
    digest = _sha256_hex(base_url.encode("utf-8"))[:16]
    return cache_dir(env) / "catalog" / f"{digest}.json"


def _sha256_hex(data: bytes) -> str:
    # CPython's builtin SHA-256 (_sha2 from 3.12, _sha256 before) loads in microseconds;
    # hashlib loads OpenSSL first, about 2 ms of a TAB.
    for name in ("_sha2", "_sha256"):
        try:
            return str(importlib.import_module(name).sha256(data).hexdigest())
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()


def fresh_listing(base_url: str, env: Mapping[str, str] | None = None, *,
                  now: Callable[[], float] = time.time) -> list[tuple[str, str]] | None:
    """The (id, name) of each cached event of `base_url`, if they were listed less than
    EVENTS_MAX_AGE ago."""
    try:
        document = json.loads(catalog_path(base_url, env).read_bytes())
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON
        return None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION \
            or document.get("base_url") != base_url:
        return None
    stored = document.get("events")
    if not isinstance(stored, dict) or not _fresh(stored.get("fetched_at"), now()):
        return None
    events = stored.get("events")
    if not isinstance(events, list):
        return None
    return [(event["id"], event["name"]) for event in events if _named(event)]


def _fresh(fetched_at: Any, now: float) -> bool:
    if not isinstance(fetched_at, int | float) or isinstance(fetched_at, bool):
        return False
    return 0 <= now - fetched_at < EVENTS_MAX_AGE  # as Catalog._fresh


def _named(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("id"), str) \
        and isinstance(event.get("name"), str)
