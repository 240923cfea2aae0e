"""`seatctl smoke` under a rate limit: it reads the budget before the API checks and, when
the budget cannot cover them (or the server refuses one with a 429), reports one clear
"cannot judge" (exit 7) instead of failing checks that say nothing of the deploy."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pytest_httpserver import HTTPServer

from seatctl.exit_codes import ExitCode
from seatctl.server.config import RateLimit
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.server.helpers import DEMO_EMAIL, DEMO_PASSWORD

FAST = ("--min-idle", "0.5")
DEMO = {"SEATCTL_EMAIL": DEMO_EMAIL, "SEATCTL_PASSWORD": DEMO_PASSWORD}


def spend(url: str, requests: int) -> None:
    with httpx.Client(base_url=url) as client:
        for _ in range(requests):
            client.get("/api/events", params={"limit": 1})


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in document["checks"]}


def test_a_budget_too_small_for_the_checks_cannot_judge(cli: Cli,
                                                        start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(12, 900))
    spend(server.url, 8)  # the health check's GET /api/health leaves 3; the checks need 5
    outcome = cli("smoke", server.url, *FAST, "--json", env=DEMO)
    assert outcome.exit_code == ExitCode.SERVER, str(outcome)
    document = json.loads(outcome.stdout)
    assert statuses(document) == {"health": "pass", "latency": "skip", "auth": "skip",
                                  "booking": "skip", "keep-alive": "pass"}
    assert document["passed"] is False
    assert document["rate_limited"].startswith("rate limited, cannot judge: 3 of 12 left")
    assert document["rate_limited"].endswith("the checks need 5")
    assert document["rate_limit"]["remaining"] == 3
    skipped = {check["name"]: check["message"] for check in document["checks"]}
    assert skipped["latency"].startswith("not judged: rate limited")


def test_the_human_report_says_cannot_judge(cli: Cli, start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(12, 900))
    spend(server.url, 9)
    outcome = cli("smoke", server.url, *FAST, env=DEMO)
    assert outcome.exit_code == ExitCode.SERVER, str(outcome)
    assert "CANNOT JUDGE (rate limited, cannot judge: 2 of 12 left" in outcome.stdout
    assert "FAILED" not in outcome.stdout


def test_a_429_is_not_a_failed_check(cli: Cli, start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(5, 900))
    spend(server.url, 5)  # nothing left: GET /api/health gets 429
    outcome = cli("smoke", server.url, *FAST, "--json", env={**DEMO, "SEATCTL_RETRIES": "0"})
    assert outcome.exit_code == ExitCode.SERVER, str(outcome)
    document = json.loads(outcome.stdout)
    assert "fail" not in statuses(document).values()
    assert statuses(document)["health"] == "skip"
    assert "429" in document["rate_limited"]


def test_an_ample_budget_passes(cli: Cli, start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(100, 900))
    outcome = cli("smoke", server.url, *FAST, "--json", env=DEMO)
    assert outcome.exit_code == 0, str(outcome)
    document = json.loads(outcome.stdout)
    assert document["rate_limited"] is None
    assert document["rate_limit"]["limit"] == 100


STARTED = {"id": "cevt-past", "name": "Last Year's Gala", "venue": "Old Hall",
           "startTime": "2025-10-30T19:30:00.000Z", "endTime": "2025-10-30T22:30:00.000Z",
           "seatLevelBooking": True}


def test_book_test_refuses_an_event_that_has_started(cli: Cli, httpserver: HTTPServer
                                                     ) -> None:
    ok = {"status": "success", "data": {}}
    httpserver.expect_request("/health").respond_with_json({"status": "success"})
    httpserver.expect_request("/api/health").respond_with_json(ok)
    httpserver.expect_request("/api/auth/profile").respond_with_json(
        {"status": "success", "data": {"user": {"id": "u1", "email": "a@b.c"}}})
    httpserver.expect_request("/api/events").respond_with_json(
        {"status": "success", "data": {"events": [STARTED], "pagination": {
            "currentPage": 1, "totalPages": 1, "totalCount": 1, "limit": 100,
            "hasNextPage": False, "hasPrevPage": False}}})
    url = httpserver.url_for("").rstrip("/")
    outcome = cli("smoke", url, *FAST, "--json", "--book-test", "Gala", "--seat", "A1",
                  env={"SEATCTL_TOKEN": "t0ken-for-tests"})
    assert outcome.exit_code == ExitCode.FAILURE, str(outcome)
    booking = {c["name"]: c for c in json.loads(outcome.stdout)["checks"]}["booking"]
    assert booking["status"] == "fail"
    assert "started at 2025-10-30T19:30:00.000Z" in booking["message"]
    assert not [r for r, _ in httpserver.log if r.method == "POST"]
