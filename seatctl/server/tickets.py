"""The ticket endpoints as the seed's backend has them: details, the QR code, the PDF,
verification and check-in at the door. The owner reads a ticket; anyone signed in (the venue's
staff) verifies and checks it in.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import segno

from seatctl.server.config import Dialect, ServerConfig
from seatctl.server.messages import Request, Response
from seatctl.server.pdf import TicketFacts, ticket_pdf
from seatctl.server.routing import Params, Route
from seatctl.server.store import Conflict, Store, parse_time
from seatctl.server.views import ticket_number

CHECK_IN_OPENS = timedelta(hours=2)  # before the start
QR_WIDTH = 200  # pixels, as the seed's `QRCode.toDataURL(data, {width: 200, margin: 2})`
QR_BORDER = 2
# A Host header worth putting into a URL: a name or an address, an optional port.
HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

Authenticate = Callable[[Request], sqlite3.Row]


@dataclass(frozen=True)
class Ticket:
    booking: sqlite3.Row
    event: sqlite3.Row
    holder: sqlite3.Row


@dataclass
class TicketDesk:
    store: Store
    config: ServerConfig
    authenticate: Authenticate

    def routes(self) -> list[Route]:
        return [  # verify/ and checkin/ before :id/..., which would match them too
            Route("GET", "/api/tickets/verify/:id", self.verify),
            Route("POST", "/api/tickets/checkin/:id", self.check_in),
            Route("GET", "/api/tickets/:id/details", self.details),
            Route("GET", "/api/tickets/:id/qr", self.qr_code),
            Route("GET", "/api/tickets/:id/download", self.download),
        ]

    # --- the owner's ticket ---------------------------------------------------------

    async def details(self, request: Request, params: Params) -> Response:
        ticket = self._own_ticket(request, params["id"])
        start = parse_time(ticket.event["start_time"])
        return Response.success({
            "bookingId": ticket.booking["id"], "eventName": ticket.event["name"],
            "userName": ticket.holder["name"], "venue": ticket.event["venue_name"],
            "eventDate": long_date(start), "eventTime": clock_time(start),
            "ticketQuantity": ticket.booking["quantity"],
            "totalPrice": ticket.booking["total_price"],
            "qrCodeData": self._qr_payload(request, ticket.booking["id"]),
        })

    async def qr_code(self, request: Request, params: Params) -> Response:
        ticket = self._own_ticket(request, params["id"])
        _require_confirmed(ticket, "Cannot generate QR code for unconfirmed booking")
        png = qr_png(self._qr_payload(request, ticket.booking["id"]))
        return Response.success({
            "bookingId": ticket.booking["id"],
            "qrCode": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        })

    async def download(self, request: Request, params: Params) -> Response:
        ticket = self._own_ticket(request, params["id"])
        _require_confirmed(ticket, "Cannot generate ticket for unconfirmed booking")
        payload = self._qr_payload(request, ticket.booking["id"])
        try:
            document = ticket_pdf(_facts(ticket, payload))
        except Exception:  # a bug in drawing must not cost the client its envelope
            raise Conflict(500, "Failed to generate ticket") from None
        filename = f"ticket-{ticket_number(ticket.booking['id'])}.pdf"
        return Response(200, document, [
            ("Content-Type", "application/pdf"),
            ("Content-Disposition", f'attachment; filename="{filename}"'),
            ("Content-Length", str(len(document))),
        ])

    # --- at the door ----------------------------------------------------------------

    async def verify(self, request: Request, params: Params) -> Response:
        self.authenticate(request)
        ticket = self._admissible(params["id"], datetime.now(UTC))
        return Response.success({"booking": self._entry_json(ticket)},
                                message="Ticket verified successfully")

    async def check_in(self, request: Request, params: Params) -> Response:
        self.authenticate(request)
        now = datetime.now(UTC)
        ticket = self._admissible(params["id"], now)
        checked_in_at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.config.dialect is Dialect.REFERENCE:  # the seed records nothing
            self.store.check_in(ticket.booking["id"], checked_in_at)
            ticket = self._ticket(ticket.booking["id"]) or ticket
        return Response.success(
            {"booking": self._entry_json(ticket), "checkedInAt": checked_in_at},
            message="Check-in successful")

    # --- helpers --------------------------------------------------------------------

    def _ticket(self, booking_id: str) -> Ticket | None:
        booking = self.store.booking(booking_id)
        if booking is None:
            return None
        event = self.store.event(booking["event_id"])
        holder = self.store.user_by_id(booking["user_id"])
        assert event is not None and holder is not None  # foreign keys
        return Ticket(booking, event, holder)

    def _own_ticket(self, request: Request, booking_id: str) -> Ticket:
        user = self.authenticate(request)
        ticket = self._ticket(booking_id)
        if ticket is None:
            raise Conflict(404, "Booking not found")
        if ticket.booking["user_id"] != user["id"]:
            raise Conflict(403, "Access denied")
        return ticket

    def _admissible(self, booking_id: str, now: datetime) -> Ticket:
        """The ticket, if it admits its holder now; every refusal is a 400, as the seed's."""
        ticket = self._ticket(booking_id)
        if ticket is None:
            raise Conflict(400, "Booking not found")
        _require_confirmed(ticket, "Booking is not confirmed")
        if now < parse_time(ticket.event["start_time"]) - CHECK_IN_OPENS:
            raise Conflict(400, "Check-in not yet available. Please arrive closer to event "
                                "time.")
        if now > parse_time(ticket.event["end_time"]):
            raise Conflict(400, "Event has already ended")
        return ticket

    def _entry_json(self, ticket: Ticket) -> dict[str, Any]:
        event, holder = ticket.event, ticket.holder
        document: dict[str, Any] = {
            "id": ticket.booking["id"], "quantity": ticket.booking["quantity"],
            "event": {"name": event["name"], "venue": event["venue_name"],
                      "startTime": event["start_time"], "endTime": event["end_time"]},
            "user": {"name": holder["name"], "email": holder["email"]},
        }
        if self.config.dialect is Dialect.REFERENCE:
            document["checkedInAt"] = ticket.booking["checked_in_at"]
        return document

    def _qr_payload(self, request: Request, booking_id: str) -> str:
        """The seed's QR text: JSON with the booking, when it was made, and where staff
        verify it (this server, as the client reached it)."""
        return json.dumps({
            "bookingId": booking_id, "timestamp": int(time.time() * 1000),
            "checkInUrl": f"{self._base_url(request)}/api/tickets/verify/{booking_id}",
        }, separators=(",", ":"))  # as JavaScript's JSON.stringify writes it

    def _base_url(self, request: Request) -> str:
        host = request.header("host")
        if host is None or not HOST.fullmatch(host):
            configured = self.config.host
            configured = f"[{configured}]" if ":" in configured else configured
            host = f"{configured}:{self.config.port}"
        return f"http://{host}"


def qr_png(payload: str) -> bytes:
    """The payload as a PNG QR code about QR_WIDTH pixels wide, with a 2-module margin."""
    code = segno.make_qr(payload, error="m", boost_error=False)
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    output = io.BytesIO()
    code.save(output, kind="png", scale=max(1, round(QR_WIDTH / width)), border=QR_BORDER)
    return output.getvalue()


def long_date(moment: datetime) -> str:
    """`Friday, October 30, 2026` (UTC; English whatever the locale)."""
    moment = moment.astimezone(UTC)
    return (f"{WEEKDAYS[moment.weekday()]}, {MONTHS[moment.month - 1]} {moment.day}, "
            f"{moment.year}")


def clock_time(moment: datetime) -> str:
    """`07:30 PM` (UTC)."""
    moment = moment.astimezone(UTC)
    hour = moment.hour % 12 or 12
    return f"{hour:02d}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _require_confirmed(ticket: Ticket, message: str) -> None:
    if ticket.booking["status"] != "confirmed":
        raise Conflict(400, message)


def _facts(ticket: Ticket, payload: str) -> TicketFacts:
    booking, event = ticket.booking, ticket.event
    start = parse_time(event["start_time"])
    return TicketFacts(
        event_name=event["name"], event_date=long_date(start), event_time=clock_time(start),
        venue=event["venue_name"], holder=ticket.holder["name"],
        quantity=booking["quantity"], total_price=f"${float(booking['total_price']):.2f}",
        ticket_number=ticket_number(booking["id"]), booking_id=booking["id"],
        qr_matrix=segno.make_qr(payload, error="m", boost_error=False).matrix,
    )
