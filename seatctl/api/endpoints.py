"""One function per contract endpoint: the request, the envelope, the typed answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from seatctl.api.models import (
    Booking,
    CheckIn,
    Event,
    EventPage,
    JobStatus,
    JobSubmitted,
    LoginResult,
    MyBookings,
    SeatMap,
    TicketDetails,
    TicketQr,
    User,
    VerifiedTicket,
)
from seatctl.errors import AuthError
from seatctl.http import (
    ApiClient,
    RateLimitInfo,
    parse_envelope,
    parse_model,
    parse_rate_limit,
    parse_retry_after,
)

ModelT = TypeVar("ModelT", bound=BaseModel)


def login(client: ApiClient, email: str, password: str) -> LoginResult:
    try:
        response = client.post("/api/auth/login", json={"email": email, "password": password},
                               authenticated=False)
    except AuthError as exc:  # here a 401 means the credentials, not a token
        raise AuthError(f"login refused: {exc.server_message or exc.message}",
                        status_code=exc.status_code, server_message=exc.server_message,
                        hint="check the email and password") from None
    return _data(response, LoginResult, "POST /api/auth/login")


def profile(client: ApiClient) -> User:
    data = parse_envelope(client.get("/api/auth/profile")).data
    user = _unwrap(data, "user")
    return parse_model(user, User, "GET /api/auth/profile")


def list_events(client: ApiClient, *, page: int = 1, limit: int = 10,
                search: str | None = None) -> EventPage:
    params: dict[str, Any] = {"page": page, "limit": limit}
    if search:
        params["search"] = search
    response = client.get("/api/events", params=params, authenticated=False)
    return _data(response, EventPage, "GET /api/events")


def get_event(client: ApiClient, event_id: str) -> Event:
    response = client.get(f"/api/events/{_segment(event_id)}", authenticated=False)
    data = parse_envelope(response).data
    event = _unwrap(data, "event")
    return parse_model(event, Event, "GET /api/events/:id")


def seat_map(client: ApiClient, event_id: str) -> SeatMap:
    response = client.get(f"/api/seats/event/{_segment(event_id)}", authenticated=False)
    return _data(response, SeatMap, "GET /api/seats/event/:eventId")


def submit_seat_booking(client: ApiClient, event_id: str, seat_ids: list[str], key: str
                        ) -> JobSubmitted:
    """POST /api/seats/book with the key (body and header): safe to retry, so retried."""
    response = client.post("/api/seats/book", json={"eventId": event_id, "seatIds": seat_ids},
                           idempotency_key=key)
    return _data(response, JobSubmitted, "POST /api/seats/book")


@dataclass(frozen=True)
class StatusAnswer:
    status: JobStatus
    retry_after: float | None  # the server's hint for the next poll (an extension)
    rate_limit: RateLimitInfo | None


def job_status(client: ApiClient, job_id: str, *, wait: float = 0.0) -> StatusAnswer:
    """GET the job's status; `wait` > 0 asks the server to hold it until the state changes
    (long polling, an extension: a server that ignores `?wait=` just answers at once)."""
    params = {"wait": f"{wait:g}"} if wait > 0 else None
    response = client.get(f"/api/seats/booking-status/{_segment(job_id)}", params=params,
                          extra_read_time=wait, retry_rate_limited=False)
    status = _data(response, JobStatus, "GET /api/seats/booking-status/:jobId")
    return StatusAnswer(status, parse_retry_after(response.headers.get("retry-after")),
                        parse_rate_limit(response.headers))


def book_quantity(client: ApiClient, event_id: str, quantity: int, key: str
                  ) -> tuple[Booking, bool]:
    """POST /api/bookings (general admission); returns (booking, created now)."""
    response = client.post("/api/bookings", json={"eventId": event_id, "quantity": quantity},
                           idempotency_key=key)
    data = parse_envelope(response).data
    booking = _unwrap(data, "booking")
    return parse_model(booking, Booking, "POST /api/bookings"), response.status_code == 201


def my_bookings(client: ApiClient) -> MyBookings:
    """The caller's bookings, newest first (`data.bookings`; a bare list is taken too)."""
    data = parse_envelope(client.get("/api/bookings/my")).data
    if isinstance(data, list):
        data = {"bookings": data}
    return parse_model(data, MyBookings, "GET /api/bookings/my")


def cancel_booking(client: ApiClient, booking_id: str) -> str:
    """Cancel; returns the id the server says it cancelled (`data.bookingId` in the seed,
    `data.booking.id` elsewhere). A second DELETE answers 400 "already cancelled"."""
    # DELETE is idempotent by HTTP's definition but not retried: the policy retries only
    # GET/HEAD/OPTIONS and keyed requests.
    response = client.request("DELETE", f"/api/bookings/{_segment(booking_id)}")
    data = parse_envelope(response).data
    if isinstance(data, dict):
        said = data.get("bookingId") or _unwrap(data, "booking").get("id")
        if isinstance(said, str) and said:
            return said
    return booking_id


def ticket_details(client: ApiClient, booking_id: str) -> TicketDetails:
    response = client.get(f"/api/tickets/{_segment(booking_id)}/details")
    return _data(response, TicketDetails, "GET /api/tickets/:id/details")


def ticket_qr(client: ApiClient, booking_id: str) -> TicketQr:
    response = client.get(f"/api/tickets/{_segment(booking_id)}/qr")
    return _data(response, TicketQr, "GET /api/tickets/:id/qr")


@dataclass(frozen=True)
class TicketFile:
    """`GET /api/tickets/:id/download` as sent: whether it is a PDF is the caller's check."""

    content: bytes
    content_type: str
    filename: str | None  # from Content-Disposition, as sent (not yet safe as a path)


def download_ticket(client: ApiClient, booking_id: str) -> TicketFile:
    response = client.get(f"/api/tickets/{_segment(booking_id)}/download")
    return TicketFile(response.content, response.headers.get("content-type", ""),
                      _attachment_name(response.headers.get("content-disposition", "")))


def verify_ticket(client: ApiClient, booking_id: str) -> VerifiedTicket:
    """Every refusal is a 400 whose message says why (see `seatctl.booking.tickets`)."""
    envelope = parse_envelope(client.get(f"/api/tickets/verify/{_segment(booking_id)}"))
    data = envelope.data if isinstance(envelope.data, dict) else {}
    return parse_model({**data, "message": envelope.message}, VerifiedTicket,
                       "GET /api/tickets/verify/:id")


def check_in(client: ApiClient, booking_id: str) -> CheckIn:
    envelope = parse_envelope(client.post(f"/api/tickets/checkin/{_segment(booking_id)}"))
    data = envelope.data if isinstance(envelope.data, dict) else {}
    return parse_model({**data, "message": envelope.message}, CheckIn,
                       "POST /api/tickets/checkin/:id")


def _attachment_name(disposition: str) -> str | None:
    """The filename a Content-Disposition names (RFC 6266, filename* preferred)."""
    if not disposition:
        return None
    from email.message import Message

    message = Message()
    message["content-disposition"] = disposition
    name = message.get_filename()
    return name or None


def _data(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
    return parse_model(parse_envelope(response).data, model, what)


def _unwrap(data: Any, name: str) -> Any:
    """`{"booking": {...}}` or the object itself: deployments differ in that one level."""
    return data.get(name, data) if isinstance(data, dict) else data


def _segment(value: str) -> str:
    """An id as one path segment: ids are opaque, so anything in them is escaped. A segment
    of dots only is spelled `%2E` per dot: `quote` keeps dots, and a `.` or `..` segment
    would be resolved away by the URL parser (RFC 3986 5.2.4), changing the path
    (`cancel ..` sent `DELETE /api`); the escaped form is not a dot segment."""
    from urllib.parse import quote

    if value and value.strip(".") == "":
        return "%2E" * len(value)
    return quote(value, safe="")
