"""`seatctl bookings` and `seatctl cancel` end to end against the reference server, in both
dialects: the reference one names the seats of a booking, the seed's does not (the journal
does)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import httpx
import pytest

from seatctl.booking.journal import Journal
from seatctl.exit_codes import ExitCode
from seatctl.render.bookings import TSV_FIELDS
from seatctl.server import ReferenceServer
from seatctl.server.config import Dialect
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import bearer, login
from tests.timed_events import add_event, add_user

OTHER_EMAIL, OTHER_PASSWORD = "other@example.com", "other12345"


@pytest.fixture(params=list(Dialect), ids=lambda dialect: f"dialect={dialect.value}")
def server(request: pytest.FixtureRequest, start_server: StartServer) -> ReferenceServer:
    return start_server(dialect=request.param)


def run(cli: Cli, server: ReferenceServer, *args: str, token: str | None = None) -> Outcome:
    return cli(*args, env={"SEATCTL_TOKEN": token or login(server),
                           "SEATCTL_BASE_URL": server.url})


def book(cli: Cli, server: ReferenceServer, *args: str, token: str | None = None) -> str:
    """`seatctl book ARGS`; the new booking's id."""
    outcome = run(cli, server, "--json", "book", *args, token=token)
    assert outcome.exit_code == 0, str(outcome)
    booking_id = json.loads(outcome.stdout)["bookingId"]
    assert isinstance(booking_id, str)
    return booking_id


def listed(server: ReferenceServer, token: str | None = None) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{server.url}/api/bookings/my",
                         headers=bearer(token or login(server)))
    return {booking["id"]: booking for booking in response.json()["data"]["bookings"]}


def journal_state(booking_id: str) -> str | None:
    with Journal(Journal.default_path(os.environ)) as journal:
        entry = journal.by_booking(booking_id)
    return entry.state if entry else None


def records(outcome: Outcome) -> dict[str, dict[str, str]]:
    assert outcome.exit_code == 0, str(outcome)
    rows = [dict(zip(TSV_FIELDS, line.split("\t"), strict=True))
            for line in outcome.stdout.splitlines()]
    return {row["booking"]: row for row in rows}


def test_the_list_names_seats_tickets_and_what_can_be_done(
    cli: Cli, server: ReferenceServer,
) -> None:
    seated = book(cli, server, "Symphony", "--seat", "Orchestra:A5", "--seat", "Orchestra:A6")
    general = book(cli, server, "Indie Night", "--quantity", "2")
    started = add_event(server, "Late Matinee", starts_in=timedelta(hours=-1), seat_map=True)
    begun = book(cli, server, started, "--seat", "Orchestra:B1", "--force")
    rows = records(run(cli, server, "bookings"))
    assert set(rows) == {seated, general, begun}
    assert (rows[seated]["seats"], rows[seated]["status"], rows[seated]["ticket"],
            rows[seated]["cancel"]) == ("Orchestra:A5,Orchestra:A6", "confirmed", "yes", "yes")
    assert rows[seated]["event"] == "Symphony Under the Stars"
    assert rows[seated]["total"] == f"{listed(server)[seated]['totalPrice']:.2f}"
    assert (rows[general]["seats"], rows[general]["cancel"]) == ("2 tickets", "yes")
    assert (rows[begun]["seats"], rows[begun]["cancel"]) == ("Orchestra:B1", "started")
    document = json.loads(run(cli, server, "bookings", "--json").stdout)
    sources = {b["id"]: b["seatsFrom"] for b in document["bookings"]}
    expected = "server" if server.config.dialect is Dialect.REFERENCE else "journal"
    assert sources[seated] == expected and sources[general] == "quantity"
    assert document["summary"]["total"] == 3
    upcoming = run(cli, server, "bookings", "--upcoming", "-q").stdout.split()
    assert sorted(upcoming) == sorted([seated, general])


def test_cancel_releases_the_booking_and_a_second_cancel_is_not_an_error(
    cli: Cli, server: ReferenceServer,
) -> None:
    booking = book(cli, server, "Jazz at the Grand Hall", "--seat", "Balcony:C3")
    outcome = run(cli, server, "cancel", booking, "--yes")
    assert outcome.exit_code == 0, str(outcome)
    assert f"cancelled {booking} (Jazz at the Grand Hall); refund" in outcome.stdout
    assert listed(server)[booking]["status"] == "CANCELLED"
    assert journal_state(booking) == "cancelled"
    again = run(cli, server, "--json", "cancel", booking, "--yes")
    assert again.exit_code == 0, str(again)
    (result,) = json.loads(again.stdout)["bookings"]
    assert result["outcome"] == "already_cancelled"
    rows = records(run(cli, server, "bookings", "--status", "cancelled"))
    assert rows[booking]["seats"] == "Balcony:C3"  # the journal's, once the server freed it
    seat = book(cli, server, "Jazz at the Grand Hall", "--seat", "Balcony:C3")
    assert seat != booking  # the seat was released


def test_a_started_event_is_refused_with_exit_3(cli: Cli, server: ReferenceServer) -> None:
    started = add_event(server, "Matinee", starts_in=timedelta(hours=-1), seat_map=True)
    booking = book(cli, server, started, "--seat", "Orchestra:C1", "--force")
    outcome = run(cli, server, "cancel", booking, "--yes")
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    assert "Cannot cancel booking for events that have already started" in " ".join(
        outcome.stderr.split())
    assert listed(server)[booking]["status"] == "CONFIRMED"
    assert journal_state(booking) == "confirmed"


def test_someone_elses_booking_is_forbidden_and_an_unknown_one_not_found(
    cli: Cli, server: ReferenceServer,
) -> None:
    add_user(server, OTHER_EMAIL, OTHER_PASSWORD)
    theirs = login(server, OTHER_EMAIL, OTHER_PASSWORD)
    booking = book(cli, server, "Indie Night", "--quantity", "1", token=theirs)
    forbidden = run(cli, server, "cancel", booking, "--yes")
    assert forbidden.exit_code == ExitCode.AUTH, str(forbidden)
    assert "is not yours to cancel" in forbidden.stderr
    assert listed(server, theirs)[booking]["status"] == "CONFIRMED"
    missing = run(cli, server, "cancel", "cb-no-such-booking", "--yes")
    assert missing.exit_code == ExitCode.NOT_FOUND, str(missing)
    both = run(cli, server, "--json", "cancel", "cb-no-such-booking", booking, "--yes")
    assert both.exit_code == ExitCode.NOT_FOUND  # the first failure's
    assert [b["outcome"] for b in json.loads(both.stdout)["bookings"]] == [
        "not_found", "forbidden"]


def test_without_a_login_the_list_says_how_to_log_in(cli: Cli, server: ReferenceServer) -> None:
    outcome = cli("bookings", env={"SEATCTL_BASE_URL": server.url})
    assert outcome.exit_code == ExitCode.AUTH
    assert "seatctl login" in outcome.stderr


def test_off_a_terminal_nothing_is_cancelled_without_yes(cli: Cli, server: ReferenceServer
                                                         ) -> None:
    booking = book(cli, server, "Indie Night", "--quantity", "1")
    outcome = run(cli, server, "cancel", booking)
    assert outcome.exit_code == ExitCode.USAGE
    assert "--yes" in outcome.stderr
    assert listed(server)[booking]["status"] == "CONFIRMED"
