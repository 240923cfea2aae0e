"""The pure parts of `seatctl bookings` and `seatctl cancel` (seatctl.booking.manage): seat
text, filters, what a DELETE's answer means, and the cancel loop over a mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from seatctl.api.models import Booking
from seatctl.booking.journal import Journal
from seatctl.booking.manage import (
    BookingFilter,
    BookingList,
    CancelInterrupted,
    Canceller,
    CancelOutcome,
    CancelRequest,
    CancelResult,
    ListedBooking,
    SeatsFrom,
    classify,
    first_failure,
    load_bookings,
    plan_cancellations,
    seats_of,
    tickets,
)
from seatctl.booking.outcome import Resume
from seatctl.clock import ManualClock
from seatctl.errors import (
    AuthError,
    ConnectionRefused,
    NotFound,
    RequestRejected,
    SeatctlError,
    ServerError,
)
from seatctl.exit_codes import ExitCode
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts

BASE_URL = "http://api.test"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LATER = "2026-12-20T19:30:00.000Z"
EARLIER = "2026-11-29T11:00:00.000Z"

Handler = Callable[[httpx.Request], httpx.Response]


def booking(booking_id: str = "cb1", *, status: str = "CONFIRMED", starts: str = LATER,
            quantity: int = 2, seats: list[dict[str, Any]] | None = None,
            total: Any = 90.0) -> Booking:
    document: dict[str, Any] = {
        "id": booking_id, "quantity": quantity, "totalPrice": total, "status": status,
        "event": {"id": "ce1", "name": "Jazz Night", "startTime": starts}}
    if seats is not None:
        document["seats"] = seats
    return Booking.model_validate(document)


def listed(value: Booking) -> ListedBooking:
    seats, source = seats_of(value, None)
    return ListedBooking(value, seats, source, value.started(NOW))


def envelope(data: Any = None, *, status: int = 200, message: str | None = None
             ) -> httpx.Response:
    body: dict[str, Any] = {"status": "success" if status < 400 else "error"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return httpx.Response(status, json=body)


def client(handler: Handler, clock: ManualClock | None = None) -> ApiClient:
    config = ClientConfig(base_url=BASE_URL, timeouts=Timeouts(1, 1, 1, 1),
                          retry=RetryPolicy(retries=0), token="t" * 20)
    return ApiClient(config, clock=clock or ManualClock(), transport=httpx.MockTransport(handler))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.db") as opened:
        yield opened


def made(journal: Journal, key: str, booking_id: str, *, labels: list[str] | None = None,
         base_url: str = BASE_URL) -> None:
    """A confirmed journal entry for `booking_id` (seats when `labels`, else 2 tickets)."""
    labels = labels or []
    journal.create(key=key, profile="default", base_url=base_url, event_id="ce1",
                   event_name="Jazz Night", seat_ids=[f"id-{label}" for label in labels],
                   seat_labels=labels, quantity=None if labels else 2)
    journal.update(key, state="confirmed", booking_id=booking_id)


# --- seats, filters -----------------------------------------------------------------------


def test_seats_are_the_servers_labels_first() -> None:
    value = booking(seats=[{"id": "s1", "row": "A", "number": 12, "section": "Orchestra"}])
    assert seats_of(value, None) == (("Orchestra:A12",), SeatsFrom.SERVER)


def test_seats_come_from_the_journal_when_the_server_names_none(journal: Journal) -> None:
    made(journal, "k1", "cb1", labels=["Balcony:C3", "Balcony:C4"])
    entry = journal.by_booking("cb1", base_url=BASE_URL)
    assert seats_of(booking(), entry) == (("Balcony:C3", "Balcony:C4"), SeatsFrom.JOURNAL)


def test_without_labels_the_seat_text_is_the_number_of_tickets() -> None:
    assert listed(booking(quantity=3)).seat_text == "3 tickets"
    assert listed(booking(quantity=1)).seat_text == "1 ticket"
    assert tickets(None) is None


def test_the_filter_keeps_any_of_the_statuses_asked_for() -> None:
    confirmed, cancelled = listed(booking("a")), listed(booking("b", status="CANCELLED"))
    pending = listed(booking("c", status="PENDING"))
    wanted = BookingFilter(frozenset({"confirmed", "pending"}))
    assert [item.id for item in (confirmed, cancelled, pending) if wanted.keeps(item)] == [
        "a", "c"]
    assert wanted.describe() == "confirmed or pending"
    assert not BookingFilter().active and all(
        BookingFilter().keeps(item) for item in (confirmed, cancelled, pending))


def test_upcoming_drops_the_bookings_whose_event_has_started() -> None:
    started, ahead = listed(booking("a", starts=EARLIER)), listed(booking("b"))
    wanted = BookingFilter(upcoming=True)
    assert (wanted.keeps(started), wanted.keeps(ahead)) == (False, True)
    assert started.started and not started.can_cancel and ahead.can_cancel


def test_a_cancelled_booking_cannot_be_cancelled_again() -> None:
    item = listed(booking(status="CANCELLED"))
    assert item.status == "cancelled" and item.cancelled and not item.can_cancel


# --- what a DELETE's answer means ---------------------------------------------------------


@pytest.mark.parametrize(("error", "outcome"), [
    (RequestRejected("x", status_code=400, server_message="Booking is already cancelled"),
     CancelOutcome.ALREADY_CANCELLED),
    (RequestRejected("x", status_code=400,
                     server_message="Cannot cancel booking for events that have already started"),
     CancelOutcome.REFUSED),
    (NotFound("x", status_code=404, server_message="Booking not found"),
     CancelOutcome.NOT_FOUND),
    (AuthError("x", status_code=403, server_message="Access denied."),
     CancelOutcome.FORBIDDEN),
    (AuthError("x", status_code=401), CancelOutcome.FAILED),
    (RequestRejected("x", status_code=409, server_message="Event capacity changed, please retry"),
     CancelOutcome.FAILED),
    (ServerError("x", status_code=500), CancelOutcome.FAILED),
    (ConnectionRefused("x"), CancelOutcome.FAILED),
])
def test_each_failure_is_classified(error: SeatctlError, outcome: CancelOutcome) -> None:
    assert classify(error) is outcome


def test_the_exit_code_is_that_of_the_first_failure() -> None:
    ok = CancelResult("a", CancelOutcome.CANCELLED, "cancelled")
    already = CancelResult("b", CancelOutcome.ALREADY_CANCELLED, "already")
    missing = CancelResult("c", CancelOutcome.NOT_FOUND, "Booking not found",
                           error=NotFound("x", status_code=404))
    forbidden = CancelResult("d", CancelOutcome.FORBIDDEN, "Access denied",
                             error=AuthError("x", status_code=403))
    assert first_failure([ok, already]) == ExitCode.OK
    assert first_failure([ok, missing, forbidden]) == ExitCode.NOT_FOUND
    assert first_failure([forbidden, missing]) == ExitCode.AUTH


def test_a_plan_has_each_id_once_and_keeps_ids_not_in_the_list() -> None:
    listing = BookingList(None, [listed(booking("cb1", status="CANCELLED"))], {})
    plan = plan_cancellations(["cb1", "cb2", "cb1"], listing)
    assert [(request.booking_id, request.to_send) for request in plan] == [
        ("cb1", False), ("cb2", True)]
    assert plan[1].listed is None


# --- listing ------------------------------------------------------------------------------


def test_listing_marks_what_the_server_cancelled_in_the_journal(journal: Journal) -> None:
    made(journal, "k1", "cb1", labels=["Balcony:C3"])
    made(journal, "k2", "cb2")
    made(journal, "k3", "cb1", base_url="http://elsewhere.test")
    documents = [booking("cb1", status="CANCELLED").model_dump(by_alias=True),
                 booking("cb2").model_dump(by_alias=True)]
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return envelope({"bookings": documents, "summary": {"total": 2}})

    with client(handler) as api:
        listing = load_bookings(api, journal, base_url=BASE_URL, now=NOW)
    assert [(request.method, request.url.path) for request in requests] == [
        ("GET", "/api/bookings/my")]
    assert [(item.id, item.seat_text) for item in listing.bookings] == [
        ("cb1", "Balcony:C3"), ("cb2", "2 tickets")]
    states = {entry.key: entry.state for entry in journal.recent()}
    assert states == {"k1": "cancelled", "k2": "confirmed", "k3": "confirmed"}
    assert listing.summary == {"total": 2}


def test_a_list_without_a_summary_gets_one_counted() -> None:
    documents = [booking("a").model_dump(by_alias=True),
                 booking("b", status="PENDING").model_dump(by_alias=True)]
    with client(lambda request: envelope(documents)) as api:  # a bare list is taken too
        listing = load_bookings(api, None, base_url=BASE_URL, now=NOW)
    assert listing.summary == {"total": 2, "confirmed": 1, "cancelled": 0, "pending": 1}


# --- cancelling ---------------------------------------------------------------------------


class Server:
    """DELETE answers per booking id, each a list played in order (the last repeats)."""

    def __init__(self, answers: dict[str, list[httpx.Response]]) -> None:
        self.answers = answers
        self.deletes: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "DELETE"
        booking_id = request.url.path.rsplit("/", 1)[1]
        self.deletes.append(booking_id)
        script = self.answers[booking_id]
        return script.pop(0) if len(script) > 1 else script[0]


def cancelled(booking_id: str) -> httpx.Response:
    return envelope({"bookingId": booking_id}, message="Booking cancelled successfully")


def error(status: int, message: str) -> httpx.Response:
    return envelope(status=status, message=message)


CONFLICT = "Event capacity changed, please retry"


def test_a_cancellation_reports_the_refund_and_is_journalled(journal: Journal) -> None:
    made(journal, "k1", "cb1")
    server = Server({"cb1": [cancelled("cb1")]})
    with client(server) as api:
        canceller = Canceller(api, ManualClock(), journal=journal, base_url=BASE_URL)
        (result,) = canceller.cancel_all([CancelRequest("cb1", listed(booking("cb1")))])
    assert (result.outcome, result.refund, result.event_name) == (
        CancelOutcome.CANCELLED, 90.0, "Jazz Night")
    assert result.as_dict() == {"bookingId": "cb1", "outcome": "cancelled",
                                "message": "cancelled", "refund": 90.0, "event": "Jazz Night",
                                "exitCode": 0}
    assert server.deletes == ["cb1"]
    entry = journal.get("k1")
    assert entry is not None and entry.state == "cancelled"


def test_one_the_list_shows_cancelled_is_not_sent_but_is_journalled(journal: Journal) -> None:
    made(journal, "k1", "cb1")
    server = Server({})
    with client(server) as api:
        result = Canceller(api, ManualClock(), journal=journal, base_url=BASE_URL).cancel(
            CancelRequest("cb1", listed(booking("cb1", status="CANCELLED"))))
    assert result.outcome is CancelOutcome.ALREADY_CANCELLED and result.ok
    assert server.deletes == []
    entry = journal.get("k1")
    assert entry is not None and entry.state == "cancelled"


def test_the_servers_already_cancelled_is_a_success(journal: Journal) -> None:
    made(journal, "k1", "cb1")
    server = Server({"cb1": [error(400, "Booking is already cancelled")]})
    with client(server) as api:
        result = Canceller(api, ManualClock(), journal=journal, base_url=BASE_URL).cancel(
            CancelRequest("cb1"))
    assert (result.outcome, result.message, result.exit_code) == (
        CancelOutcome.ALREADY_CANCELLED, "Booking is already cancelled", ExitCode.OK)
    entry = journal.get("k1")
    assert entry is not None and entry.state == "cancelled"


def test_a_refusal_keeps_the_servers_reason_and_the_journal_untouched(journal: Journal) -> None:
    made(journal, "k1", "cb1")
    reason = "Cannot cancel booking for events that have already started"
    server = Server({"cb1": [error(400, reason)]})
    with client(server) as api:
        result = Canceller(api, ManualClock(), journal=journal, base_url=BASE_URL).cancel(
            CancelRequest("cb1", listed(booking("cb1", starts=EARLIER))))
    assert (result.outcome, result.message, result.exit_code) == (
        CancelOutcome.REFUSED, reason, ExitCode.REJECTED)
    entry = journal.get("k1")
    assert entry is not None and entry.state == "confirmed"


def test_a_capacity_conflict_is_sent_again_after_a_short_pause() -> None:
    clock = ManualClock()
    server = Server({"cb1": [error(409, CONFLICT), cancelled("cb1")]})
    notices: list[tuple[str, float]] = []
    with client(server, clock) as api:
        canceller = Canceller(api, clock, on_retry=lambda b, wait, e: notices.append((b, wait)))
        result = canceller.cancel(CancelRequest("cb1"))
    assert result.outcome is CancelOutcome.CANCELLED
    assert server.deletes == ["cb1", "cb1"]
    assert len(notices) == 1 and 0.5 <= notices[0][1] <= 1.0 and 0.5 <= clock.now <= 1.0


def test_a_conflict_that_stays_fails_after_a_bounded_number_of_attempts() -> None:
    clock = ManualClock()
    server = Server({"cb1": [error(409, CONFLICT)]})
    with client(server, clock) as api:
        result = Canceller(api, clock).cancel(CancelRequest("cb1"))
    assert (result.outcome, result.message, result.exit_code) == (
        CancelOutcome.FAILED, CONFLICT, ExitCode.REJECTED)
    assert server.deletes == ["cb1"] * 3
    # The HTTP core's hint for a 4xx ("refused the request as sent") used to be shown.
    assert result.hint == "the event's capacity kept changing: try again in a moment"


def test_other_failures_keep_their_errors_hint() -> None:
    error = ServerError("server error 500", status_code=500, hint="try later")
    result = CancelResult("cb1", CancelOutcome.FAILED, "boom", error=error)
    assert result.hint == "try later"
    assert CancelResult("cb1", CancelOutcome.CANCELLED, "cancelled").hint is None


def test_no_pause_runs_past_the_commands_deadline() -> None:
    from seatctl.clock import Deadline

    clock = ManualClock()
    server = Server({"cb1": [error(409, CONFLICT)]})
    with client(server, clock) as api:
        canceller = Canceller(api, clock, deadline=Deadline.after(clock, 0.2))
        result = canceller.cancel(CancelRequest("cb1"))
    assert result.outcome is CancelOutcome.FAILED and server.deletes == ["cb1"]


def test_several_bookings_are_each_reported() -> None:
    server = Server({"cb1": [cancelled("cb1")], "cb2": [error(404, "Booking not found")],
                     "cb3": [error(403, "Access denied. You can only cancel your own "
                                        "bookings.")]})
    seen: list[CancelResult] = []
    with client(server) as api:
        results = Canceller(api, ManualClock()).cancel_all(
            [CancelRequest(b) for b in ("cb1", "cb2", "cb3")], on_result=seen.append)
    assert [result.outcome for result in results] == [
        CancelOutcome.CANCELLED, CancelOutcome.NOT_FOUND, CancelOutcome.FORBIDDEN]
    assert seen == results and first_failure(results) == ExitCode.NOT_FOUND


def test_ctrl_c_stops_and_says_what_was_cancelled(journal: Journal) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        booking_id = request.url.path.rsplit("/", 1)[1]
        if booking_id == "cb2":
            raise KeyboardInterrupt
        return cancelled(booking_id)

    requests = [CancelRequest("cb1"), CancelRequest("cb2"), CancelRequest("cb3"),
                CancelRequest("cb4", listed(booking("cb4", status="CANCELLED")))]
    with client(handler) as api, pytest.raises(CancelInterrupted) as stopped:
        Canceller(api, ManualClock(), journal=journal, base_url=BASE_URL).cancel_all(requests)
    stop = stopped.value
    assert [result.booking_id for result in stop.done] == ["cb1"]
    assert (stop.in_flight, stop.not_sent) == ("cb2", ["cb3"])
    assert stop.message == ("interrupted: cancelled cb1; cb2 may or may not be cancelled; "
                            "not sent: cb3")
    assert stop.exit_code == ExitCode.INTERRUPTED
    assert stop.hint == "see which are cancelled with `seatctl bookings`"


def test_ctrl_c_names_the_listing_with_the_flags_that_reach_the_server() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    resume = Resume(profile="staging", base_url="http://api.test:8080")
    with client(handler) as api, pytest.raises(CancelInterrupted) as stopped:
        Canceller(api, ManualClock(), resume=resume).cancel_all([CancelRequest("cb1")])
    assert stopped.value.hint == ("see which are cancelled with `seatctl --profile staging "
                                  "--base-url http://api.test:8080 bookings`")


def test_the_json_of_a_result_is_plain_data() -> None:
    result = CancelResult("cb1", CancelOutcome.FORBIDDEN, "Access denied",
                          error=AuthError("x", status_code=403))
    assert json.loads(json.dumps(result.as_dict()))["exitCode"] == ExitCode.AUTH
