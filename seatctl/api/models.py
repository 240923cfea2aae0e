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

    @property
    def label(self) -> str:
        seat = f"{self.row or ''}{self.number or ''}" or self.id
        return f"{self.section}:{seat}" if self.section else seat


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class BookingEvent(Model):
    """The event as a booking in `GET /api/bookings/my` carries it."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    venue: Any = None
    start_time: str | None = Field(None, alias="startTime")
    end_time: str | None = Field(None, alias="endTime")
    price: float | None = None

    @property
    def venue_name(self) -> str:
        if isinstance(self.venue, dict):
            return str(self.venue.get("name", ""))
        return "" if self.venue is None else str(self.venue)


class TicketLinks(Model):
    """A booking's `ticket` block: present (in the seed) only once it is confirmed."""

    ticket_number: str | None = Field(None, alias="ticketNumber")
    download_url: str | None = Field(None, alias="downloadUrl")
    qr_code_url: str | None = Field(None, alias="qrCodeUrl")
    details_url: str | None = Field(None, alias="detailsUrl")
    can_download: bool = Field(False, alias="canDownload")
    can_view: bool = Field(False, alias="canView")


class Booking(Model):
    """A booking as `POST /api/bookings` answers it and `GET /api/bookings/my` lists it.
    `status` is lower-cased: the seed sends `CONFIRMED`, other servers `confirmed`."""

    id: str
    event_id: str | None = Field(None, alias="eventId")
    quantity: int | None = None
    total_price: float | None = Field(None, alias="totalPrice")
    status: Annotated[str | None, BeforeValidator(_lower)] = None
    idempotency_key: str | None = Field(None, alias="idempotencyKey")
    created_at: str | None = Field(None, alias="createdAt")
    updated_at: str | None = Field(None, alias="updatedAt")
    seats: list[BookedSeat] = Field(default_factory=list)  # an extension: not in the seed
    event: BookingEvent | None = None
    ticket: TicketLinks | None = None
    display_status: str | None = Field(None, alias="displayStatus")
    actions: list[Any] = Field(default_factory=list)

    @property
    def start_time(self) -> str | None:
        return self.event.start_time if self.event else None

    def started(self, now: datetime) -> bool:
        """Whether its event has started at `now`; False when the start is not known."""
        start = parse_iso_time(self.start_time)
        return start is not None and start <= now

    def cancellable(self, now: datetime) -> bool:
        """What the server allows: not cancelled yet, and the event not started."""
        return self.status != "cancelled" and not self.started(now)

    @property
    def has_ticket(self) -> bool:
        """A ticket can be had: the seed gives one (QR, PDF) only for confirmed bookings."""
        if self.ticket is not None:
            return self.ticket.can_download or self.ticket.can_view or self.status == "confirmed"
        return self.status == "confirmed"


class MyBookings(Model):
    """`GET /api/bookings/my`: the caller, their bookings (newest first) and a summary."""

    user: User | None = None
    bookings: list[Booking] = Field(default_factory=list)
    summary: dict[str, Any] | None = None


class TicketDetails(Model):
    """`GET /api/tickets/:id/details`. `qr_code_data` is the QR code's payload (JSON text)."""

    booking_id: str = Field(alias="bookingId")
    event_name: str | None = Field(None, alias="eventName")
    user_name: str | None = Field(None, alias="userName")
    venue: Any = None
    event_date: str | None = Field(None, alias="eventDate")
    event_time: str | None = Field(None, alias="eventTime")
    ticket_quantity: int | None = Field(None, alias="ticketQuantity")
    total_price: float | None = Field(None, alias="totalPrice")
    qr_code_data: str | None = Field(None, alias="qrCodeData")


class TicketQr(Model):
    """`GET /api/tickets/:id/qr`: `qr_code` is a `data:image/png;base64,...` URL."""

    booking_id: str | None = Field(None, alias="bookingId")
    qr_code: str = Field(alias="qrCode")


class VerifiedEvent(Model):
    name: str | None = None
    venue: Any = None
    start_time: str | None = Field(None, alias="startTime")
    end_time: str | None = Field(None, alias="endTime")


class TicketHolder(Model):
    name: str | None = None
    email: str | None = None


class VerifiedBooking(Model):
    id: str
    quantity: int | None = None
    status: Annotated[str | None, BeforeValidator(_lower)] = None
    event: VerifiedEvent | None = None
    user: TicketHolder | None = None


class VerifiedTicket(Model):
    """`GET /api/tickets/verify/:id` (and the booking of a check-in)."""

    booking: VerifiedBooking
    message: str | None = None  # the envelope's, kept: "Ticket verified successfully"


class CheckIn(Model):
    """`POST /api/tickets/checkin/:id`."""

    booking: VerifiedBooking | None = None
    checked_in_at: str | None = Field(None, alias="checkedInAt")
    message: str | None = None
