"""A journal that stays true (#15): `seatctl jobs` asks the server about the unfinished
bookings it lists, within the request budget; `--refresh` asks about all of them and finds
cancelled bookings; `--no-refresh` sends nothing; a failed refresh never fails the listing.

The plan's rules as units, the requests against the contract's envelopes (pytest-httpserver,
its request log counting what was sent), and the whole story on the reference server."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.journal_states import JournalState
from seatctl.booking.poll import Budget
from seatctl.booking.refresh import (
    DEFAULT_STATUS_REQUESTS,
    FORCED_STATUS_REQUESTS,
    UNASKED_PATIENCE_S,
    RefreshPolicy,
    confirmed,
    elsewhere,
    unfinished,
)
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.exit_codes import ExitCode
from seatctl.render.jobs import TSV_FIELDS, asking_text
from seatctl.render.streams import IOStreams
from seatctl.server import RateLimit, ReferenceServer
from tests.cli.terminal import on_tty
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import bearer, login

TOKEN = "tok-" + "0123456789" * 4
STATUS = "/api/seats/booking-status/"
MINE = "/api/bookings/my"
BUDGET_HEADERS = {"RateLimit-Limit": "100", "RateLimit-Remaining": "90",
                  "RateLimit-Reset": "600"}
CONFIRMED = {"success": True, "bookingId": "cb-1", "message": "Successfully booked 1 seat(s)",
             "totalPrice": 80.0}

# the reset time: a clock time today, or a date and a time once it is past midnight
RESETS = r"resets (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d"


# --- the plan -------------------------------------------------------------------------------


def test_the_default_refresh_keeps_the_watchs_reserve() -> None:
    policy = RefreshPolicy()
    assert policy.cap == DEFAULT_STATUS_REQUESTS == 3
    assert policy.may_send(Budget(100, 11, 60.0), sent=0)
    assert not policy.may_send(Budget(100, 10, 60.0), sent=0)  # 10 % of the limit
    assert not policy.may_send(Budget(10, 2, 60.0), sent=0)  # at least 2


def test_a_forced_refresh_may_spend_the_reserve_but_not_beyond() -> None:
    policy = RefreshPolicy(forced=True)
    assert policy.cap == FORCED_STATUS_REQUESTS == 20
    assert policy.may_send(Budget(100, 1, 60.0), sent=5)
    assert not policy.may_send(Budget(100, 0, 60.0), sent=0)


def test_a_refusal_without_a_limit_allows_nothing() -> None:
    for policy in (RefreshPolicy(), RefreshPolicy(forced=True)):
        assert not policy.may_send(Budget(0, 0, 30.0), sent=0)


def test_an_unknown_budget_allows_one_probe_by_default_and_a_forced_refresh_its_cap() -> None:
    assert RefreshPolicy().may_send(None, sent=0)
    assert not RefreshPolicy().may_send(None, sent=1)
    assert RefreshPolicy(forced=True).may_send(None, sent=19)


def entry(key: str, state: str, *, base_url: str = "http://a", job: str | None = "job",
          booking: str | None = None) -> JournalEntry:
    return JournalEntry(key=key, profile="default", base_url=base_url, event_id="e",
                        event_name="E", seat_ids=["s"], seat_labels=["A1"], quantity=None,
                        job_ids=[job] if job else [], state=JournalState(state), message=None,
                        booking_id=booking, total_price=None, created_at="", updated_at="")


def test_only_unfinished_entries_of_the_server_with_a_job_are_asked_about() -> None:
    entries = [entry("q", "queued"), entry("p", "processing"), entry("n", "pending"),
               entry("c", "created", job=None), entry("x", "queued", job=None),
               entry("f", "failed"), entry("o", "queued", base_url="http://b"),
               entry("r", "refused"), entry("ok", "confirmed", booking="b1"),
               entry("ok2", "confirmed"), entry("ok3", "confirmed", base_url="http://b",
                                                 booking="b2")]
    assert [e.key for e in unfinished(entries, "http://a")] == ["q", "p", "n"]
    assert [e.key for e in confirmed(entries, "http://a")] == ["ok"]
    assert elsewhere(entries, "http://a") == 2


# --- the requests, against the contract's envelopes -------------------------------------------


@pytest.fixture
def base_url(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/").rstrip("/")


def env(base_url: str, token: str | None = TOKEN) -> dict[str, str]:
    return {"SEATCTL_BASE_URL": base_url, **({"SEATCTL_TOKEN": token} if token else {})}


def add_entries(base_url: str, count: int, *, state: str = "queued") -> list[str]:
    """`count` bookings with jobs job-0 (the oldest) ... job-N, in `state`; their job ids."""
    with Journal(Journal.default_path()) as journal:
        for number in range(count):
            key = f"k-{base_url}-{number}"
            journal.create(key=key, profile="default", base_url=base_url, event_id="cevt1",
                           event_name="Symphony", seat_ids=[f"s{number}"],
                           seat_labels=[f"A{number}"], quantity=None)
            journal.add_job(key, f"job-{number}")
            if state != "queued":
                journal.update(key, state=state, booking_id=f"cb-{number}")
    return [f"job-{number}" for number in range(count)]


def serve_status(httpserver: HTTPServer, data: dict[str, Any],
                 headers: dict[str, str] | None = None, status: int = 200) -> None:
    envelope = {"status": "success" if status == 200 else "error", "data": data,
                "message": data.get("message")}
    httpserver.expect_request(re.compile(f"^{STATUS}.+")).respond_with_json(
        envelope, status=status, headers=headers)


def asked(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def states(outcome: Outcome) -> dict[str, str]:
    """Job id -> state, from the tab-separated listing."""
    rows = [line.split("\t") for line in outcome.stdout.splitlines()]
    assert {len(row) for row in rows} == {len(TSV_FIELDS)}, outcome.stdout
    return {row[0]: row[1] for row in rows}


def test_the_default_refresh_asks_about_the_three_newest(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 5)
    serve_status(httpserver, CONFIRMED, BUDGET_HEADERS)
    outcome = cli.ok("jobs", env=env(base_url))
    assert asked(httpserver) == [STATUS + job for job in ("job-4", "job-3", "job-2")]
    assert states(outcome) == {"job-4": "confirmed", "job-3": "confirmed",
                               "job-2": "confirmed", "job-1": "queued", "job-0": "queued"}
    assert ("note: 2 more unfinished bookings not asked about: `seatctl --profile default "
            "jobs --refresh` asks about up to 20") in outcome.stderr


def test_a_status_answer_updates_the_journal_as_a_watch_would(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 1)
    serve_status(httpserver, CONFIRMED, BUDGET_HEADERS)
    (job,) = json.loads(cli.ok("jobs", "--json", env=env(base_url)).stdout)["jobs"]
    assert (job["state"], job["booking_id"], job["total_price"], job["message"]) == (
        "confirmed", "cb-1", 80.0, "Successfully booked 1 seat(s)")
    with Journal(Journal.default_path()) as journal:
        assert journal.recent()[0].state == "confirmed"


def test_with_nothing_known_of_the_budget_one_probe_is_sent(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 3)
    serve_status(httpserver, {"success": False, "message": "Booking is under processing..."})
    outcome = cli.ok("jobs", env=env(base_url))
    assert asked(httpserver) == [STATUS + "job-2"]
    assert states(outcome)["job-2"] == "pending"
    assert "note: 2 unfinished bookings not asked about: the server announces no rate " \
           "limit" in outcome.stderr


def test_few_requests_left_the_default_refresh_sends_none_and_a_forced_one_spends_them(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 3)
    serve_status(httpserver, CONFIRMED, {**BUDGET_HEADERS, "RateLimit-Remaining": "10"})
    first = cli.ok("jobs", env=env(base_url))  # the probe: it says 10 of 100 are left
    assert len(asked(httpserver)) == 1
    assert re.search(r"note: 2 unfinished bookings not asked about, to spare the rate limit "
                     r"\(10 of 100 left, " + RESETS + r"\)", first.stderr), first.stderr
    again = cli.ok("jobs", env=env(base_url))  # the budget is known now: nothing is sent
    assert len(asked(httpserver)) == 1
    assert "not asked about, to spare the rate limit" in again.stderr
    httpserver.expect_request(MINE).respond_with_json(
        {"status": "success", "data": {"bookings": []}}, headers=BUDGET_HEADERS)
    forced = cli.ok("jobs", "--refresh", env=env(base_url))
    # the two left, then the list (for the one the probe found confirmed)
    assert asked(httpserver) == [STATUS + "job-2", STATUS + "job-1", STATUS + "job-0", MINE]
    assert set(states(forced).values()) == {"confirmed"}


def test_refresh_asks_about_all_and_marks_bookings_cancelled_on_the_server(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 2, state="confirmed")  # cb-0, cb-1
    add_entries("http://other.example:8080", 1)
    with Journal(Journal.default_path()) as journal:
        journal.create(key="k-new", profile="default", base_url=base_url, event_id="cevt1",
                       event_name="Symphony", seat_ids=["s9"], seat_labels=["A9"],
                       quantity=None)
        journal.add_job("k-new", "job-9")
    serve_status(httpserver, {**CONFIRMED, "bookingId": "cb-9"}, BUDGET_HEADERS)
    httpserver.expect_request(MINE).respond_with_json({"status": "success", "data": {
        "bookings": [{"id": "cb-1", "status": "CANCELLED"}, {"id": "cb-0", "status": "CONFIRMED"},
                     {"id": "cb-other", "status": "CANCELLED"}]}}, headers=BUDGET_HEADERS)
    outcome = cli.ok("jobs", "--refresh", env=env(base_url))
    assert asked(httpserver) == [STATUS + "job-9", MINE]  # one list, one status
    rows = {line.split("\t")[6]: line.split("\t") for line in outcome.stdout.splitlines()}
    assert rows["k-new"][1] == "confirmed"
    assert rows[f"k-{base_url}-1"][1] == "cancelled"
    assert rows[f"k-{base_url}-0"][1] == "confirmed"
    assert rows["k-http://other.example:8080-0"][1] == "queued"  # another server's
    assert "note: 1 booking of other servers as the journal has them" in outcome.stderr


def test_the_default_refresh_does_not_ask_for_the_bookings_list(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 2, state="confirmed")
    cli.ok("jobs", env=env(base_url))
    assert asked(httpserver) == []


@pytest.mark.parametrize("flag", ["--no-refresh", "--offline"])
def test_no_refresh_sends_nothing(cli: Cli, httpserver: HTTPServer, base_url: str,
                                  flag: str) -> None:
    add_entries(base_url, 2)
    serve_status(httpserver, CONFIRMED, BUDGET_HEADERS)
    outcome = cli.ok("jobs", flag, env=env(base_url))
    assert asked(httpserver) == []
    assert set(states(outcome).values()) == {"queued"}
    assert outcome.stderr.startswith("hint: resume watching with ")


def test_refresh_and_no_refresh_together_are_a_usage_error(cli: Cli) -> None:
    assert cli("jobs", "--refresh", "--offline").exit_code == ExitCode.USAGE


def test_without_a_login_nothing_is_asked(cli: Cli, httpserver: HTTPServer,
                                          base_url: str) -> None:
    add_entries(base_url, 2)
    quiet = cli.ok("jobs", env=env(base_url, token=None))
    assert "note:" not in quiet.stderr
    forced = cli.ok("jobs", "--refresh", env=env(base_url, token=None))
    assert f"note: not logged in to {base_url}" in forced.stderr
    assert asked(httpserver) == []


def only_note(outcome: Outcome) -> str:
    assert outcome.exit_code == 0, str(outcome)
    notes = [line for line in outcome.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, outcome.stderr
    return notes[0]


@pytest.mark.parametrize(("status", "message"), [
    (401, "Access denied. Invalid token."),
    (500, "Internal server error"),
])
def test_a_refused_refresh_never_fails_the_listing(
    cli: Cli, httpserver: HTTPServer, base_url: str, status: int, message: str,
) -> None:
    add_entries(base_url, 2)
    serve_status(httpserver, {"message": message}, status=status)
    for args in (["jobs"], ["jobs", "--refresh"], ["jobs", "--json"]):
        outcome = cli(*args, env={**env(base_url), "SEATCTL_RETRIES": "0"})
        note = only_note(outcome)
        assert note.startswith(f"note: could not refresh from {base_url}: "), note
        assert note.endswith("states as the journal has them")
    assert json.loads(outcome.stdout)["jobs"][0]["state"] == "queued"
    assert len(asked(httpserver)) == 3  # the first failure ends each refresh


def test_a_rate_limited_refresh_never_fails_the_listing_and_is_not_tried_again(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 2)
    serve_status(httpserver, {"message": "Too many requests from this IP, please try again "
                                         "later."}, status=429, headers={"Retry-After": "60"})
    refused = only_note(cli("jobs", env=env(base_url)))
    assert refused.startswith(f"note: could not refresh from {base_url}: "), refused
    again = only_note(cli("jobs", "--refresh", env=env(base_url)))
    assert re.fullmatch(r"note: 2 unfinished bookings not asked about, to spare the rate "
                        r"limit \(no requests left, " + RESETS + r"\)", again), again
    assert len(asked(httpserver)) == 1


def test_an_unreachable_server_never_fails_the_listing(cli: Cli) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    add_entries(url, 1)
    outcome = cli("jobs", env=env(url))  # not retried: a listing does not wait for it
    assert outcome.exit_code == 0, str(outcome)
    assert f"note: could not refresh from {url}: " in outcome.stderr
    assert states(outcome) == {"job-0": "queued"}


def test_a_job_the_server_does_not_know_is_passed_over(
    cli: Cli, httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 2)
    httpserver.expect_request(STATUS + "job-1").respond_with_json(
        {"status": "error", "message": "Booking job not found"}, status=404,
        headers=BUDGET_HEADERS)
    serve_status(httpserver, CONFIRMED, BUDGET_HEADERS)
    outcome = cli.ok("jobs", env=env(base_url))
    assert states(outcome) == {"job-1": "queued", "job-0": "confirmed"}
    assert "note: the server does not know job job-1 (any more)" in outcome.stderr


class Stall:
    """Status requests answered only when `release` is set (at the latest when the test
    ends, or after STALL_S); `asked` holds their paths as they arrive, `stderr_seen` what
    `streams` had on stderr then (the server's log has a request only once answered)."""

    STALL_S = 10.0

    def __init__(self) -> None:
        self.release = threading.Event()
        self.streams: IOStreams | None = None
        self.asked: list[str] = []
        self.stderr_seen: list[str] = []

    def __call__(self, request: Request) -> Response:
        self.asked.append(request.path)
        if self.streams is not None:
            self.stderr_seen.append(self.streams.err_text())
        self.release.wait(self.STALL_S)
        return Response(json.dumps({"status": "success", "data": CONFIRMED}),
                        content_type="application/json")


@pytest.fixture
def stall(httpserver: HTTPServer) -> Iterator[Stall]:
    stall = Stall()
    httpserver.expect_request(re.compile(f"^{STATUS}.+")).respond_with_handler(stall)
    yield stall
    stall.release.set()


def test_the_default_refresh_waits_for_a_stalled_server_two_seconds_at_most(
    cli: Cli, base_url: str, stall: Stall,
) -> None:
    add_entries(base_url, 3)
    started = time.monotonic()
    outcome = cli.ok("jobs", env=env(base_url))  # the read timeout is 30 s
    assert time.monotonic() - started < 2 * UNASKED_PATIENCE_S
    assert (f"note: could not refresh from {base_url}: no answer within 2 s (`seatctl "
            "--profile default jobs --refresh` waits longer); states as the journal has "
            "them") in outcome.stderr
    assert set(states(outcome).values()) == {"queued"}
    assert stall.asked == [STATUS + "job-2"]  # the first failure ends the refresh


def test_a_forced_refresh_says_what_it_waits_for_before_it_waits(
    base_url: str, stall: Stall,
) -> None:
    add_entries(base_url, 3)
    stall.streams = IOStreams.test(tty=False)
    obj = App(env={**os.environ, **env(base_url), "SEATCTL_READ_TIMEOUT": "1",
                   "SEATCTL_RETRIES": "0"}, _streams=stall.streams)
    result = CliRunner().invoke(seatctl_app, ["jobs", "--refresh"], obj=obj,
                                prog_name="seatctl")
    assert result.exit_code == 0, stall.streams.err_text()
    assert stall.stderr_seen == [f"asking {base_url} about 3 unfinished bookings…\n"]
    assert f"note: could not refresh from {base_url}: " in stall.streams.err_text()
    assert stall.asked == [STATUS + "job-2"]  # the first failure ends the refresh


def test_on_a_terminal_a_refresh_shows_a_spinner_that_goes_away(
    httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 1)
    serve_status(httpserver, CONFIRMED, BUDGET_HEADERS)
    outcome = on_tty("jobs", "--refresh", env=env(base_url))
    assert outcome.exit_code == 0, str(outcome)
    assert f"asking {base_url} about 1 unfinished booking…" in outcome.stderr
    assert "✓ confirmed" in outcome.stdout


def test_what_a_refresh_asks_about_is_said_in_words() -> None:
    assert asking_text("http://a", statuses=2, confirmed=1) == (
        "asking http://a about 2 unfinished bookings and whether 1 confirmed one was "
        "cancelled…")
    assert asking_text("http://a", statuses=0, confirmed=3) == (
        "asking http://a whether 3 confirmed bookings were cancelled…")


def test_the_table_has_a_server_column_only_for_bookings_of_several_servers(
    httpserver: HTTPServer, base_url: str,
) -> None:
    add_entries(base_url, 1, state="confirmed")
    one = on_tty("jobs", width=120, env=env(base_url))
    assert "server" not in one.stdout
    other = "https://api.example.com:8443"
    add_entries(other, 1, state="confirmed")
    for width in (80, 120, 160):
        several = on_tty("jobs", "--offline", width=width, env=env(base_url))
        assert several.exit_code == 0, str(several)
        words = {word for line in several.stdout.splitlines() for word in line.split()}
        if width >= 120:
            assert {"server", base_url, other} <= words, several.stdout
        assert max(len(line) for line in several.stdout.splitlines()) <= width


def add_booking(base_url: str, job: str) -> None:
    with Journal(Journal.default_path()) as journal:
        journal.create(key=f"k-{job}", profile="default", base_url=base_url,
                       event_id="cevt1", event_name="Symphony Under the Stars",
                       seat_ids=["s1", "s2"], seat_labels=["Orchestra:A12", "Orchestra:A13"],
                       quantity=None)
        journal.add_job(f"k-{job}", job)
        journal.update(f"k-{job}", state="confirmed", booking_id=f"cmj5x0abc{job[-6:]}",
                       message="Successfully booked 2 seat(s)")


def server_marks(stdout: str, jobs: list[str]) -> list[str]:
    """The server each job's row names: its last cell, read through the legend."""
    legend = dict(re.findall(r"^server (\d+): (\S+)$", stdout, flags=re.MULTILINE))
    rows = {line.split()[-1] for job in jobs for line in stdout.splitlines() if job in line}
    assert len(rows) == len(set(legend.values()) or rows), stdout
    return [legend.get(mark, mark) for job in jobs for line in stdout.splitlines()
            if job in line for mark in [line.split()[-1]]]


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120])
def test_rows_of_two_servers_can_be_told_apart_at_any_width(
    base_url: str, width: int,
) -> None:
    far = "https://seatctl-api-production.onrender.com"
    jobs = [f"booking-1796594400{number}23-abc12{number}" for number in range(3)]
    for job, url in zip(jobs, (base_url, far, base_url), strict=True):
        add_booking(url, job)
    outcome = on_tty("jobs", "--offline", width=width, env=env(base_url))
    assert outcome.exit_code == 0, str(outcome)
    assert "server" in outcome.stdout.split("─")[0], outcome.stdout  # the header
    host_port = base_url.removeprefix("http://")
    marks = server_marks(outcome.stdout, jobs)
    assert marks[0] == marks[2] != marks[1], outcome.stdout
    assert marks[0] in (base_url, host_port) and marks[1] in (far, far[8:]), outcome.stdout
    if width <= 80:
        assert re.search(r"^server \d: https://seatctl-api-production\.onrender\.com$",
                         outcome.stdout, flags=re.MULTILINE), outcome.stdout
    assert all(job in outcome.stdout.split() for job in jobs)  # whole


def test_a_short_mark_is_host_and_port_when_that_fits() -> None:
    from seatctl.render.jobs import servers

    entries = [entry("a", "confirmed", base_url="http://127.0.0.1:8080"),
               entry("b", "confirmed", base_url="https://api.example.com"),
               entry("c", "confirmed", base_url="https://[::1]:8443/api")]
    marks, legend = servers(entries, [], 23)  # the widest base URL
    assert (list(marks.values()), legend) == (list(marks), [])
    marks, legend = servers(entries, [], 22)
    assert (list(marks.values()), legend) == (
        ["127.0.0.1:8080", "api.example.com", "[::1]:8443"], [])
    marks, legend = servers(entries, [], 10)
    assert (list(marks.values()), legend) == (["1", "2", "3"], [
        "server 1: http://127.0.0.1:8080", "server 2: https://api.example.com",
        "server 3: https://[::1]:8443/api"])
    assert servers(entries[:1], [], 10) == ({}, [])


def test_cancelled_bookings_show_as_cancelled(httpserver: HTTPServer, base_url: str) -> None:
    add_entries(base_url, 1, state="confirmed")
    with Journal(Journal.default_path()) as journal:
        journal.mark_cancelled("cb-0", base_url=base_url)
    assert "⊖ cancelled" in on_tty("jobs", "--offline", env=env(base_url)).stdout


# --- the whole story, on the reference server -------------------------------------------------


def reference_env(server: ReferenceServer) -> dict[str, str]:
    return {"SEATCTL_TOKEN": login(server), "SEATCTL_BASE_URL": server.url}


def wait_until_final(server: ReferenceServer, job: str) -> None:
    """Long polls (the reference server's extension) until the job is final: no sleeping."""
    headers = bearer(login(server))
    for _ in range(20):
        data = httpx.get(f"{server.url}{STATUS}{job}", params={"wait": "5"},
                         headers=headers, timeout=10).json()["data"]
        if data.get("state") in ("confirmed", "failed"):
            return
    raise AssertionError(f"job {job} never finished")


def test_a_queued_booking_is_shown_confirmed_once_its_job_ran(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.3)
    env = reference_env(server)
    job = cli.ok("book", "Symphony", "--seat", "Balcony:C5", "--no-wait", env=env).stdout.strip()
    assert states(cli.ok("jobs", "--offline", env=env)) == {job: "queued"}
    wait_until_final(server, job)
    assert states(cli.ok("jobs", "--no-refresh", env=env)) == {job: "queued"}
    refreshed = cli.ok("jobs", env=env)
    assert states(refreshed) == {job: "confirmed"}
    assert refreshed.stdout.split("\t")[5].startswith("cb")  # the booking id, learnt
    assert "hint:" not in refreshed.stderr  # nothing left to resume


def test_refresh_finds_a_booking_cancelled_on_the_server(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.02)
    env = reference_env(server)
    assert cli("book", "Symphony", "--seat", "Balcony:C6", env=env).exit_code == 0
    (listed,) = json.loads(cli.ok("jobs", "--json", env=env).stdout)["jobs"]
    response = httpx.delete(f"{server.url}/api/bookings/{listed['booking_id']}",
                            headers=bearer(env["SEATCTL_TOKEN"]))
    assert response.status_code == 200, response.text
    assert states(cli.ok("jobs", env=env)) == {listed["job_id"]: "confirmed"}  # not asked
    assert states(cli.ok("jobs", "--refresh", env=env)) == {listed["job_id"]: "cancelled"}
    with Journal(Journal.default_path(os.environ)) as journal:
        assert journal.recent()[0].state == "cancelled"


def test_a_booking_cancelled_before_the_journal_knew_its_id_shows_cancelled(
    cli: Cli, start_server: StartServer,
) -> None:
    """`book --no-wait`, never watched: its entry is queued, without a booking id, when
    `cancel` records the cancellation; the refresh then reads the job's status (booked)."""
    server = start_server(process_delay=0.02)
    env = reference_env(server)
    job = cli.ok("book", "Symphony", "--seat", "Balcony:C8", "--no-wait", env=env).stdout.strip()
    wait_until_final(server, job)
    status = httpx.get(f"{server.url}{STATUS}{job}", headers=bearer(env["SEATCTL_TOKEN"]))
    booking_id = status.json()["data"]["bookingId"]
    cli.ok("cancel", booking_id, "--yes", env=env)
    listed = cli.ok("jobs", env=env)
    assert states(listed) == {job: "cancelled"}
    assert listed.stdout.split("\t")[5] == booking_id
    assert states(cli.ok("jobs", "--refresh", env=env)) == {job: "cancelled"}


def test_out_of_budget_the_listing_shows_the_journal_and_says_why(
    cli: Cli, start_server: StartServer,
) -> None:
    server = start_server(process_delay=0.3, rate_limit=RateLimit(20, 900))
    env = reference_env(server)
    job = cli.ok("book", "Symphony", "--seat", "Balcony:C7", "--no-wait", env=env).stdout.strip()
    wait_until_final(server, job)  # these requests spend the budget too
    while int(httpx.get(server.url + "/api/events").headers["ratelimit-remaining"]) > 0:
        pass  # bounded: every request lowers the count by one
    refused = cli.ok("jobs", env=env)  # the budget kept from `book` is stale: a 429
    assert states(refused) == {job: "queued"}
    assert f"note: could not refresh from {server.url}: " in refused.stderr
    again = cli.ok("jobs", env=env)  # now the 429 is known: nothing is sent
    assert states(again) == {job: "queued"}
    assert re.search(r"note: 1 unfinished booking not asked about, to spare the rate limit "
                     r"\(0 of 20 left, " + RESETS + r"\)", again.stderr), again.stderr
