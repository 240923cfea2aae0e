"""`seatctl watch` of a job whose booking was cancelled since: the job did confirm it, and
the watch says what became of it (never a crash, never "confirmed" with a cancel hint)."""

from __future__ import annotations

import json
import time

import httpx

from seatctl.server import ReferenceServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import bearer, login


def run(cli: Cli, server: ReferenceServer, token: str, *args: str) -> Outcome:
    return cli(*args, env={"SEATCTL_TOKEN": token, "SEATCTL_BASE_URL": server.url})


def made_booking(server: ReferenceServer, token: str) -> str:
    """The id of the booking the queued job makes, once the server lists it (bounded)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = httpx.get(f"{server.url}/api/bookings/my", headers=bearer(token))
        bookings = response.json()["data"]["bookings"]
        if bookings:
            booking_id: str = bookings[0]["id"]
            return booking_id
        time.sleep(0.02)  # a bounded poll of the server's own state, not a synchronising sleep
    raise AssertionError("the job made no booking within 10 s")


def test_a_job_whose_booking_was_cancelled_watches_as_cancelled(cli: Cli,
                                                                 server: ReferenceServer) -> None:
    token = login(server)
    job_id = run(cli, server, token, "book", "Symphony", "--seat", "Balcony:C3", "--no-wait",
                 "--yes").stdout.strip()
    booking_id = json.loads(run(cli, server, token, "watch", job_id, "--json").stdout
                            )["bookingId"]
    cancelled = run(cli, server, token, "cancel", booking_id, "--yes")
    assert cancelled.exit_code == 0, str(cancelled)

    again = run(cli, server, token, "watch", job_id)  # answered from the journal
    as_json = run(cli, server, token, "watch", job_id, "--json")

    assert again.exit_code == 0, str(again)
    assert again.stdout.startswith(f"⊖ cancelled  booking {booking_id}")
    assert "confirmed, then cancelled" in again.stdout
    assert "to cancel it" not in again.stderr
    document = json.loads(as_json.stdout)
    assert (document["state"], document["bookingId"]) == ("cancelled", booking_id)


def test_cancelled_before_the_journal_knew_the_booking_the_watch_says_so(
        cli: Cli, server: ReferenceServer) -> None:
    token = login(server)
    job_id = run(cli, server, token, "book", "Symphony", "--seat", "Balcony:C4", "--no-wait",
                 "--yes").stdout.strip()
    booking_id = made_booking(server, token)
    assert run(cli, server, token, "cancel", booking_id, "--yes").exit_code == 0

    watched = run(cli, server, token, "watch", job_id)  # the server still says confirmed

    assert watched.exit_code == 0, str(watched)
    assert watched.stdout.startswith(f"⊖ cancelled  booking {booking_id}")
    assert "to cancel it" not in watched.stderr
