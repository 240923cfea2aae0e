"""The contract's shapes as typed models. Lenient where the deployed backend is: extra fields
are kept, seat numbers may be strings ("12") or integers, prices may be strings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from seatctl.clock import parse_iso_time


def _as_text(value: Any) -> Any:
    return value if value is None else str(value)


# Rows and seat numbers: strings in the seed backend ("12"), integers elsewhere.
SeatText = Annotated[str, BeforeValidator(_as_text)]
MaybeSeatText = Annotated[str | None, BeforeValidator(_as_text)]


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class User(Model):
    id: str
    email: str
    name: str | None = None
    role: str | None = None


class LoginResult(Model):
    user: User
    token: str


class Event(Model):
    id: str
    name: str
    description: str | None = None
    venue: Any = None  # a name in the seed backend; an object elsewhere
    start_time: str | None = Field(None, alias="startTime")
    end_time: str | None = Field(None, alias="endTime")
    capacity: int | None = None
    available_capacity: int | None = Field(None, alias="availableCapacity")
    price: float | None = None
    category: str | None = None
    seat_level_booking: bool = Field(False, alias="seatLevelBooking")

    def started(self, now: datetime) -> bool:
        """Whether the event has started at `now` (an aware datetime); False when its start
        is not given or cannot be read."""
        start = parse_iso_time(self.start_time)
        return start is not None and start <= now

    @property
    def venue_name(self) -> str:
        if isinstance(self.venue, dict):
            return str(self.venue.get("name", ""))
        return "" if self.venue is None else str(self.venue)


class Pagination(Model):
    current_page: int = Field(1, alias="currentPage")
    total_pages: int = Field(1, alias="totalPages")
    total_count: int = Field(0, alias="totalCount")
    limit: int = 10
    has_next_page: bool = Field(False, alias="hasNextPage")
    has_prev_page: bool = Field(False, alias="hasPrevPage")


class EventPage(Model):
    events: list[Event]
    pagination: Pagination = Field(default_factory=lambda: Pagination.model_validate({}))


class Seat(Model):
    id: str
    row: SeatText
    number: SeatText
    seat_type: str | None = Field(None, alias="seatType")
    is_blocked: bool = Field(False, alias="isBlocked")
    is_booked: bool = Field(False, alias="isBooked")
    price: float | None = None

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"

    @property
    def free(self) -> bool:
        return not (self.is_blocked or self.is_booked)


class Section(Model):
    id: str
    name: str
    capacity: int | None = None
    price_multiplier: float | None = Field(None, alias="priceMultiplier")
    base_price: float | None = Field(None, alias="basePrice")
    section_price: float | None = Field(None, alias="sectionPrice")
    seats: list[Seat] = Field(default_factory=list)


class SeatMapEvent(Model):
    id: str
    name: str
    seat_level_booking: bool = Field(True, alias="seatLevelBooking")


class Venue(Model):
    id: str | None = None
    name: str = ""
    capacity: int | None = None


class SeatMap(Model):
    event: SeatMapEvent
    venue: Venue = Field(default_factory=lambda: Venue.model_validate({}))
    sections: list[Section]
    total_available_seats: int | None = Field(None, alias="totalAvailableSeats")

    def seats(self) -> list[tuple[Section, Seat]]:
        return [(section, seat) for section in self.sections for seat in section.seats]


class JobSubmitted(Model):
    job_id: str = Field(alias="jobId")
    check_status_url: str | None = Field(None, alias="checkStatusUrl")


class UnavailableSeat(Model):
    id: str
    row: MaybeSeatText = None
    number: MaybeSeatText = None
    reason: str | None = None


class JobStatus(Model):
    """The status endpoint's `data`. The seed backend sends no `state`: see booking.status."""

    success: bool = False
    message: str | None = None
    booking_id: str | None = Field(None, alias="bookingId")
    total_price: float | None = Field(None, alias="totalPrice")
    unavailable_seats: list[UnavailableSeat] | None = Field(None, alias="unavailableSeats")
    state: str | None = None
    queue_position: int | None = Field(None, alias="queuePosition")
    updated_at: str | None = Field(None, alias="updatedAt")


class BookedSeat(Model):
    id: str
    row: MaybeSeatText = None
    number: MaybeSeatText = None
    section: str | None = None


class Booking(Model):
    id: str
    event_id: str | None = Field(None, alias="eventId")
    quantity: int | None = None
    total_price: float | None = Field(None, alias="totalPrice")
    status: str | None = None
    idempotency_key: str | None = Field(None, alias="idempotencyKey")
    created_at: str | None = Field(None, alias="createdAt")
    seats: list[BookedSeat] = Field(default_factory=list)

