"""What a booking will send and what it will cost, worked out before it is sent. Pure: no
I/O, no printing.

A seat's price is the seat's own `price`, else its section's `sectionPrice`, else the
event's price times the section's `priceMultiplier` (taken as 1 when the section gives
none). A general-admission booking costs its quantity times the event's price. A price
that nothing gives (or that is not a finite number) is unknown, and so is a total that
needs it: the plan says so rather than guess.

    plan = seat_plan(event, seat_map, resolved)  # BookingPlan
    plan.total, plan.count, plan.started(now)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seatctl.api.models import Event, Seat, SeatMap, Section
from seatctl.booking.labels import ResolvedSeat
from seatctl.clock import parse_iso_time


@dataclass(frozen=True)
class PlannedSeat:
    id: str
    label: str  # as a person names it: the shortest label that names only this seat
    section: str
    price: float | None


@dataclass(frozen=True)
class BookingPlan:
    """One booking as it will be sent: seats of a seat-map event, or a quantity of
    general-admission tickets at `unit_price` each."""

    event_id: str
    event_name: str
    start_time: str | None  # as the server gives it
    seats: tuple[PlannedSeat, ...] = ()
    quantity: int | None = None  # general admission only
    unit_price: float | None = None  # general admission: the event's price

    @property
    def general_admission(self) -> bool:
        return self.quantity is not None

    @property
    def count(self) -> int:
        """Seats, or tickets."""
        return self.quantity if self.quantity is not None else len(self.seats)

    @property
    def total(self) -> float | None:
        """What the booking costs; None when a price it needs is unknown."""
        if self.quantity is not None:
            return None if self.unit_price is None else round(self.unit_price * self.quantity, 2)
        prices = [seat.price for seat in self.seats]
        if not prices or any(price is None for price in prices):
            return None
        return round(sum(price for price in prices if price is not None), 2)

    @property
    def starts_at(self) -> datetime | None:
        return parse_iso_time(self.start_time)

    def started(self, now: datetime) -> bool:
        """Whether the event has started at `now` (an aware datetime); False when its start
        is not known."""
        start = self.starts_at
        return start is not None and start <= now

    def as_dict(self, *, sent: bool, refused: str | None = None) -> dict[str, Any]:
        """The `--dry-run --json` document (`sent` false: nothing was sent; `refused`: why
        booking it would be refused, None when it would be sent)."""
        return {
            "event": {"id": self.event_id, "name": self.event_name},
            "start": self.start_time,
            "seats": [{"id": seat.id, "label": seat.label, "section": seat.section,
                       "price": seat.price} for seat in self.seats],
            "quantity": self.count,
            "unitPrice": self.unit_price,
            "total": self.total,
            "sent": sent,
            "refused": refused,
        }


def seat_plan(event: Event, seat_map: SeatMap, seats: Sequence[ResolvedSeat]) -> BookingPlan:
    """The seats (resolved against `seat_map`), in order, each with its price."""
    where = {seat.id: (section, seat) for section, seat in seat_map.seats()}
    planned = []
    for resolved in seats:
        section, seat = where.get(resolved.id, (None, None))
        planned.append(PlannedSeat(resolved.id, resolved.display, resolved.section,
                                   seat_price(seat, section, event.price)))
    return BookingPlan(event.id, event.name, event.start_time, seats=tuple(planned))


def quantity_plan(event: Event, quantity: int) -> BookingPlan:
    return BookingPlan(event.id, event.name, event.start_time, quantity=quantity,
                       unit_price=_finite(event.price))


def seat_price(seat: Seat | None, section: Section | None, event_price: float | None
               ) -> float | None:
    """The seat's price, else its section's, else the event's times the section's
    multiplier; None when none of them is known."""
    for price in (seat.price if seat else None, section.section_price if section else None):
        if _finite(price) is not None:
            return price
    base = _finite(event_price)
    if base is None:
        return None
    multiplier = _finite(section.price_multiplier) if section else None
    return round(base * (1.0 if multiplier is None else multiplier), 2)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
