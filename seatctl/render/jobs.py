"""Rendering `seatctl jobs`: the journal's recent bookings, and how to resume pending ones."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from seatctl.render.events import local_time
from seatctl.render.sanitize import printable
from seatctl.render.states import glyph_and_style

if TYPE_CHECKING:
    from seatctl.booking.journal import JournalEntry
    from seatctl.render.streams import IOStreams

MAX_ID_WIDTH = 40
DATE_WIDTH = 10  # 2026-11-29, the time under it
GAP = 3  # between two columns


def jobs_document(entries: Sequence[JournalEntry]) -> dict[str, Any]:
    """`--json`: every field of every entry, plus `job_id` (the newest) and `pending`."""
    return {"jobs": [entry.as_dict() for entry in entries]}


def render_jobs(streams: IOStreams, entries: Sequence[JournalEntry], *, as_json: bool,
                profile: str, pending_only: bool, command: Sequence[str] = ("seatctl",),
                base_url: str | None = None) -> None:
    """`command` is how to call seatctl in the hints (with `--profile P` if one was given);
    a booking made against a server other than `base_url` gets `--base-url` in its hint."""
    if as_json:
        streams.write_data(json.dumps(jobs_document(entries)))
    if not entries:
        kind = "pending bookings" if pending_only else "bookings"
        streams.err.print(f"no {kind} in the journal for profile {printable(profile)!r} yet",
                          soft_wrap=True)
        return
    if as_json:
        return
    streams.out.print(jobs_table(entries, streams.out.width))
    for line in resume_hints(entries, command, base_url):
        streams.err.print(line, soft_wrap=True)


def jobs_table(entries: Sequence[JournalEntry], width: int = 80) -> Table:
    """Four columns, two lines per booking, so that 80 columns hold whole ids.

    The widths are worked out here rather than left to Rich: when a table is too wide, Rich
    crops its right edge, and that would cut the ids.
    """
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False,
                  header_style="bold")
    id_width = max(len(printable(value or "-")) for entry in entries
                   for value in (entry.job_id, entry.booking_id, "job / booking"))
    id_width = min(id_width, MAX_ID_WIDTH, max(8, width - 41))
    text_width = max(22, width - DATE_WIDTH - 3 * GAP - id_width)
    # A seat label is one token ("Orchestra:E10,"): folding it mid-label misleads.
    longest_label = max((len(label) + 1 for entry in entries
                         for label in seats(entry).split(", ")), default=0)
    event_width = min(max(10, text_width * 2 // 5, longest_label), text_width - 12)
    table.add_column("created", no_wrap=True, width=DATE_WIDTH)
    table.add_column("event / seats", max_width=event_width, overflow="fold")
    table.add_column("state / message", max_width=max(12, text_width - event_width),
                     overflow="fold")
    # Ids are what other commands take: whole where they fit, folded (never cut) otherwise.
    table.add_column("job / booking", width=id_width, overflow="fold")
    for entry in entries:
        table.add_row(
            local_time(entry.created_at).replace(" ", "\n"),
            Text.assemble((printable(entry.event_name or entry.event_id), "bold"), "\n",
                          seats(entry)),
            Text.assemble(state_text(entry.state), "\n",
                          (printable(entry.message or ""), "dim")),
            Text.assemble(printable(entry.job_id or "-"), "\n",
                          (printable(entry.booking_id or "-"), "dim")),
        )
    return table


def state_text(state: str) -> Text:
    glyph, style = glyph_and_style(state)
    return Text(f"{glyph} {printable(state)}", style)


def seats(entry: JournalEntry) -> str:
    """Seat labels (or ids, when no labels were recorded), or `xN` for general admission."""
    if entry.quantity is not None:
        return f"x{entry.quantity}"
    return ", ".join(printable(seat) for seat in (entry.seat_labels or entry.seat_ids))


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
