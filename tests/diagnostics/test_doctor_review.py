"""Review findings of `seatctl doctor`: the HTTP/2 probe's retries and tally, a cut HTTP/2
probe's measurements kept, h2c against an HTTP/1.1-only server, the burst rule deferring to
random-resets, and the report's wording."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.findings import Finding, Severity, Skipped
from seatctl.diagnostics.h2probe import MIN_PING_GAP_S, http2_probe
from seatctl.diagnostics.report import build_report, report_json
from seatctl.diagnostics.results import GoawayRaceOutcome, RequestTally
from seatctl.diagnostics.runs import CutBy, DoctorPlan, DoctorRun, Probe, ProbeState
from seatctl.diagnostics.targets import ConnectOptions
from seatctl.errors import ConnectionReset
from seatctl.render.doctor import http2_text, not_evaluated
from seatctl.server import ReferenceServer
from tests.diagnostics.factories import (
    burst,
    failed_try,
    goaway_race,
    healthy_run,
    http2,
    https_run,
    outcome_of,
    with_cut_tries,
    with_http2,
)
from tests.diagnostics.h2servers import HypercornSettings, hypercorn_server
from tests.support.servers import serving_callback

KEEP_ALIVE = 1.0
MAX_WAIT = 3.0


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


@contextlib.contextmanager
def flaky_proxy(upstream: str, resets: int) -> Iterator[str]:
    """Resets the first `resets` connections once the client has spoken (a request cut at
    random), forwards the rest to `upstream`."""
    accepted = 0
    target = urlsplit(upstream)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        if accepted <= resets:
            await reader.read(1)
            _reset(writer)
            return
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        try:
            await asyncio.wait([asyncio.ensure_future(_pipe(reader, up_writer)),
                                asyncio.ensure_future(_pipe(up_reader, writer))],
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            up_writer.transport.abort()

    with serving_callback(serve) as url:
        yield url


@pytest.fixture
def hypercorn_h2c() -> Iterator[str]:
    with hypercorn_server(HypercornSettings(KEEP_ALIVE), None) as url:
        yield url


# --- 1. retries and the tally -------------------------------------------------------------


def test_a_reset_first_request_is_tried_again_and_counted(hypercorn_h2c: str) -> None:
    tally = RequestTally()
    with flaky_proxy(hypercorn_h2c, resets=2) as url:
        result = asyncio.run(http2_probe(url, MAX_WAIT, options=ConnectOptions(), h2c=True,
                                         tally=tally))
    assert result.speaks_h2 and result.response is not None
    assert [failed.number for failed in result.failed_tries] == [1, 2]
    assert {failed.failure for failed in result.failed_tries} == {TryFailure.RESET}
    # The first connection's three tries, the PING and race connections' first requests.
    assert (tally.sent, tally.cut) == (5, 2)
    ping = result.ping
    assert ping is not None and ping.pings_sent > 0
    assert ping.interval_s is not None and ping.interval_s >= MIN_PING_GAP_S  # the default's


def test_the_last_try_raises_with_its_attempts(hypercorn_h2c: str) -> None:
    tally = RequestTally()
    with flaky_proxy(hypercorn_h2c, resets=2) as url, \
            pytest.raises(ConnectionReset) as caught:
        asyncio.run(http2_probe(url, MAX_WAIT, options=ConnectOptions(), h2c=True, tries=2,
                                tally=tally))
    assert caught.value.attempts == 2
    assert (tally.sent, tally.cut) == (2, 2)


def test_the_doctor_counts_the_http2_tries_in_the_random_resets_tally(
    hypercorn_h2c: str,
) -> None:
    with flaky_proxy(hypercorn_h2c, resets=2) as url:
        # The preflight (HTTP/1.1) takes the first reset; the HTTP/2 probe the second.
        plan = DoctorPlan(url, h2c=True, http1=False, quick=True, max_wait=MAX_WAIT)
        run = asyncio.run(run_doctor(DoctorRun(plan)))
    assert run.runs[Probe.HTTP2].state is ProbeState.DONE
    assert run.tallies["http2"].cut == 1 and run.tallies["http2"].sent == 4
    assert run.fresh_requests().cut == 2
    states = report_json(build_report(run))["probe_states"]
    assert len(states["http2"]["failed_tries"]) == 1


# --- 2. a cut HTTP/2 probe keeps what it measured ------------------------------------------


def test_a_cut_http2_probe_keeps_alpn_settings_and_the_idle_lower_bound() -> None:
    with hypercorn_server(HypercornSettings(30.0), None) as url:
        plan = DoctorPlan(url, h2c=True, http1=False, quick=True, max_wait=20.0,
                          time_limit=1.0)
        run = asyncio.run(run_doctor(DoctorRun(plan)))
    assert run.cut_by is CutBy.DEADLINE and run.runs[Probe.HTTP2].state is ProbeState.CUT
    result = run.http2
    assert result is not None and result.speaks_h2 and result.settings is not None
    assert result.idle_close is not None and result.idle_close.lower_bound
    assert 0.5 < result.idle_close.end_after_s < 1.5
    report = build_report(run)
    outcomes: dict[str, Finding | Skipped] = {finding.id: finding for finding in report.findings}
    outcomes.update({skipped.id: skipped for skipped in report.skipped})
    assert isinstance(outcomes["alpn"], Finding)
    assert outcomes["alpn"].severity is Severity.OK
    for rule_id in ("h2-goaway", "h2-ping-keepalive", "h2-goaway-race"):
        reason = outcomes[rule_id]
        assert isinstance(reason, Skipped) and "--timeout deadline" in reason.reason, reason
    # A lower bound never decides a close rule.
    assert isinstance(outcomes["h2-idle-close-vs-proxy"], Skipped)
    assert "still open after " in http2_text(result).plain
    document = report_json(report)
    assert document["probes"]["http2"]["idle_close"]["lower_bound"] is True


def test_an_interrupt_before_the_idle_wait_keeps_nothing_made_up() -> None:
    run = https_run()
    run.mark_interrupted()
    assert run.http2 is None and run.runs[Probe.HTTP2].state is ProbeState.CUT


# --- 3. h2c against an HTTP/1.1-only server is no failure ------------------------------------


def test_h2c_against_an_http1_server_is_skipped_not_failed(server: ReferenceServer) -> None:
    plan = DoctorPlan(server.url, h2c=True, http1=False, quick=True, max_wait=MAX_WAIT)
    run = asyncio.run(run_doctor(DoctorRun(plan)))
    assert run.runs[Probe.HTTP2].state is ProbeState.DONE
    result = run.http2
    assert result is not None and not result.speaks_h2 and result.h2c
    assert result.skipped == "the server does not speak h2c (answered in HTTP/1.1)"
    report = build_report(run)
    alpn = next(finding for finding in report.findings if finding.id == "alpn")
    assert alpn.severity is Severity.INFO and "h2c" in alpn.title
    finished = next(finding for finding in report.findings if finding.id == "probes-finished")
    assert finished.severity is Severity.OK


# --- 4. the burst defers to random-resets ----------------------------------------------------


def test_the_burst_defers_to_random_resets_when_single_requests_were_cut() -> None:
    run = healthy_run()
    run.burst = burst(reset=30)
    with_cut_tries(run, "timing", 8, failed_try(), failed_try(number=2))
    outcome = outcome_of(run, "burst")
    assert isinstance(outcome, Skipped) and "see random-resets" in outcome.reason
    assert outcome_of(run, "random-resets").severity is Severity.FAIL  # type: ignore[union-attr]


def test_the_burst_fails_alone_when_only_the_burst_was_cut() -> None:
    run = healthy_run()
    run.burst = burst(reset=30)
    outcome = outcome_of(run, "burst")
    assert isinstance(outcome, Finding) and outcome.severity is Severity.FAIL


# --- 5. wording ---------------------------------------------------------------------------


def test_no_goaway_in_the_race_is_said_in_words() -> None:
    result = http2(race=goaway_race(GoawayRaceOutcome.NO_GOAWAY, safe_to_retry=None,
                                    reset_code=None))
    assert "request crossing GOAWAY: no GOAWAY came: not measured" in http2_text(result).plain


def test_a_skipped_reason_joins_as_a_sentence() -> None:
    assert not_evaluated("the probe was cut") == "not evaluated, the probe was cut"
    assert not_evaluated("The server kept it open.") == "not evaluated. The server kept it open."


def test_probes_finished_names_probes_as_the_table_does() -> None:
    run = with_http2(https_run(), None)
    run.runs[Probe.HTTP2].state, run.runs[Probe.HTTP2].error = ProbeState.FAILED, "reset"
    detail = outcome_of(run, "probes-finished")
    assert isinstance(detail, Finding) and "Failed: HTTP/2 (reset)." in detail.detail
