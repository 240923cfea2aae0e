"""A small on-disk cache of what the API said about events, so that resolving EVENT and drawing
a seat map cost no request while it is fresh (the deployment allows 100 requests per 15
minutes). No printing here.

One JSON file per base URL, `cache_dir()/catalog/<first 16 hex of sha256(base_url)>.json`,
holds the events listing (and whether it was complete) and seat maps by event id, each with
the wall-clock time it was fetched. Nothing older than EVENTS_MAX_AGE / SEAT_MAP_MAX_AGE is
given out.

A cache must never break a command: a missing, corrupt or foreign file reads as empty, and a
write that fails (read-only disk, permissions) is dropped. A write replaces the whole file
(temp file in the same folder, then os.replace), so readers never see half of one; two
processes writing at once may lose one's entry, which costs no more than a request later.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from seatctl.api.models import Event, SeatMap
from seatctl.booking.catalog_file import EVENTS_MAX_AGE, FORMAT_VERSION, catalog_path
from seatctl.http import RateLimitInfo

# EVENTS_MAX_AGE, FORMAT_VERSION and catalog_path live in catalog_file (no pydantic), which
# shell completion reads the events listing with.
SEAT_MAP_MAX_AGE = 30.0  # seconds: seats are booked by others all the time
SERVER_TRAIT_MAX_AGE = 86_400.0  # seconds: a deploy may change what the server offers
DIR_MODE = 0o700
FILE_MODE = 0o600  # what tempfile.mkstemp gives the file, and os.replace keeps

WallClock = Callable[[], float]
"""Returns the current time in epoch seconds (time.time, or a fake in tests)."""


@dataclass(frozen=True)
class CachedEvents:
    events: list[Event]
    complete: bool  # the listing held every event, not only the first pages
    fetched_at: float  # epoch seconds


class _StoredEvents(BaseModel):
    fetched_at: float
    complete: bool
    events: list[Event]


class _StoredSeatMap(BaseModel):
    fetched_at: float
    seat_map: SeatMap


class _CatalogFile(BaseModel):
    version: Literal[1]  # FORMAT_VERSION: a file of another version reads as empty
    base_url: str
    events: _StoredEvents | None = None
    seat_maps: dict[str, _StoredSeatMap] = Field(default_factory=dict)
    ignores_wait_at: float | None = None  # when a watch found that `?wait=` is ignored


class Catalog:
    """The cached events listing and seat maps of one API (one base URL)."""

    def __init__(self, base_url: str, path: Path, *, now: WallClock = time.time) -> None:
        self.base_url = base_url
        self.path = path
        self._now = now

    @classmethod
    def for_base_url(cls, base_url: str, env: Mapping[str, str] | None = None, *,
                     now: WallClock = time.time) -> Catalog:
        """The catalog in the user's cache folder (XDG_CACHE_HOME, else ~/.cache)."""
        return cls(base_url, catalog_path(base_url, env), now=now)

    def events(self) -> CachedEvents | None:
        """The events listing, if one was stored less than EVENTS_MAX_AGE ago."""
        stored = self._read().events
        if stored is None or not self._fresh(stored.fetched_at, EVENTS_MAX_AGE):
            return None
        return CachedEvents(stored.events, stored.complete, stored.fetched_at)

    def store_events(self, events: Iterable[Event], *, complete: bool) -> None:
        contents = self._read()
        contents.events = _StoredEvents(fetched_at=self._now(), complete=complete,
                                        events=list(events))
        self._write(contents)

    def seat_map(self, event_id: str) -> SeatMap | None:
        """The event's seat map, if one was stored less than SEAT_MAP_MAX_AGE ago."""
        stored = self._read().seat_maps.get(event_id)
        if stored is None or not self._fresh(stored.fetched_at, SEAT_MAP_MAX_AGE):
            return None
        return stored.seat_map

    def store_seat_map(self, event_id: str, seat_map: SeatMap) -> None:
        contents = self._read()
        contents.seat_maps = {
            other: stored for other, stored in contents.seat_maps.items()
            if self._fresh(stored.fetched_at, SEAT_MAP_MAX_AGE)  # the file stays small
        }
        contents.seat_maps[event_id] = _StoredSeatMap(fetched_at=self._now(), seat_map=seat_map)
        self._write(contents)

    def forget_seat_map(self, event_id: str) -> None:
        """Drop the event's seat map: after booking, the cached one is out of date."""
        contents = self._read()
        if contents.seat_maps.pop(event_id, None) is not None:
            self._write(contents)

    def ignores_wait(self) -> bool:
        """Whether a watch found, within a day, that this server answers `?wait=` at once
        (no long polling, as the seed's backend): then the first poll need not try it."""
        found = self._read().ignores_wait_at
        return found is not None and self._fresh(found, SERVER_TRAIT_MAX_AGE)

    def remember_ignores_wait(self) -> None:
        contents = self._read()
        contents.ignores_wait_at = self._now()
        self._write(contents)

    def _fresh(self, fetched_at: float, max_age: float) -> bool:
        age = self._now() - fetched_at
        return 0 <= age < max_age  # a clock set back makes an entry stale, not eternal

    def _read(self) -> _CatalogFile:
        empty = _CatalogFile(version=FORMAT_VERSION, base_url=self.base_url)
        try:
            contents = _CatalogFile.model_validate(json.loads(self.path.read_bytes()))
        except (OSError, ValueError, RecursionError):  # missing, unreadable, not ours
            return empty
        return contents if contents.base_url == self.base_url else empty

    def _write(self, contents: _CatalogFile) -> None:
        text = json.dumps(contents.model_dump(by_alias=True, mode="json"))
        with suppress(OSError):  # a cache must never break a command
            _make_private_dirs(self.path.parent)
            _replace_atomically(self.path, text)


def _make_private_dirs(folder: Path) -> None:
    """Create the folder and its missing parents with DIR_MODE (os.makedirs would give the
    parents the default mode)."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for each in reversed(missing):
        each.mkdir(mode=DIR_MODE, exist_ok=True)


def _replace_atomically(path: Path, text: str) -> None:
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as temp:
            temp.write(text)
        os.replace(temp_name, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp_name)
        raise


class BudgetStore:
    """The rate-limit budget a server last announced, kept between commands (the limit is
    shared by everything the user does): one small file per base URL beside the catalog,
    rewritten after every answer that announces it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_base_url(cls, base_url: str, env: Mapping[str, str] | None = None) -> BudgetStore:
        return cls(catalog_path(base_url, env).with_suffix(".budget.json"))

    def load(self) -> tuple[RateLimitInfo, float] | None:
        """The budget and the Unix time it was announced, if one was kept."""
        try:
            stored = _StoredBudget.model_validate(json.loads(self.path.read_bytes()))
        except (OSError, ValueError, RecursionError):
            return None
        return RateLimitInfo(stored.limit, stored.remaining, stored.reset_at), stored.seen_at

    def save(self, info: RateLimitInfo, seen_at: float) -> None:
        remaining = info.remaining
        kept = self.load()
        if kept is not None and _same_window(kept[0], info):
            # Within one window the count only falls: a lower one was written by another
            # seatctl process since, and is the truer.
            remaining = min(remaining, kept[0].remaining)
        stored = _StoredBudget(limit=info.limit, remaining=remaining,
                               reset_at=info.reset_at, seen_at=seen_at)
        with suppress(OSError):  # a cache must never break a command
            _make_private_dirs(self.path.parent)
            _replace_atomically(self.path, stored.model_dump_json())


def _same_window(earlier: RateLimitInfo, later: RateLimitInfo) -> bool:
    if earlier.reset_at is None or later.reset_at is None or earlier.limit != later.limit:
        return False
    return abs(earlier.reset_at - later.reset_at) <= 2.0  # whole seconds, read at two times


class _StoredBudget(BaseModel):
    limit: int = Field(ge=0)
    remaining: int = Field(ge=0)
    reset_at: float | None
    seen_at: float
