"""No token is ever broken across lines (issue #14, item 3): ids, seat labels, URLs, numbers
with their units, commands in backticks and the commands of fixes stay whole on one line of
`doctor`, `smoke`, the booking outcome, the watch's plain lines, `ping`, `demo` and the
error/hint lines, at 40, 60, 80 and 200 columns on a terminal.

Each output is rendered once very wide (nothing wraps) to find its tokens, then at each
width: every token occurs as often, each time whole on one line, and every line fits the
width unless it is one token that cannot (a command too long is alone on its line).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

import pytest
from rich.cells import cell_len

from seatctl.api.health import Health, HealthBody
from seatctl.api.models import JobStatus
from seatctl.booking.journal import JournalEntry
from seatctl.booking.journal_states import JournalState
from seatctl.booking.status import JobState
from seatctl.booking.target import BookingTarget
from seatctl.booking.watch import UpdateKind, WatchUpdate
from seatctl.clock import SystemClock
from seatctl.demo import (
    BookingSummary,
    DemoSummary,
    PostAttempt,
    RetriedBookingSummary,
    StepName,
    StepResult,
)
from seatctl.diagnostics.report import Report
from seatctl.diagnostics.results import CloseKind
from seatctl.errors import ConnectionRefused
from seatctl.render import doctor, health, messages, smoke
from seatctl.render.demo import DemoView
from seatctl.render.streams import IOStreams
from seatctl.render.watch import WatchDisplay, render_outcome, resuming_line, submitted_line
from seatctl.server import PRESETS, Preset
from seatctl.smoke import CheckResult, CheckStatus, SmokeReport
from seatctl.smoke.keepalive import judge
from tests.diagnostics.factories import (
    EXPRESS,
    REFERENCE_SERVER,
    keep_alive,
    node_default_run,
    report_of,
    with_keep_alive,
)

WIDTHS = (40, 60, 80, 200)
WIDE = 1000
Render = Callable[[IOStreams], None]

SERVE_FIX = "seatctl serve --keep-alive-timeout 65 --headers-timeout 66"
DOCTOR_COMMAND = "`seatctl doctor http://staging.seats.example.com:8443 --lb-idle-timeout 60`"
JOB_ID = "booking-1795982207372-22a981f0"
BOOKING_ID = "cb60f4bdbb93994f738c84ee"
KEY = "0f2c6be0-1375-4d5f-a2f5-e1603e0a14b3"
SEATS = tuple(f"Orchestra:E{number}" for number in range(10, 18))
EVENT = "Symphony Under the Stars"

TOKEN_PATTERNS = (
    re.compile(r"`[^`\n]+`"),  # anything in backticks
    re.compile(r"https?://[^\s,;)]+"),  # URLs
    re.compile(r"(?<![\w.])\d+(?:\.\d+)? (?:ms|s|days|seat\(s\))(?![\w(])"),  # with a unit
    re.compile(r"\[[a-z-]+\]"),  # the doctor's finding ids
    re.compile(r"\b[A-Z][a-z]+:[A-Z]\d+\b"),  # seat labels
)


def rendered(render: Render, width: int) -> str:
    streams = IOStreams.test(tty=True, width=width)
    render(streams)
    return streams.out_text() + streams.err_text()


def occurrences(text: str, token: str) -> int:
    """How often `token` is whole on a line of `text`."""
    return sum(line.count(token) for line in text.splitlines())


def alone(line: str, tokens: Iterable[str]) -> bool:
    """Whether `line` is one token (give or take punctuation around it and a `$ `)."""
    rest = line.strip()
    for token in sorted(tokens, key=len, reverse=True):
        rest = rest.replace(token, "")
    return re.fullmatch(r"[$(),.;:\s]*", rest) is not None


def assert_whole(render: Render, *explicit: str, widths: Iterable[int] = WIDTHS) -> None:
    wide = rendered(render, WIDE)
    tokens = set(explicit)
    for pattern in TOKEN_PATTERNS:
        tokens.update(match.group().rstrip(".:") for match in pattern.finditer(wide))
    for token in explicit:
        assert occurrences(wide, token), f"{token!r} is not in the output:\n{wide}"
    for width in widths:
        text = rendered(render, width)
        for token in tokens:
            assert occurrences(text, token) == occurrences(wide, token), \
                f"{token!r} broken at {width} columns:\n{text}"
        for line in text.splitlines():
            assert cell_len(line) <= width or alone(line, tokens), \
                f"a line wider than {width} columns, not one token:\n{line}\n\n{text}"


def code_lines(fix: str | None) -> list[str]:
    """The indented lines of a fix (code): tokens as a whole."""
    return [line.strip() for line in (fix or "").split("\n") if line.startswith("    ")]


# --- doctor ------------------------------------------------------------------------------


def express_run_report() -> Report:
    run = with_keep_alive(node_default_run(EXPRESS, lb_idle_timeout=60.0),
                          keep_alive(6.0, CloseKind.RESET, advertised_s=5.0, headers=(EXPRESS,)))
    return report_of(run)


def test_the_doctor_report_with_the_reference_servers_fix() -> None:
    report = report_of(node_default_run(REFERENCE_SERVER, lb_idle_timeout=60.0))
    assert_whole(lambda streams: doctor.render_report(streams, report, as_json=False),
                 SERVE_FIX, "http://127.0.0.1:9", "seatctl-reference/0.1.0")


def test_the_doctor_report_with_nodes_fix_in_code() -> None:
    report = express_run_report()
    fixes = [line for finding in report.findings for line in code_lines(finding.fix)]
    assert fixes
    assert_whole(lambda streams: doctor.render_report(streams, report, as_json=False), *fixes,
                 "closed-before-response", "x-powered-by: Express")


def test_at_60_columns_the_doctors_fix_command_is_one_line_of_its_own() -> None:
    report = report_of(node_default_run(REFERENCE_SERVER, lb_idle_timeout=60.0))
    text = rendered(lambda streams: doctor.render_report(streams, report, as_json=False), 60)
    assert f"\n         {SERVE_FIX}\n" in text


# --- smoke -------------------------------------------------------------------------------


def failing_keep_alive(*headers: tuple[str, str]) -> CheckResult:
    result = judge(keep_alive(2.0, advertised_s=None, headers=headers), 15.0)
    return replace(result, seconds=2.5, warnings=(
        "the health check's path answered 502: the connection measured may be a proxy's",),
        details={**result.details, "hint": f"run {DOCTOR_COMMAND} for the whole picture"})


def smoke_report(*checks: CheckResult) -> SmokeReport:
    return SmokeReport("http://staging.seats.example.com:8443", 60.0, 12.5, checks, None)


@pytest.mark.parametrize("server", [REFERENCE_SERVER, EXPRESS], ids=["reference", "express"])
def test_a_failing_smoke_check_with_its_hint_and_fix(server: tuple[str, str]) -> None:
    check = failing_keep_alive(server)
    passed = CheckResult("health", CheckStatus.PASS, "GET /health answered 200 in 3.2 ms",
                         seconds=0.25)
    report = smoke_report(passed, check)

    def render(streams: IOStreams) -> None:
        smoke.render_check(streams, passed)
        smoke.render_check(streams, check)
        smoke.render_report(streams, report, as_json=False)

    explicit = [DOCTOR_COMMAND, *code_lines(check.fix)]
    if server == REFERENCE_SERVER:
        explicit.append(SERVE_FIX)
    assert_whole(render, *explicit)


def test_smoke_fix_prose_is_wrapped_even_on_a_wide_terminal() -> None:
    check = failing_keep_alive(REFERENCE_SERVER)
    text = rendered(lambda streams: smoke.render_check(streams, check), 200)
    assert max(cell_len(line) for line in text.splitlines()) <= smoke.MAX_WIDTH
    assert f"\n{smoke.INDENT}{SERVE_FIX}\n" in text


# --- the booking's outcome and the watch's plain lines ---------------------------------------


def outcome(state: str = "confirmed", **changes: object) -> dict[str, object]:
    return {"jobId": JOB_ID, "bookingId": BOOKING_ID, "state": state,
            "message": f"Successfully booked {len(SEATS)} seat(s)", "seats": list(SEATS),
            "totalPrice": 960.0, "lastKnown": None, "key": KEY, **changes}


def test_the_outcome_line_for_several_seats() -> None:
    def render(streams: IOStreams) -> None:
        render_outcome(streams, outcome(), as_json=False)
        render_outcome(streams, outcome("unknown", lastKnown={
            "state": "queued", "source": "journal", "at": "2026-11-29T20:00:00Z"}),
            as_json=False)

    assert_whole(render, JOB_ID, BOOKING_ID, *SEATS, f"{len(SEATS)} seat(s))")


def entry() -> JournalEntry:
    return JournalEntry(
        key=KEY, profile="default", base_url="http://127.0.0.1:9", event_id="ev-42",
        event_name=EVENT, seat_ids=[f"s{number}" for number in range(len(SEATS))],
        seat_labels=list(SEATS), quantity=None, job_ids=[JOB_ID], state=JournalState.QUEUED,
        message=None, booking_id=None, total_price=None,
        created_at="2026-11-29T20:00:00.000Z", updated_at="2026-11-29T20:00:00.000Z")


def update(state: JobState, message: str | None = None, warning: str | None = None,
           position: int | None = None) -> WatchUpdate:
    status = JobStatus.model_validate({"success": state is JobState.CONFIRMED,
                                       "message": message, "queuePosition": position})
    kind = UpdateKind.WARNING if warning else UpdateKind.STATE
    return WatchUpdate(kind, JOB_ID, state, status, 3, 12.5, warning)


def test_the_watchs_plain_lines() -> None:
    def render(streams: IOStreams) -> None:
        submitted_line(streams, entry())
        resuming_line(streams, entry())
        with WatchDisplay(streams, SystemClock(), live=False) as display:
            display.update(update(JobState.QUEUED, "Booking is under processing, please wait "
                                  "about 2.5 s per seat", position=12))
            display.update(update(JobState.QUEUED, warning="502 Bad Gateway from "
                                  "http://staging.seats.example.com:8443 after 1.2 s"))
            display.update(update(JobState.CONFIRMED, f"Successfully booked {len(SEATS)} seat(s)"))

    assert_whole(render, JOB_ID, KEY, *SEATS)


# --- ping --------------------------------------------------------------------------------


HEALTH = {
    "status": "healthy", "version": "1.2.3",
    "data": {"status": "healthy", "uptime": "3600 s",
             "db": {"ok": True, "latency": "1.2 ms",
                    "url": "postgres://db.internal.seats.example.com:5432/seats_primary"}},
    "regions": ["eu-west-1", "us-east-1"],
    "workers": [{"id": "worker-7f3a9c2e-queue", "busy": False}, {"id": "w2"}],
    "message": "All systems nominal; the booking queue drains within 1.5 s at the 99th "
               "percentile of the last 24 hours",
}


def ping(streams: IOStreams) -> None:
    answer = Health("http://staging.seats.example.com:8443/health", 200, 0.0123,
                    HealthBody.model_validate(HEALTH),
                    {"server": "uvicorn", "keep-alive": "timeout=5"}, attempts=2)
    health.render_health(streams, answer, as_json=False)


def test_ping_with_a_nested_health_document() -> None:
    assert_whole(ping, "postgres://db.internal.seats.example.com:5432/seats_primary",
                 "worker-7f3a9c2e-queue", "eu-west-1, us-east-1", "12 ms")


def test_ping_prints_fields_not_a_python_repr() -> None:
    lines = rendered(ping, 80).splitlines()
    assert "  data:" in lines and "    status: healthy" in lines
    assert "      ok: true" in lines and "  regions: eu-west-1, us-east-1" in lines
    assert "    - id: worker-7f3a9c2e-queue" in lines and "      busy: false" in lines
    assert "  keep-alive: timeout=5" in lines
    assert not any("{" in line or "'" in line for line in lines)


# --- error, hint, warning ----------------------------------------------------------------


def test_error_and_hint_lines_with_a_long_command() -> None:
    def render(streams: IOStreams) -> None:
        messages.error(streams, f"GET http://staging.seats.example.com:8443/api/jobs/{JOB_ID} "
                                "failed after 30.0 s: the connection was reset",
                       f"the server closed the idle connection; see {DOCTOR_COMMAND}")
        refused = ConnectionRefused("connection refused by 127.0.0.1:9 after 3 attempts",
                                    hint="is the server running? start one with "
                                         "`seatctl serve --port 9 --timeouts seed-fix`")
        messages.seatctl_error(streams, refused, as_json=False)
        messages.warning(streams, f"job {JOB_ID} is still queued after 120 s; "
                                  f"`seatctl watch {JOB_ID}` picks it up again")
        messages.note(streams, "the rate limit resets in 45 s (`seatctl ping` shows it)")

    assert_whole(render, DOCTOR_COMMAND, JOB_ID, f"`seatctl watch {JOB_ID}`",
                 "`seatctl serve --port 9 --timeouts seed-fix`")


def test_off_a_terminal_an_error_stays_one_line() -> None:
    streams = IOStreams.test(width=40)
    messages.error(streams, "word " * 20, f"see {DOCTOR_COMMAND}")
    assert len(streams.err_text().splitlines()) == 2


# --- demo --------------------------------------------------------------------------------


def test_the_demos_commands_conclusions_and_summary() -> None:
    def render(streams: IOStreams) -> None:
        view = DemoView(streams, SystemClock(), as_json=False, verbose=False, trace=False)
        view.server_started("http://127.0.0.1:49731", PRESETS[Preset.NODE_DEFAULT])
        view.booking_started(BookingTarget("default", "http://127.0.0.1:49731", "ev-42", EVENT,
                                           ("s1", "s2"), SEATS[:2]))
        view.step_finished(StepResult(StepName.SERVER, True, 0.05, {
            "url": "http://127.0.0.1:49731", "keep_alive_timeout_s": 6.0,
            "advertised_keep_alive_s": 5.0}))
        view.booking_attempt(PostAttempt(1, None, "connection reset by 127.0.0.1:49731", 0.012))
        view.bookings_counted(RetriedBookingSummary(
            BookingSummary(JOB_ID, SEATS[:2], "confirmed", BOOKING_ID, KEY), (), 1, 1, 2))
        view.step_finished(StepResult(StepName.DOCTOR, True, 8.25, {
            "finding": "idle-close-vs-proxy",
            "fix": f"{SERVE_FIX}\n(or --timeouts seed-fix: the seed's fix, closing at 66 s)"}))
        view.summary(DemoSummary(elapsed_s=21.5))

    assert_whole(render, SERVE_FIX, "http://127.0.0.1:49731", KEY, *SEATS[:2],
                 "seatctl serve --port 0 --timeouts node-default", "GET /api/bookings/my",
                 "export SEATCTL_BASE_URL=http://127.0.0.1:49731",
                 f"seatctl book '{EVENT}' --seat {SEATS[0]} --seat {SEATS[1]}",
                 "`seatctl book symphony --seat Orchestra:A12`")
