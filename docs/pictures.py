"""The README's pictures, drawn by seatctl's own renderers against the reference server.

    python docs/pictures.py [--out DIR]        # default: docs/images

It starts the reference server in this process (a free loopback port, a temporary database,
Node's default timeouts), logs in to the demo account (the token stays in memory), books a
few seats of the demo event through seatctl.booking (with a temporary journal), runs
`doctor --quick` against the server, and records what the commands would show into Rich
consoles of a fixed width, in colour, saved as SVGs:

* seatmap.svg: `seatctl seats symphony` after those bookings (free, booked and blocked seats);
* watch.svg: `seatctl book`'s live watch of one booking, its final frame (confirmed);
* doctor.svg: the `seatctl doctor --quick` report (Node's 6 s idle close found).

Measured numbers, ids and dates differ from run to run; the rest is fixed (width, titles,
the SVG ids), so tests/test_pictures.py can tell a stale picture from a fresh one. Run this
after changing a renderer. It takes about 8 s, most of it the doctor's wait for the idle
close.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from seatctl.api.endpoints import login
from seatctl.api.models import Event
from seatctl.booking.book import BookingFlow
from seatctl.booking.events import resolve_event, seat_map_for
from seatctl.booking.journal import Journal, JournalEntry
from seatctl.booking.labels import resolve_labels
from seatctl.booking.status import JobState
from seatctl.booking.target import BookingTarget
from seatctl.booking.watch import Watcher, WatchUpdate
from seatctl.clock import SystemClock
from seatctl.diagnostics import DoctorPlan, DoctorRun, build_report, run_doctor
from seatctl.diagnostics.runs import ProbeState
from seatctl.errors import SeatctlError
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
from seatctl.render.doctor import render_report
from seatctl.render.seatmap import render_seat_map
from seatctl.render.streams import IOStreams
from seatctl.render.watch import WatchDisplay, submitted_line
from seatctl.server import PRESETS, Preset, ReferenceServer, ServerConfig, serving_in_thread

DEFAULT_OUT = Path(__file__).resolve().parent / "images"
WIDTH = 100
PROFILE = "default"
EVENT = "symphony"
WATCHED_SEATS = ("Orchestra:E10", "Orchestra:E11")
# Booked first and quietly, so that the seat map shows bookings in every section.
OTHER_BOOKINGS = (
    ("Orchestra:C4", "Orchestra:C5", "Orchestra:C6"),
    ("Mezzanine:B14", "Mezzanine:B15"),
    ("Balcony:G8", "Balcony:G9", "Balcony:G10", "Balcony:G11"),
)
WATCH_TIMEOUT = 10.0  # seconds; a job takes about 0.5 s (the server's process delay)
DOCTOR_MAX_WAIT = 8.0  # enough for Node's 6 s idle close, with room for a loaded machine
CLIENT_TIMEOUTS = Timeouts(connect=5.0, read=10.0, write=10.0, pool=5.0)
CLIENT_RETRIES = RetryPolicy(retries=2, deadline=20.0)
FROZEN_TIME = 0.0  # the recording consoles' clock: the watch's spinner shows its first frame


@dataclass(frozen=True)
class Picture:
    name: str  # the file is NAME.svg
    title: str  # the window title drawn in the SVG
    console: Console


class PictureError(Exception):
    """A step that should have worked against the reference server did not."""


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 with the paths written on stdout; 2 for a bad --out; 1 when a step failed."""
    parser = argparse.ArgumentParser(
        prog="python docs/pictures.py",
        description="Draw the README's pictures (SVG) against the reference server.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder for the SVGs (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out} is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {out}: cannot create the folder: {exc.strerror}")
    try:
        written = make_pictures(out)
    except (PictureError, SeatctlError) as exc:
        print(f"pictures: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def make_pictures(out: Path) -> list[Path]:
    """Draw every picture and write it into the folder `out`; the paths written."""
    with tempfile.TemporaryDirectory(prefix="seatctl-pictures-") as workdir:
        config = ServerConfig(port=0, db=str(Path(workdir) / "server.db"),
                              timeouts=PRESETS[Preset.NODE_DEFAULT])
        with serving_in_thread(config) as server:
            with logged_in(server) as client, Journal(Path(workdir) / "journal.db") as journal:
                bookings = DemoBookings(client, journal, server.url)
                pictures = [bookings.watch_picture(), bookings.seat_map_picture()]
            pictures.append(doctor_picture(server.url))
    return [save(picture, out) for picture in pictures]


def save(picture: Picture, out: Path) -> Path:
    path = out / f"{picture.name}.svg"
    # A fixed unique_id: without it Rich hashes the content, and every run renames every id.
    picture.console.save_svg(str(path), title=picture.title, unique_id=f"seatctl-{picture.name}")
    return path


# --- consoles ---------------------------------------------------------------------------


def recording_console() -> Console:
    """A terminal of WIDTH columns in truecolor whatever the environment says (NO_COLOR,
    COLUMNS), printing nowhere but into its record; quiet like seatctl's own consoles."""
    return Console(file=io.StringIO(), record=True, width=WIDTH,
                   color_system="truecolor", force_terminal=True, no_color=False,
                   legacy_windows=False, markup=False, emoji=False, highlight=False,
                   get_time=lambda: FROZEN_TIME)


def streams_into(console: Console) -> IOStreams:
    """The streams of a terminal whose stdout and stderr both show in `console`."""
    return IOStreams(out=console, err=console, stdin_is_tty=False, stdout_is_tty=True,
                     stderr_is_tty=True)


# --- the booking pictures ---------------------------------------------------------------


@contextmanager
def logged_in(server: ReferenceServer) -> Iterator[ApiClient]:
    """A client of the one HTTP core, carrying the demo account's token (kept in memory)."""
    config = ClientConfig(base_url=server.url, timeouts=CLIENT_TIMEOUTS, retry=CLIENT_RETRIES)
    with ApiClient(config) as anonymous:
        token = login(anonymous, server.config.demo_email, server.config.demo_password).token
    with ApiClient(replace(config, token=token)) as client:
        yield client


class DemoBookings:
    """Bookings of the demo event, one of them watched; then its seat map."""

    def __init__(self, client: ApiClient, journal: Journal, base_url: str) -> None:
        self.client = client
        self.journal = journal
        self.base_url = base_url
        self.clock = SystemClock()
        self.event: Event = resolve_event(client, EVENT)
        self.empty_seat_map = seat_map_for(client, self.event)  # where labels are looked up

    def watch_picture(self) -> Picture:
        """Book the other seats (not watched), then WATCHED_SEATS with the live view's
        display: the picture is its last frame, under the line `book` prints first."""
        others = [self._flow().book(self._target(seats), wait=False).entry
                  for seats in OTHER_BOOKINGS]
        console = recording_console()
        streams = streams_into(console)
        with WatchDisplay(streams, self.clock, live=False, quiet=True) as display:
            def submitted(entry: JournalEntry) -> None:
                display.job_id = entry.job_id or ""
                submitted_line(streams, entry)

            outcome = self._flow(display.update, submitted).book(self._target(WATCHED_SEATS))
            frame = display._frame()  # the renderable the live view shows, as it last drew it
        if outcome.watch is None or outcome.watch.state is not JobState.CONFIRMED:
            raise PictureError(f"the watched booking ended {outcome.entry.state}, "
                               f"not confirmed: {outcome.entry.message}")
        console.print(frame)
        for entry in others:
            self._confirmed(entry)
        title = f"seatctl book {EVENT} --seats {','.join(WATCHED_SEATS)}"
        return Picture("watch", title, console)

    def seat_map_picture(self) -> Picture:
        console = recording_console()
        seat_map = seat_map_for(self.client, self.event)
        render_seat_map(streams_into(console), seat_map, available_only=False, as_json=False)
        return Picture("seatmap", f"seatctl seats {EVENT}", console)

    def _target(self, labels: Sequence[str]) -> BookingTarget:
        seats = resolve_labels(self.empty_seat_map, list(labels))
        return BookingTarget(profile=PROFILE, base_url=self.base_url, event_id=self.event.id,
                             event_name=self.event.name, seat_ids=tuple(s.id for s in seats),
                             seat_labels=tuple(s.display for s in seats))

    def _flow(self, on_update: Callable[[WatchUpdate], None] | None = None,
              on_submitted: Callable[[JournalEntry], None] | None = None) -> BookingFlow:
        watcher = Watcher(self.client, self.clock, timeout=WATCH_TIMEOUT,
                          on_update=on_update or (lambda update: None))
        return BookingFlow(self.client, self.journal, self.clock, watcher,
                           on_submitted=on_submitted or (lambda entry: None))

    def _confirmed(self, entry: JournalEntry) -> None:
        """Wait for an unwatched booking, so that the seat map shows its seats booked."""
        if entry.job_id is None:
            raise PictureError(f"the booking of {', '.join(entry.seat_labels)} got no job")
        result = self._flow().watch_entry(entry, entry.job_id)
        if result.state is not JobState.CONFIRMED:
            raise PictureError(f"the booking of {', '.join(entry.seat_labels)} ended "
                               f"{result.state.value}, not confirmed")


# --- the doctor picture -----------------------------------------------------------------


def doctor_picture(url: str) -> Picture:
    """`seatctl doctor --quick` against the embedded server: the full report."""
    run = DoctorRun(DoctorPlan(url=url, quick=True, max_wait=DOCTOR_MAX_WAIT))
    asyncio.run(run_doctor(run))
    unfinished = [f"{probe.value}: {record.error or record.state.value}"
                  for probe, record in run.runs.items()
                  if record.state not in (ProbeState.DONE, ProbeState.SKIPPED)]
    if unfinished:
        raise PictureError(f"doctor probes did not finish: {'; '.join(unfinished)}")
    console = recording_console()
    render_report(streams_into(console), build_report(run), as_json=False)
    return Picture("doctor", "seatctl doctor --quick", console)


if __name__ == "__main__":
    sys.exit(main())
