"""`seatctl book` with eyes open (#15): the plan before the POST (event, start, seats with
their section and price, the total), the question on a terminal, `--yes`, `--dry-run` (no
POST, no journal entry), and events that have started (refused unless `--force`); against
the reference server."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from typing import Any

import httpx
from typer.testing import CliRunner

from seatctl.booking.journal import Journal
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.exit_codes import ExitCode
from seatctl.render.streams import IOStreams
from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import bearer, login
from tests.timed_events import add_event

PROMPT = "Book 1 seat for 120.00? [y/N]"


def environment(server: ReferenceServer) -> dict[str, str]:
    return {"SEATCTL_TOKEN": login(server), "SEATCTL_BASE_URL": server.url}


def on_tty(server: ReferenceServer, *args: str, input: str | None = None) -> Outcome:
    """`seatctl ARGS` on a terminal; stderr holds seatctl's lines, then the prompt (which
    click writes)."""
    streams = IOStreams.test(tty=True, width=100)
    obj = App(env={**os.environ, **environment(server)}, _streams=streams)
    result = CliRunner().invoke(seatctl_app, list(args), obj=obj, input=input,
                                prog_name="seatctl")
    return Outcome(result.exit_code, streams.out_text(), streams.err_text() + result.stderr)


def bookings(server: ReferenceServer) -> list[dict[str, Any]]:
    response = httpx.get(server.url + "/api/bookings/my", headers=bearer(login(server)))
    return list(response.json()["data"]["bookings"])


def journal_entries() -> list[Any]:
    path = Journal.default_path(os.environ)
    if not path.exists():
        return []
    with Journal(path) as journal:
        return journal.recent()


def test_on_a_terminal_the_plan_is_shown_and_yes_books(start_server: StartServer) -> None:
    server = start_server(process_delay=0.02)
    outcome = on_tty(server, "book", "Symphony", "--seat", "Orchestra:A5", input="y\n")
    assert outcome.exit_code == 0, str(outcome)
    assert "Symphony Under the Stars" in outcome.stderr
    assert re.search(r"starts \w{3} \d+ \w{3} \d\d:\d\d \S+", outcome.stderr)
    assert re.search(r"Orchestra:A5 +Orchestra +120\.00 +ct\w+", outcome.stderr)
    assert re.search(r"total +1 seat +120\.00", outcome.stderr)
    assert PROMPT in outcome.stderr
    assert "confirmed" in outcome.stdout
    assert len(bookings(server)) == 1


def test_no_at_the_prompt_sends_nothing_and_writes_no_entry(server: ReferenceServer) -> None:
    outcome = on_tty(server, "book", "Symphony", "--seats", "Orchestra:A5,Orchestra:A6",
                     input="n\n")
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    assert "Book 2 seats for 240.00? [y/N]" in outcome.stderr
    assert "nothing sent: not confirmed" in outcome.stderr
    assert bookings(server) == [] and journal_entries() == []


def test_yes_does_not_ask(server: ReferenceServer) -> None:
    outcome = on_tty(server, "book", "Symphony", "--seat", "Orchestra:A5", "-y", "--no-wait")
    assert outcome.exit_code == 0, str(outcome)
    assert "[y/N]" not in outcome.stderr
    assert "Orchestra:A5" in outcome.stderr  # the plan is shown all the same


def test_general_admission_asks_for_quantity_times_the_price(server: ReferenceServer) -> None:
    outcome = on_tty(server, "book", "Indie Night", "--quantity", "2", input="y\n")
    assert outcome.exit_code == 0, str(outcome)
    assert "2 tickets x 35.00 = 70.00" in outcome.stderr
    assert "Book 2 tickets for 70.00? [y/N]" in outcome.stderr
    assert [b["quantity"] for b in bookings(server)] == [2]


def test_off_a_terminal_the_plan_goes_to_stderr_as_lines_and_nothing_is_asked(
    cli: Cli, server: ReferenceServer,
) -> None:
    outcome = cli("book", "Symphony", "--seats", "Orchestra:A5,Balcony:B2",
                  env=environment(server))
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stderr.splitlines()
    assert lines[0].startswith("book: Symphony Under the Stars (event ")
    assert re.fullmatch(r"starts: \w{3} \d+ \w{3} \d\d:\d\d \S+", lines[1])
    assert re.fullmatch(r"seat: Orchestra:A5  Orchestra  120\.00  \(seat id \w+\)", lines[2])
    assert re.fullmatch(r"seat: Balcony:B2  Balcony  80\.00  \(seat id \w+\)", lines[3])
    assert lines[4] == "total: 2 seats, 200.00"
    assert "[y/N]" not in outcome.stderr
    assert outcome.stdout.startswith("✓ confirmed")


def test_json_on_a_terminal_asks_on_stderr_and_prints_one_document(
    server: ReferenceServer,
) -> None:
    # This used to send without asking (while `cancel --json` refused): --json changes
    # stdout, not whether a person is asked.
    outcome = on_tty(server, "book", "Symphony", "--seat", "Orchestra:A5", "--json",
                     input="y\n")
    assert outcome.exit_code == 0, str(outcome)
    assert PROMPT in outcome.stderr
    assert json.loads(outcome.stdout)["state"] == "confirmed"


def test_a_dry_run_sends_no_booking_and_writes_no_journal(
    cli: Cli, server: ReferenceServer,
) -> None:
    outcome = cli("book", "Symphony", "--seats", "Orchestra:A5,Orchestra:A6", "--dry-run",
                  env=environment(server))
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.splitlines()[-1] == "total: 2 seats, 240.00"
    assert outcome.stderr == "dry run: nothing sent\n"
    assert bookings(server) == []
    assert not Journal.default_path(os.environ).exists()


def test_a_dry_run_on_a_terminal_asks_nothing(server: ReferenceServer) -> None:
    outcome = on_tty(server, "book", "Symphony", "--seat", "Orchestra:A5", "--dry-run")
    assert outcome.exit_code == 0, str(outcome)
    assert "[y/N]" not in outcome.stderr and "Orchestra:A5" in outcome.stdout
    assert bookings(server) == []


def test_a_json_dry_run_is_one_document(cli: Cli, server: ReferenceServer) -> None:
    outcome = cli("--json", "book", "Symphony", "--seats", "Orchestra:A5,Balcony:B2",
                  "--dry-run", env=environment(server))
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["event"]["name"] == "Symphony Under the Stars"
    assert document["start"].endswith("Z")
    assert [(seat["label"], seat["section"], seat["price"]) for seat in document["seats"]] == [
        ("Orchestra:A5", "Orchestra", 120.0), ("Balcony:B2", "Balcony", 80.0)]
    assert all(seat["id"] for seat in document["seats"])
    assert (document["quantity"], document["total"], document["sent"], document["refused"]
            ) == (2, 200.0, False, None)
    assert bookings(server) == []


def test_an_event_that_has_started_is_refused_unless_forced(
    cli: Cli, server: ReferenceServer,
) -> None:
    add_event(server, "Late Show", starts_in=timedelta(hours=-1), seat_map=True)
    env = environment(server)
    refused = cli("book", "Late Show", "--seat", "Orchestra:A5", env=env)
    assert refused.exit_code == ExitCode.REJECTED, str(refused)
    assert re.fullmatch(r"error: Late Show started 60 min ago \(\w{3} \d+ \w{3} \d\d:\d\d "
                        r"[^()\s]+\): nothing sent", refused.stderr.splitlines()[-2]), \
        refused.stderr
    assert refused.stderr.splitlines()[-1] == ("hint: book it anyway with --force (the "
                                               "server decides)")
    assert bookings(server) == [] and journal_entries() == []
    forced = cli("book", "Late Show", "--seat", "Orchestra:A5", "--force", env=env)
    assert forced.exit_code == 0, str(forced)  # the reference server books it, as the seed
    assert "(started 60 min ago)" in forced.stderr  # the plan says so
    assert [b["event"]["name"] for b in bookings(server)] == ["Late Show"]


def test_a_dry_run_shows_the_plan_of_a_started_event_then_says_it_would_be_refused(
    cli: Cli, server: ReferenceServer,
) -> None:
    add_event(server, "Late Show", starts_in=timedelta(hours=-1), seat_map=True)
    outcome = cli("book", "Late Show", "--seat", "Orchestra:A5", "--dry-run",
                  env=environment(server))
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    assert outcome.stdout.splitlines()[0].startswith("book: Late Show (event ")
    assert "(started 60 min ago)" in outcome.stdout.splitlines()[1]
    assert re.fullmatch(r"seat: Orchestra:A5  Orchestra  \S+  \(seat id \w+\)",
                        outcome.stdout.splitlines()[2])
    assert re.fullmatch(r"error: Late Show started 60 min ago \([^()]+\): booking it would "
                        r"be refused; nothing sent\nhint: book it anyway with --force \(the "
                        r"server decides\)\n", outcome.stderr), outcome.stderr
    assert bookings(server) == [] and not Journal.default_path(os.environ).exists()


def test_a_json_dry_run_of_a_started_event_is_one_document_saying_why(
    cli: Cli, server: ReferenceServer,
) -> None:
    add_event(server, "Late Show", starts_in=timedelta(hours=-1), seat_map=True)
    outcome = cli("book", "Late Show", "--seat", "Orchestra:A5", "--dry-run", "--json",
                  env=environment(server))
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    document = json.loads(outcome.stdout)  # one document: no error document after it
    assert document["refused"].startswith("Late Show started 60 min ago (")
    assert (document["sent"], [seat["label"] for seat in document["seats"]]) == (
        False, ["Orchestra:A5"])


def test_a_forced_dry_run_of_a_started_event_shows_the_plan_and_succeeds(
    cli: Cli, server: ReferenceServer,
) -> None:
    add_event(server, "Late Show", starts_in=timedelta(hours=-1), seat_map=True)
    outcome = cli("book", "Late Show", "--seat", "Orchestra:A5", "--dry-run", "--force",
                  env=environment(server))
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.splitlines()[0].startswith("book: Late Show (event ")
    assert outcome.stderr == "dry run: nothing sent\n"
    assert bookings(server) == []


def test_resume_does_not_ask_again(cli: Cli, start_server: StartServer) -> None:
    server = start_server(process_delay=0.3)
    submitted = cli("book", "Symphony", "--seat", "Orchestra:A5", "--no-wait",
                    env=environment(server))
    assert submitted.exit_code == 0, str(submitted)
    outcome = on_tty(server, "book", "--resume")  # no input: a prompt would abort
    assert outcome.exit_code == 0, str(outcome)
    assert "[y/N]" not in outcome.stderr and "resuming" in outcome.stderr
    assert "confirmed" in outcome.stdout


def test_the_same_booking_again_resumes_the_earlier_attempt_without_asking(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.3)
    submitted = cli("book", "Symphony", "--seat", "Orchestra:A5", "--no-wait",
                    env=environment(server))
    assert submitted.exit_code == 0, str(submitted)
    outcome = on_tty(server, "book", "Symphony", "--seat", "Orchestra:A5")
    assert outcome.exit_code == 0, str(outcome)
    assert "[y/N]" not in outcome.stderr and "resuming" in outcome.stderr
    assert len(bookings(server)) == 1


def test_a_confirmed_booking_names_the_commands_for_its_ticket_and_to_cancel_it(
    cli: Cli, server: ReferenceServer,
) -> None:
    seats = cli("book", "Symphony", "--seat", "Orchestra:A5", env=environment(server))
    tickets = cli("book", "Indie Night", "--quantity", "1", env=environment(server))
    for outcome in (seats, tickets):
        assert outcome.exit_code == 0, str(outcome)
    for outcome, booking in zip((seats, tickets), reversed(bookings(server)), strict=True):
        prefix = f"seatctl --profile default --base-url {server.url}"
        assert f"hint: its ticket: `{prefix} ticket {booking['id']}`; to cancel it: " \
               f"`{prefix} cancel {booking['id']}`" in outcome.stderr


def test_no_hint_follows_a_booking_that_was_not_confirmed(cli: Cli,
                                                          server: ReferenceServer) -> None:
    outcome = cli("book", "Symphony", "--seat", "Orchestra:A5", "--no-wait",
                  env=environment(server))
    assert outcome.exit_code == 0, str(outcome)
    assert "its ticket" not in outcome.stderr
