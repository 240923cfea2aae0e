"""`seatctl ticket`, `verify` and `checkin` end to end against the reference server: a real
booking's ticket, its QR code read back, its PDF, and the door's answers at chosen times."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.exit_codes import ExitCode
from seatctl.render.streams import IOStreams
from seatctl.server import ReferenceServer
from seatctl.server.config import Dialect
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.render.test_qr import decode, from_plain
from tests.server.helpers import bearer, book, client, free_seats, login
from tests.timed_events import add_event, add_user

SOON = timedelta(minutes=30)  # within the check-in window (it opens 2 h before the start)
OTHER_EMAIL, OTHER_PASSWORD = "staff@example.com", "staff12345"


def environment(server: ReferenceServer, token: str | None = None) -> dict[str, str]:
    return {"SEATCTL_TOKEN": token or login(server), "SEATCTL_BASE_URL": server.url}


def run(cli: Cli, server: ReferenceServer, *args: str, token: str | None = None) -> Outcome:
    return cli(*args, env=environment(server, token))


def general_admission(server: ReferenceServer, *, starts_in: timedelta = SOON,
                      quantity: int = 2) -> str:
    """A confirmed booking of a new event starting `starts_in` from now; its id."""
    event_id = add_event(server, f"Show in {starts_in}", starts_in=starts_in, price=40.0)
    response = httpx.post(f"{server.url}/api/bookings", headers=bearer(login(server)),
                          json={"eventId": event_id, "quantity": quantity})
    assert response.status_code == 201, response.text
    booking_id: str = response.json()["data"]["booking"]["id"]
    return booking_id


def ended_booking(server: ReferenceServer) -> str:
    """A seat booking of an event that ended (general admission refuses past events; seat
    bookings are not checked against the start)."""
    event_id = add_event(server, "Over already", starts_in=timedelta(hours=-5),
                         lasts=timedelta(hours=1), seat_map=True)
    with client(server, login(server)) as http:
        result = book(http, event_id, [free_seats(http, event_id, 1)[0]["id"]])
    assert result["success"], result
    booking_id: str = result["bookingId"]
    return booking_id


def fields(stdout: str) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in stdout.splitlines())


def door(cli: Cli, server: ReferenceServer, command: str, booking_id: str
         ) -> tuple[int, dict[str, object]]:
    outcome = run(cli, server, "--json", command, booking_id)
    document: dict[str, object] = json.loads(outcome.stdout)
    return outcome.exit_code, document


# --- the ticket -----------------------------------------------------------------------


def test_the_ticket_shows_the_booking_and_its_payload(cli: Cli, server: ReferenceServer) -> None:
    booking_id = general_admission(server)
    outcome = run(cli, server, "ticket", booking_id)
    assert outcome.exit_code == 0, str(outcome)
    shown = fields(outcome.stdout)
    assert (shown["event"], shown["venue"], shown["holder"], shown["quantity"],
            shown["total"], shown["booking"]) == (
        f"Show in {SOON}", "The Warehouse", "Demo User", "2", "80.00", booking_id)
    assert shown["ticket"] == "EVT-" + booking_id[:8].upper()
    payload = json.loads(shown["qr"])
    assert payload["bookingId"] == booking_id
    assert payload["checkInUrl"] == f"{server.url}/api/tickets/verify/{booking_id}"
    document = json.loads(run(cli, server, "--json", "ticket", booking_id).stdout)
    assert json.loads(document["qrCodeData"])["bookingId"] == booking_id
    listed = httpx.get(f"{server.url}/api/bookings/my", headers=bearer(login(server)))
    (start,) = [booking["event"]["startTime"] for booking in listed.json()["data"]["bookings"]
                if booking["id"] == booking_id]
    assert document["startTime"] == shown["starts"] == start


def test_the_qr_code_on_a_terminal_reads_back_as_the_tickets_payload(
    server: ReferenceServer,
) -> None:
    booking_id = general_admission(server)
    streams = IOStreams.test(tty=True, width=100)
    obj = App(env={**os.environ, **environment(server)}, _streams=streams)
    result = CliRunner().invoke(seatctl_app, ["ticket", booking_id], obj=obj)
    assert result.exit_code == 0, streams.err_text()
    drawn = [line for line in streams.out_text().splitlines()
             if line and set(line) <= set(" ▀▄█")]
    (text,) = decode(from_plain(drawn))
    times = [line for line in streams.out_text().splitlines() if line.startswith("time ")]
    assert len(times) == 1 and re.fullmatch(r"time +\d\d:\d\d \S+", times[0]), times  # local
    payload = json.loads(text)
    assert payload["bookingId"] == booking_id
    assert payload["checkInUrl"] == f"{server.url}/api/tickets/verify/{booking_id}"


def test_someone_elses_ticket_is_forbidden(cli: Cli, server: ReferenceServer) -> None:
    booking_id = general_admission(server)
    add_user(server, OTHER_EMAIL, OTHER_PASSWORD)
    other = login(server, OTHER_EMAIL, OTHER_PASSWORD)
    outcome = run(cli, server, "ticket", booking_id, token=other)
    assert outcome.exit_code == ExitCode.AUTH, str(outcome)
    assert "Access denied" in outcome.stderr
    assert "hint: not your booking (the ticket of another account)" in outcome.stderr
    # venue staff (any other account) may verify it, though
    assert run(cli, server, "verify", booking_id, token=other).exit_code == 0


def test_no_such_booking_is_exit_8(cli: Cli, server: ReferenceServer) -> None:
    assert run(cli, server, "ticket", "cnosuchbooking").exit_code == ExitCode.NOT_FOUND
    code, document = door(cli, server, "checkin", "cnosuchbooking")
    assert (code, document["reason"]) == (ExitCode.NOT_FOUND, "not_found")


# --- the PDF --------------------------------------------------------------------------


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder (tmp_path holds the server's database and XDG folders)."""
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_the_pdf_is_saved_and_not_overwritten_unless_forced(
    cli: Cli, server: ReferenceServer, here: Path,
) -> None:
    booking_id = general_admission(server)
    name = f"ticket-EVT-{booking_id[:8].upper()}.pdf"
    saved = run(cli, server, "ticket", booking_id, "--download")
    assert saved.exit_code == 0, str(saved)
    assert saved.stdout == f"{name}\n"
    content = (here / name).read_bytes()
    assert content.startswith(b"%PDF-")
    again = run(cli, server, "ticket", booking_id, "--download")
    assert again.exit_code == ExitCode.USAGE and "already exists" in again.stderr
    forced = run(cli, server, "--json", "ticket", booking_id, "--download", "--force")
    assert forced.exit_code == 0, str(forced)
    assert json.loads(forced.stdout)["bytes"] == (here / name).stat().st_size
    assert os.listdir(here) == [name]


def test_a_cancelled_booking_has_no_pdf_and_admits_no_one(
    cli: Cli, server: ReferenceServer, here: Path,
) -> None:
    booking_id = general_admission(server)
    response = httpx.delete(f"{server.url}/api/bookings/{booking_id}",
                            headers=bearer(login(server)))
    assert response.status_code == 200, response.text
    outcome = run(cli, server, "ticket", booking_id, "--download")
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    assert "Cannot generate ticket for unconfirmed booking" in outcome.stderr
    assert os.listdir(here) == []
    # This used to show the cancelled booking's ticket and QR code, exit 0.
    shown = run(cli, server, "ticket", booking_id)
    assert shown.exit_code == ExitCode.REJECTED, str(shown)
    assert f"booking {booking_id} is cancelled: it has no valid ticket" in shown.stderr
    assert shown.stdout == ""
    code, document = door(cli, server, "checkin", booking_id)
    assert (code, document["reason"]) == (ExitCode.REJECTED, "not_confirmed")


# --- at the door ----------------------------------------------------------------------


def test_verify_then_check_in_then_a_second_check_in_is_refused(
    cli: Cli, server: ReferenceServer,
) -> None:
    booking_id = general_admission(server)
    verified = run(cli, server, "verify", booking_id)
    assert verified.exit_code == 0, str(verified)
    assert fields(verified.stdout)["status"] == "valid"
    checked_in = run(cli, server, "checkin", booking_id)
    assert checked_in.exit_code == 0, str(checked_in)
    assert fields(checked_in.stdout)["status"] == "checked in"
    assert fields(checked_in.stdout)["checked_in_at"]
    code, document = door(cli, server, "checkin", booking_id)
    assert (code, document["reason"], document["valid"]) == (
        ExitCode.REJECTED, "already_checked_in", False)
    code, document = door(cli, server, "verify", booking_id)
    assert (code, document["reason"]) == (ExitCode.REJECTED, "already_checked_in")


def test_the_seed_records_no_check_in_so_a_second_one_succeeds(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(dialect=Dialect.SEED)
    booking_id = general_admission(server)
    for _ in range(2):
        code, document = door(cli, server, "checkin", booking_id)
        assert (code, document["checkedIn"]) == (0, True), document


def test_too_early_is_refused_at_verification(cli: Cli, server: ReferenceServer) -> None:
    booking_id = general_admission(server, starts_in=timedelta(days=2))
    for command in ("verify", "checkin"):
        code, document = door(cli, server, command, booking_id)
        assert (code, document["reason"], document["step"]) == (
            ExitCode.REJECTED, "too_early", "verify")


def test_an_ended_event_is_refused(cli: Cli, server: ReferenceServer) -> None:
    booking_id = ended_booking(server)
    outcome = run(cli, server, "checkin", booking_id)
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    assert "(ended): Event has already ended" in outcome.stderr
    code, document = door(cli, server, "verify", booking_id)
    assert (code, document["reason"]) == (ExitCode.REJECTED, "ended")
