"""The contract's endpoints. Handlers take a Request and return a Response; no sockets here."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seatctl import __version__
from seatctl.server.auth import TokenSigner, hash_password, verify_password
from seatctl.server.config import Dialect, ServerConfig
from seatctl.server.messages import Request, Response
from seatctl.server.queue import JobQueue
from seatctl.server.routing import Params, Route
from seatctl.server.store import Conflict, JobRow, Store, utc_now
from seatctl.server.tickets import TicketDesk
from seatctl.server.views import (
    booking_json,
    event_json,
    listed_booking_json,
    my_bookings_json,
    seat_map_json,
    user_json,
)

PENDING_MESSAGE = "Booking is under processing..."
IDEMPOTENCY_CONFLICT = "Idempotency key already used for a different booking"
NOT_READY_MESSAGE = "Service not ready"
MAX_WAIT = 30.0
MAX_SEATS = 10
MAX_QUANTITY = 10
MAX_PAGE_NUMBER = 1_000_000  # beyond it SQLite's OFFSET overflows
DUMMY_HASH = hash_password("an unknown account has no password")


@dataclass
class BookingApi:
    store: Store
    signer: TokenSigner
    queue: JobQueue
    config: ServerConfig

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/health", self.health),
            Route("GET", "/api/health", self.api_health),
            Route("POST", "/api/auth/login", self.login),
            Route("GET", "/api/auth/profile", self.profile),
            Route("GET", "/api/events", self.list_events),
            Route("GET", "/api/events/:id", self.get_event),
            Route("GET", "/api/seats/event/:eventId", self.seat_map),
            Route("POST", "/api/seats/book", self.book_seats),
            Route("GET", "/api/seats/booking-status/:jobId", self.booking_status),
            Route("POST", "/api/bookings", self.book_quantity),
            Route("GET", "/api/bookings/my", self.my_bookings),
            Route("DELETE", "/api/bookings/:id", self.cancel_booking),
            *TicketDesk(self.store, self.config, self._user).routes(),
        ]

    # --- health ---------------------------------------------------------------------

    async def health(self, request: Request, params: Params) -> Response:
        return Response.json(200, {
            "status": "success", "message": "Server is running", "timestamp": utc_now(),
            "environment": self.config.environment, "version": __version__,
        })

    async def api_health(self, request: Request, params: Params) -> Response:
        started = time.perf_counter()
        self.store.db.execute("SELECT 1").fetchone()
        database_ms = round((time.perf_counter() - started) * 1000, 2)
        services = {
            "database": _service("database" not in self.config.degraded, database_ms),
            # The seed's queue lives in Redis; here it is the jobs table of the same database.
            "redis": _service("redis" not in self.config.degraded, database_ms),
        }
        healthy = not self.config.degraded
        data = {"status": "healthy" if healthy else "degraded", "timestamp": utc_now(),
                "services": services}
        if healthy:
            return Response.success(data)
        return Response.json(503, {"status": "error", "message": "Service degraded",
                                   "data": data})

    # --- auth -----------------------------------------------------------------------

    async def login(self, request: Request, params: Params) -> Response:
        body = _json_object(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str) or not email:
            raise Conflict(400, "Email and password are required")
        user = self.store.user_by_email(email)
        # scrypt takes tens of milliseconds: off the event loop, or every connection's
        # timing suffers. An unknown email is checked against a dummy hash all the same,
        # so the answer's timing does not tell which accounts exist.
        stored = user["password_hash"] if user is not None else DUMMY_HASH
        valid = await asyncio.to_thread(verify_password, password, stored)
        if user is None or not valid:
            raise Conflict(401, "Invalid email or password")
        token = self.signer.issue(user["id"], user["email"])
        return Response.success({"user": user_json(user), "token": token},
                                message="Login successful")

    async def profile(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        return Response.success({"user": user_json(user)})

    # --- events ---------------------------------------------------------------------

    async def list_events(self, request: Request, params: Params) -> Response:
        page = _positive_int(request.query.get("page"), "page", default=1)
        limit = min(_positive_int(request.query.get("limit"), "limit", default=10), 100)
        search = request.query.get("search") or None
        total = self.store.count_events(search)
        rows = self.store.list_events(search, limit, (page - 1) * limit)
        pages = max(1, math.ceil(total / limit))
        return Response.success({
            "events": [event_json(self.store, row) for row in rows],
            "pagination": {"currentPage": page, "totalPages": pages, "totalCount": total,
                           "limit": limit, "hasNextPage": page < pages,
                           "hasPrevPage": page > 1},
        })

    async def get_event(self, request: Request, params: Params) -> Response:
        return Response.success({"event": event_json(self.store, self._event(params["id"]))})

    async def seat_map(self, request: Request, params: Params) -> Response:
        event = self._event(params["eventId"])
        if not event["seat_level_booking"] or event["venue_id"] is None:
            raise Conflict(400, "This event does not have a seat map (general admission)")
        return Response.success(seat_map_json(self.store, event))

    # --- booking --------------------------------------------------------------------

    async def book_seats(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        body = _json_object(request)
        event_id, seat_ids = body.get("eventId"), body.get("seatIds")
        if not isinstance(event_id, str) or not event_id:
            raise Conflict(400, "eventId is required")
        if not isinstance(seat_ids, list) or not seat_ids \
                or not all(isinstance(seat, str) and seat for seat in seat_ids):
            raise Conflict(400, "seatIds must be a non-empty array of seat ids")
        if len(seat_ids) > MAX_SEATS or len(set(seat_ids)) != len(seat_ids):
            raise Conflict(400, f"seatIds must be at most {MAX_SEATS} distinct seats")
        event = self._event(event_id)
        if not event["seat_level_booking"]:
            raise Conflict(400, "This event is general admission: POST /api/bookings")
        key = _idempotency_key(request, body)
        if key is not None:
            self._check_same_payload(user["id"], key, event_id, seat_ids)
        job_id = self.queue.submit(user["id"], event_id, seat_ids, key)
        return Response.success(
            {"jobId": job_id, "checkStatusUrl": f"/api/seats/booking-status/{job_id}"},
            status=202, message="Booking request queued")

    async def booking_status(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        job = self._job(params["jobId"], user["id"])
        if self.config.dialect is Dialect.SEED:  # no long polling: `wait` is ignored
            return Response.success(_job_data(job))
        wait = _wait_seconds(request.query.get("wait"))
        if wait > 0 and job.state in ("queued", "processing"):
            await self.queue.wait_for_change(job.id, wait)
            job = self._job(job.id, user["id"])
        return self._status_response(job)

    async def book_quantity(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        body = _json_object(request)
        event_id, quantity = body.get("eventId"), body.get("quantity")
        if not isinstance(event_id, str) or not event_id:
            raise Conflict(400, "eventId is required")
        if isinstance(quantity, bool) or not isinstance(quantity, int) \
                or not 1 <= quantity <= MAX_QUANTITY:
            raise Conflict(400, f"quantity must be an integer from 1 to {MAX_QUANTITY}")
        key = _idempotency_key(request, body)
        if key is not None and self.store.job_with_key(user["id"], key) is not None:
            # The key belongs to a seat booking (queued or done): a different payload.
            raise Conflict(422, IDEMPOTENCY_CONFLICT)
        booking, created = self.store.book_quantity(user["id"], event_id, quantity, key)
        return Response.success(
            {"booking": booking_json(self.store, booking)}, status=201 if created else 200,
            message="Booking created successfully" if created else "Booking already exists")

    async def my_bookings(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        data = my_bookings_json(self.store, user, self.config.dialect, datetime.now(UTC))
        return Response.success(
            data, message=f"📋 Found {len(data['bookings'])} bookings for {user['name']}")

    async def cancel_booking(self, request: Request, params: Params) -> Response:
        user = self._user(request)
        now = datetime.now(UTC)
        booking = self.store.cancel_booking(params["id"], user["id"], now)
        data: dict[str, Any] = {"bookingId": booking["id"]}
        if self.config.dialect is Dialect.REFERENCE:
            data["booking"] = listed_booking_json(self.store, booking, self.config.dialect, now)
        return Response.success(data, message="Booking cancelled successfully")

    # --- helpers --------------------------------------------------------------------

    def _user(self, request: Request) -> Any:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Conflict(401, "Access denied. No token provided.")
        user_id = self.signer.verify(token.strip())
        user = self.store.user_by_id(user_id) if user_id is not None else None
        if user is None:
            raise Conflict(401, "Access denied. Invalid token.")
        return user

    def _event(self, event_id: str) -> Any:
        event = self.store.event(event_id)
        if event is None:
            raise Conflict(404, "Event not found")
        return event

    def _job(self, job_id: str, user_id: str) -> JobRow:
        job = self.store.job(job_id)
        if job is None or job.user_id != user_id:  # another user's job does not exist
            raise Conflict(404, "Booking job not found")
        return job

    def _check_same_payload(self, user_id: str, key: str, event_id: str,
                            seat_ids: list[str]) -> None:
        earlier = self.store.job_with_key(user_id, key)
        if earlier is None:
            # No seat booking used the key; a booking with it is a general-admission one.
            if self.store.booking_by_key(user_id, key) is not None:
                raise Conflict(422, IDEMPOTENCY_CONFLICT)
            return
        if earlier.event_id != event_id or _digest(earlier.seat_ids) != _digest(seat_ids):
            raise Conflict(422, IDEMPOTENCY_CONFLICT)

    def _status_response(self, job: JobRow) -> Response:
        """The seed's status `data` with the reference extensions: the state, its time, the
        queue position and a Retry-After hint while pending."""
        data = _job_data(job)
        headers: list[tuple[str, str]] = []
        if job.result is None:
            position = self.store.queue_position(job)
            if position:
                data["queuePosition"] = position
            headers.append(("Retry-After", str(self._seconds_until_done(job, position))))
        data.update({"state": job.state, "updatedAt": job.updated_at})
        return Response.success(data, headers=headers)

    def _seconds_until_done(self, job: JobRow, position: int) -> int:
        """The Retry-After hint: whole seconds before the job can be done, rounded down (a
        client asking earlier learns nothing new; one asking later has waited for nothing).
        Under a second that is 0: ask again whenever you like."""
        per_job = self.config.process_delay + self.config.slow_job
        if job.state == "processing":
            started = datetime.fromisoformat(job.updated_at.replace("Z", "+00:00"))
            remaining = started.timestamp() + per_job - time.time()
        else:  # the jobs ahead are shared by the workers, then this one's own time
            remaining = per_job * (1 + (position - 1) / self.config.workers)
        return int(max(0.0, remaining))


def not_ready(seconds_left: float) -> Response:
    """The answer to every request while the server is not ready yet (`--ready-delay`): 503
    with a Retry-After of the whole seconds left, at least 1."""
    retry_after = str(max(1, math.ceil(seconds_left)))
    return Response.error(503, NOT_READY_MESSAGE, [("Retry-After", retry_after)])


def _job_data(job: JobRow) -> dict[str, Any]:
    """The status `data` as the seed backend sends it, the state left implicit."""
    if job.result is None:
        return {"success": False, "message": PENDING_MESSAGE}
    return dict(job.result)


def _service(up: bool, response_ms: float) -> dict[str, Any]:
    return {"status": "healthy" if up else "unhealthy",
            "responseTime": f"{response_ms}ms" if up else None}


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
        # JSON may carry lone surrogates ("\ud800"), which no database text can hold.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise Conflict(400, "Request body is not valid JSON (UTF-8, not nested too deeply)"
                       ) from None
    if not isinstance(body, dict):
        raise Conflict(400, "Request body must be a JSON object")
    return body


def _idempotency_key(request: Request, body: dict[str, Any]) -> str | None:
    header = request.header("idempotency-key")
    key = body.get("idempotencyKey")
    if key is None:  # absent or null: the header, if any
        key = header
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 255:
        raise Conflict(400, "idempotencyKey must be a string of 1 to 255 characters")
    if header is not None and header != key:
        raise Conflict(400, "The Idempotency-Key header and body idempotencyKey differ")
    return key


def _positive_int(value: str | None, name: str, *, default: int) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE_NUMBER:
        raise Conflict(400, f"{name} must be an integer from 1 to {MAX_PAGE_NUMBER}")
    return int(value)


def _wait_seconds(value: str | None) -> float:
    if value is None:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        raise Conflict(400, "wait must be a number of seconds") from None
    if not 0 <= seconds <= MAX_WAIT or math.isnan(seconds):
        raise Conflict(400, f"wait must be between 0 and {MAX_WAIT:g} seconds")
    return seconds


def _digest(seat_ids: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(seat_ids)).encode()).hexdigest()
