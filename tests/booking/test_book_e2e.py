"""`seatctl book` and `seatctl watch` end to end against the reference server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from seatctl.booking.journal import Journal
from seatctl.exit_codes import ExitCode
from seatctl.server import Fault, FaultKind, RateLimit, ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import bearer, login

BOOK = "/api/seats/book"
STATUS = "/api/seats/booking-status/"


def run(cli: Cli, server: ReferenceServer, *args: str, **env: str) -> Outcome:
    environment = {"SEATCTL_TOKEN": login(server), "SEATCTL_BASE_URL": server.url, **env}
    return cli(*args, env=environment)


def bookings(server: ReferenceServer) -> list[dict[str, Any]]:
    response = httpx.get(server.url + "/api/bookings/my", headers=bearer(login(server)))
    return list(response.json()["data"]["bookings"])


def journal() -> Journal:
    return Journal(Journal.default_path(os.environ))


def test_booking_two_seats_confirms_and_records_the_journal(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.1)
    outcome = run(cli, server, "book", "Symphony", "--seat", "Orchestra:A5",
                  "--seats", "Orchestra:A6")
    assert outcome.exit_code == 0, str(outcome)
    assert "✓ confirmed" in outcome.stdout
    assert "Orchestra:A5, Orchestra:A6" in outcome.stdout
    assert "submitted job booking-" in outcome.stderr
    assert "confirmed" in outcome.stderr  # one plain line per state change, not a TTY
    with journal() as entries:
        (entry,) = entries.recent()
    assert entry.state == "confirmed" and entry.booking_id
    assert entry.seat_labels == ["Orchestra:A5", "Orchestra:A6"]
    assert [b["id"] for b in bookings(server)] == [entry.booking_id]


def test_json_is_one_object_with_the_documented_fields(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.05)
    outcome = run(cli, server, "--json", "book", "Symphony", "--seat", "Balcony:J1")
    document = json.loads(outcome.stdout)
    assert {"jobId", "bookingId", "state", "message", "seats", "totalPrice", "elapsed_s",
            "polls"} <= set(document)
    assert document["state"] == "confirmed"
    assert document["polls"] >= 1 and document["elapsed_s"] > 0


def test_no_wait_prints_the_job_id_and_watch_finishes_it(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.2)
    submitted = run(cli, server, "book", "Symphony", "--seat", "Balcony:B3", "--no-wait")
    assert submitted.exit_code == 0, str(submitted)
    job_id = submitted.stdout.strip()
    assert job_id.startswith("booking-")
    watched = run(cli, server, "--json", "watch", job_id)
    assert watched.exit_code == 0, str(watched)
    assert json.loads(watched.stdout)["state"] == "confirmed"
    last = run(cli, server, "--json", "watch", "--last")
    assert json.loads(last.stdout)["jobId"] == job_id


def test_taken_seats_are_refused_before_sending_unless_forced(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.02)
    assert run(cli, server, "book", "Symphony", "--seat", "Mezzanine:C4").exit_code == 0
    refused = run(cli, server, "book", "Symphony", "--seat", "Mezzanine:C4")
    assert refused.exit_code == ExitCode.REJECTED
    assert "Mezzanine:C4 (booked)" in refused.stderr
    forced = run(cli, server, "--json", "book", "Symphony", "--seat", "Mezzanine:C4", "--force")
    assert forced.exit_code == ExitCode.REJECTED
    document = json.loads(forced.stdout)
    assert document["state"] == "rejected"
    assert document["error"]["exit_code"] == 3
    assert len(bookings(server)) == 1


def test_a_reset_before_the_booking_answer_still_makes_exactly_one_booking(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.05, seed=1, fault_path=BOOK,
                          faults=(Fault(FaultKind.RESET_BEFORE_RESPONSE, 0.5),))
    for seat in ("Orchestra:C1", "Orchestra:C2", "Orchestra:C3", "Orchestra:C4"):
        outcome = run(cli, server, "-v", "book", "Symphony", "--seat", seat)
        assert outcome.exit_code == 0, str(outcome)
    made = bookings(server)
    assert len(made) == 4  # one per seat, whatever was reset
    assert len({b["idempotencyKey"] for b in made}) == 4


@pytest.mark.parametrize("fault", [Fault(FaultKind.PROXY_502, 0.5),
                                   Fault(FaultKind.STALL, 0.5, 1.5)])
def test_proxy_errors_and_stalls_while_polling_are_ridden_out(
    cli: Cli, start_server: StartServer, fault: Fault,
) -> None:
    server = start_server(process_delay=1.0, seed=3, fault_path=STATUS, faults=(fault,))
    outcome = run(cli, server, "book", "Symphony", "--seat", "Balcony:H8", "--no-long-poll",
                  SEATCTL_READ_TIMEOUT="1", SEATCTL_RETRIES="0")
    assert outcome.exit_code == 0, str(outcome)
    assert "✓ confirmed" in outcome.stdout
    assert "(still watching)" in outcome.stderr  # the failed polls were seen, and ridden out


def test_a_watch_stays_within_the_rate_limit_without_slowing_down_early(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=2, rate_limit=RateLimit(40, 60))
    outcome = run(cli, server, "-v", "--json", "book", "Symphony", "--seat", "Balcony:G2",
                  "--no-long-poll")
    assert outcome.exit_code == 0, str(outcome)
    assert " 429 " not in outcome.stderr
    assert json.loads(outcome.stdout)["elapsed_s"] < 4  # not paced while the budget is ample


def test_the_wait_ending_is_exit_4_with_the_resume_command(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=30)
    outcome = run(cli, server, "book", "Symphony", "--seat", "Balcony:A9", "--timeout", "0.5")
    assert outcome.exit_code == ExitCode.PENDING
    # The exact command: the profile, and the server given by an environment variable
    assert f"`seatctl --profile default --base-url {server.url} watch booking-" in outcome.stderr
    with journal() as entries:
        assert entries.recent()[0].pending


def test_an_unknown_job_is_exit_8(cli: Cli, server: ReferenceServer) -> None:
    assert run(cli, server, "watch", "booking-0-nope").exit_code == ExitCode.NOT_FOUND


def test_without_a_token_the_booking_says_to_log_in(cli: Cli, server: ReferenceServer) -> None:
    outcome = cli("book", "Symphony", "--seat", "Balcony:A1",
                  env={"SEATCTL_BASE_URL": server.url})
    assert outcome.exit_code == ExitCode.AUTH
    assert "seatctl login" in outcome.stderr


def test_general_admission_by_quantity(cli: Cli, server: ReferenceServer) -> None:
    outcome = run(cli, server, "--json", "book", "Indie Night", "--quantity", "3")
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["state"] == "confirmed" and document["quantity"] == 3
    assert run(cli, server, "book", "Indie Night", "--seat", "A1").exit_code == 2
    assert run(cli, server, "book", "Symphony", "--quantity", "2").exit_code == 2


def test_an_interrupted_post_is_resumed_with_its_key(
    cli: Cli, start_server: StartServer,
) -> None:
    """A crash after the key was written but before the answer: the same command again
    re-sends with the same key, and the server makes one booking."""
    server = start_server(process_delay=0.02)
    token = login(server)
    events = httpx.get(server.url + "/api/events").json()["data"]["events"]
    event = next(e for e in events if e["name"].startswith("Symphony"))
    seat_map = httpx.get(f"{server.url}/api/seats/event/{event['id']}").json()["data"]
    seat = next(s for s in seat_map["sections"][0]["seats"] if s["row"] == "E"
                and s["number"] == "7")
    key = "0f0f0f0f-1111-4222-8333-444444444444"
    with journal() as entries:  # the key was written, then the POST went out ...
        entries.create(key=key, profile="default", base_url=server.url, event_id=event["id"],
                       event_name=event["name"], seat_ids=[seat["id"]],
                       seat_labels=["Orchestra:E7"], quantity=None)
    job = httpx.post(server.url + BOOK, headers=bearer(token), json={  # ... and was booked,
        "eventId": event["id"], "seatIds": [seat["id"]], "idempotencyKey": key}).json()
    httpx.get(f"{server.url}{STATUS}{job['data']['jobId']}?wait=5", headers=bearer(token),
              timeout=10)  # but its answer never reached seatctl
    again = run(cli, server, "--json", "book", "Symphony", "--seat", "Orchestra:E7")
    assert again.exit_code == 0, str(again)
    document = json.loads(again.stdout)
    assert document["key"] == key
    assert document["resumed"] is True
    assert document["message"] == "Booking already exists"
    assert len(bookings(server)) == 1


def test_book_resume_finishes_the_newest_unfinished_booking(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.02)
    with journal() as entries:
        events = httpx.get(server.url + "/api/events").json()["data"]["events"]
        event = next(e for e in events if e["name"].startswith("Symphony"))
        seat_map = httpx.get(f"{server.url}/api/seats/event/{event['id']}").json()["data"]
        seat = seat_map["sections"][2]["seats"][30]
        entries.create(key="11111111-2222-4333-8444-555555555555", profile="default",
                       base_url=server.url, event_id=event["id"], event_name=event["name"],
                       seat_ids=[seat["id"]], seat_labels=["Balcony:B11"], quantity=None)
    outcome = run(cli, server, "--json", "book", "--resume")
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout)["key"] == "11111111-2222-4333-8444-555555555555"
    assert len(bookings(server)) == 1
    assert run(cli, server, "book", "--resume").exit_code == 2  # nothing left to resume


def test_sigint_during_a_watch_exits_130_and_keeps_the_job_pending(
    start_server: StartServer, tmp_path: Path,
) -> None:
    server = start_server(process_delay=30)
    env = {**os.environ, "SEATCTL_TOKEN": login(server), "SEATCTL_BASE_URL": server.url}
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "book", "Symphony", "--seat", "Balcony:D4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 20
    with journal() as entries:
        while not (entries.recent() and entries.recent()[0].job_id):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)  # polling the journal for the submit, bounded by the deadline
        job_id = entries.recent()[0].job_id
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert f"`seatctl --profile default --base-url {server.url} watch {job_id}`" in stderr
    assert "Traceback" not in stderr
    with journal() as entries:
        assert entries.recent()[0].pending


def test_two_processes_booking_at_once_keep_the_journal_whole(
    start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.05, workers=2)
    env = {**os.environ, "SEATCTL_TOKEN": login(server), "SEATCTL_BASE_URL": server.url}
    processes = [subprocess.Popen(
        [sys.executable, "-m", "seatctl", "book", "Symphony", "--seat", f"Balcony:F{n}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for n in range(1, 5)]
    results = []
    try:
        for process in processes:
            _, stderr = process.communicate(timeout=60)
            results.append((process.returncode, stderr))
    finally:
        for process in processes:  # every process is reaped and its pipes closed
            if process.poll() is None:
                process.kill()
            process.communicate()
    assert all(code == 0 for code, _ in results), results
    with journal() as entries:
        recent = entries.recent()
    assert sorted(e.seat_labels[0] for e in recent) == [f"Balcony:F{n}" for n in range(1, 5)]
    assert all(e.state == "confirmed" for e in recent)


def test_the_overall_timeout_ends_a_watch_as_pending(cli: Cli, start_server: StartServer
                                                      ) -> None:
    server = start_server(process_delay=30)
    started = time.monotonic()
    outcome = run(cli, server, "--timeout", "3", "book", "Symphony", "--seat", "Balcony:A10")
    assert outcome.exit_code == ExitCode.PENDING, str(outcome)
    assert time.monotonic() - started < 6
    assert "overall deadline" not in outcome.stderr


def test_resume_ignores_bookings_made_against_another_server(
    cli: Cli, server: ReferenceServer,
) -> None:
    with journal() as entries:
        entries.create(key="99999999-2222-4333-8444-555555555555", profile="default",
                       base_url="https://prod.example.com", event_id="e", event_name="Prod",
                       seat_ids=["s"], seat_labels=["A1"], quantity=None)
    outcome = run(cli, server, "book", "--resume")
    assert outcome.exit_code == ExitCode.USAGE
    with journal() as entries:
        assert entries.get("99999999-2222-4333-8444-555555555555").state == "created"  # type: ignore[union-attr]


def test_a_refused_general_admission_booking_is_failed_in_the_journal(
    cli: Cli, server: ReferenceServer,
) -> None:
    assert run(cli, server, "book", "Indie Night", "--quantity", "10").exit_code == 0
    for _ in range(29):
        httpx.post(server.url + "/api/bookings", headers=bearer(login(server)),
                   json={"eventId": _event_id(server, "Indie"), "quantity": 10})
    refused = run(cli, server, "book", "Indie Night", "--quantity", "3")
    assert refused.exit_code == ExitCode.REJECTED
    with journal() as entries:
        assert entries.recent()[0].state == "failed"


def _event_id(server: ReferenceServer, prefix: str) -> str:
    events = httpx.get(server.url + "/api/events").json()["data"]["events"]
    return str(next(e["id"] for e in events if e["name"].startswith(prefix)))


def test_missing_seats_or_job_say_what_to_give(cli: Cli, server: ReferenceServer) -> None:
    no_seats = run(cli, server, "book", "Symphony")
    assert no_seats.exit_code == ExitCode.USAGE
    assert "which seats?" in no_seats.stderr
    no_job = run(cli, server, "watch")
    assert no_job.exit_code == ExitCode.USAGE
    assert "which job?" in no_job.stderr


def test_a_taken_seats_hint_names_the_event_so_it_can_be_pasted(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server()
    assert run(cli, server, "book", "Symphony", "--seat", "Balcony:H3").exit_code == 0
    again = run(cli, server, "book", "Symphony", "--seat", "Balcony:H3")
    assert again.exit_code != 0
    event_id = httpx.get(server.url + "/api/events", params={"search": "Symphony"}).json()[
        "data"]["events"][0]["id"]
    assert f"seatctl seats {event_id} --available" in again.stderr, again.stderr
