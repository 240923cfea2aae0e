"""What to book: an event, and its seats or a quantity, resolved from what was asked.

    resolved = resolve_target(client, event, ["Orchestra:A12"], None, profile="default",
                              base_url=url, wrong_kind=WrongKind(seats_needed=...))
    resolved.target  # BookingTarget: what BookingFlow books
    planned = plan_booking(client, request, profile=..., base_url=..., catalog=..., journal=...)

`resolve_target` is the one resolution, shared by `seatctl book` (through `plan_booking`,
which adds the plan, the earlier unfinished attempt and the availability check) and `seatctl
smoke --book-test` (the demo books seats it has already drawn from the seat map). A seat
booking's seats are resolved against the event's seat map; a quantity needs a
general-admission event. An event of the other kind is refused in the caller's words
(`WrongKind`): their flags differ. No printing here.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from seatctl.api.models import Event, SeatMap
from seatctl.booking.catalog import Catalog
from seatctl.booking.events import general_admission, resolve_event, seat_map_for
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.labels import ResolvedSeat, ensure_available, resolve_labels
from seatctl.booking.plan import BookingPlan, quantity_plan, seat_plan
from seatctl.errors import SeatctlError, UsageError
from seatctl.http import ApiClient


@dataclass(frozen=True)
class BookingTarget:
    """What to book: seats of a seat-map event, or a quantity of a general-admission one."""

    profile: str
    base_url: str
    event_id: str
    event_name: str | None
    seat_ids: tuple[str, ...] = ()
    seat_labels: tuple[str, ...] = ()
    quantity: int | None = None

    @classmethod
    def of(cls, event: Event, *, profile: str, base_url: str,
           seats: Sequence[ResolvedSeat] = (), quantity: int | None = None) -> BookingTarget:
        return cls(profile=profile, base_url=base_url, event_id=event.id,
                   event_name=event.name, seat_ids=tuple(seat.id for seat in seats),
                   seat_labels=tuple(seat.display for seat in seats), quantity=quantity)


@dataclass(frozen=True)
class WrongKind:
    """The caller's words for an event of the other kind than asked for."""

    seats_needed: Callable[[Event], SeatctlError]  # a quantity, of an event with a seat map
    no_seat_map: Callable[[Event], SeatctlError] = general_admission  # seats, of one without


@dataclass(frozen=True)
class ResolvedTarget:
    event: Event
    target: BookingTarget
    seats: tuple[ResolvedSeat, ...] = ()  # in the order asked; none for general admission
    seat_map: SeatMap | None = None  # None for general admission

    def plan(self) -> BookingPlan:
        """What the booking will send, and cost."""
        quantity = self.target.quantity
        if quantity is not None:
            return quantity_plan(self.event, quantity)
        assert self.seat_map is not None  # seats are resolved on their map
        return seat_plan(self.event, self.seat_map, self.seats)


Resolving = Callable[[Event], AbstractContextManager[object]]


def resolve_target(client: ApiClient, event: Event, labels: Sequence[str],
                   quantity: int | None, *, profile: str, base_url: str,
                   wrong_kind: WrongKind, catalog: Catalog | None = None,
                   resolving: Resolving = lambda event: nullcontext()) -> ResolvedTarget:
    """The seats `labels` name on the event's seat map, or `quantity` tickets. With a
    catalog, the seat map is fetched fresh (seats are taken all the time) and then forgotten
    from it: this booking is about to change it. `resolving(event)` is entered around the
    seat map's fetch and the labels' resolution (the caller's words for their errors)."""
    if quantity is not None:
        if event.seat_level_booking:
            raise wrong_kind.seats_needed(event)
        target = BookingTarget.of(event, profile=profile, base_url=base_url, quantity=quantity)
        return ResolvedTarget(event, target)
    if not event.seat_level_booking:
        raise wrong_kind.no_seat_map(event)
    with resolving(event):
        seat_map = seat_map_for(client, event, catalog=catalog, fresh=catalog is not None)
        seats = tuple(resolve_labels(seat_map, labels))
    if catalog is not None:
        catalog.forget_seat_map(event.id)
    target = BookingTarget.of(event, profile=profile, base_url=base_url, seats=seats)
    return ResolvedTarget(event, target, seats, seat_map)


def unfinished_attempt(journal: Journal, target: BookingTarget) -> JournalEntry | None:
    """The newest unfinished earlier attempt of the same booking: sending it resumes that."""
    return journal.find_unfinished(
        profile=target.profile, base_url=target.base_url, event_id=target.event_id,
        seat_ids=list(target.seat_ids), quantity=target.quantity)


# --- `seatctl book` -----------------------------------------------------------------------


@dataclass(frozen=True)
class BookingRequest:
    """`seatctl book EVENT --seat ... | --quantity N` as given."""

    event: str | None
    labels: tuple[str, ...]  # split (`split_labels`)
    quantity: int | None
    force: bool = False  # send seats the seat map shows taken, or for an event that started

    def event_text(self) -> str:
        """EVENT, once the request is known to name an event and either seats or a
        quantity (a UsageError otherwise)."""
        if self.event is None:
            raise UsageError("which event? give EVENT (or --resume)",
                             hint="list them with `seatctl events`")
        if self.labels and self.quantity is not None:
            raise UsageError("give seats (--seat/--seats) or --quantity, not both")
        if not self.labels and self.quantity is None:
            raise UsageError("which seats? give --seat A12 (or --seats A12,A13), or --quantity "
                             "N for a general-admission event",
                             hint=f"see them with `seatctl seats {self.event}`")
        return self.event


@dataclass(frozen=True)
class PlannedBooking:
    target: BookingTarget
    plan: BookingPlan
    earlier: JournalEntry | None  # the unfinished earlier attempt sending resumes; None: new
    force: bool

    def refused(self, now: datetime) -> bool:
        """Whether sending is refused: the event has started (unless --force; a resumed
        attempt may have been sent in time)."""
        return self.earlier is None and not self.force and self.plan.started(now)


BOOK_WRONG_KIND = WrongKind(seats_needed=lambda event: UsageError(
    f"{event.name} has a seat map: choose seats with --seat",
    hint=f"see them with `seatctl seats {event.id}`"))


def plan_booking(client: ApiClient, request: BookingRequest, *, profile: str, base_url: str,
                 catalog: Catalog, journal: Journal | None) -> PlannedBooking:
    """What to book, what it will cost, and the earlier unfinished attempt it resumes (none
    without a journal: a dry run creates none). A new booking of seats the seat map shows
    taken is refused unless `force`; of an event that has started, by the caller
    (`PlannedBooking.refused`), after a dry run has shown its plan."""
    event = resolve_event(client, request.event_text(), catalog=catalog)
    resolved = resolve_target(client, event, request.labels, request.quantity,
                              profile=profile, base_url=base_url, wrong_kind=BOOK_WRONG_KIND,
                              catalog=catalog, resolving=naming_the_event)
    earlier = None if journal is None else unfinished_attempt(journal, resolved.target)
    if earlier is None and not request.force:  # a resumed attempt may have been sent in time
        with naming_the_event(event):
            ensure_available(resolved.seats)
    return PlannedBooking(resolved.target, resolved.plan(), earlier, request.force)


@contextmanager
def naming_the_event(event: Event) -> Iterator[None]:
    """The seat hints say `seatctl seats EVENT`: here the event is known, so they name it
    and can be pasted as they are."""
    try:
        yield
    except SeatctlError as error:
        if error.hint:
            error.hint = error.hint.replace("seatctl seats EVENT",
                                            f"seatctl seats {shlex.quote(event.id)}")
        raise
