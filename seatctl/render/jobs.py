"""Rendering `seatctl jobs`: the journal's recent bookings (a table, tab-separated rows, JSON
or their ids), how to resume pending ones, and what refreshing them from the server did."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from seatctl.render.sanitize import printable
from seatctl.render.states import glyph_and_style
from seatctl.render.tables import (
    Column,
    OutputFormat,
    cell_width,
    fit,
    iso_time,
    laid_out,
    local_time,
    longest_line,
    packed,
    print_table,
    wall_now,
    write_tsv,
)
from seatctl.render.tokens import wrap

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.refresh import RefreshResult
    from seatctl.render.streams import IOStreams


def jobs_document(entries: Sequence[JournalEntry]) -> dict[str, Any]:
    """`--json`: every field of every entry, plus `job_id` (the newest) and `pending`;
    `created_at` and `updated_at` in ISO 8601 with an offset (`Z`: UTC)."""
    return {"jobs": [entry.as_dict() for entry in entries]}


def render_jobs(streams: IOStreams, entries: Sequence[JournalEntry], *, as_json: bool,
                profile: str, pending_only: bool, command: Sequence[str] = ("seatctl",),
                base_url: str | None = None, output: OutputFormat = OutputFormat.TABLE,
                quiet: bool = False, now: datetime | None = None) -> None:
    """`command` is how to call seatctl in the hints (with `--profile P` if one was given);
    a booking made against a server other than `base_url` gets `--base-url` in its hint."""
    as_json = as_json or output is OutputFormat.JSON
    if as_json:
        streams.write_data(json.dumps(jobs_document(entries)))
    if not entries:
        kind = "pending bookings" if pending_only else "bookings"
        streams.err.print(f"no {kind} in the journal for profile {printable(profile)!r} yet",
                          soft_wrap=True)
        return
    if as_json:
        return
    if quiet:  # the ids alone, for xargs: no hints either
        for entry in entries:
            streams.write_data(printable(entry.job_id or entry.key))
        return
    if output is OutputFormat.TSV:
        write_tsv(streams, (job_fields(entry) for entry in entries))
    else:
        print_jobs_table(streams.out, entries, now or wall_now())
    width = streams.err.width if streams.stderr_is_tty else None  # a pipe: one line each
    for line in resume_hints(entries, command, base_url):
        streams.err.print(wrap(line, width, indent=len("hint: ")), soft_wrap=True)


# The tab-separated fields of `seatctl jobs` (README: Output for pipes). Append only.
TSV_FIELDS = ("job", "state", "created", "event", "seats", "booking", "key", "message",
              "base_url")


def job_fields(entry: JournalEntry) -> list[object]:
    return [entry.job_id, entry.state, iso_time(entry.created_at),
            entry.event_name or entry.event_id, seats(entry, separator=","), entry.booking_id,
            entry.key, entry.message, entry.base_url]


def print_jobs_table(console: Console, entries: Sequence[JournalEntry], now: datetime
                     ) -> None:
    """Four columns, a booking over two lines or more: when it was made (the day over the
    time), the event over its seats, the state over the server's message, the job id over
    the booking id; a fifth, the server's base URL, when the bookings are of more than one.
    Ids, URLs and seat labels are whole, never wrapped; too narrow a terminal drops the
    time, then the server, then the event, before it would cut them."""
    created = ["\n".join(local_time(entry.created_at, now)) for entry in entries]
    labels = [label for entry in entries for label in _seat_list(entry)]
    states = [state_text(entry.state).plain for entry in entries]
    columns = [
        Column.fixed("created", created, drop=1),
        Column.prose("event / seats", [f"{_event(entry)}\n{seats(entry)}" for entry in entries],
                     least=max((cell_width(label) + 1 for label in labels), default=0), drop=2),
        Column.prose("state / message", [f"{state}\n{printable(entry.message or '')}"
                                         for entry, state in zip(entries, states, strict=True)],
                     least=longest_line(states), drop=3),
        Column.fixed("job / booking", [f"{printable(entry.job_id or '-')}\n"
                                       f"{printable(entry.booking_id or '-')}"
                                       for entry in entries]),
    ]
    servers = len({entry.base_url for entry in entries}) > 1
    if servers:
        columns.append(Column.fixed("server", [printable(entry.base_url)
                                               for entry in entries], drop=1))
    widths = fit(columns, console.width)
    rows = [_job_row(entry, when, widths) for entry, when in zip(entries, created, strict=True)]
    if servers:
        rows = [[*row, Text(printable(entry.base_url), "dim")]
                for row, entry in zip(rows, entries, strict=True)]
    print_table(console, columns, widths, rows)


def _job_row(entry: JournalEntry, created: str, widths: Sequence[int | None]) -> list[Text]:
    event_width, state_width = widths[1] or 0, widths[2] or 0
    return [
        Text(created),
        Text.assemble((laid_out(_event(entry), event_width), "bold"), "\n",
                      "\n".join(packed(_seat_list(entry), event_width))),
        Text.assemble(state_text(entry.state), "\n",
                      (laid_out(printable(entry.message or ""), state_width), "dim")),
        Text.assemble(printable(entry.job_id or "-"), "\n",
                      (printable(entry.booking_id or "-"), "dim")),
    ]


def _event(entry: JournalEntry) -> str:
    return printable(entry.event_name or entry.event_id)


def state_text(state: str) -> Text:
    glyph, style = glyph_and_style(state)
    return Text(f"{glyph} {printable(state)}", style)


def _seat_list(entry: JournalEntry) -> list[str]:
    if entry.quantity is not None:
        return [f"x{entry.quantity}"]
    return [printable(seat) for seat in (entry.seat_labels or entry.seat_ids)]


def seats(entry: JournalEntry, *, separator: str = ", ") -> str:
    """Seat labels (or ids, when no labels were recorded), or `xN` for general admission."""
    return separator.join(_seat_list(entry))


def resume_hints(entries: Sequence[JournalEntry], command: Sequence[str],
                 base_url: str | None = None) -> list[Text]:
    """How to pick up each pending booking: watch its job, or send it again with its key.
    A booking made against another server than `base_url` is resumed against that one."""
    hints = []
    newest_pending: dict[str, JournalEntry] = {}  # per server: what `book --resume` picks
    for entry in entries:
        if entry.pending:
            newest_pending.setdefault(entry.base_url, entry)
    for entry in entries:
        if not entry.pending and entry.state != "refused":
            continue
        call = list(command)
        if base_url is not None and entry.base_url != base_url:
            call += ["--base-url", entry.base_url]
        if entry.state == "refused":
            action = (f"{entry.event_name or entry.event_id} ({seats(entry)}) was refused "
                      f"({entry.message or 'not authorised'}): log in (`"
                      f"{shlex.join([*call, 'login'])}`), then run the same "
                      f"`{shlex.join([*call, 'book'])} ...` again to send it with its key")
        elif entry.job_id is not None:
            action = f"resume watching with `{shlex.join([*call, 'watch', entry.job_id])}`"
        else:  # written before the POST, whose answer never came: send it again, same key
            action = (f"{entry.event_name or entry.event_id} ({seats(entry)}) was not "
                      f"answered: run the same `{shlex.join([*call, 'book'])} ...` again")
            if entry is newest_pending[entry.base_url]:
                action += f" (or `{shlex.join([*call, 'book', '--resume'])}`)"
            action += " to send it with its key"
        hints.append(Text.assemble(("hint: ", "yellow"), printable(action)))
    return hints


def refresh_notes(streams: IOStreams, result: RefreshResult, *, base_url: str, forced: bool,
                  command: Sequence[str] = ("seatctl",)) -> None:
    """What a refresh from the server at `base_url` could not do, one note each: it
    failed (the journal's states are shown), the budget or the cap left bookings
    unasked, the server did not know a job."""
    from seatctl.booking.refresh import FORCED_STATUS_REQUESTS, HeldBack
    from seatctl.render.messages import note

    if result.failure is not None:
        note(streams, f"could not refresh from {base_url}: {result.failure.message}; "
                      "states as the journal has them")
    elif result.held_back is HeldBack.BUDGET:
        unasked = (f"{_bookings(result.not_asked, 'unfinished booking')} not asked about"
                   if result.not_asked else "cancellations not checked")
        if result.budget is None:  # the default refresh's one probe told nothing
            note(streams, f"{unasked}: the server announces no rate limit; "
                          f"`{shlex.join([*command, 'jobs', '--refresh'])}` asks anyway")
        else:
            note(streams, f"{unasked}, to spare the rate limit "
                          f"({result.budget.describe(wall_now().timestamp())})")
    elif result.held_back is HeldBack.CAP:
        more = f"{_bookings(result.not_asked, 'more unfinished booking')} not asked about"
        if forced:
            note(streams, f"{more} (at most {FORCED_STATUS_REQUESTS} a run)")
        else:
            note(streams, f"{more}: `{shlex.join([*command, 'jobs', '--refresh'])}` asks "
                          f"about up to {FORCED_STATUS_REQUESTS}")
    if result.unknown_jobs:
        note(streams, f"the server does not know job {', '.join(result.unknown_jobs)} "
                      "(any more): as the journal has it")


def not_refreshed_note(streams: IOStreams, *, others: int, logged_out: str | None) -> None:
    """`jobs --refresh` that could not ask about some bookings: those of other servers
    (their token is not this profile's), or all of them when not logged in."""
    from seatctl.render.messages import note

    if logged_out is not None:
        note(streams, f"not logged in to {logged_out}: its bookings are as the journal has "
                      "them (seatctl login)")
    if others:
        note(streams, f"{_bookings(others, 'booking')} of other servers as the journal has "
                      "them: refresh them with that server's --base-url")


def _bookings(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
