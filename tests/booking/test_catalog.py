"""The catalog (seatctl.booking.catalog): freshness by an injected wall clock, a file per base
URL, and a cache that never breaks a command (corrupt files, unwritable folders)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest

from seatctl.api.models import Event, SeatMap
from seatctl.booking.catalog import SEAT_MAP_MAX_AGE, Catalog
from seatctl.booking.catalog_file import EVENTS_MAX_AGE, catalog_path
from seatctl.config.paths import cache_dir
from tests.support.clock import WALL_T0, ManualWallClock

BASE_URL = "https://api.example.test"
T0 = WALL_T0


@pytest.fixture
def cache_home(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def make_catalog(cache_home: Path, clock: ManualWallClock, base_url: str = BASE_URL) -> Catalog:
    return Catalog.for_base_url(base_url, {"XDG_CACHE_HOME": str(cache_home)}, now=clock)


@pytest.fixture
def catalog(cache_home: Path, clock: ManualWallClock) -> Catalog:
    return make_catalog(cache_home, clock)


def an_event(number: int = 1, **extra: Any) -> Event:
    return Event.model_validate({
        "id": f"cev{number:04d}", "name": f"Event {number}", "venue": {"name": "Hall"},
        "startTime": "2026-12-01T19:30:00.000Z", "availableCapacity": 5,
        "seatLevelBooking": True, "tags": ["jazz"], **extra})


def a_seat_map(event_id: str = "cev0001") -> SeatMap:
    return SeatMap.model_validate({
        "event": {"id": event_id, "name": "Event 1"}, "venue": {"name": "Hall"},
        "sections": [{"id": "s1", "name": "Floor", "sectionPrice": 10, "seats": [
            {"id": "t1", "row": "A", "number": "1", "isBooked": True, "price": 10}]}],
        "totalAvailableSeats": 0})


def cached_ids(catalog: Catalog) -> list[str] | None:
    cached = catalog.events()
    return None if cached is None else [event.id for event in cached.events]


# --- where it lives -----------------------------------------------------------------------


def test_one_file_per_base_url_in_the_user_cache_folder() -> None:
    digest = hashlib.sha256(BASE_URL.encode()).hexdigest()[:16]
    assert catalog_path(BASE_URL, {"XDG_CACHE_HOME": "/c"}) == Path(
        f"/c/seatctl/catalog/{digest}.json")
    assert catalog_path(BASE_URL, {"HOME": "/home/ada"}) == Path(
        f"/home/ada/.cache/seatctl/catalog/{digest}.json")


def test_the_cache_folder_follows_xdg() -> None:
    assert cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/seatctl")
    assert cache_dir({"HOME": "/home/ada"}) == Path("/home/ada/.cache/seatctl")
    assert cache_dir({"XDG_CACHE_HOME": "", "HOME": "/home/ada"}) == Path(
        "/home/ada/.cache/seatctl")


def test_base_urls_do_not_share_entries(cache_home: Path, clock: ManualWallClock) -> None:
    first = make_catalog(cache_home, clock)
    second = make_catalog(cache_home, clock, "http://127.0.0.1:8080")
    first.store_events([an_event(1)], complete=True)
    first.store_seat_map("cev0001", a_seat_map())
    assert second.events() is None and second.seat_map("cev0001") is None
    second.store_events([an_event(2)], complete=False)
    assert first.path != second.path
    assert cached_ids(first) == ["cev0001"] and cached_ids(second) == ["cev0002"]


def test_file_and_folders_are_private_and_no_temp_file_is_left(
    catalog: Catalog, cache_home: Path,
) -> None:
    catalog.store_events([an_event()], complete=True)
    catalog.store_seat_map("cev0001", a_seat_map())
    assert stat.S_IMODE(catalog.path.stat().st_mode) == 0o600
    for folder in (cache_home, cache_home / "seatctl", catalog.path.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert os.listdir(catalog.path.parent) == [catalog.path.name]


# --- what it keeps, and for how long -------------------------------------------------------


def test_events_round_trip_as_the_api_gave_them(catalog: Catalog, clock: ManualWallClock) -> None:
    events = [an_event(1), an_event(2, imageUrl="https://img.test/2.png")]
    catalog.store_events(events, complete=False)
    cached = catalog.events()
    assert cached is not None
    assert cached.events == events and cached.complete is False and cached.fetched_at == T0
    stored = json.loads(catalog.path.read_text())["events"]["events"][1]
    assert stored["startTime"] == "2026-12-01T19:30:00.000Z"  # the API's names
    assert stored["seatLevelBooking"] is True and stored["tags"] == ["jazz"]
    assert stored["imageUrl"] == "https://img.test/2.png"


def test_events_are_fresh_for_five_minutes(catalog: Catalog, clock: ManualWallClock) -> None:
    catalog.store_events([an_event()], complete=True)
    clock.now = T0 + EVENTS_MAX_AGE - 0.5
    assert catalog.events() is not None
    clock.now = T0 + EVENTS_MAX_AGE
    assert catalog.events() is None
    assert EVENTS_MAX_AGE == 300


def test_seat_maps_are_fresh_for_thirty_seconds(catalog: Catalog, clock: ManualWallClock) -> None:
    catalog.store_seat_map("cev0001", a_seat_map())
    clock.now = T0 + SEAT_MAP_MAX_AGE - 0.5
    assert catalog.seat_map("cev0001") == a_seat_map()
    assert catalog.seat_map("cev0002") is None
    clock.now = T0 + SEAT_MAP_MAX_AGE
    assert catalog.seat_map("cev0001") is None
    assert SEAT_MAP_MAX_AGE == 30


def test_a_clock_set_back_makes_entries_stale(catalog: Catalog, clock: ManualWallClock) -> None:
    catalog.store_events([an_event()], complete=True)
    catalog.store_seat_map("cev0001", a_seat_map())
    clock.now = T0 - 3600
    assert catalog.events() is None and catalog.seat_map("cev0001") is None


def test_a_new_listing_replaces_the_old_and_keeps_the_seat_maps(
    catalog: Catalog, clock: ManualWallClock,
) -> None:
    catalog.store_seat_map("cev0001", a_seat_map())
    catalog.store_events([an_event(1)], complete=False)
    clock.now = T0 + 10
    catalog.store_events([an_event(2)], complete=True)
    cached = catalog.events()
    assert cached is not None and cached.complete and cached.fetched_at == T0 + 10
    assert [event.id for event in cached.events] == ["cev0002"]
    assert catalog.seat_map("cev0001") is not None


def test_stale_seat_maps_are_dropped_when_another_is_stored(
    catalog: Catalog, clock: ManualWallClock,
) -> None:
    catalog.store_seat_map("cev0001", a_seat_map("cev0001"))
    clock.now = T0 + 60
    catalog.store_seat_map("cev0002", a_seat_map("cev0002"))
    assert set(json.loads(catalog.path.read_text())["seat_maps"]) == {"cev0002"}


def test_a_forgotten_seat_map_is_fetched_again(catalog: Catalog) -> None:
    catalog.store_seat_map("cev0001", a_seat_map())
    catalog.forget_seat_map("cev0001")
    catalog.forget_seat_map("cev0009")  # unknown: nothing to do
    assert catalog.seat_map("cev0001") is None


# --- a cache never breaks a command --------------------------------------------------------


@pytest.mark.parametrize("content", [
    b"", b"{", b"\xff\xfe not utf-8", b"[]", b"null", b'{"version": 1}',
    b'{"version": 2, "base_url": "https://api.example.test"}',
    b'{"version": 1, "base_url": "https://api.example.test", "events": {"events": 3}}',
    b"[" * 100_000,
], ids=["empty", "cut", "binary", "list", "null", "no-url", "version-2", "bad-events", "deep"])
def test_a_corrupt_file_reads_as_empty_and_is_replaced(
    catalog: Catalog, content: bytes,
) -> None:
    catalog.path.parent.mkdir(parents=True)
    catalog.path.write_bytes(content)
    assert catalog.events() is None and catalog.seat_map("cev0001") is None
    catalog.store_events([an_event()], complete=True)
    assert catalog.events() is not None


def test_a_file_of_another_base_url_reads_as_empty(catalog: Catalog) -> None:
    other = Catalog("http://elsewhere.test", catalog.path, now=lambda: T0)
    other.store_events([an_event()], complete=True)
    assert catalog.events() is None


def test_a_folder_where_the_file_should_be_reads_as_empty(catalog: Catalog) -> None:
    catalog.path.mkdir(parents=True)
    assert catalog.events() is None
    catalog.store_events([an_event()], complete=True)  # no error either
    assert catalog.events() is None


def test_a_cache_folder_that_cannot_be_created_is_ignored(tmp_path: Path,
                                                          clock: ManualWallClock) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    catalog = make_catalog(blocker, clock)
    catalog.store_events([an_event()], complete=True)
    catalog.store_seat_map("cev0001", a_seat_map())
    assert catalog.events() is None and catalog.seat_map("cev0001") is None


def test_a_read_only_disk_is_ignored_and_leaves_no_temp_file(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog.store_events([an_event(1)], complete=True)

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    catalog.store_events([an_event(2)], complete=True)
    assert cached_ids(catalog) == ["cev0001"]
    assert os.listdir(catalog.path.parent) == [catalog.path.name]
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    catalog.store_seat_map("cev0001", a_seat_map())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_without_write_permission_is_ignored(catalog: Catalog) -> None:
    catalog.store_events([an_event(1)], complete=True)
    catalog.path.parent.chmod(0o500)
    try:
        catalog.store_events([an_event(2)], complete=True)
        assert cached_ids(catalog) == ["cev0001"]
    finally:
        catalog.path.parent.chmod(0o700)


def test_the_budget_is_kept_per_server_between_commands(cache_home: Path) -> None:
    from seatctl.booking.catalog import BudgetStore
    from seatctl.http import RateLimitInfo

    env = {"XDG_CACHE_HOME": str(cache_home)}
    store = BudgetStore.for_base_url(BASE_URL, env)
    assert store.load() is None
    store.save(RateLimitInfo(100, 42, T0 + 600), seen_at=T0)
    assert store.load() == (RateLimitInfo(100, 42, T0 + 600), T0)
    assert BudgetStore.for_base_url(BASE_URL + "/v2", env).load() is None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.path.write_text("{not json", encoding="utf-8")
    assert store.load() is None  # a broken file is no budget, never an error


def test_within_one_window_the_lowest_count_kept_wins(cache_home: Path) -> None:
    from seatctl.booking.catalog import BudgetStore
    from seatctl.http import RateLimitInfo

    store = BudgetStore.for_base_url(BASE_URL, {"XDG_CACHE_HOME": str(cache_home)})
    store.save(RateLimitInfo(100, 30, T0 + 600), seen_at=T0 + 5)  # another process, later
    store.save(RateLimitInfo(100, 40, T0 + 601), seen_at=T0 + 4)  # a slower one, earlier
    assert store.load() == (RateLimitInfo(100, 30, T0 + 601), T0 + 4)
    store.save(RateLimitInfo(100, 99, T0 + 1500), seen_at=T0 + 900)  # the next window
    loaded = store.load()
    assert loaded is not None and loaded[0].remaining == 99
