"""`seatctl bookings` and `seatctl cancel` against the seed backend as contract.md records it
(pytest-httpserver plays it): the exact envelopes (`📋 Found N bookings for NAME`, status
upper-case, ticket null unless confirmed, no seats), `{bookingId}` on a cancellation, the
400/403/404/409 errors; and the requests seatctl sends (none it should not)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from seatctl.booking.journal import Journal
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.clock import ManualClock
from seatctl.exit_codes import ExitCode
from seatctl.render.bookings import TSV_FIELDS
from seatctl.render.streams import IOStreams
from tests.helpers import Outcome

TOKEN = "seed-token-" + "x" * 20
USER = {"id": "cusr0001", "name": "Ada Lovelace", "email": "ada@example.com"}
SEAT_BOOKING = "cbk0seat0000000000000001"
GA_BOOKING = "cbk0gene0000000000000002"
OLD_BOOKING = "cbk0cncl0000000000000003"
STARTED_BOOKING = "cbk0strt0000000000000004"
STRANGER = "cbk0othr0000000000000009"
ALREADY = "Booking is already cancelled"
STARTED = "Cannot cancel booking for events that have already started"
FORBIDDEN = "Access denied. You can only cancel your own bookings."
CONFLICT = "Event capacity changed, please retry"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seed_booking(booking_id: str, *, status: str = "CONFIRMED", quantity: int = 2,
                 total: str = "90.00", starts_in: timedelta = timedelta(days=14),
                 event: str = "Jazz Night") -> dict[str, Any]:
    """A booking exactly as the seed's `GET /api/bookings/my` lists it."""
    start = datetime.now(UTC) + starts_in
    started = starts_in <= timedelta(0)
    actions = ["view", "download"] if status == "CONFIRMED" else []
    if status in ("CONFIRMED", "PENDING") and not started:
        actions.append("cancel")
    base = f"/api/tickets/{booking_id}"
    return {
        "id": booking_id, "quantity": quantity, "totalPrice": total, "status": status,
        "createdAt": "2026-11-01T10:00:00.000Z", "updatedAt": "2026-11-01T10:00:00.000Z",
        "event": {"id": f"cevt-{event.split()[0].lower()}", "name": event,
                  "description": "An evening.", "venue": "Grand Hall", "startTime": iso(start),
                  "endTime": iso(start + timedelta(hours=3)), "price": "45.00"},
        "ticket": {"ticketNumber": "EVT-" + booking_id[:8].upper(),
                   "downloadUrl": f"{base}/download", "qrCodeUrl": f"{base}/qr",
                   "detailsUrl": f"{base}/details", "canDownload": True, "canView": True}
        if status == "CONFIRMED" else None,
        "displayStatus": status.title(), "actions": actions,
    }


def my_bookings(bookings: list[dict[str, Any]]) -> dict[str, Any]:
    count = {status: sum(b["status"] == status.upper() for b in bookings)
             for status in ("confirmed", "cancelled", "pending")}
    return {
        "status": "success",
        "message": f"📋 Found {len(bookings)} bookings for {USER['name']}",
        "data": {"user": USER, "bookings": bookings,
                 "summary": {"total": len(bookings), **count},
                 "toast": {"type": "success", "title": "Bookings loaded",
                           "message": f"You have {len(bookings)} bookings."}},
    }


def failure(status: int, message: str) -> Response:
    return Response(json.dumps({"status": "error", "message": message}), status=status,
                    content_type="application/json")


def cancelled(booking_id: str) -> Response:
    return Response(json.dumps({"status": "success", "message": "Booking cancelled successfully",
                                "data": {"bookingId": booking_id}}),
                    content_type="application/json")


class SeedBackend:
    """The seed's list (four bookings by default) and DELETE answers per id, each a list
    played in order, the last one repeated; an id with no answers is not found."""

    def __init__(self, server: HTTPServer, bookings: list[dict[str, Any]] | None = None
                 ) -> None:
        self.server = server
        self.bookings = bookings if bookings is not None else [
            seed_booking(SEAT_BOOKING, quantity=2, total="240.00", event="Symphony Under "
                         "the Stars"),
            seed_booking(GA_BOOKING, quantity=3, total="135.00"),
            seed_booking(OLD_BOOKING, status="CANCELLED", quantity=1, total="45.00"),
            seed_booking(STARTED_BOOKING, quantity=1, total="45.00",
                         starts_in=timedelta(hours=-1), event="Matinee Quartet"),
        ]
        self.answers: dict[str, list[Response]] = {}
        server.expect_request("/api/bookings/my", method="GET").respond_with_handler(
            lambda request: Response(json.dumps(my_bookings(self.bookings)),
                                     content_type="application/json"))
        for booking_id in (SEAT_BOOKING, GA_BOOKING, OLD_BOOKING, STARTED_BOOKING, STRANGER,
                           "cbk-missing"):
            server.expect_request(f"/api/bookings/{booking_id}", method="DELETE") \
                .respond_with_handler(self.delete)

    def answer(self, booking_id: str, *responses: Response) -> None:
        self.answers[booking_id] = list(responses)

    def delete(self, request: Request) -> Response:
        script = self.answers.get(request.path.rsplit("/", 1)[1])
        if not script:
            return failure(404, "Booking not found")
        return script.pop(0) if len(script) > 1 else script[0]

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def sent(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request, _ in self.server.log]

    def deletes(self) -> list[str]:
        return [path.rsplit("/", 1)[1] for method, path in self.sent() if method == "DELETE"]


@pytest.fixture
def seed(httpserver: HTTPServer) -> Iterator[SeedBackend]:
    yield SeedBackend(httpserver)


def run(base_url: str, *args: str, tty: bool = False, input: str | None = None,
        token: str | None = TOKEN, width: int = 100, stdout_tty: bool | None = None
        ) -> Outcome:
    """`seatctl ARGS` against the seed; on a terminal when `tty` (answers from `input`;
    `stdout_tty`: whether stdout is one too, when it differs). The clock is a fake one:
    pauses between DELETEs take no time."""
    env = {**os.environ, "SEATCTL_BASE_URL": base_url}
    if token is not None:
        env["SEATCTL_TOKEN"] = token
    streams = IOStreams.test(tty=tty, width=width)
    if stdout_tty is not None:
        streams = replace(streams, stdout_is_tty=stdout_tty)
    result = CliRunner().invoke(seatctl_app, list(args), input=input, prog_name="seatctl",
                                obj=App(env=env, clock=ManualClock(), _streams=streams))
    return Outcome(result.exit_code, streams.out_text(),
                   streams.err_text() + result.stderr)


def journal() -> Journal:
    return Journal(Journal.default_path(os.environ))


def journalled(seed: SeedBackend, key: str, booking_id: str, labels: list[str]) -> None:
    """A booking made from this machine: the journal knows its seats."""
    with journal() as entries:
        entries.create(key=key, profile="default", base_url=seed.base_url,
                       event_id="cevt-symphony", event_name="Symphony Under the Stars",
                       seat_ids=[f"cseat-{label}" for label in labels], seat_labels=labels,
                       quantity=None)
        entries.update(key, state="confirmed", booking_id=booking_id)


def state_of(key: str) -> str | None:
    with journal() as entries:
        entry = entries.get(key)
    return entry.state if entry else None


# --- seatctl bookings ---------------------------------------------------------------------


def test_off_a_terminal_each_booking_is_a_tab_separated_record(seed: SeedBackend) -> None:
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5", "Orchestra:A6"])
    outcome = run(seed.base_url, "bookings")
    assert outcome.exit_code == 0, str(outcome)
    rows = [line.split("\t") for line in outcome.stdout.splitlines()]
    assert {len(row) for row in rows} == {len(TSV_FIELDS)}
    assert [(row[0], row[3], row[4], row[5], row[6], row[7]) for row in rows] == [
        (SEAT_BOOKING, "Orchestra:A5,Orchestra:A6", "240.00", "confirmed", "yes", "yes"),
        (GA_BOOKING, "3 tickets", "135.00", "confirmed", "yes", "yes"),
        (OLD_BOOKING, "1 ticket", "45.00", "cancelled", "-", "-"),
        (STARTED_BOOKING, "1 ticket", "45.00", "confirmed", "yes", "started"),
    ]
    assert rows[0][1] == "Symphony Under the Stars" and rows[0][2].endswith("Z")
    assert seed.sent() == [("GET", "/api/bookings/my")]
    (request, _), = seed.server.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_json_is_the_servers_records_normalised(seed: SeedBackend) -> None:
    outcome = run(seed.base_url, "bookings", "--json")
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["user"]["name"] == "Ada Lovelace"
    assert document["summary"] == {"total": 4, "confirmed": 3, "cancelled": 1, "pending": 0}
    first, _, old, begun = document["bookings"]
    assert (first["status"], first["seats"], first["seatsFrom"], first["totalPrice"]) == (
        "confirmed", [], "quantity", 240.0)
    assert (first["canCancel"], first["hasTicket"], first["started"]) == (True, True, False)
    assert first["ticket"]["ticketNumber"] == "EVT-CBK0SEAT"
    assert first["displayStatus"] == "Confirmed" and "cancel" in first["actions"]
    assert (old["status"], old["ticket"], old["canCancel"], old["hasTicket"]) == (
        "cancelled", None, False, False)
    assert (begun["started"], begun["canCancel"]) == (True, False)


def test_status_and_upcoming_filter_the_list(seed: SeedBackend) -> None:
    only = run(seed.base_url, "bookings", "--status", "cancelled", "-q")
    assert only.stdout == f"{OLD_BOOKING}\n"
    both = run(seed.base_url, "bookings", "--status", "CONFIRMED", "--status", "cancelled", "-q")
    assert both.stdout.split() == [SEAT_BOOKING, GA_BOOKING, OLD_BOOKING, STARTED_BOOKING]
    upcoming = run(seed.base_url, "bookings", "--status", "confirmed", "--upcoming", "-q")
    assert upcoming.stdout.split() == [SEAT_BOOKING, GA_BOOKING]
    document = json.loads(run(seed.base_url, "bookings", "--upcoming", "--json").stdout)
    assert [b["id"] for b in document["bookings"]] == [SEAT_BOOKING, GA_BOOKING, OLD_BOOKING]


def test_nothing_to_list_is_a_line_on_stderr_and_exit_0(httpserver: HTTPServer) -> None:
    seed = SeedBackend(httpserver, bookings=[])
    outcome = run(seed.base_url, "bookings")
    assert (outcome.exit_code, outcome.stdout) == (0, "")
    assert "no bookings yet for Ada Lovelace" in outcome.stderr


def test_nothing_left_by_the_filters_says_how_many_there_are(httpserver: HTTPServer) -> None:
    seed = SeedBackend(httpserver, bookings=[seed_booking(GA_BOOKING)])
    outcome = run(seed.base_url, "bookings", "--status", "pending")
    assert (outcome.exit_code, outcome.stdout) == (0, "")
    assert "no pending bookings (1 booking in all" in outcome.stderr


def test_listing_marks_the_bookings_the_server_cancelled_in_the_journal(
    seed: SeedBackend,
) -> None:
    journalled(seed, "k-old", OLD_BOOKING, ["Orchestra:B1"])
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5"])
    run(seed.base_url, "bookings", "-q")
    assert (state_of("k-old"), state_of("k-seat")) == ("cancelled", "confirmed")
    assert seed.sent() == [("GET", "/api/bookings/my")]  # no extra request for it


def test_without_a_token_the_401_says_how_to_log_in(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/bookings/my").respond_with_response(
        failure(401, "Access denied. No token provided."))
    outcome = run(httpserver.url_for("").rstrip("/"), "bookings", token=None)
    assert outcome.exit_code == ExitCode.AUTH
    assert "Access denied. No token provided." in outcome.stderr
    assert "seatctl login" in outcome.stderr
    (request, _), = httpserver.log
    assert "Authorization" not in request.headers


def test_the_table_breaks_no_id_or_label(seed: SeedBackend) -> None:
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5", "Orchestra:A6"])
    for width in (40, 60, 80, 120, 200):
        outcome = run(seed.base_url, "bookings", tty=True, width=width)
        assert outcome.exit_code == 0, str(outcome)
        words = {word.rstrip(",") for line in outcome.stdout.splitlines()
                 for word in line.split()}
        assert {SEAT_BOOKING, GA_BOOKING, OLD_BOOKING, STARTED_BOOKING} <= words
        assert "4 bookings: 3 confirmed, 1 cancelled, 0 pending" in " ".join(
            outcome.stdout.split())
        if width >= 60:  # narrower: the id overflows, whole, rather than break
            assert all(len(line) <= width for line in outcome.stdout.splitlines())
        if width >= 80:
            assert {"Orchestra:A5", "Orchestra:A6"} <= words, outcome.stdout
            assert "✓ confirmed" in outcome.stdout and "⊖ cancelled" in outcome.stdout
            assert "240.00" in outcome.stdout and "started" in outcome.stdout
        if width >= 120:
            assert {"ticket", "cancel"} <= words


def table_rows(stdout: str, ids: list[str]) -> dict[str, str]:
    """Each booking's row of a table: its lines, from the one with its id to the next
    booking's, joined by spaces."""
    rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        named = [booking for booking in ids if booking in line.split()]
        if named:
            current = rows.setdefault(named[0], [])
        elif not line.strip() or line.startswith(("4 bookings", "─")):
            current = None
        if current is not None:
            current.append(line)
    return {booking: " ".join(" ".join(lines).split()) for booking, lines in rows.items()}


@pytest.mark.parametrize("width", [60, 80, 100])
def test_every_width_says_whether_a_ticket_can_be_had_and_a_cancel_still_made(
    seed: SeedBackend, width: int,
) -> None:
    # At 80 columns the ticket and cancel columns used to be dropped, and with them this.
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5", "Orchestra:A6"])
    outcome = run(seed.base_url, "bookings", tty=True, width=width)
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stdout.splitlines()
    assert all(len(line) <= width for line in lines), outcome.stdout
    ids = [SEAT_BOOKING, GA_BOOKING, OLD_BOOKING, STARTED_BOOKING]
    rows = table_rows(outcome.stdout, ids)
    assert set(rows) == set(ids), outcome.stdout  # every id whole, on one line
    if "ticket" in lines[0].split():  # wide enough for columns of their own
        assert lines[0].split()[-3:] == ["ticket", "cancel", "booking"]
        columns = {SEAT_BOOKING: "yes yes", GA_BOOKING: "yes yes", OLD_BOOKING: "- -",
                   STARTED_BOOKING: "yes started"}
        for booking, marks in columns.items():
            assert f"{marks} {booking}" in rows[booking], rows[booking]
    else:  # folded into the status cell: a tick, or an en dash
        dash = "\u2013"
        folded = {SEAT_BOOKING: ("✓", "✓"), GA_BOOKING: ("✓", "✓"),
                  OLD_BOOKING: (dash, dash), STARTED_BOOKING: ("✓", dash)}
        for booking, (ticket, cancel) in folded.items():
            assert f"ticket {ticket}" in rows[booking] and f"cancel {cancel}" in rows[booking]
    assert width < 100 or "ticket" in lines[0].split()  # 100 columns: the columns


def test_hints_name_commands_with_the_flags_that_reach_this_server(seed: SeedBackend
                                                                   ) -> None:
    prefix = f"seatctl --profile default --base-url {seed.base_url}"
    nothing = run(seed.base_url, "bookings", "--status", "pending")
    assert f"(4 bookings in all: `{prefix} bookings` lists them)" in nothing.stderr
    seed.answer(STRANGER, failure(403, FORBIDDEN))
    forbidden = run(seed.base_url, "cancel", STRANGER, "--yes")
    assert f"hint: `{prefix} bookings` lists the bookings of this login" in " ".join(
        forbidden.stderr.split())


# --- seatctl cancel -----------------------------------------------------------------------


def test_yes_cancels_prints_the_refund_and_records_it(seed: SeedBackend) -> None:
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5"])
    seed.answer(SEAT_BOOKING, cancelled(SEAT_BOOKING))
    outcome = run(seed.base_url, "cancel", SEAT_BOOKING, "--yes")
    assert outcome.exit_code == 0, str(outcome)
    assert f"cancelled {SEAT_BOOKING} (Symphony Under the Stars); refund 240.00" in (
        outcome.stdout)
    assert seed.sent() == [("GET", "/api/bookings/my"),
                           ("DELETE", f"/api/bookings/{SEAT_BOOKING}")]
    assert state_of("k-seat") == "cancelled"


def test_on_a_terminal_yes_at_the_prompt_cancels(seed: SeedBackend) -> None:
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5", "Orchestra:A6"])
    seed.answer(SEAT_BOOKING, cancelled(SEAT_BOOKING))
    seed.answer(STARTED_BOOKING, failure(400, STARTED))
    outcome = run(seed.base_url, "cancel", SEAT_BOOKING, STARTED_BOOKING, STRANGER, tty=True,
                  input="y\n")
    preview = " ".join(outcome.stderr.split())
    assert "About to cancel 3 bookings:" in preview
    assert "Symphony Under the Stars" in preview and "Orchestra:A5, Orchestra:A6" in preview
    assert "refund 240.00" in preview and "refund 45.00" not in preview  # started: none
    assert "Matinee Quartet" in preview
    assert "its event has started: the server will refuse, no refund" in preview
    assert f"booking {STRANGER}: not among your bookings" in preview
    assert "Cancel these 3 bookings?" in preview
    assert seed.deletes() == [SEAT_BOOKING, STARTED_BOOKING, STRANGER]
    assert outcome.exit_code == ExitCode.REJECTED  # the first failure: the started event
    said = " ".join(outcome.stderr.split())  # wrapped on the terminal, never inside a token
    assert f"{STARTED_BOOKING} not cancelled: {STARTED}" in said
    assert f"{STRANGER}: no such booking (404: Booking not found)" in said
    assert (f"hint: check the id: `seatctl --profile default --base-url {seed.base_url} "
            "bookings -q` lists yours") in said
    assert f"cancelled {SEAT_BOOKING}" in outcome.stdout


def test_no_at_the_prompt_sends_nothing(seed: SeedBackend) -> None:
    outcome = run(seed.base_url, "cancel", GA_BOOKING, tty=True, input="n\n")
    assert outcome.exit_code == ExitCode.FAILURE
    assert "Cancel this booking?" in outcome.stderr and "nothing sent" in outcome.stderr
    assert seed.deletes() == []


def test_off_a_terminal_without_yes_is_a_usage_error_before_any_request(
    seed: SeedBackend,
) -> None:
    # This used to list the bookings (GET /api/bookings/my) before refusing.
    for args in (("cancel", GA_BOOKING), ("cancel", GA_BOOKING, "--json"),
                 ("cancel", OLD_BOOKING)):
        outcome = run(seed.base_url, *args)
        assert outcome.exit_code == ExitCode.USAGE, str(outcome)
        assert ("error: will not cancel without confirmation: standard input is not a "
                "terminal\nhint: add --yes to confirm") in outcome.stderr
    assert seed.sent() == []
    document = json.loads(run(seed.base_url, "--json", "cancel", GA_BOOKING).stdout)
    assert document["error"]["exit_code"] == ExitCode.USAGE
    assert seed.sent() == []


def test_a_prompt_needs_stdout_on_a_terminal_too(seed: SeedBackend) -> None:
    outcome = run(seed.base_url, "cancel", GA_BOOKING, tty=True, stdout_tty=False,
                  input="y\n")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "standard output is not a terminal" in outcome.stderr
    assert "[y/N]" not in outcome.stderr and seed.sent() == []


def test_json_on_a_terminal_asks_too_and_stdout_stays_one_document(seed: SeedBackend) -> None:
    seed.answer(GA_BOOKING, cancelled(GA_BOOKING))
    outcome = run(seed.base_url, "cancel", GA_BOOKING, "--json", tty=True, input="y\n")
    assert outcome.exit_code == 0, str(outcome)
    assert "About to cancel 1 booking:" in outcome.stderr
    assert "Cancel this booking? [y/N]: " in outcome.stderr
    (result,) = json.loads(outcome.stdout)["bookings"]
    assert result["outcome"] == "cancelled"
    declined = run(seed.base_url, "--json", "cancel", SEAT_BOOKING, tty=True, input="n\n")
    assert declined.exit_code == ExitCode.FAILURE, str(declined)
    assert json.loads(declined.stdout)["error"]["message"] == "nothing sent: not confirmed"
    assert seed.deletes() == [GA_BOOKING]


def test_end_of_input_at_the_prompt_is_a_no_on_a_line_of_its_own(seed: SeedBackend) -> None:
    # Ctrl-D used to exit 130 in silence, the cursor left after the prompt.
    outcome = run(seed.base_url, "cancel", GA_BOOKING, tty=True, input="")
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    assert "error: nothing sent: not confirmed" in outcome.stderr
    assert outcome.stderr.endswith("Cancel this booking? [y/N]: \n")  # the prompt, ended
    assert seed.deletes() == []


def test_ctrl_c_at_the_prompt_is_an_interrupt_that_ends_the_prompts_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from typer._click import termui

    from seatctl.cli._common import confirm

    def ctrl_c(prompt: str) -> str:
        print(prompt, end="")  # on stderr: the prompt's stdout is redirected there
        raise KeyboardInterrupt

    monkeypatch.setattr(termui, "visible_prompt_func", ctrl_c)
    app = App(env=dict(os.environ), _streams=IOStreams.test(tty=True))
    with pytest.raises(KeyboardInterrupt):
        confirm(app, "Cancel this booking?", yes=False, required=True, action="cancel")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "Cancel this booking? [y/N]: \n")


def test_a_booking_the_list_shows_cancelled_is_not_sent(seed: SeedBackend) -> None:
    journalled(seed, "k-old", OLD_BOOKING, ["Orchestra:B1"])
    outcome = run(seed.base_url, "cancel", OLD_BOOKING, tty=True)  # nothing to send: no prompt
    assert outcome.exit_code == 0, str(outcome)
    assert "[y/N]" not in outcome.stderr
    assert f"{OLD_BOOKING} (Jazz Night) was already cancelled" in outcome.stderr
    assert seed.deletes() == []
    assert state_of("k-old") == "cancelled"


def test_the_servers_already_cancelled_is_a_note_and_exit_0(seed: SeedBackend) -> None:
    journalled(seed, "k-seat", SEAT_BOOKING, ["Orchestra:A5"])
    seed.answer(SEAT_BOOKING, failure(400, ALREADY))  # cancelled since the list was read
    outcome = run(seed.base_url, "cancel", SEAT_BOOKING, "-y")
    assert outcome.exit_code == 0, str(outcome)
    assert "was already cancelled" in outcome.stderr
    assert state_of("k-seat") == "cancelled"


@pytest.mark.parametrize(("booking", "status", "message", "code", "said"), [
    (STARTED_BOOKING, 400, STARTED, ExitCode.REJECTED, STARTED),
    (STRANGER, 403, FORBIDDEN, ExitCode.AUTH, "is not yours to cancel"),
    ("cbk-missing", 404, "Booking not found", ExitCode.NOT_FOUND, "no such booking"),
])
def test_each_refusal_has_its_exit_code(seed: SeedBackend, booking: str, status: int,
                                        message: str, code: ExitCode, said: str) -> None:
    seed.answer(booking, failure(status, message))
    outcome = run(seed.base_url, "cancel", booking, "--yes")
    assert outcome.exit_code == code, str(outcome)
    assert said in outcome.stderr and message in outcome.stderr
    assert outcome.stdout == ""


def test_a_capacity_conflict_is_retried_a_bounded_number_of_times(seed: SeedBackend) -> None:
    seed.answer(GA_BOOKING, failure(409, CONFLICT), cancelled(GA_BOOKING))
    outcome = run(seed.base_url, "cancel", GA_BOOKING, "--yes")
    assert outcome.exit_code == 0, str(outcome)
    assert seed.deletes() == [GA_BOOKING, GA_BOOKING]
    assert f"{GA_BOOKING}: {CONFLICT}; sending the cancellation again" in outcome.stderr
    seed.answer(SEAT_BOOKING, failure(409, CONFLICT))
    stuck = run(seed.base_url, "cancel", SEAT_BOOKING, "--yes")
    assert stuck.exit_code == ExitCode.REJECTED
    assert seed.deletes().count(SEAT_BOOKING) == 3
    assert "hint: the event's capacity kept changing: try again in a moment" in stuck.stderr
    assert "refused the request as sent" not in stuck.stderr


def test_json_lists_each_outcome_and_exits_with_the_first_failure(seed: SeedBackend) -> None:
    seed.answer(GA_BOOKING, cancelled(GA_BOOKING))
    seed.answer(STRANGER, failure(403, FORBIDDEN))
    outcome = run(seed.base_url, "cancel", GA_BOOKING, OLD_BOOKING, STRANGER, "cbk-missing",
                  "--yes", "--json")
    assert outcome.exit_code == ExitCode.AUTH, str(outcome)
    document = json.loads(outcome.stdout)  # exactly one document
    assert [(b["bookingId"], b["outcome"], b["refund"], b["event"])
            for b in document["bookings"]] == [
        (GA_BOOKING, "cancelled", 135.0, "Jazz Night"),
        (OLD_BOOKING, "already_cancelled", None, "Jazz Night"),
        (STRANGER, "forbidden", None, None),
        ("cbk-missing", "not_found", None, None),
    ]
    assert document["bookings"][2]["message"] == FORBIDDEN
    assert (document["exitCode"], document["interrupted"], document["notSent"]) == (
        ExitCode.AUTH, False, [])
    assert f"cancelled {GA_BOOKING}" in outcome.stderr  # messages on stderr
    assert seed.deletes() == [GA_BOOKING, STRANGER, "cbk-missing"]


@pytest.mark.parametrize("args", [["cancel"], ["cancel", ""], ["cancel", GA_BOOKING, " "],
                                  ["bookings", "--status", "nonsense"]])
def test_bad_input_is_a_usage_error_before_any_request(seed: SeedBackend,
                                                       args: list[str]) -> None:
    yes = ["--yes"] if args[0] == "cancel" else []
    outcome = run(seed.base_url, *args, *yes)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert seed.sent() == []


def interrupted_on_the_second_delete(*args: str) -> Outcome:
    """`seatctl cancel ARGS --yes` where Ctrl-C comes while the second DELETE is under way
    (an httpx MockTransport plays the seed: a thread of pytest-httpserver cannot)."""
    import httpx

    deletes: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=my_bookings([
                seed_booking(SEAT_BOOKING), seed_booking(GA_BOOKING)]))
        deletes.append(request.url.path)
        if len(deletes) == 2:
            raise KeyboardInterrupt
        return httpx.Response(200, json={"status": "success", "data": {
            "bookingId": request.url.path.rsplit("/", 1)[1]}})

    env = {**os.environ, "SEATCTL_BASE_URL": "http://seed.test", "SEATCTL_TOKEN": TOKEN}
    streams = IOStreams.test()
    result = CliRunner().invoke(
        seatctl_app, ["cancel", SEAT_BOOKING, GA_BOOKING, STRANGER, "--yes", *args],
        prog_name="seatctl",
        obj=App(env=env, clock=ManualClock(), transport=httpx.MockTransport(handler),
                _streams=streams))
    assert len(deletes) == 2  # the third was never sent
    return Outcome(result.exit_code, streams.out_text(), streams.err_text() + result.stderr)


def test_ctrl_c_between_deletes_stops_and_says_which_were_cancelled() -> None:
    outcome = interrupted_on_the_second_delete()
    assert outcome.exit_code == ExitCode.INTERRUPTED
    assert f"cancelled {SEAT_BOOKING}" in outcome.stdout
    assert (f"interrupted: cancelled {SEAT_BOOKING}; {GA_BOOKING} may or may not be "
            f"cancelled; not sent: {STRANGER}") in outcome.stderr
    assert ("hint: see which are cancelled with `seatctl --profile default --base-url "
            "http://seed.test bookings`") in outcome.stderr


def test_ctrl_c_with_json_is_still_one_document() -> None:
    outcome = interrupted_on_the_second_delete("--json")
    assert outcome.exit_code == ExitCode.INTERRUPTED
    document = json.loads(outcome.stdout)
    assert [(b["bookingId"], b["outcome"]) for b in document["bookings"]] == [
        (SEAT_BOOKING, "cancelled")]
    assert (document["interrupted"], document["inFlight"], document["notSent"],
            document["exitCode"]) == (True, GA_BOOKING, [STRANGER], ExitCode.INTERRUPTED)
    assert "interrupted: cancelled" in outcome.stderr


def test_server_text_cannot_inject_terminal_escapes(httpserver: HTTPServer) -> None:
    hostile = seed_booking(GA_BOOKING, event="Gala\x1b[2J\x1b]0;owned\x07 Night")
    seed = SeedBackend(httpserver, bookings=[hostile])
    seed.answer(GA_BOOKING, cancelled(GA_BOOKING))
    outcomes = [run(seed.base_url, "bookings", tty=tty) for tty in (True, False)]
    outcomes.append(run(seed.base_url, "cancel", GA_BOOKING, tty=True, input="y\n"))
    for outcome in outcomes:
        assert "\x1b" not in outcome.stdout + outcome.stderr, str(outcome)
        assert "\\x1b[2J" in outcome.stdout + outcome.stderr
