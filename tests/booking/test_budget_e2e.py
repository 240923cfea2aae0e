"""Booking within the deployment's real limits, end to end: the reference server speaking the
seed's dialect (no job state, no long polling, no Retry-After; express-rate-limit's legacy
`X-RateLimit-*` headers, the reset a Unix time) with a rate limit, the budget partly spent
first, and jobs that take seconds."""

from __future__ import annotations

import json
import os
import re

import httpx
from typer.testing import CliRunner

from seatctl.booking.poll import PollPlan, notice_bound
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.exit_codes import ExitCode
from seatctl.render.streams import IOStreams
from seatctl.server import Dialect, RateLimit, ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.server.helpers import login

SLOW = 5.0  # seconds each job takes (the slow-job fault), plus the queue's process delay
PROCESS = 0.02
# the reset time: a clock time today, or a date and a time once it is past midnight
RESETS = r"resets (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d"
RESET_AT = re.compile(RESETS)


def seed_server(start_server: StartServer, limit: int, slow: float = SLOW) -> ReferenceServer:
    return start_server(dialect=Dialect.SEED, rate_limit=RateLimit(limit, 900), slow_job=slow,
                        process_delay=PROCESS)


def remaining(server: ReferenceServer) -> int:
    """What the limiter has left after this very request (which it counts)."""
    response = httpx.get(server.url + "/api/events", params={"limit": 1})
    return int(response.headers["x-ratelimit-remaining"])


def spend_down_to(server: ReferenceServer, left: int) -> None:
    while remaining(server) > left:
        pass  # bounded: every request lowers the count by one


def environment(server: ReferenceServer, token: str) -> dict[str, str]:
    return {"SEATCTL_TOKEN": token, "SEATCTL_BASE_URL": server.url}


def test_twenty_per_window_a_slow_job_is_noticed_within_the_bound_and_the_budget(
    cli: Cli, start_server: StartServer,
) -> None:
    server = seed_server(start_server, 20)
    token = login(server)
    before = remaining(server)
    outcome = cli("--json", "book", "Symphony", "--seat", "Balcony:A9",
                  env=environment(server, token))
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["state"] == "confirmed" and document["endedBy"] == "final"
    job = SLOW + PROCESS
    assert document["elapsed_s"] - job <= notice_bound(job) + 0.3  # loopback and jitter
    spent = before - remaining(server) - 1
    assert spent <= before - PollPlan().reserve(20)  # the reserve is never spent
    assert spent == 3 + document["polls"]  # the listing, the seat map, the POST, the polls
    assert document["rate_limit"]["limit"] == 20
    assert "pending" not in outcome.stdout


def test_half_the_budget_spent_the_waits_are_said_off_a_terminal(
    cli: Cli, start_server: StartServer,
) -> None:
    server = seed_server(start_server, 100)
    token = login(server)
    # The reserve is 10: after the booking's 3 requests, 6 polls for a 5 s job, placed so
    # that the gaps reach the notice bound (half the time so far), over 2 s from 4.4 s on:
    # said, with the reason.
    spend_down_to(server, 19)
    outcome = cli("book", "Symphony", "--seat", "Balcony:A10", env=environment(server, token))
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.startswith("✓ confirmed")
    waits = [line for line in outcome.stderr.splitlines() if line.startswith("rate limit:")]
    assert len(waits) == 1, outcome.stderr  # one line per change of reason
    assert re.search(r"rate limit: \d+ of 100 left, " + RESETS + r"; next check in "
                     r"\d+ s", waits[0]), waits[0]


def test_on_a_terminal_the_live_view_shows_the_budget_and_the_wait(
    start_server: StartServer,
) -> None:
    server = seed_server(start_server, 100)
    token = login(server)
    spend_down_to(server, 19)
    streams = IOStreams.test(tty=True, width=120)
    obj = App(env={**os.environ, **environment(server, token)}, _streams=streams)
    result = CliRunner().invoke(seatctl_app, ["book", "Symphony", "--seat", "Balcony:A11",
                                              "--yes"], obj=obj, prog_name="seatctl")
    assert result.exit_code == 0, streams.err_text()
    frames = streams.err_text()
    assert "budget" in frames and RESET_AT.search(frames)
    assert "rate limit:" in frames and "next check in" in frames
    assert "confirmed" in streams.out_text()


def test_out_of_budget_the_watch_stops_with_exit_7_the_reset_and_the_resume_command(
    cli: Cli, start_server: StartServer,
) -> None:
    server = seed_server(start_server, 20, slow=0.0)
    token = login(server)
    spend_down_to(server, 3)  # the listing, the seat map and the POST: nothing for polls
    outcome = cli("book", "Symphony", "--seat", "Balcony:A12", env=environment(server, token))
    assert outcome.exit_code == ExitCode.SERVER, str(outcome)
    assert "pending" not in outcome.stdout
    assert re.match(r"\? unknown {2}job \S+ {2}last known: queued \(journal at ", outcome.stdout)
    job = outcome.stdout.split()[3]
    assert "rate limited (0 of 20 left, resets " in outcome.stderr
    assert (f"resume after {RESET_AT.search(outcome.stderr)[0][7:]} with `seatctl --profile "  # type: ignore[index]
            f"default --base-url {server.url} watch {job}`") in outcome.stderr


def test_a_job_the_journal_knows_as_confirmed_is_not_asked_for_again(
    cli: Cli, start_server: StartServer,
) -> None:
    server = seed_server(start_server, 20, slow=0.0)
    token = login(server)
    env = environment(server, token)
    assert cli("book", "Symphony", "--seat", "Balcony:A13", env=env).exit_code == 0
    spend_down_to(server, 0)  # every request now gets a 429
    outcome = cli("--json", "watch", "--last", env=env)
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout)["state"] == "confirmed"
    assert remaining(server) == 0  # (this request was refused; the watch sent none)


def test_ping_shows_the_budget_the_last_command_saw(cli: Cli, start_server: StartServer
                                                    ) -> None:
    server = seed_server(start_server, 20, slow=0.0)
    env = {"SEATCTL_BASE_URL": server.url}
    cli.ok("events", env=env)  # an /api/ answer announces the budget
    outcome = cli.ok("ping", env=env)  # GET /health does not: the kept one is shown
    assert re.search(r"rate limit: 19 of 20 left, " + RESETS, outcome.stdout)
    assert cli.ok("-v", "events", env=env).stderr.count("rate limit 18/20 left") == 1


def test_a_job_of_another_server_is_never_asked_with_this_runs_token(
    cli: Cli, start_server: StartServer,
) -> None:
    """Booked against B with B's token given for that run; `watch JOB` later, with no profile
    configured for B, must not send a token to B (this run's, or a stored one): it names the
    command that reaches B instead."""
    server_b = seed_server(start_server, 100, slow=0.0)
    booked = cli("--json", "book", "Symphony", "--seat", "Balcony:A14", "--no-wait",
                 env=environment(server_b, login(server_b)))
    assert booked.exit_code == 0, str(booked)
    job = json.loads(booked.stdout)["jobId"]
    outcome = cli("watch", job, env={"SEATCTL_TOKEN": "a-token-for-another-server-0123"})
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert f"`seatctl --profile default --base-url {server_b.url} watch {job}`" in outcome.stderr
    asked_b = cli("watch", job, "--timeout", "1", env={"SEATCTL_TOKEN": "another-0123456789ab",
                                     "SEATCTL_BASE_URL": "http://127.0.0.1:9"})
    assert asked_b.exit_code == ExitCode.NETWORK  # the named server, not B, was asked


def test_a_server_found_to_ignore_wait_is_not_long_polled_again(
    cli: Cli, start_server: StartServer,
) -> None:
    server = seed_server(start_server, 100, slow=0.0)
    env = environment(server, login(server))
    first = cli("-v", "book", "Symphony", "--seat", "Balcony:A15", env=env)
    assert first.exit_code == 0, str(first)
    assert "wait=" in first.stderr  # tried once: the seed's backend answers at once
    second = cli("-v", "book", "Symphony", "--seat", "Balcony:A16", env=env)
    assert second.exit_code == 0, str(second)
    assert "wait=" not in second.stderr  # remembered for this server
