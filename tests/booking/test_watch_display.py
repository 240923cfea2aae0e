"""What the watch shows: a live frame on a terminal, plain lines elsewhere."""

from __future__ import annotations

from seatctl.api.models import JobStatus
from seatctl.booking.status import JobState
from seatctl.booking.watch import UpdateKind, WatchUpdate
from seatctl.clock import ManualClock
from seatctl.render.streams import IOStreams
from seatctl.render.watch import WatchDisplay


def update(kind: UpdateKind, state: JobState | None, polls: int, message: str | None = None,
           warning: str | None = None, position: int | None = None) -> WatchUpdate:
    status = None if state is None else JobStatus.model_validate(
        {"success": state is JobState.CONFIRMED, "message": message,
         "queuePosition": position})
    return WatchUpdate(kind, "job-7", state, status, polls, 1.5, warning)


def test_plain_lines_one_per_state_change_and_per_warning() -> None:
    streams = IOStreams.test()
    with WatchDisplay(streams, ManualClock(10.0), live=False) as display:
        display.update(update(UpdateKind.STATE, JobState.QUEUED, 1, "Booking is under "
                              "processing...", position=2))
        display.update(update(UpdateKind.POLL, JobState.QUEUED, 2))
        display.update(update(UpdateKind.WARNING, JobState.QUEUED, 3,
                              warning="502 Bad Gateway from a proxy"))
        display.update(update(UpdateKind.STATE, JobState.CONFIRMED, 4, "Successfully booked"))
    lines = streams.err_text().splitlines()
    assert len(lines) == 3
    assert "queued (position 2 in the queue)" in lines[0]
    assert lines[1].startswith("warning: 502 Bad Gateway") and "still watching" in lines[1]
    assert "confirmed" in lines[2] and "Successfully booked" in lines[2]


def test_the_live_frame_shows_state_elapsed_polls_message_and_warnings() -> None:
    streams = IOStreams.test(tty=True)
    clock = ManualClock(10.0)
    display = WatchDisplay(streams, clock, live=True)
    display.update(update(UpdateKind.STATE, JobState.PROCESSING, 3, "Booking is under "
                          "processing..."))
    display.update(update(UpdateKind.WARNING, JobState.PROCESSING, 4,
                          warning="connection reset by 127.0.0.1:8080"))
    clock.now += 2.0
    with streams.err.capture() as captured:
        streams.err.print(display._frame())
    frame = captured.get()
    for expected in ("watching job job-7", "processing", "3.5s", "polls", "4",
                     "Booking is under processing...", "warning: connection reset"):
        assert expected in frame, (expected, frame)


def test_json_mode_prints_nothing_while_watching() -> None:
    streams = IOStreams.test()
    with WatchDisplay(streams, ManualClock(10.0), live=False, quiet=True) as display:
        display.update(update(UpdateKind.STATE, JobState.QUEUED, 1))
    assert streams.err_text() == "" and streams.out_text() == ""
