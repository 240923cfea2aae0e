"""Tickets to show, at the door and on disk, without printing.

To show: `fetch_ticket` asks the caller's booking list first, because the seed's details
endpoint answers for a cancelled booking too; a booking listed as not confirmed has no valid
ticket. At the door: `verify` and `admit` (verify, then check in) turn the server's refusals, all
HTTP 400 with the reason only in the message, into a stable `Refusal` with a documented exit
code. On disk: a download is checked to be a PDF, named safely, and written atomically
without replacing a file unless asked to.

    classify("Check-in not yet available. Please arrive closer to event time.")  # TOO_EARLY
    safe_filename('../../etc/passwd', "b1")  # 'passwd.pdf'
    safe_filename(None, "b1")  # 'ticket-b1.pdf'
    ticket = fetch_ticket(client, "cmg4k2x7h0001")  # NoValidTicket if listed as cancelled
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from seatctl.booking.booking_status import BookingStatus
from seatctl.errors import (
    AuthError,
    BookingFailed,
    HTTPStatusError,
    NotFound,
    RequestRejected,
    ResponseError,
    SeatctlError,
    UsageError,
)
from seatctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from seatctl.api.endpoints import TicketFile
    from seatctl.api.models import (
        Booking,
        CheckIn,
        TicketDetails,
        VerifiedBooking,
        VerifiedTicket,
    )
    from seatctl.booking.outcome import Resume
    from seatctl.http import ApiClient

# --- the ticket to show ---------------------------------------------------------------

NOT_YOURS_HINT = "not your booking (the ticket of another account): log in as its holder"


@dataclass(frozen=True)
class Ticket:
    """A booking's ticket: the server's details, and the booking as the caller's list has it
    (its status and its event's start), None when the list does not name it."""

    details: TicketDetails
    listed: Booking | None


class NoValidTicket(BookingFailed):
    """The caller's list shows the booking cancelled or pending: it has no valid ticket."""

    def __init__(self, booking_id: str, status: str, *, resume: Resume) -> None:
        later = " yet (it gets one once confirmed)" if status == BookingStatus.PENDING else ""
        super().__init__(f"booking {booking_id} is {status}: it has no valid ticket{later}",
                         hint=f"see your bookings with `{resume.command('bookings')}`")
        self.booking_id = booking_id
        self.status = status


def fetch_ticket(client: ApiClient, booking_id: str, *, resume: Resume | None = None
                 ) -> Ticket:
    """GET /api/bookings/my, then the details, unless the list shows the booking not
    confirmed (NoValidTicket: the seed's details answer for a cancelled booking too). A
    booking the list does not name (another account's) is asked for all the same: the
    server's 403 or 404 says why, the 403 with NOT_YOURS_HINT."""
    from seatctl.api.endpoints import ticket_details
    from seatctl.booking.outcome import Resume

    listed = listed_booking(client, booking_id)
    if listed is not None and listed.status and listed.status != BookingStatus.CONFIRMED:
        raise NoValidTicket(booking_id, listed.status, resume=resume or Resume())
    with _another_accounts():
        details = ticket_details(client, booking_id)
    return Ticket(details, listed)


def listed_booking(client: ApiClient, booking_id: str) -> Booking | None:
    """The booking as the caller's list has it; None when the list does not name it, or the
    server has no such list (a 404 for the route itself)."""
    from seatctl.api.endpoints import my_bookings

    try:
        bookings = my_bookings(client).bookings
    except NotFound:
        return None
    return next((booking for booking in bookings if booking.id == booking_id), None)


@contextlib.contextmanager
def _another_accounts() -> Iterator[None]:
    """A 403 on a ticket means it belongs to someone else, not a missing permission."""
    try:
        yield
    except AuthError as error:
        if error.status_code == 403:
            error.hint = NOT_YOURS_HINT
        raise


# --- refusals at the door -------------------------------------------------------------


class Refusal(StrEnum):
    """Why a ticket does not admit its holder now: the `reason` of the --json document."""

    NOT_FOUND = "not_found"
    NOT_CONFIRMED = "not_confirmed"
    TOO_EARLY = "too_early"
    ENDED = "ended"
    ALREADY_CHECKED_IN = "already_checked_in"
    FORBIDDEN = "forbidden"  # 403: this account may not verify tickets
    REFUSED = "refused"  # another 400: only the server's message says why


REFUSAL_EXIT: dict[Refusal, ExitCode] = {
    Refusal.NOT_FOUND: ExitCode.NOT_FOUND,  # as a 404 is
    Refusal.FORBIDDEN: ExitCode.AUTH,  # as a 403 is
}  # every other refusal: ExitCode.REJECTED (3)

REFUSAL_HINTS: dict[Refusal, str] = {
    Refusal.NOT_FOUND: "check the booking id on the ticket",
    Refusal.NOT_CONFIRMED: "the booking is pending or cancelled: it admits no one",
    Refusal.TOO_EARLY: "check-in opens 2 hours before the event starts",
    Refusal.ENDED: "the event is over",
    Refusal.ALREADY_CHECKED_IN: "this ticket has been used: do not admit it again",
    Refusal.FORBIDDEN: "this account may not verify tickets; log in as venue staff",
    Refusal.REFUSED: "the server refused the ticket; its message says why",
}

# The seed's messages (contract.md), and the wordings other servers use for the same reason.
# Checked in this order: "already checked in" before "not found" and the rest.
_REASONS: tuple[tuple[Refusal, re.Pattern[str]], ...] = (
    (Refusal.ALREADY_CHECKED_IN, re.compile(r"already\s+(?:been\s+)?(?:checked[\s-]*in|used)")),
    (Refusal.NOT_FOUND, re.compile(r"not\s+found|no\s+such\s+booking|does\s+not\s+exist")),
    (Refusal.NOT_CONFIRMED, re.compile(r"not\s+confirmed|unconfirmed|cancell?ed")),
    (Refusal.TOO_EARLY, re.compile(r"not\s+yet\s+available|too\s+early|arrive\s+closer")),
    (Refusal.ENDED, re.compile(r"\bended\b|\bis\s+over\b|already\s+finished")),
)


class Step(StrEnum):
    VERIFY = "verify"
    CHECK_IN = "checkin"


class TicketRefused(SeatctlError):
    """The ticket does not admit its holder now; `reason` says why, stably."""

    def __init__(self, reason: Refusal, *, booking_id: str, step: Step,
                 server_message: str | None, status_code: int | None,
                 detail: str | None = None, checked_in_at: str | None = None) -> None:
        said = server_message or detail or _default_text(reason)
        super().__init__(f"ticket {booking_id} not admitted ({reason}): {said}",
                         hint=REFUSAL_HINTS[reason])
        self.reason = reason
        self.booking_id = booking_id
        self.step = step
        self.server_message = server_message  # the server's words, when it refused
        self.detail = said
        self.status_code = status_code
        self.checked_in_at = checked_in_at  # as the server sent it (ISO 8601), if it did
        self.exit_code = REFUSAL_EXIT.get(reason, ExitCode.REJECTED)

    def with_check_in_time(self, shown: str) -> TicketRefused:
        """The same refusal worded with its check-in time as `shown` (local time, for
        people); `checked_in_at` keeps the server's."""
        reworded = TicketRefused(self.reason, booking_id=self.booking_id, step=self.step,
                                 server_message=self.server_message,
                                 status_code=self.status_code, detail=used_at(shown),
                                 checked_in_at=self.checked_in_at)
        reworded.attempts = self.attempts
        return reworded


def used_at(when: str) -> str:
    return f"already checked in at {when}"


def _default_text(reason: Refusal) -> str:
    return reason.value.replace("_", " ")


def classify(message: str | None) -> Refusal:
    """The reason a 400's message gives; REFUSED when it names none seatctl knows."""
    text = (message or "").lower()
    for reason, pattern in _REASONS:
        if pattern.search(text):
            return reason
    return Refusal.REFUSED


def refusal(error: HTTPStatusError, booking_id: str, step: Step) -> TicketRefused | None:
    """The refusal an HTTP error means at the door (400, 403, 404); None for any other."""
    reason: Refusal | None = None
    if isinstance(error, NotFound):
        reason = Refusal.NOT_FOUND
    elif isinstance(error, AuthError) and error.status_code == 403:
        reason = Refusal.FORBIDDEN
    elif isinstance(error, RequestRejected) and error.status_code == 400:
        reason = classify(error.server_message)
    if reason is None:
        return None
    refused = TicketRefused(reason, booking_id=booking_id, step=step,
                            server_message=error.server_message, status_code=error.status_code)
    refused.attempts = error.attempts
    return refused


@dataclass(frozen=True)
class Admission:
    """A ticket that admits its holder: verified, and checked in when asked to."""

    booking_id: str
    verified: VerifiedTicket
    check_in: CheckIn | None = None


def verify(client: ApiClient, booking_id: str) -> Admission:
    """GET /api/tickets/verify/:id; TicketRefused when the ticket does not admit now."""
    from seatctl.api.endpoints import verify_ticket

    with _refusals(booking_id, Step.VERIFY):
        verified = verify_ticket(client, booking_id)
    used = checked_in_at(verified.booking)
    if used:  # a server that records check-ins says so, yet may still call it "verified"
        raise TicketRefused(Refusal.ALREADY_CHECKED_IN, booking_id=booking_id,
                            step=Step.VERIFY, server_message=None, status_code=None,
                            detail=used_at(used), checked_in_at=used)
    return Admission(booking_id, verified)


def admit(client: ApiClient, booking_id: str) -> Admission:
    """Verify, then POST the check-in: nothing is posted when verification fails."""
    from seatctl.api.endpoints import check_in

    admission = verify(client, booking_id)
    with _refusals(booking_id, Step.CHECK_IN):
        done = check_in(client, booking_id)
    return Admission(booking_id, admission.verified, check_in=done)


def checked_in_at(booking: VerifiedBooking | None) -> str | None:
    """When the booking was checked in, if the server records it (`checkedInAt`, an
    extension of the reference server; the seed records nothing)."""
    if booking is None:
        return None
    value = (booking.model_extra or {}).get("checkedInAt")
    return value if isinstance(value, str) and value else None


@contextlib.contextmanager
def _refusals(booking_id: str, step: Step) -> Iterator[None]:
    try:
        yield
    except HTTPStatusError as error:
        refused = refusal(error, booking_id, step)
        if refused is None:
            raise
        raise refused from None


# --- the PDF --------------------------------------------------------------------------

PDF_TYPE = "application/pdf"
# Types a PDF is sent as: the leading bytes decide (servers and proxies often send a file
# as octet-stream, or with no type at all); a text, HTML or JSON type never passes.
PDF_CARRIERS = frozenset({PDF_TYPE, "application/x-pdf", "application/octet-stream", ""})
PDF_MAGIC = b"%PDF-"
SNIPPET_CHARS = 60
MAX_NAME_BYTES = 255  # a file name's limit on the usual file systems
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class NotAPdf(ResponseError):
    """The ticket download is not a PDF (an HTML page, JSON, an empty body)."""


def pdf_content(file: TicketFile) -> bytes:
    """The PDF's bytes; NotAPdf (naming what came instead) unless the body starts with
    `%PDF-` and its Content-Type may carry a PDF (PDF_CARRIERS)."""
    kind = file.content_type.split(";")[0].strip().lower()
    if kind in PDF_CARRIERS and file.content.startswith(PDF_MAGIC):
        return file.content
    came = kind or "no content type"
    if kind in PDF_CARRIERS:
        came = f"{came} that does not start with {PDF_MAGIC.decode()}"
    raise NotAPdf(f"the ticket download is not a PDF: the server sent {came} "
                  f"({len(file.content):,} bytes{_glimpse(file.content)})",
                  hint="nothing was saved; a proxy or an error page may have answered")


def _glimpse(body: bytes) -> str:
    """`: "the page's title"` or the first characters, one line; empty for no body."""
    title = _TITLE.search(body[:4096])
    text = (title.group(1) if title else body[:SNIPPET_CHARS * 4]).decode("utf-8", "replace")
    text = " ".join(text.split())[:SNIPPET_CHARS]
    return f": {text!r}" if text else ""


def safe_filename(sent: str | None, booking_id: str) -> str:
    """A file name for the ticket: the server's (Content-Disposition) reduced to a plain
    name in this folder, else `ticket-<booking id>.pdf`; always ending in `.pdf`."""
    name = _plain_name(_basename(sent)) if sent else ""
    if not name:
        name = _plain_name("ticket-" + re.sub(r"[/\\]", "_", booking_id))
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return _shortened(name)


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _plain_name(name: str) -> str:
    """No control, format or unassigned characters; no leading dots (a hidden file, `..`)
    or spaces; no ':' (a drive or a stream on Windows)."""
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in
                   ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") and ch != ":")
    return kept.strip().lstrip(".").strip()


def _shortened(name: str) -> str:
    stem, suffix = name[:-4], name[-4:]
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


# --- writing it -----------------------------------------------------------------------


@dataclass(frozen=True)
class SavedTicket:
    booking_id: str
    path: Path
    size: int
    content_type: str
    sent_name: str | None  # the server's file name, as it sent it


def output_path(text: str | None) -> Path | None:
    """`-o FILE` as a path; a name ending in a slash must be an existing folder."""
    if text is None:
        return None
    if not text.strip():
        raise UsageError("-o needs a file or folder name")
    path = Path(text)
    if text.endswith(("/", os.sep)) and not path.is_dir():
        raise UsageError(f"cannot save the ticket in {text}: no such folder")
    return path


def destination(output: Path | None, name: str) -> Path:
    """Where the ticket goes: `output`, or `name` inside it when it is a folder, or `name`
    in the current folder."""
    if output is None:
        return Path(name)
    return output / name if output.is_dir() else output


def check_destination(output: Path | None, booking_id: str, *, force: bool) -> None:
    """Before the request: the folder is writable and, unless `force`, no file is in the
    way: `output` when it names a file, else the names the ticket can be expected to get
    (`predicted_names`: the server's own name is known only once it answers, and is
    checked again then). UsageError (exit 2) otherwise."""
    folder = Path(".") if output is None else output if output.is_dir() else output.parent
    folder = folder if str(folder) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot save the ticket in {folder}: no such folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot save the ticket in {folder}: the folder is not writable")
    if output is not None and not output.is_dir():
        _refuse_existing(output, force=force)
        return
    for name in predicted_names(booking_id):
        _refuse_existing(destination(output, name), force=force)


def predicted_names(booking_id: str) -> list[str]:
    """The seed's name (`ticket-` and the ticket number: `EVT-` and the id's first 8
    characters upper-cased) and seatctl's own (no name sent), made safe as written."""
    seed = safe_filename(f"ticket-EVT-{booking_id[:8].upper()}.pdf", booking_id)
    own = safe_filename(None, booking_id)
    return [seed] if seed == own else [seed, own]


def _refuse_existing(path: Path, *, force: bool) -> None:
    if path.is_dir() or (path.exists() and not path.is_file()):
        raise UsageError(f"{path} is not a regular file: not replaced")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists: not overwritten",
                         hint="replace it with --force, or choose another file with -o FILE")


def write_atomically(path: Path, content: bytes, *, replace: bool) -> None:
    """`content` into `path`, all or nothing: a temporary file in the same folder, synced,
    then linked into place (which fails if `path` exists: no clobbering, even by a file
    that appeared meanwhile) or, with `replace`, renamed over it. No temporary file is left
    behind, whatever fails. Mode as any new file (0666 less the umask: 0644 usually)."""
    _refuse_existing(path, force=replace)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        _write_synced(temporary, content)
        if replace:
            os.replace(temporary, path)
        else:
            _link_no_clobber(temporary, path)
        _sync_folder(path.parent)
    except FileExistsError:
        raise UsageError(f"{path} already exists: not overwritten",
                         hint="replace it with --force, or choose another file with -o FILE"
                         ) from None
    except OSError as exc:
        raise UsageError(f"cannot write the ticket to {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _write_synced(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


def _link_no_clobber(source: Path, target: Path) -> None:
    """A hard link: atomic, and it never replaces. A file system without hard links gets
    the name claimed first (O_EXCL), then filled by a rename over the empty claim."""
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            os.replace(source, target)
        except OSError:
            target.unlink()  # our empty claim, not someone's file
            raise


def _sync_folder(folder: Path) -> None:
    """The new name made durable too (best effort: not every platform can)."""
    try:
        descriptor = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def save_ticket(client: ApiClient, booking_id: str, output: Path | None, *,
                force: bool) -> SavedTicket:
    """GET the ticket's PDF and write it (see `write_atomically`); NotAPdf for another
    body. `check_destination` first, before any request. One request: the server refuses
    the PDF of an unconfirmed booking itself (400)."""
    file = _download(client, booking_id)
    content = pdf_content(file)
    path = destination(output, safe_filename(file.filename, booking_id))
    write_atomically(path, content, replace=force)
    return SavedTicket(booking_id, path, len(content), file.content_type, file.filename)


def fetch_pdf(client: ApiClient, booking_id: str) -> tuple[bytes, TicketFile]:
    """The ticket's PDF bytes (for stdout), checked like `save_ticket`'s."""
    file = _download(client, booking_id)
    return pdf_content(file), file


def _download(client: ApiClient, booking_id: str) -> TicketFile:
    from seatctl.api.endpoints import download_ticket

    with _another_accounts():
        return download_ticket(client, booking_id)
