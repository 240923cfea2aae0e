"""What to book (seatctl.booking.target): the one resolution of an event's seats or quantity
that `book`, `smoke --book-test` and the demo share, against the reference server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from seatctl.api.models import Event, Seat
from seatctl.booking.catalog import Catalog
from seatctl.booking.events import resolve_event, seat_map_for
from seatctl.booking.journal import Journal
from seatctl.booking.target import (
    BookingRequest,
    BookingTarget,
    WrongKind,
    plan_booking,
    resolve_target,
    unfinished_attempt,
)
from seatctl.errors import BookingFailed, SeatctlError, UsageError
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.server import ReferenceServer

SEATS = "Symphony Under the Stars"
GENERAL = "Indie Night Live"


@pytest.fixture
def client(server: ReferenceServer) -> Iterator[ApiClient]:
    timeouts = Timeouts(connect=5, read=5, write=5, pool=5)
    with ApiClient(ClientConfig(base_url=server.url, timeouts=timeouts,
                                retry=RetryPolicy(retries=0))) as client:
        yield client


def words(tag: str) -> WrongKind:
    return WrongKind(seats_needed=lambda event: UsageError(f"{tag}: {event.name} has seats"),
                     no_seat_map=lambda event: UsageError(f"{tag}: {event.name} has none"))


def event(client: ApiClient, name: str) -> Event:
    return resolve_event(client, name)


def test_seats_are_resolved_on_the_seat_map_in_the_order_asked(client: ApiClient,
                                                               server: ReferenceServer) -> None:
    symphony = event(client, SEATS)
    resolved = resolve_target(client, symphony, ["Orchestra:A2", "Orchestra:A1"], None,
                              base_url=server.url, wrong_kind=words("book"), profile="default")
    target = resolved.target
    assert [seat.qualified for seat in resolved.seats] == ["Orchestra:A2", "Orchestra:A1"]
    assert target == BookingTarget(profile="default", base_url=server.url,
                                   event_id=symphony.id, event_name=SEATS,
                                   seat_ids=tuple(seat.id for seat in resolved.seats),
                                   seat_labels=tuple(seat.display for seat in resolved.seats))
    assert resolved.seat_map is not None and resolved.plan().count == 2


def test_a_quantity_needs_no_seat_map(client: ApiClient, server: ReferenceServer) -> None:
    indie = event(client, GENERAL)
    resolved = resolve_target(client, indie, [], 2, base_url=server.url,
                              wrong_kind=words("book"), profile="default")
    assert (resolved.target.quantity, resolved.seats, resolved.seat_map) == (2, (), None)
    assert resolved.plan().general_admission


@pytest.mark.parametrize(("name", "labels", "quantity", "said"), [
    (SEATS, [], 1, f"smoke: {SEATS} has seats"),
    (GENERAL, ["A1"], None, f"smoke: {GENERAL} has none"),
])
def test_an_event_of_the_other_kind_is_refused_in_the_callers_words(
    client: ApiClient, server: ReferenceServer, name: str, labels: list[str],
    quantity: int | None, said: str
) -> None:
    with pytest.raises(UsageError, match=said):
        resolve_target(client, event(client, name), labels, quantity, base_url=server.url,
                       wrong_kind=words("smoke"), profile="default")


def test_the_callers_context_wraps_the_resolution_of_the_labels(
    client: ApiClient, server: ReferenceServer
) -> None:
    @contextmanager
    def naming(event: Event) -> Iterator[None]:
        try:
            yield
        except SeatctlError as error:
            raise UsageError(f"--seat for {event.name}: {error.message}") from error

    with pytest.raises(UsageError, match=f"^--seat for {SEATS}: "):
        resolve_target(client, event(client, SEATS), ["ZZ99"], None, base_url=server.url,
                       wrong_kind=words("book"), resolving=naming, profile="default")


def test_with_a_catalog_the_seat_map_is_fetched_fresh_and_then_forgotten(
    client: ApiClient, server: ReferenceServer, tmp_path: Path
) -> None:
    catalog = Catalog(server.url, tmp_path / "catalog.json")
    symphony = event(client, SEATS)
    resolve_target(client, symphony, ["Orchestra:A1"], None, base_url=server.url,
                   wrong_kind=words("book"), catalog=catalog, profile="default")
    assert catalog.seat_map(symphony.id) is None


@pytest.mark.parametrize(("request_", "message"), [
    (BookingRequest(None, ("A1",), None), "which event?"),
    (BookingRequest(SEATS, ("A1",), 2), "give seats (--seat/--seats) or --quantity, not both"),
    (BookingRequest(SEATS, (), None), "which seats?"),
])
def test_a_booking_request_names_an_event_and_seats_or_a_quantity(
    request_: BookingRequest, message: str
) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        request_.event_text()


def test_a_booking_of_a_taken_seat_is_refused_unless_forced(
    client: ApiClient, server: ReferenceServer, tmp_path: Path
) -> None:
    catalog = Catalog(server.url, tmp_path / "catalog.json")
    blocked = a_blocked_seat(client)
    request = BookingRequest(SEATS, (blocked.id,), None)
    with pytest.raises(BookingFailed, match="not available"):
        plan_booking(client, request, base_url=server.url, catalog=catalog, journal=None,
                     profile="default")
    forced = BookingRequest(SEATS, (blocked.id,), None, force=True)
    planned = plan_booking(client, forced, base_url=server.url, catalog=catalog,
                           journal=None, profile="default")
    assert planned.target.seat_ids == (blocked.id,) and planned.earlier is None


def test_the_unfinished_attempt_of_the_same_booking_is_found(
    client: ApiClient, server: ReferenceServer, tmp_path: Path
) -> None:
    target = BookingTarget.of(event(client, GENERAL), quantity=2, base_url=server.url,
                              profile="default")
    with Journal(tmp_path / "journal.db") as journal:
        assert unfinished_attempt(journal, target) is None
        entry = journal.create(key="k", profile="default", base_url=server.url,
                               event_id=target.event_id, event_name=target.event_name,
                               seat_ids=[], seat_labels=[], quantity=2)
        assert unfinished_attempt(journal, target) == entry


def a_blocked_seat(client: ApiClient) -> Seat:
    seat_map = seat_map_for(client, event(client, SEATS))
    return next(seat for _, seat in seat_map.seats() if seat.is_blocked)
