"""The live view of `seatctl monitor`: its pure parts, then a run on a terminal."""

from __future__ import annotations

from seatctl.diagnostics.failures import FailureKind
from seatctl.monitor.incidents import Failure, Outcome
from seatctl.monitor.run import OutcomeLevel, PerSecond, outcome_level
from seatctl.render.monitor import (
    LEVEL_LOOK,
    NOTHING_SENT,
    axis_row,
    level_look,
    marker_row,
    visible_seconds,
)
from seatctl.server import parse_fault
from tests.cli.terminal import on_tty
from tests.conftest import StartServer


def outcome(*, status: int | None = 200, seconds: float | None = 0.01,
            failure: FailureKind | None = None) -> Outcome:
    return Outcome(at=0.0, wall="", method="GET", path="/health", reused=False,
                   connection_age=0.0, idle=0.0, seconds=None if failure else seconds,
                   status=None if failure else status,
                   failure=Failure(failure, "x") if failure else None)


def test_each_sample_gets_the_level_of_what_it_came_to() -> None:
    assert outcome_level(outcome(), slow=1.0) is OutcomeLevel.OK
    assert outcome_level(outcome(seconds=2.0), slow=1.0) is OutcomeLevel.SLOW
    assert outcome_level(outcome(status=404), slow=1.0) is OutcomeLevel.ERROR_STATUS
    assert outcome_level(outcome(status=502), slow=1.0) is OutcomeLevel.GATEWAY
    assert outcome_level(outcome(failure=FailureKind.TIMEOUT), slow=1.0) is OutcomeLevel.FAILED
    assert outcome_level(outcome(failure=FailureKind.RESET), slow=1.0) is OutcomeLevel.CUT
    assert outcome_level(outcome(failure=FailureKind.CLOSED), slow=1.0) is OutcomeLevel.CUT
    assert outcome_level(outcome(failure=FailureKind.REFUSED), slow=1.0) is OutcomeLevel.REFUSED


def test_a_second_counts_its_samples_and_shows_its_worst() -> None:
    buckets = PerSecond(keep=10)
    buckets.add(0.2, OutcomeLevel.OK)
    buckets.add(0.9, OutcomeLevel.CUT)
    buckets.add(0.5, OutcomeLevel.SLOW)
    buckets.add(2.1, OutcomeLevel.OK)
    assert buckets.counts(0)[OutcomeLevel.OK] == 1 and buckets.counts(0)[OutcomeLevel.CUT] == 1
    assert buckets.worst(0) is OutcomeLevel.CUT
    assert buckets.worst(1) is None  # nothing sent in it
    assert buckets.worst(2) is OutcomeLevel.OK


def test_the_buckets_are_a_bounded_ring_and_late_samples_land_in_their_second() -> None:
    buckets = PerSecond(keep=4)
    for second in range(10):
        buckets.add(second + 0.5, OutcomeLevel.OK)
    buckets.add(7.2, OutcomeLevel.REFUSED)  # a sample sent earlier, recorded late
    buckets.add(3.0, OutcomeLevel.REFUSED)  # older than what is kept: dropped
    assert [buckets.worst(second) for second in (5, 6, 7, 8, 9)] == [
        None, OutcomeLevel.OK, OutcomeLevel.REFUSED, OutcomeLevel.OK, OutcomeLevel.OK]
    assert buckets.worst(3) is None


def test_every_outcome_has_its_own_glyph_readable_without_colour() -> None:
    glyphs = [glyph for glyph, _, _ in LEVEL_LOOK.values()]
    assert len(set(glyphs)) == len(OutcomeLevel) and NOTHING_SENT[0] not in glyphs
    assert all(len(glyph) == 1 for glyph in glyphs)
    assert level_look(None) == NOTHING_SENT
    assert level_look(OutcomeLevel.REFUSED) == ("⊘", "bold red")


def test_the_timeline_shows_the_last_seconds_that_fit() -> None:
    assert visible_seconds(0.3, width=50, keep=600) == range(1)
    assert visible_seconds(12.7, width=50, keep=600) == range(13)
    assert visible_seconds(120.0, width=50, keep=600) == range(71, 121)
    assert visible_seconds(120.0, width=500, keep=100) == range(21, 121)


def test_the_command_is_marked_under_its_seconds() -> None:
    seconds = range(10, 20)
    assert marker_row(seconds, 12.5, 15.2) == "  ▲  △"
    assert marker_row(seconds, 3.0, 19.9) == "         △"  # the start scrolled out
    assert marker_row(seconds, 3.0, None) == ""
    assert axis_row(seconds) == "10 s  19 s"
    assert axis_row(range(3)) == "2 s"  # too narrow for both ends


def test_on_a_terminal_the_live_view_shows_the_resets_and_gives_way_to_the_report(
        start_server: StartServer) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.2"),), seed=7)
    outcome = on_tty("monitor", server.url, "--rate", "50", "--settle", "1", "--",
                     "sh", "-c", "echo deploying; sleep 0.5", width=100)
    assert outcome.exit_code == 1, str(outcome)
    view = outcome.stderr
    assert "seatctl monitor " + server.url in view
    assert "✗" in view and "▁" in view  # resets and successes on the timeline
    assert "▲" in view and "△" in view  # the command's start and end
    assert "over the last 10 s" in view and "incidents: " in view
    assert "last incidents:" in view and " cut GET /health: " in view
    assert "deploying" in view  # the command's output, above the view
    assert "\t" not in outcome.stdout  # no incident lines: the view showed them
    assert "seatctl serve --shutdown graceful" in outcome.stdout
    assert outcome.stdout.rstrip().splitlines()[-1].startswith("verdict: FAIL")
