"""Robust probes: a request cut or refused before its response is tried again on a fresh
connection (bounded, each try kept), so a server that resets requests at random still has its
idle close measured, and is reported for the resets with their rate (the random-resets rule).

Scripted servers cut chosen connections (deterministic); the reference server's
`reset-before-response=0.3` is the random case, run over several seeds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from seatctl.diagnostics.bounds import PROBE_TRIES
from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.findings import Finding, Severity, Skipped
from seatctl.diagnostics.probes import (
    keep_alive_probe,
    keep_alive_race_probe,
    requests_per_connection_probe,
    timing_probe,
)
from seatctl.diagnostics.results import CloseKind, ConnectionEnd, RaceOutcome, RequestTally
from seatctl.diagnostics.runs import DoctorRun
from seatctl.errors import ConnectionClosed, ConnectionReset, UsageError
from seatctl.server import ConnectionTimeouts
from seatctl.server.config import parse_fault
from tests.conftest import StartServer
from tests.diagnostics.conftest import assert_close_to, reference_protocol
from tests.diagnostics.factories import attempt as race_attempt
from tests.diagnostics.factories import (
    burst,
    failed_try,
    healthy_run,
    outcome_of,
    requests,
    with_cut_tries,
    with_race,
)
from tests.helpers import Cli
from tests.support.servers import Callback, serving_callback

IDLE_CLOSE = 0.4  # the scripted servers' keep-alive, seconds
KEEP_ALIVE = ConnectionTimeouts(keep_alive_timeout=IDLE_CLOSE,
                                advertised_keep_alive=IDLE_CLOSE)


def cutting(cut: set[int], *, how: TryFailure = TryFailure.RESET) -> Callback:
    """The reference protocol, except that the connections numbered in `cut` (1 for the
    first accepted) read the request and are reset (or closed) without a response."""
    serve = reference_protocol(KEEP_ALIVE)
    numbers = itertools.count(1)

    async def serve_or_cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                           ) -> None:
        if next(numbers) not in cut:
            await serve(reader, writer)
            return
        await reader.readuntil(b"\r\n\r\n")
        if how is TryFailure.RESET:  # SO_LINGER 0: the close is a TCP reset
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            writer.close()

    return serve_or_cut


@pytest.fixture
def first_two_reset() -> Iterator[str]:
    with serving_callback(cutting({1, 2})) as url:
        yield url


@pytest.fixture
def always_reset() -> Iterator[str]:
    with serving_callback(cutting(set(range(1, 100)))) as url:
        yield url


# --- the probes, retried ------------------------------------------------------------------


def test_the_keep_alive_probe_tries_again_and_measures_the_idle_close(
        first_two_reset: str) -> None:
    tally = RequestTally()
    result = asyncio.run(keep_alive_probe(first_two_reset, max_wait=2.0, tally=tally))
    assert [(t.number, t.failure) for t in result.failed_tries] == [
        (1, TryFailure.RESET), (2, TryFailure.RESET)]
    first, second = result.failed_tries
    assert 0 <= first.at_s <= second.at_s < 1.0  # when, from the probe's start
    assert "reset" in first.message
    assert result.idle_close.kind is CloseKind.FIN and not result.idle_close.lower_bound
    assert_close_to(result.idle_close.seconds, IDLE_CLOSE)
    assert (tally.sent, tally.cut) == (3, 2)


def test_a_probe_gives_up_after_its_tries_with_the_last_error(always_reset: str) -> None:
    tally = RequestTally()
    with pytest.raises(ConnectionReset) as raised:
        asyncio.run(keep_alive_probe(always_reset, max_wait=2.0, tries=3, tally=tally))
    assert raised.value.attempts == 3
    assert (tally.sent, tally.cut) == (3, 3)
    assert [t.number for t in tally.failed] == [1, 2, 3]


def test_one_try_is_the_old_behaviour(first_two_reset: str) -> None:
    tally = RequestTally()
    with pytest.raises(ConnectionReset) as raised:
        asyncio.run(keep_alive_probe(first_two_reset, max_wait=2.0, tries=1, tally=tally))
    assert raised.value.attempts == 1 and tally.sent == 1


def test_tries_are_bounded() -> None:
    with pytest.raises(UsageError, match="tries"):
        asyncio.run(keep_alive_probe("http://127.0.0.1:9", tries=0))
    with pytest.raises(UsageError, match="tries"):
        asyncio.run(timing_probe("http://127.0.0.1:9", tries=11))


def test_a_timing_sample_closed_without_a_response_is_retried() -> None:
    with serving_callback(cutting({2}, how=TryFailure.CLOSED)) as url:
        tally = RequestTally()
        result = asyncio.run(timing_probe(url, samples=3, tally=tally))
    assert len(result.samples) == 3
    assert [(t.number, t.failure) for t in result.failed_tries] == [(1, TryFailure.CLOSED)]
    assert (tally.sent, tally.cut) == (4, 1)


def test_the_requests_count_retries_only_its_first_request(first_two_reset: str) -> None:
    result = asyncio.run(requests_per_connection_probe(first_two_reset, limit=5))
    assert (result.served, len(result.failed_tries)) == (5, 2)


def test_race_connections_are_retried_and_all_race(first_two_reset: str) -> None:
    tally = RequestTally()
    result = asyncio.run(keep_alive_race_probe(first_two_reset, max_wait=2.0, attempts=1,
                                               tally=tally))
    assert result.race is not None
    assert len(result.race.attempts) == 3  # no racer lost to the two resets
    retried = len(result.keep_alive.failed_tries) + sum(
        len(a.failed_tries) for a in result.race.attempts)
    assert retried == 2 and (tally.sent, tally.cut) == (6, 2)
    assert {a.outcome for a in result.race.attempts} <= {RaceOutcome.OK, RaceOutcome.RESET,
                                                         RaceOutcome.CLOSED_BEFORE_RESPONSE}


def test_closed_before_a_response_is_retried_as_closed() -> None:
    with serving_callback(cutting({1}, how=TryFailure.CLOSED)) as url:
        result = asyncio.run(keep_alive_probe(url, max_wait=2.0))
    assert [t.failure for t in result.failed_tries] == [TryFailure.CLOSED]
    every = cutting(set(range(1, 20)), how=TryFailure.CLOSED)
    with serving_callback(every) as url, pytest.raises(ConnectionClosed):
        asyncio.run(keep_alive_probe(url, max_wait=2.0))


# --- doctor against a server that resets at random ----------------------------------------


def doctor_json(cli: Cli, url: str, *args: str) -> dict[str, Any]:
    outcome = cli("doctor", url, "--json", "--quick", *args)
    assert outcome.exit_code in (0, 1), str(outcome)
    document: dict[str, Any] = json.loads(outcome.stdout)
    return document


def finding(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in document["findings"] if f["id"] == rule_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_resets_are_reported_and_the_idle_close_still_measured(
        cli: Cli, start_server: StartServer, seed: int) -> None:
    server = start_server(timeouts=KEEP_ALIVE, seed=seed,
                          faults=(parse_fault("reset-before-response=0.3"),))
    document = doctor_json(cli, server.url, "--max-wait", "2")
    keepalive = document["probes"]["keepalive"]
    assert keepalive is not None, document["probe_states"]["keepalive"]
    assert keepalive["close_kind"] == "fin" and not keepalive["idle_close_lower_bound"]
    assert_close_to(keepalive["idle_close_s"], IDLE_CLOSE)
    assert finding(document, "idle-close-vs-proxy")["severity"] == "warn"  # before the 60 s
    resets = finding(document, "random-resets")
    assert resets["severity"] in ("warn", "fail"), resets
    rate = re.search(r"(\d+) of (\d+) requests (?:was|were) [a-z ]+ \((\d+)%\)",
                     resets["detail"])
    assert rate is not None, resets["detail"]
    cut, sent, percent = (int(group) for group in rate.groups())
    assert 0 < cut < sent and percent == round(100 * cut / sent)
    assert "crashes" in resets["fix"] and "upstream" in resets["fix"]
    fresh = document["fresh_requests"]
    assert fresh["tries"] == PROBE_TRIES and fresh["sent"] >= 14
    burst_cut = document["probes"]["burst"]["outcomes"]["reset"]
    assert cut == fresh["cut"] + burst_cut
    tries = [t for state in document["probe_states"].values() for t in state["failed_tries"]]
    assert len(tries) <= fresh["cut"]  # the preflight's cut is in no probe's
    assert all(t["failure"] == "reset" and t["at_s"] >= 0 for t in tries)


def test_a_server_that_resets_every_request_is_reported_as_such(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=KEEP_ALIVE,
                          faults=(parse_fault("reset-before-response=1"),))
    outcome = cli("doctor", server.url, "--json", "--quick", "--max-wait", "1")
    assert outcome.exit_code == 1, str(outcome)
    document = json.loads(outcome.stdout)
    resets = finding(document, "random-resets")
    assert (resets["severity"], resets["title"]) == ("fail", "Every request was cut")
    timing = document["probe_states"]["timing"]
    assert timing["state"] == "failed" and f"(after {PROBE_TRIES} tries)" in timing["error"]
    assert [t["try"] for t in timing["failed_tries"]] == list(range(1, PROBE_TRIES + 1))
    finished = finding(document, "probes-finished")  # a real network failure: its advice
    assert finished["fix"].startswith("Rerun when the cause is fixed")
    assert document["cut_by"] is None and document["complete"] is True


# --- the rule over recorded results --------------------------------------------------------


def test_the_rate_counts_single_requests_and_the_burst() -> None:
    run = with_cut_tries(healthy_run(), "keepalive", 7, *(failed_try() for _ in range(4)))
    run.burst = burst(reset=60)
    outcome = outcome_of(run, "random-resets")
    assert isinstance(outcome, Finding) and outcome.severity is Severity.FAIL
    assert outcome.title == "The server cuts requests at random"
    assert outcome.detail.startswith(
        "64 of 214 requests were reset before any response (30%): 4 of 14 single requests "
        "on fresh connections, 60 of 200 in the burst.")
    assert f"up to {PROBE_TRIES} tries" in outcome.detail


def test_mixed_cuts_are_named_each() -> None:
    run = with_cut_tries(healthy_run(), "timing", 7, failed_try(),
                         failed_try(TryFailure.CLOSED), failed_try(TryFailure.MID_RESPONSE))
    outcome = outcome_of(run, "random-resets")
    assert isinstance(outcome, Finding)
    assert outcome.detail.startswith(
        "3 of 216 requests were cut before a complete response (1 reset before any response, "
        "1 closed without a response, 1 cut in the middle of the response) (1%)")


def test_the_origins_requests_are_not_the_targets() -> None:
    run = with_cut_tries(healthy_run(), "origin", 3, failed_try(), failed_try())
    outcome = outcome_of(run, "random-resets")
    assert isinstance(outcome, Finding) and outcome.severity is Severity.OK


def test_a_burst_only_failure_points_to_load_not_chance() -> None:
    run = healthy_run()
    run.burst = burst(reset=3)
    outcome = outcome_of(run, "random-resets")
    assert isinstance(outcome, Finding) and outcome.severity is Severity.WARN
    assert "load, not chance" in outcome.detail and "tried again" not in outcome.detail


def early_cut() -> DoctorRun:
    """Reuse cut at 62 s idle without a FIN, before the 66 s idle close."""
    return with_race(healthy_run(), [race_attempt(60.0), race_attempt(62.0, RaceOutcome.RESET)])


def test_an_early_reuse_cut_amid_random_resets_is_not_blamed_on_a_middlebox() -> None:
    alone = outcome_of(early_cut(), "reuse-race")
    assert isinstance(alone, Finding) and alone.severity is Severity.FAIL
    random = with_cut_tries(early_cut(), "timing", 7, failed_try(), failed_try())
    outcome = outcome_of(random, "reuse-race")
    assert isinstance(outcome, Skipped) and "random-resets" in outcome.reason


def test_a_request_count_ended_amid_random_resets_is_not_a_limit() -> None:
    run = with_cut_tries(healthy_run(), "keepalive", 9, failed_try(), failed_try())
    run.requests = requests(3, ConnectionEnd.RESET)
    outcome = outcome_of(run, "requests-per-connection")
    assert isinstance(outcome, Skipped) and "at random" in outcome.reason
