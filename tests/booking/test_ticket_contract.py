"""`seatctl ticket`, `verify` and `checkin` against the seed's backend as contract.md records
it (pytest-httpserver plays it, with its exact envelopes): the requests sent (and not sent),
the output on and off a terminal, the QR code read back, the PDF saved safely, and every
refusal's reason and exit code."""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Response

from seatctl.cli.app import app as seatctl_app
from seatctl.cli.context import App
from seatctl.exit_codes import ExitCode
from seatctl.render.streams import IOStreams
from tests.helpers import Cli, Outcome
from tests.render.test_qr import decode, from_ansi, from_plain

BOOKING = "cmg4k2x7h0001abcdefgh1234"
TOKEN = "seed-token-" + "x" * 20
API_URL = "https://event-booking-backend.onrender.com"
PAYLOAD = json.dumps({"bookingId": BOOKING, "timestamp": 1761852600000,
                      "checkInUrl": f"{API_URL}/api/tickets/verify/{BOOKING}"},
                     separators=(",", ":"))  # as JSON.stringify writes it
DETAILS = {"bookingId": BOOKING, "eventName": "Symphony Under the Stars",
           "userName": "Demo User", "venue": "Grand Hall",
           "eventDate": "Friday, October 30, 2026", "eventTime": "07:30 PM",
           "ticketQuantity": 2, "totalPrice": "100.00", "qrCodeData": PAYLOAD}
BOOKING_AT_THE_DOOR = {
    "id": BOOKING, "quantity": 2,
    "event": {"name": "Symphony Under the Stars", "venue": "Grand Hall",
              "startTime": "2026-10-30T19:30:00.000Z", "endTime": "2026-10-30T22:30:00.000Z"},
    "user": {"name": "Demo User", "email": "demo@example.com"},
}
CHECKED_IN_AT = "2026-10-30T18:02:11.000Z"
START_TIME = "2026-10-30T19:30:00.000Z"
LIST_PATH = "/api/bookings/my"
PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
DETAILS_PATH = f"/api/tickets/{BOOKING}/details"
DOWNLOAD_PATH = f"/api/tickets/{BOOKING}/download"
VERIFY_PATH = f"/api/tickets/verify/{BOOKING}"
CHECKIN_PATH = f"/api/tickets/checkin/{BOOKING}"

# The seed's refusals at the door: all 400, the reason only in the message.
REFUSALS = [
    ("Booking not found", "not_found", ExitCode.NOT_FOUND),
    ("Booking is not confirmed", "not_confirmed", ExitCode.REJECTED),
    ("Check-in not yet available. Please arrive closer to event time.", "too_early",
     ExitCode.REJECTED),
    ("Event has already ended", "ended", ExitCode.REJECTED),
    ("Ticket already checked in", "already_checked_in", ExitCode.REJECTED),
    ("Scanner offline, use the paper list", "refused", ExitCode.REJECTED),
]


def success(data: Any, message: str | None = None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"status": "success", "data": data}
    if message is not None:
        envelope["message"] = message
    return envelope


def failure(message: str) -> dict[str, Any]:
    return {"status": "error", "message": message}


def listed(status: str = "CONFIRMED", booking_id: str = BOOKING) -> dict[str, Any]:
    """The booking as the seed's `GET /api/bookings/my` lists it."""
    base = f"/api/tickets/{booking_id}"
    return {
        "id": booking_id, "quantity": 2, "totalPrice": "100.00", "status": status,
        "createdAt": "2026-10-01T10:00:00.000Z", "updatedAt": "2026-10-01T10:00:00.000Z",
        "event": {"id": "cevt0001", "name": "Symphony Under the Stars", "description": "...",
                  "venue": "Grand Hall", "startTime": START_TIME,
                  "endTime": "2026-10-30T22:30:00.000Z", "price": "50.00"},
        "ticket": {"ticketNumber": "EVT-" + booking_id[:8].upper(),
                   "downloadUrl": f"{base}/download", "qrCodeUrl": f"{base}/qr",
                   "detailsUrl": f"{base}/details", "canDownload": True, "canView": True}
        if status == "CONFIRMED" else None,
        "displayStatus": status.title(), "actions": [],
    }


def serve_list(server: HTTPServer, bookings: list[dict[str, Any]]) -> None:
    statuses = [booking["status"].lower() for booking in bookings]
    server.expect_request(LIST_PATH, method="GET").respond_with_json(success(
        {"user": {"id": "cusr0001", "name": "Demo User", "email": "demo@example.com"},
         "bookings": bookings,
         "summary": {"total": len(bookings), **{status: statuses.count(status) for status in
                                                ("confirmed", "cancelled", "pending")}},
         "toast": {"type": "success", "title": "Bookings loaded",
                   "message": f"You have {len(bookings)} bookings."}},
        f"📋 Found {len(bookings)} bookings for Demo User"))


def environment(server: HTTPServer) -> dict[str, str]:
    return {"SEATCTL_BASE_URL": server.url_for("").rstrip("/"), "SEATCTL_TOKEN": TOKEN}


def run(cli: Cli, server: HTTPServer, *args: str) -> Outcome:
    return cli(*args, env=environment(server))


def flags(server: HTTPServer) -> str:
    """What a suggested command carries to come back to this server, as `book`'s do."""
    return f"--profile default --base-url {server.url_for('').rstrip('/')}"


def on_tty(server: HTTPServer, *args: str, width: int = 100, color: bool = False) -> Outcome:
    streams = IOStreams.test(tty=True, color=color, width=width)
    obj = App(env={**os.environ, **environment(server)}, _streams=streams)
    result = CliRunner().invoke(seatctl_app, list(args), obj=obj, prog_name="seatctl")
    return Outcome(result.exit_code, streams.out_text(), streams.err_text())


def sent(server: HTTPServer) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request, _ in server.log]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    yield folder


# --- seatctl ticket -------------------------------------------------------------------


def serve_details(server: HTTPServer, details: dict[str, Any] = DETAILS,
                  bookings: list[dict[str, Any]] | None = None) -> None:
    """The list (the booking confirmed, unless `bookings` says otherwise), then the details."""
    serve_list(server, [listed()] if bookings is None else bookings)
    server.expect_request(DETAILS_PATH, method="GET").respond_with_json(success(details))


def test_off_a_terminal_the_details_are_labelled_lines_and_the_payload_text(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    serve_details(httpserver)
    outcome = run(cli, httpserver, "ticket", BOOKING)
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.splitlines() == [
        "event:\tSymphony Under the Stars", "date:\tFriday, October 30, 2026",
        "time:\t07:30 PM", f"starts:\t{START_TIME}", "venue:\tGrand Hall",
        "holder:\tDemo User", "quantity:\t2", "total:\t100.00", "ticket:\tEVT-CMG4K2X7",
        f"booking:\t{BOOKING}", f"qr:\t{PAYLOAD}"]
    assert sent(httpserver) == [("GET", LIST_PATH), ("GET", DETAILS_PATH)]
    assert httpserver.log[1][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_json_is_the_normalised_details_and_the_payload(cli: Cli,
                                                        httpserver: HTTPServer) -> None:
    serve_details(httpserver)
    outcome = run(cli, httpserver, "--json", "ticket", BOOKING)
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout) == {
        **DETAILS, "totalPrice": 100.0, "ticketNumber": "EVT-CMG4K2X7", "qrCodeData": PAYLOAD,
        "startTime": START_TIME}


def test_json_of_a_booking_the_list_does_not_name_has_no_start_time(
        cli: Cli, httpserver: HTTPServer) -> None:
    serve_details(httpserver, bookings=[])
    document = json.loads(run(cli, httpserver, "--json", "ticket", BOOKING).stdout)
    assert (document["eventDate"], document["eventTime"], document["startTime"]) == (
        "Friday, October 30, 2026", "07:30 PM", None)


@pytest.mark.parametrize("status", ["CANCELLED", "PENDING"])
def test_a_booking_listed_as_not_confirmed_has_no_valid_ticket(
    cli: Cli, httpserver: HTTPServer, status: str,
) -> None:
    # This used to show a cancelled booking's ticket and its QR code, exit 0: the seed's
    # details endpoint does not check the status.
    serve_details(httpserver, bookings=[listed("CONFIRMED", "cother0001"), listed(status)])
    outcome = run(cli, httpserver, "ticket", BOOKING)
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    assert f"error: booking {BOOKING} is {status.lower()}: it has no valid ticket" in \
        outcome.stderr
    assert f"`seatctl {flags(httpserver)} bookings`" in outcome.stderr
    assert outcome.stdout == ""
    assert sent(httpserver) == [("GET", LIST_PATH)]  # the details are not asked for
    document = json.loads(run(cli, httpserver, "--json", "ticket", BOOKING).stdout)
    assert (document["error"]["type"], document["error"]["exit_code"]) == (
        "NoValidTicket", ExitCode.REJECTED)


def test_on_a_terminal_the_time_is_local_from_the_lists_start_or_labelled_as_the_servers(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    import time

    time.tzset()
    try:
        serve_details(httpserver)
        local = on_tty(httpserver, "ticket", BOOKING).stdout.splitlines()
        httpserver.clear()
        serve_details(httpserver, bookings=[])
        servers = on_tty(httpserver, "ticket", BOOKING).stdout.splitlines()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert any(re.fullmatch("date      Fri 30 Oct( 2026)?", line) for line in local), local
    assert "time      20:30 CET" in local
    assert "date      Friday, October 30, 2026" in servers
    assert "time      07:30 PM (as the server states it)" in servers


def qr_lines(text: str, glyphs: str) -> list[str]:
    return [line for line in text.splitlines() if line and set(line) <= set(glyphs)]


def test_on_a_terminal_without_colour_the_qr_code_reads_back_as_the_payload(
    httpserver: HTTPServer,
) -> None:
    serve_details(httpserver)
    outcome = on_tty(httpserver, "ticket", BOOKING, width=80)
    assert outcome.exit_code == 0, str(outcome)
    assert "\x1b" not in outcome.stdout
    assert f"booking   {BOOKING}" in outcome.stdout.splitlines()
    assert decode(from_plain(qr_lines(outcome.stdout, " ▀▄█"))) == [PAYLOAD]
    assert PAYLOAD not in outcome.stdout  # drawn, not printed


def test_on_a_colour_terminal_the_qr_code_reads_back_as_the_payload(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR")
    serve_details(httpserver)
    outcome = on_tty(httpserver, "ticket", BOOKING, width=80, color=True)
    assert outcome.exit_code == 0, str(outcome)
    drawn = "\n".join(line for line in outcome.stdout.splitlines() if "▀" in line)
    assert decode(from_ansi(drawn)) == [PAYLOAD]


def test_too_narrow_a_terminal_gets_the_payload_whole_and_why(httpserver: HTTPServer) -> None:
    serve_details(httpserver)
    outcome = on_tty(httpserver, "ticket", BOOKING, width=40)
    assert outcome.exit_code == 0, str(outcome)
    assert PAYLOAD in outcome.stdout.splitlines()  # one line, not wrapped
    said = " ".join(outcome.stderr.split())  # wrapped to the terminal, between words
    assert "too narrow (40 columns)" in said
    command = f"`seatctl {flags(httpserver)} ticket {BOOKING} --download`"
    assert any(command in line for line in outcome.stderr.splitlines()), outcome.stderr


def test_a_payload_too_large_for_a_qr_code_is_printed_whole_and_why(
        httpserver: HTTPServer) -> None:
    # This used to be segno's DataOverflowError: "unexpected error", exit 1.
    payload = json.dumps({"bookingId": BOOKING, "notes": "x" * 3000})
    serve_details(httpserver, {**DETAILS, "qrCodeData": payload})
    outcome = on_tty(httpserver, "ticket", BOOKING, width=200)
    assert outcome.exit_code == 0, str(outcome)
    assert payload in outcome.stdout.splitlines()
    said = " ".join(outcome.stderr.split())
    assert "cannot be drawn as a QR code" in said and "more than a QR code holds" in said
    assert f"`seatctl {flags(httpserver)} ticket {BOOKING} --download`" in said


def test_details_without_a_payload_say_so_and_invent_none(cli: Cli,
                                                          httpserver: HTTPServer) -> None:
    details = {key: value for key, value in DETAILS.items() if key != "qrCodeData"}
    serve_details(httpserver, details)
    plain = run(cli, httpserver, "ticket", BOOKING)
    assert plain.exit_code == 0, str(plain)
    assert not any(line.startswith("qr:") for line in plain.stdout.splitlines())
    assert "no QR code data" in plain.stderr
    tty = on_tty(httpserver, "ticket", BOOKING)
    assert tty.exit_code == 0 and "█" not in tty.stdout and "no QR code data" in tty.stderr
    document = json.loads(run(cli, httpserver, "--json", "ticket", BOOKING).stdout)
    assert document["qrCodeData"] is None


@pytest.mark.parametrize(("status", "message", "code", "hint"), [
    (404, "Booking not found", ExitCode.NOT_FOUND, "check the id"),
    (403, "Access denied", ExitCode.AUTH, "not your booking (the ticket of another account)"),
])
def test_a_ticket_that_is_not_yours_or_not_there(cli: Cli, httpserver: HTTPServer, status: int,
                                                 message: str, code: ExitCode,
                                                 hint: str) -> None:
    serve_list(httpserver, [listed("CONFIRMED", "cother0001")])  # not in the caller's list
    httpserver.expect_request(DETAILS_PATH).respond_with_json(failure(message), status=status)
    outcome = run(cli, httpserver, "ticket", BOOKING)
    assert outcome.exit_code == code, str(outcome)
    assert message in outcome.stderr and outcome.stdout == ""
    assert f"hint: {hint}" in outcome.stderr
    assert sent(httpserver) == [("GET", LIST_PATH), ("GET", DETAILS_PATH)]


def test_a_server_without_the_booking_list_still_shows_the_ticket(
        cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request(LIST_PATH).respond_with_json(failure("Route not found"),
                                                           status=404)
    httpserver.expect_request(DETAILS_PATH).respond_with_json(success(DETAILS))
    outcome = run(cli, httpserver, "ticket", BOOKING)
    assert outcome.exit_code == 0, str(outcome)
    assert f"booking:\t{BOOKING}" in outcome.stdout.splitlines()
    assert sent(httpserver) == [("GET", LIST_PATH), ("GET", DETAILS_PATH)]


def test_not_logged_in_asks_nothing_more_than_the_list(cli: Cli,
                                                        httpserver: HTTPServer) -> None:
    httpserver.expect_request(LIST_PATH).respond_with_json(
        failure("Access denied. Invalid token."), status=401)
    outcome = run(cli, httpserver, "ticket", BOOKING)
    assert outcome.exit_code == ExitCode.AUTH, str(outcome)
    assert "Access denied. Invalid token." in outcome.stderr
    assert sent(httpserver) == [("GET", LIST_PATH)]


# --- --download -----------------------------------------------------------------------


def serve_pdf(server: HTTPServer, disposition: str | None = 'attachment; '
              'filename="ticket-EVT-CMG4K2X7.pdf"', body: bytes = PDF,
              content_type: str = "application/pdf") -> None:
    headers = {"Content-Disposition": disposition} if disposition else {}
    server.expect_request(DOWNLOAD_PATH, method="GET").respond_with_response(
        Response(body, status=200, content_type=content_type, headers=headers))


def test_download_saves_the_pdf_under_the_servers_name(cli: Cli, httpserver: HTTPServer,
                                                       in_tmp: Path) -> None:
    serve_pdf(httpserver)
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == 0, str(outcome)
    assert (in_tmp / "ticket-EVT-CMG4K2X7.pdf").read_bytes() == PDF
    assert os.listdir(in_tmp) == ["ticket-EVT-CMG4K2X7.pdf"]  # no temporary file left
    assert outcome.stdout == "ticket-EVT-CMG4K2X7.pdf\n"
    assert outcome.stderr == f"✓ saved ticket-EVT-CMG4K2X7.pdf ({len(PDF)} bytes)\n"
    assert sent(httpserver) == [("GET", DOWNLOAD_PATH)]  # the details are not fetched


@pytest.mark.parametrize(("disposition", "saved"), [
    ('attachment; filename="../../../evil.pdf"', "evil.pdf"),
    ("attachment; filename*=UTF-8''..%2F.hidden", "hidden.pdf"),
    ('attachment; filename="/etc/cron.d/job"', "job.pdf"),
    ('attachment; filename="a\\\\b\x07.pdf"', "b.pdf"),
    (None, f"ticket-{BOOKING}.pdf"),
    ("attachment", f"ticket-{BOOKING}.pdf"),
])
def test_the_servers_file_name_cannot_escape_the_folder(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path, disposition: str | None, saved: str,
) -> None:
    serve_pdf(httpserver, disposition)
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == 0, str(outcome)
    assert os.listdir(in_tmp) == [saved]
    assert os.listdir(in_tmp.parent) == ["here"]


def test_output_names_the_file_or_the_folder(cli: Cli, httpserver: HTTPServer,
                                             in_tmp: Path) -> None:
    serve_pdf(httpserver)
    (in_tmp / "tickets").mkdir()
    assert run(cli, httpserver, "ticket", BOOKING, "-o", "mine.pdf").stdout == "mine.pdf\n"
    into = run(cli, httpserver, "ticket", BOOKING, "--download", "--output", "tickets/")
    assert into.exit_code == 0, str(into)
    assert (in_tmp / "tickets" / "ticket-EVT-CMG4K2X7.pdf").read_bytes() == PDF
    assert (in_tmp / "mine.pdf").read_bytes() == PDF


def test_download_takes_the_file_that_follows_it(cli: Cli, httpserver: HTTPServer,
                                                in_tmp: Path) -> None:
    serve_pdf(httpserver)
    after = run(cli, httpserver, "ticket", BOOKING, "--download", "mine.pdf")
    before = run(cli, httpserver, "ticket", "--download", BOOKING, "theirs.pdf")
    assert (after.exit_code, after.stdout) == (0, "mine.pdf\n"), str(after)
    assert (before.exit_code, before.stdout) == (0, "theirs.pdf\n"), str(before)
    assert (in_tmp / "mine.pdf").read_bytes() == (in_tmp / "theirs.pdf").read_bytes() == PDF


def test_a_file_without_download_is_refused_before_any_request(
        cli: Cli, httpserver: HTTPServer, in_tmp: Path) -> None:
    outcome = run(cli, httpserver, "ticket", BOOKING, "mine.pdf")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "FILE goes with --download" in outcome.stderr
    assert f"seatctl {flags(httpserver)} ticket {BOOKING} --download mine.pdf" in \
        " ".join(outcome.stderr.split())
    assert sent(httpserver) == [] and os.listdir(in_tmp) == []


@pytest.mark.parametrize("file", ["x.pdf", "X.PDF", "tickets/x", "./mine"])
@pytest.mark.parametrize("download", [["--download"], []], ids=["--download", "alone"])
def test_a_file_before_the_booking_is_refused_naming_the_order(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path, file: str, download: list[str],
) -> None:
    # This used to send GET /api/tickets/x.pdf/download (exit 8).
    outcome = run(cli, httpserver, "ticket", *download, file, BOOKING)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    said = " ".join(outcome.stderr.split())
    assert f"{file!r} looks like FILE and {BOOKING!r} like BOOKING: BOOKING comes first" in said
    assert f"seatctl {flags(httpserver)} ticket {BOOKING} --download {file}" in said
    assert sent(httpserver) == [] and os.listdir(in_tmp) == []


def test_two_names_that_both_look_like_files_are_taken_in_order(
        cli: Cli, httpserver: HTTPServer, in_tmp: Path) -> None:
    # an id may be anything: only a pair whose order is clear is refused as misordered
    outcome = run(cli, httpserver, "ticket", "--download", "cmg.pdf", "out/x.pdf")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "cannot save the ticket in out: no such folder" in outcome.stderr
    assert sent(httpserver) == []


def test_a_file_and_output_together_are_refused(cli: Cli, httpserver: HTTPServer,
                                                in_tmp: Path) -> None:
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download", "a.pdf", "-o", "b.pdf")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "unexpected argument 'a.pdf': give FILE or -o FILE, not both" in outcome.stderr
    assert sent(httpserver) == [] and os.listdir(in_tmp) == []


def test_download_json_is_a_document(cli: Cli, httpserver: HTTPServer, in_tmp: Path) -> None:
    serve_pdf(httpserver)
    outcome = run(cli, httpserver, "ticket", BOOKING, "-d", "--json")
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout) == {
        "bookingId": BOOKING, "path": "ticket-EVT-CMG4K2X7.pdf", "bytes": len(PDF),
        "contentType": "application/pdf", "filename": "ticket-EVT-CMG4K2X7.pdf"}


def test_an_html_page_with_200_is_not_saved(cli: Cli, httpserver: HTTPServer,
                                            in_tmp: Path) -> None:
    page = b"<!doctype html><html><head><title>Sign in</title></head><body>...</body></html>"
    serve_pdf(httpserver, None, page, "text/html; charset=utf-8")
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == ExitCode.SERVER, str(outcome)
    assert "not a PDF: the server sent text/html" in outcome.stderr
    assert "'Sign in'" in outcome.stderr
    assert os.listdir(in_tmp) == [] and outcome.stdout == ""


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-pdf", ""])
def test_a_pdf_sent_as_another_binary_type_is_saved(cli: Cli, httpserver: HTTPServer,
                                                    in_tmp: Path, content_type: str) -> None:
    # This used to be refused as "not a PDF" although it starts with %PDF-.
    serve_pdf(httpserver, body=PDF, content_type=content_type)
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == 0, str(outcome)
    assert (in_tmp / "ticket-EVT-CMG4K2X7.pdf").read_bytes() == PDF


def test_a_body_that_only_claims_to_be_a_pdf_is_not_saved(cli: Cli, httpserver: HTTPServer,
                                                          in_tmp: Path) -> None:
    serve_pdf(httpserver, None, b'{"status":"error"}', "application/pdf")
    outcome = run(cli, httpserver, "--json", "ticket", BOOKING, "--download")
    assert outcome.exit_code == ExitCode.SERVER
    assert json.loads(outcome.stdout)["error"]["type"] == "NotAPdf"
    assert os.listdir(in_tmp) == []


@pytest.mark.parametrize(("status", "message", "code"), [
    (400, "Cannot generate ticket for unconfirmed booking", ExitCode.REJECTED),
    (404, "Booking not found", ExitCode.NOT_FOUND),
    (403, "not your booking", ExitCode.AUTH),
    (500, "Failed to generate ticket", ExitCode.SERVER),
])
def test_a_refused_download_saves_nothing(cli: Cli, httpserver: HTTPServer, in_tmp: Path,
                                          status: int, message: str, code: ExitCode) -> None:
    said = "Access denied" if status == 403 else message
    httpserver.expect_request(DOWNLOAD_PATH).respond_with_json(failure(said), status=status)
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == code, str(outcome)
    assert message in outcome.stderr and said in outcome.stderr
    assert os.listdir(in_tmp) == []
    assert sent(httpserver) == [("GET", DOWNLOAD_PATH)]  # one request, no list


def test_an_existing_file_is_refused_before_the_request_unless_forced(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path,
) -> None:
    serve_pdf(httpserver)
    (in_tmp / "mine.pdf").write_bytes(b"keep me")
    refused = run(cli, httpserver, "ticket", BOOKING, "-o", "mine.pdf")
    assert refused.exit_code == ExitCode.USAGE, str(refused)
    assert "mine.pdf already exists: not overwritten" in refused.stderr
    assert "--force" in refused.stderr
    assert sent(httpserver) == []  # nothing asked of the server
    assert (in_tmp / "mine.pdf").read_bytes() == b"keep me"
    forced = run(cli, httpserver, "ticket", BOOKING, "-o", "mine.pdf", "--force")
    assert forced.exit_code == 0, str(forced)
    assert (in_tmp / "mine.pdf").read_bytes() == PDF
    assert os.listdir(in_tmp) == ["mine.pdf"]


@pytest.mark.parametrize("name", ["ticket-EVT-CMG4K2X7.pdf", f"ticket-{BOOKING}.pdf"])
@pytest.mark.parametrize("args", [["--download"], ["-o", "tickets/"]],
                         ids=["--download", "-o FOLDER/"])
def test_an_expected_name_taken_is_refused_before_the_request_unless_forced(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path, name: str, args: list[str],
) -> None:
    # This used to be found only after the download: the name comes with the response.
    serve_pdf(httpserver)
    folder = in_tmp / "tickets"
    folder.mkdir()
    where = folder if "-o" in args else in_tmp
    (where / name).write_bytes(b"keep me")
    refused = run(cli, httpserver, "ticket", BOOKING, *args)
    assert refused.exit_code == ExitCode.USAGE, str(refused)
    assert f"{name} already exists: not overwritten" in refused.stderr
    assert sent(httpserver) == []
    assert (where / name).read_bytes() == b"keep me"
    forced = run(cli, httpserver, "ticket", BOOKING, *args, "--force")
    assert forced.exit_code == 0, str(forced)
    assert (where / "ticket-EVT-CMG4K2X7.pdf").read_bytes() == PDF


def test_the_servers_name_taken_already_is_refused_when_writing(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path,
) -> None:
    serve_pdf(httpserver, 'attachment; filename="my-ticket.pdf"')  # not a name foreseen
    (in_tmp / "my-ticket.pdf").write_bytes(b"keep me")
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "my-ticket.pdf already exists" in outcome.stderr
    assert sent(httpserver) == [("GET", DOWNLOAD_PATH)]
    assert (in_tmp / "my-ticket.pdf").read_bytes() == b"keep me"
    assert os.listdir(in_tmp) == ["my-ticket.pdf"]


@pytest.mark.parametrize("output", ["a-file/t.pdf", "missing/t.pdf", "missing/"])
def test_a_folder_that_cannot_take_the_file_is_refused_before_the_request(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path, output: str,
) -> None:
    (in_tmp / "a-file").write_text("not a folder")
    outcome = run(cli, httpserver, "ticket", BOOKING, "-o", output)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "no such folder" in outcome.stderr
    assert sent(httpserver) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_an_unwritable_folder_is_refused_before_the_request(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path,
) -> None:
    locked = in_tmp / "locked"
    locked.mkdir(mode=0o500)
    try:
        outcome = run(cli, httpserver, "ticket", BOOKING, "-o", "locked/t.pdf")
    finally:
        locked.chmod(0o700)
    assert outcome.exit_code == ExitCode.USAGE and "not writable" in outcome.stderr
    assert sent(httpserver) == []


def test_a_folder_that_refuses_the_write_leaves_nothing_behind(
    cli: Cli, httpserver: HTTPServer, in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def denied(*args: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "link", denied)  # what a folder made read-only meanwhile does
    serve_pdf(httpserver)
    outcome = run(cli, httpserver, "ticket", BOOKING, "--download")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "cannot write the ticket to ticket-EVT-CMG4K2X7.pdf: Permission denied" in \
        outcome.stderr
    assert os.listdir(in_tmp) == []


def test_dash_writes_the_pdf_to_stdout(httpserver: HTTPServer, in_tmp: Path) -> None:
    serve_pdf(httpserver)
    result = CliRunner().invoke(seatctl_app, ["ticket", BOOKING, "-o", "-"],
                                env=environment(httpserver), prog_name="seatctl")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == PDF
    assert f"wrote the ticket PDF to stdout ({len(PDF)} bytes)" in result.stderr
    assert os.listdir(in_tmp) == []


def test_dash_is_refused_when_stdout_is_a_terminal(httpserver: HTTPServer) -> None:
    outcome = on_tty(httpserver, "ticket", BOOKING, "--download", "-o", "-")
    assert outcome.exit_code == ExitCode.USAGE
    assert "not writing a PDF to a terminal" in outcome.stderr
    assert sent(httpserver) == []


@pytest.mark.parametrize("args", [["-o", "-", "--json"], ["--force"], ["-o", ""]],
                         ids=["dash and json", "force alone", "empty output"])
def test_options_that_do_not_go_together(cli: Cli, httpserver: HTTPServer,
                                         args: list[str]) -> None:
    outcome = run(cli, httpserver, "ticket", BOOKING, *args)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert sent(httpserver) == []


# --- bad BOOKING ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["ticket", "verify", "checkin"])
@pytest.mark.parametrize("args", [[], [""], ["   "]], ids=["none", "empty", "blank"])
def test_a_booking_id_is_required(cli: Cli, httpserver: HTTPServer, command: str,
                                  args: list[str]) -> None:
    outcome = run(cli, httpserver, command, *args)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "BOOKING" in outcome.stderr
    assert sent(httpserver) == []


# --- seatctl verify / checkin ---------------------------------------------------------


def serve_door(server: HTTPServer, *, verify: tuple[int, dict[str, Any]] | None = None,
               checkin: tuple[int, dict[str, Any]] | None = None) -> None:
    status, body = verify or (200, success({"booking": BOOKING_AT_THE_DOOR},
                                           "Ticket verified successfully"))
    server.expect_request(VERIFY_PATH, method="GET").respond_with_json(body, status=status)
    status, body = checkin or (200, success({"booking": BOOKING_AT_THE_DOOR,
                                             "checkedInAt": CHECKED_IN_AT},
                                            "Check-in successful"))
    server.expect_request(CHECKIN_PATH, method="POST").respond_with_json(body, status=status)


DOOR_LINES = ["event:\tSymphony Under the Stars", "venue:\tGrand Hall",
              "starts:\t2026-10-30T19:30:00.000Z", "ends:\t2026-10-30T22:30:00.000Z",
              "holder:\tDemo User <demo@example.com>", "quantity:\t2", f"booking:\t{BOOKING}"]


def test_verify_sends_one_get_and_says_valid(cli: Cli, httpserver: HTTPServer) -> None:
    serve_door(httpserver)
    outcome = run(cli, httpserver, "verify", BOOKING)
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.splitlines() == ["status:\tvalid", *DOOR_LINES]
    assert sent(httpserver) == [("GET", VERIFY_PATH)]


def test_verify_json(cli: Cli, httpserver: HTTPServer) -> None:
    serve_door(httpserver)
    document = json.loads(run(cli, httpserver, "--json", "verify", BOOKING).stdout)
    assert document == {"bookingId": BOOKING, "valid": True, "reason": None,
                        "checkedIn": False, "checkedInAt": None,
                        "message": "Ticket verified successfully",
                        "booking": {**BOOKING_AT_THE_DOOR, "status": None}}


def test_checkin_verifies_then_posts(cli: Cli, httpserver: HTTPServer) -> None:
    serve_door(httpserver)
    outcome = run(cli, httpserver, "checkin", BOOKING)
    assert outcome.exit_code == 0, str(outcome)
    assert outcome.stdout.splitlines() == ["status:\tchecked in", *DOOR_LINES,
                                           f"checked_in_at:\t{CHECKED_IN_AT}"]
    assert sent(httpserver) == [("GET", VERIFY_PATH), ("POST", CHECKIN_PATH)]
    document = json.loads(run(cli, httpserver, "--json", "checkin", BOOKING).stdout)
    assert (document["valid"], document["checkedIn"], document["checkedInAt"],
            document["message"]) == (True, True, CHECKED_IN_AT, "Check-in successful")


def test_on_a_terminal_check_in_says_when_in_local_time(httpserver: HTTPServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    import time

    time.tzset()
    try:
        serve_door(httpserver)
        outcome = on_tty(httpserver, "checkin", BOOKING)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stdout.splitlines()
    year = "( 2026)?"  # shown unless it is this year
    assert re.fullmatch(f"✓ checked in at Fri 30 Oct{year} 19:02 CET", lines[0])
    assert any(re.fullmatch(f"  starts    Fri 30 Oct{year} 20:30 CET", line) for line in lines)
    assert f"  booking   {BOOKING}" in lines


@pytest.mark.parametrize(("message", "reason", "code"), REFUSALS)
@pytest.mark.parametrize("command", ["verify", "checkin"])
def test_a_refusal_at_verification_has_its_reason_and_posts_nothing(
    cli: Cli, httpserver: HTTPServer, command: str, message: str, reason: str, code: ExitCode,
) -> None:
    serve_door(httpserver, verify=(400, failure(message)))
    outcome = run(cli, httpserver, command, BOOKING)
    assert outcome.exit_code == code, str(outcome)
    assert f"({reason}): {message}" in " ".join(outcome.stderr.split())
    assert outcome.stdout == ""
    as_json = run(cli, httpserver, "--json", command, BOOKING)
    assert as_json.exit_code == code
    document = json.loads(as_json.stdout)
    assert (document["valid"], document["reason"], document["step"], document["message"]) == (
        False, reason, "verify", message)
    assert document["error"]["exit_code"] == code
    assert "error:" in as_json.stderr
    assert ("POST", CHECKIN_PATH) not in sent(httpserver)


def test_a_second_check_in_refused_by_the_server_is_already_checked_in(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    serve_door(httpserver, checkin=(400, failure("Ticket already checked in")))
    outcome = run(cli, httpserver, "--json", "checkin", BOOKING)
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    document = json.loads(outcome.stdout)
    assert (document["reason"], document["step"]) == ("already_checked_in", "checkin")
    assert sent(httpserver) == [("GET", VERIFY_PATH), ("POST", CHECKIN_PATH)]


def test_a_verification_that_says_it_was_used_is_already_checked_in(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    used = {**BOOKING_AT_THE_DOOR, "checkedInAt": CHECKED_IN_AT}
    serve_door(httpserver, verify=(200, success({"booking": used},
                                                "Ticket verified successfully")))
    outcome = run(cli, httpserver, "--json", "checkin", BOOKING)
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["reason"] == "already_checked_in"
    assert CHECKED_IN_AT in document["message"]
    assert CHECKED_IN_AT in document["error"]["message"]
    assert ("POST", CHECKIN_PATH) not in sent(httpserver)


@pytest.mark.parametrize("args", [[], ["--json"]], ids=["text", "json"])
def test_already_checked_in_says_when_in_local_time_on_stderr(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, args: list[str],
) -> None:
    # This used to show the server's UTC ISO time: "already checked in at 2026-10-30T18:…Z".
    monkeypatch.setenv("TZ", "Europe/Paris")
    import time

    time.tzset()
    used = {**BOOKING_AT_THE_DOOR, "checkedInAt": CHECKED_IN_AT}
    try:
        serve_door(httpserver, verify=(200, success({"booking": used},
                                                    "Ticket verified successfully")))
        outcome = on_tty(httpserver, *args, "verify", BOOKING)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert outcome.exit_code == ExitCode.REJECTED, str(outcome)
    said = " ".join(outcome.stderr.split())
    assert re.search(r"already checked in at Fri 30 Oct( 2026)? 19:02 CET", said), said
    assert CHECKED_IN_AT not in outcome.stderr
    if args:
        assert CHECKED_IN_AT in json.loads(outcome.stdout)["message"]


@pytest.mark.parametrize(("status", "message", "reason", "code"), [
    (403, "Access denied", "forbidden", ExitCode.AUTH),
    (404, "Not found", "not_found", ExitCode.NOT_FOUND),
])
@pytest.mark.parametrize("command", ["verify", "checkin"])
def test_403_and_404_keep_their_exit_codes(cli: Cli, httpserver: HTTPServer, command: str,
                                           status: int, message: str, reason: str,
                                           code: ExitCode) -> None:
    serve_door(httpserver, verify=(status, failure(message)))
    outcome = run(cli, httpserver, "--json", command, BOOKING)
    assert outcome.exit_code == code, str(outcome)
    assert json.loads(outcome.stdout)["reason"] == reason
    assert ("POST", CHECKIN_PATH) not in sent(httpserver)


def test_not_logged_in_is_exit_5_without_a_reason(cli: Cli, httpserver: HTTPServer) -> None:
    serve_door(httpserver, verify=(401, failure("Access denied. No token provided.")))
    outcome = run(cli, httpserver, "--json", "checkin", BOOKING)
    assert outcome.exit_code == ExitCode.AUTH
    assert "reason" not in json.loads(outcome.stdout)
    assert ("POST", CHECKIN_PATH) not in sent(httpserver)
