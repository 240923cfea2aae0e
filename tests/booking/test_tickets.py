"""The ticket core without a server: refusal reasons, PDF checks, safe file names, and
writing a file atomically without clobbering."""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatctl.api.endpoints import TicketFile
from seatctl.api.models import VerifiedBooking
from seatctl.booking.tickets import (
    MAX_NAME_BYTES,
    NotAPdf,
    Refusal,
    Step,
    TicketRefused,
    check_destination,
    checked_in_at,
    classify,
    destination,
    output_path,
    pdf_content,
    predicted_names,
    refusal,
    safe_filename,
    write_atomically,
)
from seatctl.errors import AuthError, NotFound, RequestRejected, ServerError, UsageError
from seatctl.exit_codes import ExitCode

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "reason"), [
    ("Booking not found", Refusal.NOT_FOUND),
    ("Booking is not confirmed", Refusal.NOT_CONFIRMED),
    ("Check-in not yet available. Please arrive closer to event time.", Refusal.TOO_EARLY),
    ("Event has already ended", Refusal.ENDED),
    ("Ticket already checked in", Refusal.ALREADY_CHECKED_IN),
    ("This booking has already been checked in at 19:02", Refusal.ALREADY_CHECKED_IN),
    ("Booking is already cancelled", Refusal.NOT_CONFIRMED),
    ("Venue closed for maintenance", Refusal.REFUSED),
    ("", Refusal.REFUSED),
    (None, Refusal.REFUSED),
])
def test_a_refusals_message_gives_its_reason(message: str | None, reason: Refusal) -> None:
    assert classify(message) is reason


def rejected(message: str, status: int = 400) -> RequestRejected:
    return RequestRejected(f"request rejected ({status}): {message}", status_code=status,
                           server_message=message)


@pytest.mark.parametrize(("error", "reason", "code"), [
    (rejected("Booking not found"), Refusal.NOT_FOUND, ExitCode.NOT_FOUND),
    (rejected("Booking is not confirmed"), Refusal.NOT_CONFIRMED, ExitCode.REJECTED),
    (rejected("Check-in not yet available. Please arrive closer to event time."),
     Refusal.TOO_EARLY, ExitCode.REJECTED),
    (rejected("Event has already ended"), Refusal.ENDED, ExitCode.REJECTED),
    (rejected("Ticket already checked in"), Refusal.ALREADY_CHECKED_IN, ExitCode.REJECTED),
    (rejected("Something new"), Refusal.REFUSED, ExitCode.REJECTED),
    (NotFound("not found (404)", status_code=404, server_message="Booking not found"),
     Refusal.NOT_FOUND, ExitCode.NOT_FOUND),
    (AuthError("permission denied (403)", status_code=403, server_message="Access denied"),
     Refusal.FORBIDDEN, ExitCode.AUTH),
])
def test_refusals_have_stable_reasons_and_exit_codes(error: RequestRejected, reason: Refusal,
                                                     code: ExitCode) -> None:
    refused = refusal(error, "b1", Step.VERIFY)
    assert refused is not None
    assert (refused.reason, refused.exit_code, refused.step) == (reason, code, Step.VERIFY)
    assert refused.server_message == error.server_message
    assert f"b1 not admitted ({reason}): {error.server_message}" in refused.message
    assert refused.hint


@pytest.mark.parametrize("error", [
    AuthError("not authenticated (401)", status_code=401),
    rejected("Event capacity changed, please retry", status=409),
    ServerError("server error 500", status_code=500),
])
def test_other_failures_are_not_refusals(error: RequestRejected) -> None:
    assert refusal(error, "b1", Step.CHECK_IN) is None


def test_a_refusal_without_a_message_still_says_why() -> None:
    refused = TicketRefused(Refusal.TOO_EARLY, booking_id="b1", step=Step.VERIFY,
                            server_message=None, status_code=400)
    assert refused.message == "ticket b1 not admitted (too_early): too early"


def test_checked_in_at_reads_the_reference_servers_extension() -> None:
    booking = VerifiedBooking.model_validate({"id": "b1", "checkedInAt": "2027-01-01T19:00Z"})
    assert checked_in_at(booking) == "2027-01-01T19:00Z"
    assert checked_in_at(VerifiedBooking.model_validate({"id": "b1", "checkedInAt": None})) \
        is None
    assert checked_in_at(VerifiedBooking.model_validate({"id": "b1"})) is None


# --- is it a PDF ----------------------------------------------------------------------


def test_a_pdf_is_taken_as_it_came() -> None:
    assert pdf_content(TicketFile(PDF, "application/pdf", "t.pdf")) == PDF
    assert pdf_content(TicketFile(PDF, "Application/PDF; qs=1", None)) == PDF


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-pdf",
                                          "", "Application/Octet-Stream; charset=binary"])
def test_a_pdf_sent_under_another_binary_type_is_known_by_its_first_bytes(
    content_type: str,
) -> None:
    # This used to be refused: only application/pdf was taken.
    assert pdf_content(TicketFile(PDF, content_type, None)) == PDF


@pytest.mark.parametrize(("content", "content_type", "named"), [
    (b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
     "text/html; charset=utf-8", ["text/html", "'502 Bad Gateway'"]),
    (b'{"status":"success","data":{}}', "application/json", ["application/json", "status"]),
    (b"<!doctype html><p>hello", "application/pdf", ["does not start with %PDF-"]),
    (b'{"status":"error"}', "application/octet-stream",
     ["application/octet-stream that does not start with %PDF-", "status"]),
    (b"<html><title>Login</title></html>", "", ["no content type", "'Login'"]),
    (PDF, "text/plain", ["text/plain"]),
    (PDF, "text/html", ["text/html"]),
    (b"", "", ["no content type", "0 bytes"]),
])
def test_anything_else_is_refused_naming_what_came(content: bytes, content_type: str,
                                                  named: list[str]) -> None:
    with pytest.raises(NotAPdf) as raised:
        pdf_content(TicketFile(content, content_type, None))
    assert raised.value.exit_code == ExitCode.SERVER
    for text in named:
        assert text in raised.value.message


# --- file names -----------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "expected"), [
    ("ticket-EVT-CMG4K2X7.pdf", "ticket-EVT-CMG4K2X7.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ("/tmp/x/ticket.pdf", "ticket.pdf"),
    ("C:\\Users\\me\\ticket.pdf", "ticket.pdf"),
    (".bashrc", "bashrc.pdf"),
    ("...", "ticket-b1.pdf"),
    ("..", "ticket-b1.pdf"),
    ("dir/", "ticket-b1.pdf"),
    ("  ", "ticket-b1.pdf"),
    ("tick\x1b[31met\n.pdf", "tick[31met.pdf"),
    ("evil\u202etxt.pdf", "eviltxt.pdf"),
    ("C:ticket.pdf", "Cticket.pdf"),
    ("Ticket.PDF", "Ticket.PDF"),
    ("billet été.pdf", "billet été.pdf"),
    (None, "ticket-b1.pdf"),
    ("", "ticket-b1.pdf"),
])
def test_the_servers_file_name_is_made_safe(sent: str | None, expected: str) -> None:
    assert safe_filename(sent, "b1") == expected


def test_a_booking_id_with_separators_makes_a_plain_name() -> None:
    assert safe_filename(None, "../a/b") == "ticket-.._a_b.pdf"
    assert safe_filename(None, "a\\b") == "ticket-a_b.pdf"


def test_a_long_name_is_shortened_to_what_file_systems_take() -> None:
    name = safe_filename("é" * 400 + ".pdf", "b1")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".pdf")


@given(st.one_of(st.none(), st.text()), st.text(min_size=1))
def test_any_name_becomes_a_plain_pdf_name_in_this_folder(sent: str | None,
                                                          booking: str) -> None:
    name = safe_filename(sent, booking)
    assert name and name.lower().endswith(".pdf")
    assert "/" not in name and "\\" not in name and ":" not in name
    assert not name.startswith((".", " "))
    assert len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name)
    assert Path(name).name == name


# --- where it goes --------------------------------------------------------------------


def test_the_destination_is_the_file_or_the_name_in_the_folder(tmp_path: Path) -> None:
    assert destination(None, "t.pdf") == Path("t.pdf")
    assert destination(tmp_path, "t.pdf") == tmp_path / "t.pdf"
    assert destination(tmp_path / "mine.pdf", "t.pdf") == tmp_path / "mine.pdf"


def test_an_output_name_is_checked(tmp_path: Path) -> None:
    assert output_path(None) is None
    assert output_path(str(tmp_path) + "/") == tmp_path
    with pytest.raises(UsageError, match="needs a file"):
        output_path("")
    with pytest.raises(UsageError, match="no such folder"):
        output_path(str(tmp_path / "missing") + "/")


def test_an_existing_file_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    existing = tmp_path / "t.pdf"
    existing.write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists") as raised:
        check_destination(existing, "b1", force=False)
    assert raised.value.exit_code == ExitCode.USAGE
    check_destination(existing, "b1", force=True)
    check_destination(tmp_path, "b1", force=False)  # a folder: no expected name is taken


@pytest.mark.parametrize("name", ["ticket-EVT-CMG4K2X7.pdf", "ticket-cmg4k2x7h0001.pdf"])
@pytest.mark.parametrize("into_folder", [True, False], ids=["-o FOLDER/", "--download"])
def test_an_expected_name_taken_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, into_folder: bool,
) -> None:
    # This used to be found only after the download, the name coming from the response.
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(b"mine")
    output = tmp_path if into_folder else None
    with pytest.raises(UsageError, match=f"{name} already exists"):
        check_destination(output, "cmg4k2x7h0001", force=False)
    check_destination(output, "cmg4k2x7h0001", force=True)
    check_destination(output, "cmz9q1w2e0002", force=False)  # another ticket's names


def test_the_expected_names_are_the_seeds_and_seatctls_own() -> None:
    assert predicted_names("cmg4k2x7h0001") == ["ticket-EVT-CMG4K2X7.pdf",
                                                "ticket-cmg4k2x7h0001.pdf"]
    # as written: the server's name reduced to its last part, the id's separators replaced
    assert predicted_names("../x") == ["X.pdf", "ticket-.._x.pdf"]


@pytest.mark.parametrize("where", ["missing/t.pdf", "a-file/t.pdf"])
def test_a_missing_folder_is_refused(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UsageError, match="no such folder"):
        check_destination(tmp_path / where, "b1", force=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="not writable"):
            check_destination(folder / "t.pdf", "b1", force=False)
    finally:
        folder.chmod(0o700)


def test_a_folder_in_the_way_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "t.pdf").mkdir()
    with pytest.raises(UsageError, match="not a regular file"):
        write_atomically(tmp_path / "t.pdf", PDF, replace=True)


# --- writing --------------------------------------------------------------------------


def test_the_file_is_written_whole_with_the_umasks_mode(tmp_path: Path) -> None:
    target = tmp_path / "t.pdf"
    write_atomically(target, PDF, replace=False)
    assert target.read_bytes() == PDF
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert target.stat().st_nlink == 1  # the temporary name is gone
    assert os.listdir(tmp_path) == ["t.pdf"]


def test_an_existing_file_is_not_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "t.pdf"
    target.write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists"):
        write_atomically(target, PDF, replace=False)
    assert target.read_bytes() == b"mine"
    assert os.listdir(tmp_path) == ["t.pdf"]


def test_replace_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "t.pdf"
    target.write_bytes(b"mine")
    write_atomically(target, PDF, replace=True)
    assert target.read_bytes() == PDF
    assert os.listdir(tmp_path) == ["t.pdf"]


def test_a_file_appearing_meanwhile_is_not_clobbered(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "t.pdf"
    real_link = os.link

    def someone_else_first(source: Path, destination: Path) -> None:
        Path(destination).write_bytes(b"theirs")
        real_link(source, destination)

    monkeypatch.setattr(os, "link", someone_else_first)
    with pytest.raises(UsageError, match="already exists"):
        write_atomically(target, PDF, replace=False)
    assert target.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == ["t.pdf"]


def test_without_hard_links_the_name_is_still_claimed_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_links(source: Path, destination: Path) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "t.pdf"
    write_atomically(target, PDF, replace=False)
    assert target.read_bytes() == PDF
    with pytest.raises(UsageError, match="already exists"):
        write_atomically(target, b"%PDF-other", replace=False)
    assert target.read_bytes() == PDF
    assert os.listdir(tmp_path) == ["t.pdf"]


@pytest.mark.parametrize("failing", ["fsync", "link"])
def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              failing: str) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(UsageError, match="No space left on device") as raised:
        write_atomically(tmp_path / "t.pdf", PDF, replace=False)
    assert raised.value.exit_code == ExitCode.USAGE
    assert os.listdir(tmp_path) == []


def test_an_interrupted_write_leaves_nothing_behind(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "t.pdf", PDF, replace=True)
    assert os.listdir(tmp_path) == []
