"""Rendering `seatctl jobs`: the journal's recent bookings (a table, tab-separated rows, JSON
or their ids), how to resume pending ones, and what refreshing them from the server did."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

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
    table_width,
    wall_now,
    write_tsv,
)
from seatctl.render.tokens import say, wrap
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from seatctl.booking.journal import JournalEntry
    from seatctl.booking.refresh import RefreshResult
    from seatctl.render.streams import IOStreams


def jobs_document(entries: Sequence[JournalEntry]) -> dict[str, Any]:
    """`--json`: every field of every entry, plus `job_id` (the newest) and `pending`;
    `created_at` and `updated_at` in ISO 8601 with an offset (`Z`: UTC)."""
    return {"jobs": [entry.as_dict() for entry in entries]}


def render_job_id(streams: IOStreams, entry: JournalEntry, *, as_json: bool) -> None:
    """`book --no-wait`: the job id, for scripts (with --json: the job id, key and state)."""
    if as_json:
        streams.write_data(json.dumps({"jobId": entry.job_id, "key": entry.key,
                                       "state": entry.state}))
    else:
        streams.write_data(entry.job_id or "")


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
    the booking id; a fifth, the server, when the bookings are of more than one (`servers`:
    its base URL, or a shorter mark when that does not fit). Ids, URLs and seat labels are
    whole, never wrapped; too narrow a terminal drops the time, then the event, before it
    would cut them."""
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
    marks, legend = servers(entries, columns, console.width)
    if marks:
        columns.append(Column.fixed("server", marks.values()))
    widths = fit(columns, console.width)
    rows = [_job_row(entry, when, widths) for entry, when in zip(entries, created, strict=True)]
    if marks:
        rows = [[*row, Text(marks[entry.base_url], "dim")]
                for row, entry in zip(rows, entries, strict=True)]
    print_table(console, columns, widths, rows)
    for line in legend:
        console.print(Text(line, "dim"), soft_wrap=True)


def servers(entries: Sequence[JournalEntry], columns: Sequence[Column], width: int
            ) -> tuple[dict[str, str], list[str]]:
    """What the server column says for each base URL, and the legend lines under the table
    that key its marks: nothing for bookings of one server. The whole base URL when the
    table has room for it in `width` beside what it shows of `columns`, else `host:port`,
    else a number (`server 2: https://...` in the legend): rows of two servers never look
    alike, and the column costs no other."""
    urls = list(dict.fromkeys(entry.base_url for entry in entries))
    if len(urls) < 2:
        return {}, []
    shown = [column_width is not None for column_width in fit(columns, width)]
    for marks in ({url: printable(url) for url in urls}, _host_ports(urls)):
        widths = fit([*columns, Column.fixed("server", marks.values())], width)
        if marks and table_width(widths) <= width and \
                [column_width is not None for column_width in widths] == [*shown, True]:
            return marks, []
    numbers = {url: str(number) for number, url in enumerate(urls, 1)}
    return numbers, [f"server {number}: {printable(url)}" for url, number in numbers.items()]


def _host_ports(urls: Sequence[str]) -> dict[str, str]:
    """`host:port` (the host alone when the URL names no port) for each URL; empty when
    two URLs would look alike (they differ in scheme or path only)."""
    from urllib.parse import urlsplit

    marks = {}
    for url in urls:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            return {}
        host = parts.hostname or url
        marks[url] = printable(f"[{host}]" if ":" in host else host) + (
            f":{port}" if port is not None else "")
    return marks if len(set(marks.values())) == len(marks) else {}


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
    from seatctl.booking.refresh import FORCED_STATUS_REQUESTS, UNASKED_PATIENCE_S, HeldBack
    from seatctl.errors import PhaseTimeout
    from seatctl.render.messages import note

    if result.failure is not None:
        why = result.failure.message
        if isinstance(result.failure, PhaseTimeout) and not forced:  # its short timeouts
            why = (f"no answer within {UNASKED_PATIENCE_S:g} s (`"
                   f"{shlex.join([*command, 'jobs', '--refresh'])}` waits longer)")
        note(streams, f"could not refresh from {base_url}: {why}; states as the journal "
                      "has them")
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


@contextmanager
def refreshing(streams: IOStreams, *, base_url: str, statuses: int, confirmed: int,
               announce: bool) -> Iterator[None]:
    """While a refresh asks the server at `base_url` about `statuses` unfinished bookings
    (and whether `confirmed` confirmed ones were cancelled): on a terminal a spinner on
    stderr saying so; elsewhere that line once, when `announce` (the refresh was asked
    for and may wait the full timeouts; the default one's requests are short)."""
    if not statuses and not confirmed:  # nothing will be sent
        yield
        return
    text = asking_text(base_url, statuses=statuses, confirmed=confirmed)
    if streams.can_animate:
        from rich.status import Status

        with Status(Text(text), console=streams.err):
            yield
        return
    if announce:
        say(streams.err, Text(text, style="dim"))
    yield


def asking_text(base_url: str, *, statuses: int, confirmed: int) -> str:
    """`asking http://host:8080 about 3 unfinished bookings…` (and whether N confirmed
    ones were cancelled)."""
    parts = []
    if statuses:
        parts.append(f"about {_bookings(statuses, 'unfinished booking')}")
    if confirmed:
        noun = ("one" if statuses else "booking") + ("" if confirmed == 1 else "s")
        parts.append(f"whether {confirmed} confirmed {noun} "
                     f"{'was' if confirmed == 1 else 'were'} cancelled")
    return f"asking {printable(base_url)} {' and '.join(parts)}…"


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
