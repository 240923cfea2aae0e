"""The keep-alive check's opening request is tried again on a fresh connection when it is cut
(PROBE_TRIES in all, each failed try reported as the other checks' attempts are), and a
keep-alive not verified within --max-time says, under its line, what --max-time would
verify it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from seatctl.diagnostics.bounds import PROBE_TRIES
from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.results import FailedTry
from seatctl.render.smoke import INDENT
from seatctl.server import ConnectionTimeouts
from seatctl.server.config import parse_fault
from seatctl.smoke.attempts import failed_tries_json
from tests.conftest import StartServer
from tests.helpers import Cli

Json = dict[str, Any]
FAST = ("--min-idle", "0.3")
# Keeps idle connections 5 s, longer than any run here, and says nothing about it.
PATIENT = ConnectionTimeouts(keep_alive_timeout=5.0, advertised_keep_alive=None)


def keep_alive_check(cli: Cli, url: str, *args: str) -> Json:
    outcome = cli("smoke", url, *args, "--json")
    assert outcome.exit_code in (0, 1), str(outcome)
    document: Json = json.loads(outcome.stdout)
    return next(check for check in document["checks"] if check["name"] == "keep-alive")


# Seeded dice: with these seeds at least one of the opening request's tries is reset (seed 4:
# two in a row). Half the requests to /health are reset, the health check's too.
@pytest.mark.parametrize("seed", [3, 4, 7, 8])
def test_a_random_reset_is_tried_again_and_reported(cli: Cli, start_server: StartServer,
                                                    seed: int) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.5"),),
                          fault_path="/health", seed=seed)
    check = keep_alive_check(cli, server.url, *FAST)
    assert check["status"] == "pass", check
    attempts = check["details"]["failed_attempts"]
    assert attempts, "the seed is meant to reset the opening request at least once"
    assert [(a["request"], a["attempt"], a["status"]) for a in attempts] == [
        ("GET /health", number, None) for number in range(1, len(attempts) + 1)]
    assert all("reset" in a["error"] and a["seconds"] >= 0 for a in attempts)
    assert check["warnings"] == [f"GET /health failed on attempt {a['attempt']} (reset before "
                                 "any response)" for a in attempts]


def test_a_request_reset_on_every_try_fails_after_probe_tries(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=1"),),
                          fault_path="/health")
    check = keep_alive_check(cli, server.url, *FAST)
    assert check["status"] == "fail"
    assert check["message"].startswith("the request that opens the idle connection: ")
    assert "reset" in check["message"]
    attempts = check["details"]["failed_attempts"]
    assert [a["attempt"] for a in attempts] == list(range(1, PROBE_TRIES + 1))
    assert check["warnings"] == []  # a failed check's attempts are its evidence, not warnings


def test_a_clean_opening_request_reports_no_failed_attempts(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server()
    check = keep_alive_check(cli, server.url, *FAST)
    assert check["status"] == "pass"
    assert check["details"]["failed_attempts"] == [] and check["warnings"] == []


def test_each_failed_try_lasts_from_the_end_of_the_one_before() -> None:
    tries = [FailedTry(1, 0.25, TryFailure.RESET, "reset"),
             FailedTry(2, 0.75, TryFailure.REFUSED, "refused")]
    assert failed_tries_json("GET /health", tries) == [
        {"request": "GET /health", "attempt": 1, "status": None, "error": "reset",
         "seconds": 0.25},
        {"request": "GET /health", "attempt": 2, "status": None, "error": "refused",
         "seconds": 0.5}]


def test_not_verified_prints_its_hint_under_the_check_without_strict(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=PATIENT)
    outcome = cli("smoke", server.url, "--min-idle", "3", "--max-time", "1")
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stdout.splitlines()
    check_line = next(index for index, line in enumerate(lines)
                      if line.startswith("- keep-alive"))
    assert "so --min-idle 3 s is not verified within --max-time 1" in " ".join(
        " ".join(lines[check_line:]).split())
    hints = [line for line in lines[check_line + 1:] if line.strip().startswith("hint:")]
    # The run's time before the idle (the health check, the request) counts too: 4 or 5 s.
    assert len(hints) == 1 and re.fullmatch(
        f"{INDENT}hint: to verify 3 s of idle, give --max-time [45] or more", hints[0]), hints
    assert lines[-1].startswith("PASSED (keep-alive not verified)")
