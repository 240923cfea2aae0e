"""Keeping the journal true: `seatctl jobs` asks the server about the unfinished bookings it
lists, within the request budget, and (`--refresh`) whether confirmed ones were cancelled.

What is asked:

* Only entries of the server the client talks to (its base URL, where its token belongs)
  that are unfinished (queued, processing, pending) and have a job id: one
  `GET /api/seats/booking-status/:jobId` each, newest first. A status answer updates the
  entry as a watch would (`booking.book.record_updates`).
* The default refresh asks about at most DEFAULT_STATUS_REQUESTS; a forced one
  (`jobs --refresh`) about at most FORCED_STATUS_REQUESTS, then sends ONE
  `GET /api/bookings/my` when confirmed entries are listed, and marks those the server
  reports cancelled (`Journal.mark_cancelled`).

The budget, read before every request (`RefreshPolicy.may_send`):

* Known (an answer announced it): the default refresh never spends the reserve that the
  watch keeps for everything else (10 % of the limit, at least 2: `booking.poll`); a forced
  one, asked for by name, may spend what is left but never asks once nothing is.
* Unknown (no answer of this server announced a limit, or not lately): the default refresh
  sends ONE request, whose answer usually announces the budget, and the rule above then
  decides whether more may follow; a forced refresh goes on up to its cap.

The first failure (the network, a 429, a 401, a 5xx, the command's deadline) ends the
refresh: what was learnt is kept, the rest is listed as the journal has it. A job the
server does not know (404) is passed over. Nobody asked for the default refresh, so its
requests get UNASKED_PATIENCE_S at most each (the caller's client is built so): a server
that stalls delays the listing by that much, once. No printing: the caller renders the
result (and says what it waits for: `asking`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from seatctl.api.endpoints import job_status, my_bookings
from seatctl.booking.book import record_updates
from seatctl.booking.booking_status import BookingStatus
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.journal_states import JournalState
from seatctl.booking.poll import Budget, PollPlan
from seatctl.booking.status import interpret
from seatctl.booking.watch import UpdateKind, WatchUpdate
from seatctl.errors import NotFound, SeatctlError
from seatctl.http import ApiClient, RateLimitInfo

DEFAULT_STATUS_REQUESTS = 3
FORCED_STATUS_REQUESTS = 20
UNKNOWN_BUDGET_REQUESTS = 1  # the default refresh's probe when nothing is known
UNASKED_PATIENCE_S = 2.0  # each phase and attempt of the default refresh's requests
# Asked about: what has a job whose status may still change (CREATED has none yet).
UNFINISHED = frozenset({JournalState.QUEUED, JournalState.PROCESSING, JournalState.PENDING})


class HeldBack(StrEnum):
    CAP = "cap"  # more unfinished entries than one refresh asks about
    BUDGET = "budget"  # the rate-limit budget (or its reserve) is spent


@dataclass(frozen=True)
class RefreshPolicy:
    forced: bool = False
    poll_plan: PollPlan = field(default_factory=PollPlan)  # its reserve

    @property
    def cap(self) -> int:
        """Status requests at most, per refresh."""
        return FORCED_STATUS_REQUESTS if self.forced else DEFAULT_STATUS_REQUESTS

    def may_send(self, budget: Budget | None, sent: int) -> bool:
        """Whether one more request may go, `sent` having gone in this refresh, with the
        budget as the latest answer left it (None: unknown)."""
        if budget is None:
            return self.forced or sent < UNKNOWN_BUDGET_REQUESTS
        if budget.limit <= 0:  # refused (429) without a limit: nothing is left
            return False
        keep = 0 if self.forced else self.poll_plan.reserve(budget.limit)
        return budget.remaining > keep


def unfinished(entries: Sequence[JournalEntry], base_url: str) -> list[JournalEntry]:
    """The entries whose status the server at `base_url` can be asked, in listing order."""
    return [entry for entry in entries if entry.base_url == base_url
            and entry.state in UNFINISHED and entry.job_id is not None]


def confirmed(entries: Sequence[JournalEntry], base_url: str) -> list[JournalEntry]:
    """The confirmed entries of `base_url` that name their booking: which may have been
    cancelled since."""
    return [entry for entry in entries if entry.base_url == base_url
            and entry.state == JournalState.CONFIRMED and entry.booking_id is not None]


def refreshable(entries: Sequence[JournalEntry], base_url: str, *, forced: bool) -> bool:
    """Whether a refresh would ask the server at `base_url` anything at all."""
    return bool(unfinished(entries, base_url) or (forced and confirmed(entries, base_url)))


def asking(client: ApiClient, entries: Sequence[JournalEntry], base_url: str,
           policy: RefreshPolicy) -> tuple[int, int]:
    """What a refresh under `policy` would ask the server at `base_url` about, at most:
    how many unfinished bookings (a status request each), and how many confirmed ones
    (one list) for whether they were cancelled; (0, 0) when the budget allows nothing."""
    if not policy.may_send(current_budget(client), sent=0):
        return 0, 0
    statuses = min(len(unfinished(entries, base_url)), policy.cap)
    return statuses, len(confirmed(entries, base_url)) if policy.forced else 0


def elsewhere(entries: Sequence[JournalEntry], base_url: str) -> int:
    """How many entries a forced refresh would ask about, were they not of another server
    than `base_url`."""
    servers = {entry.base_url for entry in entries} - {base_url}
    return sum(len(unfinished(entries, url)) + len(confirmed(entries, url)) for url in servers)


@dataclass
class RefreshResult:
    sent: int = 0  # requests sent (answered or not)
    changed: list[JournalEntry] = field(default_factory=list)  # entries whose state changed
    unknown_jobs: list[str] = field(default_factory=list)  # job ids the server does not know
    not_asked: int = 0  # unfinished entries left as the journal has them
    held_back: HeldBack | None = None  # why some were not asked
    budget: RateLimitInfo | None = None  # the budget as last announced
    failure: SeatctlError | None = None  # the failure that ended the refresh

    @property
    def cancelled(self) -> list[JournalEntry]:
        return [entry for entry in self.changed if entry.state == JournalState.CANCELLED]


def refresh(client: ApiClient, journal: Journal, entries: Sequence[JournalEntry], *,
            base_url: str, policy: RefreshPolicy) -> RefreshResult:
    """Ask the server at `base_url` (through `client`) about `entries` (a listing, newest
    first) as `policy` allows; the journal is updated with every answer."""
    result = RefreshResult()
    due = unfinished(entries, base_url)
    for number, entry in enumerate(due):
        if number >= policy.cap:
            result.not_asked, result.held_back = len(due) - number, HeldBack.CAP
            break
        if not _may_send(client, policy, result):
            result.not_asked, result.held_back = len(due) - number, HeldBack.BUDGET
            break
        if not _ask_status(client, journal, entry, result):
            result.not_asked = len(due) - number  # this one too: its answer never came
            return result
    if policy.forced:
        _check_cancellations(client, journal, confirmed(entries, base_url), base_url,
                             policy, result)
    result.budget = client.budget.known
    return result


def _ask_status(client: ApiClient, journal: Journal, entry: JournalEntry,
                result: RefreshResult) -> bool:
    """One status request; False when it failed in a way that ends the refresh."""
    assert entry.job_id is not None
    result.sent += 1
    try:
        answer = job_status(client, entry.job_id)
    except NotFound:
        result.unknown_jobs.append(entry.job_id)
        return True
    except SeatctlError as error:
        result.failure, result.budget = error, client.budget.known
        return False
    update = WatchUpdate(UpdateKind.STATE, entry.job_id, interpret(answer.status),
                         answer.status, polls=1, elapsed=0.0)
    record_updates(journal, entry.key)(update)
    _note_change(journal, entry, result)
    return True


def _check_cancellations(client: ApiClient, journal: Journal, listed: list[JournalEntry],
                         base_url: str, policy: RefreshPolicy, result: RefreshResult) -> None:
    """ONE `GET /api/bookings/my`: the listed confirmed bookings it reports cancelled are
    marked so in the journal."""
    if not listed or result.failure is not None:
        return
    if not _may_send(client, policy, result):
        result.held_back = result.held_back or HeldBack.BUDGET
        return
    result.sent += 1
    try:
        mine = my_bookings(client)
    except SeatctlError as error:
        result.failure = error
        return
    wanted = {entry.booking_id for entry in listed}
    for booking in mine.bookings:
        if booking.id in wanted and booking.status == BookingStatus.CANCELLED:
            result.changed.extend(journal.mark_cancelled(booking.id, base_url=base_url))


def _note_change(journal: Journal, before: JournalEntry, result: RefreshResult) -> None:
    after = journal.get(before.key)
    if after is not None and after.state != before.state:
        result.changed.append(after)


def _may_send(client: ApiClient, policy: RefreshPolicy, result: RefreshResult) -> bool:
    if policy.may_send(current_budget(client), result.sent):
        return True
    result.budget = client.budget.known
    return False


def current_budget(client: ApiClient) -> Budget | None:
    """The client's rate-limit budget as the poll plan reads it (as the watch does)."""
    info = client.budget.known
    if info is None:
        return None
    return Budget(info.limit, info.remaining, client.budget.reset_in())
