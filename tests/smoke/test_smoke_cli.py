"""`seatctl smoke` end to end against the reference server, configured to pass and to fail:
keep-alive too short, 502 faults, a degraded health check, too slow, a booking round trip,
credentials, the --max-time bound, an unreachable URL, bad input.

The keep-alive check's --min-idle is scaled down to BOUND; the servers (tests/smoke/
conftest.py) advertise no keep-alive timeout and close idle connections at 3 s, so most runs
pass that check BOUND seconds after the health check. test_smoke_measures.py has the rest of
the keep-alive watch: advertised timeouts, not verified within --max-time, --strict."""

from __future__ import annotations

import json
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from seatctl.server import ConnectionTimeouts, ReferenceServer
from seatctl.server.config import parse_fault
from seatctl.smoke import CHECK_NAMES, SCHEMA
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import DEMO_EMAIL, DEMO_PASSWORD, client, login, seat_map

BOUND = "0.5"
FAST = ("--min-idle", BOUND)
NO_LATENCY_LIMIT = ("--max-latency-ms", "60000")  # for tests of other checks
DEMO = {"SEATCTL_EMAIL": DEMO_EMAIL, "SEATCTL_PASSWORD": DEMO_PASSWORD}
ONE_RETRY = {"SEATCTL_RETRIES": "1"}  # a failing request fails after 2 attempts, not 4
Json = dict[str, Any]


def smoke(cli: Cli, url: str, *args: str, env: dict[str, str] | None = None
          ) -> tuple[Outcome, Json]:
    outcome = cli("smoke", url, *FAST, "--json", *args, env=env)
    assert outcome.exit_code in (0, 1), str(outcome)
    document: Json = json.loads(outcome.stdout)
    return outcome, document


def checks(document: Json) -> dict[str, Json]:
    return {check["name"]: check for check in document["checks"]}


def statuses(document: Json) -> dict[str, str]:
    return {name: check["status"] for name, check in checks(document).items()}


def without_header(timeouts: ConnectionTimeouts) -> ConnectionTimeouts:
    return ConnectionTimeouts(keep_alive_timeout=timeouts.keep_alive_timeout,
                              advertised_keep_alive=None)


SHORT = ConnectionTimeouts(keep_alive_timeout=0.2, advertised_keep_alive=0.2)


# --- passing --------------------------------------------------------------------------


def test_a_healthy_server_passes_and_exits_0(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=without_header(ConnectionTimeouts(keep_alive_timeout=3)))
    outcome = cli("smoke", server.url, *FAST)
    assert outcome.exit_code == 0, str(outcome)
    lines = outcome.stdout.splitlines()
    assert [line.split()[:2] for line in lines if line and line[0] in "✓✗-"] == [
        ["✓", "health"], ["✓", "latency"], ["-", "auth"], ["-", "booking"],
        ["✓", "keep-alive"]]
    assert "observed" in outcome.stdout
    assert lines[-1].startswith("PASSED: 3 passed, 0 failed, 2 skipped")
    assert "::" not in outcome.stdout + outcome.stderr  # no annotations outside GitHub


def test_keep_alive_still_open_at_min_idle_passes_as_observed(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=without_header(ConnectionTimeouts(keep_alive_timeout=3)))
    outcome, document = smoke(cli, server.url)
    assert outcome.exit_code == 0
    keep_alive = checks(document)["keep-alive"]
    assert keep_alive["status"] == "pass"
    details = keep_alive["details"]
    assert details["basis"] == "observed" and details["idle_close_lower_bound"] is True
    assert float(BOUND) - 0.02 <= details["idle_close_s"] <= float(BOUND) + 0.3
    assert "at least --min-idle 0.5 s" in keep_alive["message"]


def test_an_advertised_keep_alive_is_waited_for_not_trusted(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=3,
                                                      advertised_keep_alive=0.8))
    outcome, document = smoke(cli, server.url)
    assert outcome.exit_code == 0
    keep_alive = checks(document)["keep-alive"]
    details = keep_alive["details"]
    assert details["basis"] == "observed" and details["advertised_timeout_s"] == 0.8
    assert details["idle_close_s"] >= 0.8 - 0.05 and details["required_s"] == 0.8
    assert [(r["source"], r["verdict"]) for r in details["requirements"]] == [
        ("advertised", "held"), ("option", "held")]
    assert "its advertised Keep-Alive: timeout=0.8 and --min-idle 0.5 s" in keep_alive["message"]


# --- failing ------------------------------------------------------------------------


@pytest.mark.parametrize(("advertised", "before"), [
    (None, "before --min-idle 6 s:"),
    (5.0, "before its advertised Keep-Alive: timeout=5 and --min-idle 6 s:"),
])
def test_a_keep_alive_shorter_than_min_idle_fails_with_the_fix(
        cli: Cli, start_server: StartServer, advertised: float | None, before: str) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.2,
                                                      advertised_keep_alive=advertised))
    outcome, document = smoke(cli, server.url, "--min-idle", "6")
    assert outcome.exit_code == 1
    assert document["passed"] is False
    keep_alive = checks(document)["keep-alive"]
    assert keep_alive["status"] == "fail"
    details = keep_alive["details"]
    assert details["basis"] == "closed" and details["close_kind"] == "fin"
    assert 0.2 - 0.02 <= details["idle_close_s"] <= 0.2 + 0.3
    assert details["app_server"] == "seatctl-reference"
    assert "seatctl serve --keep-alive-timeout 65" in keep_alive["fix"]
    # the message says the measured close (0.2 s, later when the machine is loaded)
    assert f"closed an idle connection after {details['idle_close_s']:.2f} s" \
        in keep_alive["message"]
    assert before in keep_alive["message"]
    assert keep_alive["seconds"] < 1.0  # the close ends the wait, not --min-idle


def test_the_human_report_shows_the_failure_and_its_fix(cli: Cli, start_server: StartServer
                                                        ) -> None:
    server = start_server(timeouts=SHORT)
    outcome = cli("smoke", server.url, *FAST)
    assert outcome.exit_code == 1, str(outcome)
    assert "✗ keep-alive" in outcome.stdout
    assert "seatctl serve --keep-alive-timeout 65" in outcome.stdout
    assert outcome.stdout.splitlines()[-1].startswith("FAILED (keep-alive):")
    assert "Traceback" not in outcome.stderr


def test_502s_that_do_not_go_away_fail_the_health_check(cli: Cli, start_server: StartServer
                                                        ) -> None:
    server = start_server(faults=(parse_fault("proxy-502=1"),), fault_path="/health")
    outcome, document = smoke(cli, server.url, env=ONE_RETRY)
    assert outcome.exit_code == 1
    health = checks(document)["health"]
    assert health["status"] == "fail"
    assert "502" in health["message"] and "after 2 attempts" in health["message"]
    attempts = health["details"]["failed_attempts"]
    assert [(a["request"], a["attempt"], a["status"]) for a in attempts] == [
        ("GET /health", 1, 502), ("GET /health", 2, 502)]
    assert statuses(document)["latency"] == "pass"  # /api/events is not behind the fault


def test_a_502_that_goes_away_on_a_retry_passes_with_a_warning(
        cli: Cli, start_server: StartServer) -> None:
    # Seed 1: the first /health answer is the proxy's 502, the next two are the server's.
    server = start_server(faults=(parse_fault("proxy-502=0.5"),), fault_path="/health", seed=1)
    outcome, document = smoke(cli, server.url)
    assert outcome.exit_code == 0
    health = checks(document)["health"]
    assert health["status"] == "pass"
    assert health["details"]["attempts"] == 2
    assert health["warnings"] == ["GET /health failed on attempt 1 (answered 502)"]


def test_a_degraded_dependency_fails_the_health_check(cli: Cli, start_server: StartServer
                                                      ) -> None:
    server = start_server(degraded=frozenset({"database"}))
    outcome, document = smoke(cli, server.url, env={"SEATCTL_RETRIES": "0"})
    assert outcome.exit_code == 1
    health = checks(document)["health"]
    assert health["status"] == "fail"
    assert health["message"].startswith("GET /api/health: server error 503")
    assert "degraded" in health["message"]
    assert health["message"].endswith("(database down)")  # named from the 503's body
    assert health["details"]["api_health"]["services"]["database"]["status"] != "healthy"
    assert statuses(document) == {"health": "fail", "latency": "pass", "auth": "skip",
                                  "booking": "skip", "keep-alive": "pass"}


def test_an_api_slower_than_the_budget_fails_the_latency_check(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(faults=(parse_fault("stall=1:0.5"),), fault_path="/api/events")
    started = time.monotonic()
    outcome, document = smoke(cli, server.url, "--max-latency-ms", "100")
    assert outcome.exit_code == 1
    latency = checks(document)["latency"]
    assert latency["status"] == "fail"
    assert "within the 100 ms budget" in latency["message"]
    # Cut off at the budget, and decided after two of three samples.
    assert latency["details"]["samples_ms"] == [None, None]
    assert time.monotonic() - started < 2.0


def test_latency_is_the_median_of_three(cli: Cli, start_server: StartServer) -> None:
    server = start_server()
    _, document = smoke(cli, server.url, "--max-latency-ms", "5000")
    details = checks(document)["latency"]["details"]
    samples = details["samples_ms"]
    assert len(samples) == 3 and all(isinstance(ms, float) for ms in samples)
    assert details["median_ms"] == sorted(samples)[1]


# --- auth and the booking round trip ---------------------------------------------------


def test_a_booking_round_trip_books_then_cancels(cli: Cli, start_server: StartServer) -> None:
    server = start_server()
    outcome, document = smoke(cli, server.url, "--book-test", "symphony", "--seat",
                              "Orchestra:A12", env=DEMO)
    assert outcome.exit_code == 0, str(outcome)
    auth, booking = checks(document)["auth"], checks(document)["booking"]
    assert auth["status"] == "pass" and auth["details"]["email"] == DEMO_EMAIL
    assert booking["status"] == "pass", booking
    details = booking["details"]
    assert details["seats"] == ["Orchestra:A12"] and details["cancelled"] is True
    with client(server, login(server)) as http:
        mine = http.get("/api/bookings/my").json()["data"]["bookings"]
        seats = seat_map(http, details["event_id"])
    assert [(b["id"], b["status"]) for b in mine] == [(details["booking_id"], "CANCELLED")]
    a12 = next(seat for section in seats["sections"] if section["name"] == "Orchestra"
               for seat in section["seats"] if seat["row"] == "A" and seat["number"] == "12")
    assert a12["isBooked"] is False


def test_a_general_admission_test_books_one_ticket(cli: Cli, start_server: StartServer
                                                   ) -> None:
    server = start_server()
    token = login(server)
    outcome, document = smoke(cli, server.url, "--book-test", "indie night",
                              env={"SEATCTL_TOKEN": token})
    assert outcome.exit_code == 0, str(outcome)
    booking = checks(document)["booking"]
    assert booking["details"]["quantity"] == 1 and booking["details"]["cancelled"] is True
    assert "1 ticket" in booking["message"]


def test_a_token_authenticates_without_a_login(cli: Cli, start_server: StartServer) -> None:
    server = start_server()
    outcome, document = smoke(cli, server.url, env={"SEATCTL_TOKEN": login(server)})
    assert outcome.exit_code == 0
    auth = checks(document)["auth"]
    assert auth["status"] == "pass"
    assert auth["details"]["token_from"] == "the configured token"
    assert auth["details"]["email"] == DEMO_EMAIL


def test_the_login_is_never_stored(cli: Cli, start_server: StartServer, tmp_path: Path) -> None:
    server = start_server()
    outcome, document = smoke(cli, server.url, env=DEMO)
    assert statuses(document)["auth"] == "pass"
    written = [path.name for path in tmp_path.rglob("*") if path.is_file()
               and not path.name.startswith("server-")]
    assert written == []  # no credentials.toml, no journal
    assert DEMO_PASSWORD not in outcome.stdout + outcome.stderr


@pytest.mark.parametrize(("env", "expected"), [
    ({**DEMO, "SEATCTL_PASSWORD": "wrong-password"},
     "POST /api/auth/login: login refused: Invalid email or password"),
    ({"SEATCTL_TOKEN": "not-a-valid-token"},
     "GET /api/auth/profile: not authenticated (401)"),
])
def test_refused_credentials_fail_the_auth_check_and_skip_the_booking(
        cli: Cli, start_server: StartServer, env: dict[str, str], expected: str) -> None:
    server = start_server()
    outcome, document = smoke(cli, server.url, "--book-test", "symphony", "--seat",
                              "Orchestra:A12", env=env)
    assert outcome.exit_code == 1
    auth = checks(document)["auth"]
    assert auth["status"] == "fail" and auth["message"].startswith(expected)
    assert checks(document)["booking"]["status"] == "skip"
    assert "Traceback" not in outcome.stderr


def test_a_seat_that_is_not_free_fails_the_booking_check(cli: Cli, start_server: StartServer
                                                         ) -> None:
    server = start_server()
    outcome, document = smoke(cli, server.url, "--book-test", "symphony", "--seat",
                              "orch:A1", env=DEMO)
    assert outcome.exit_code == 1
    booking = checks(document)["booking"]
    assert booking["message"] == "the test seat is not free: Orchestra:A1 (blocked)"
    assert booking["details"]["hint"]


# --- output -------------------------------------------------------------------------


def test_json_is_one_document_with_the_stable_keys(cli: Cli, start_server: StartServer
                                                   ) -> None:
    server = start_server()
    _, document = smoke(cli, server.url)
    assert list(document) == ["schema", "target", "passed", "elapsed_s", "max_time_s",
                              "checks", "rate_limited", "rate_limit", "not_verified", "strict"]
    assert document["not_verified"] == [] and document["strict"] is False
    assert document["schema"] == SCHEMA and document["target"] == server.url
    assert document["passed"] is True and document["max_time_s"] == 75
    assert [check["name"] for check in document["checks"]] == list(CHECK_NAMES)
    for check in document["checks"]:
        assert list(check) == ["name", "status", "message", "seconds", "details",
                               "warnings", "fix"]
        assert check["status"] in ("pass", "fail", "skip")
        assert isinstance(check["seconds"], float) and isinstance(check["details"], dict)
    assert 0 < document["elapsed_s"] < 5


def test_junit_has_one_case_per_check(cli: Cli, start_server: StartServer, tmp_path: Path
                                      ) -> None:
    server = start_server(timeouts=SHORT)
    report = tmp_path / "out" / "smoke.xml"
    report.parent.mkdir()
    # a generous latency budget: only keep-alive may fail, however loaded the machine is
    outcome = cli("smoke", server.url, *FAST, *NO_LATENCY_LIMIT, "--junit", str(report))
    assert outcome.exit_code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite" and suite.get("name") == "seatctl smoke"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == list(CHECK_NAMES)
    failing = [name for name, case in cases.items() if case.find("failure") is not None]
    assert failing == ["keep-alive"], outcome.stdout
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "2")
    failure = cases["keep-alive"].find("failure")
    assert failure is not None and "Fix:" in (failure.text or "")
    assert cases["auth"].find("skipped") is not None
    assert cases["health"].find("failure") is None and cases["health"].find("skipped") is None


def test_github_annotations_only_under_github_actions(cli: Cli, start_server: StartServer
                                                      ) -> None:
    def flaky() -> str:  # the same 502 first, then answers, on every new server
        return start_server(timeouts=SHORT, faults=(parse_fault("proxy-502=0.5"),),
                            fault_path="/health", seed=1).url

    # a generous latency budget: a loaded machine must not add a latency annotation
    outside = cli("smoke", flaky(), *FAST, *NO_LATENCY_LIMIT)
    assert outside.exit_code == 1 and "::" not in outside.stdout
    inside = cli("smoke", flaky(), *FAST, *NO_LATENCY_LIMIT, env={"GITHUB_ACTIONS": "true"})
    commands = [line for line in inside.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 4, inside.stdout
    # the report runs with workflow commands stopped (server text cannot forge one), then
    # they resume, with the same unguessable token, for the annotations
    stop, resume, warning, error = commands
    token = stop.removeprefix("::stop-commands::")
    assert len(token) == 32 and resume == f"::{token}::"
    assert warning.startswith("::warning title=seatctl smoke health::GET /health failed")
    assert error.startswith("::error title=seatctl smoke keep-alive::the server closed an idle")
    assert "\n" not in error and "%0AFix:%0A" in error
    not_true = cli("smoke", flaky(), *FAST, env={"GITHUB_ACTIONS": "1"})
    assert "::" not in not_true.stdout


def test_with_json_the_annotations_go_to_stderr(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=SHORT)
    outcome, document = smoke(cli, server.url, env={"GITHUB_ACTIONS": "true"})
    assert document["passed"] is False  # stdout is the one document
    assert "::error title=seatctl smoke keep-alive::" in outcome.stderr


# --- bounds and errors ----------------------------------------------------------------


def test_max_time_bounds_a_server_that_stalls_everything(cli: Cli, start_server: StartServer
                                                         ) -> None:
    server = start_server(faults=(parse_fault("stall=1:1.5"),))
    started = time.monotonic()
    outcome, document = smoke(cli, server.url, "--max-time", "1")
    elapsed = time.monotonic() - started
    assert outcome.exit_code == 1
    assert elapsed < 1 + 1.0, elapsed
    assert statuses(document) == {"health": "fail", "latency": "fail", "auth": "skip",
                                  "booking": "skip", "keep-alive": "fail"}
    assert checks(document)["latency"]["message"] == "not run: out of time (--max-time 1 s)"
    assert checks(document)["health"]["details"]["hint"] == "raise --max-time"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_url_exits_6(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "smoke.xml"
    url = f"http://127.0.0.1:{free_port()}"
    outcome = cli("smoke", url, *FAST, "--json", "--junit", str(report),
                  env={**ONE_RETRY, "GITHUB_ACTIONS": "true"})
    assert outcome.exit_code == 6, str(outcome)
    error = json.loads(outcome.stdout)["error"]
    assert error["type"] == "ConnectionRefused"
    assert "that the server listens" in error["hint"]
    assert "::error title=seatctl smoke health::GET /health: connection refused" in outcome.stderr
    cases = ET.parse(report).getroot().findall("testcase")
    assert [case.find("failure") is not None for case in cases] == [True] + [False] * 4


@pytest.mark.parametrize(("args", "env", "message"), [
    (("--min-idle", "0"), {}, "--min-idle must be more than 0 and at most 86400"),
    (("--min-idle", "86401"), {}, "--min-idle must be more than 0 and at most 86400"),
    (("--min-idle", "1", "--keep-alive-bound", "1"), {}, "give --min-idle only"),
    (("--seat", "A12"), {}, "--seat needs --book-test"),
    (("--book-test", "symphony"), {}, "--book-test needs a login"),
    (("--book-test", " "), DEMO, "--book-test needs an event"),
    ((), {"SEATCTL_EMAIL": DEMO_EMAIL}, "SEATCTL_PASSWORD is not set"),
    (("--max-time", "0"), {}, "--max-time"),
    (("--max-latency-ms", "-1"), {}, "--max-latency-ms"),
    (("--junit", "/nonexistent/folder/smoke.xml"), {}, "cannot write the JUnit report"),
])
def test_bad_input_exits_2(cli: Cli, server: ReferenceServer, args: tuple[str, ...],
                           env: dict[str, str], message: str) -> None:
    outcome = cli("smoke", server.url, *args, env=env)
    assert outcome.exit_code == 2, str(outcome)
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


@pytest.mark.parametrize("url", ["ftp://example.com", "http://", "http://user:pw@host",
                                 "http://host/?q=1"])
def test_a_bad_url_exits_2(cli: Cli, url: str) -> None:
    outcome = cli("smoke", url)
    assert outcome.exit_code == 2, str(outcome)
    assert outcome.stderr.startswith("error: ")


def test_without_a_url_the_profiles_base_url_is_checked(cli: Cli, server: ReferenceServer
                                                        ) -> None:
    outcome = cli("--base-url", server.url, "smoke", *FAST, "--json")
    assert outcome.exit_code == 0, str(outcome)
    assert json.loads(outcome.stdout)["target"] == server.url


def test_a_stored_login_never_travels_to_another_server(
    cli: Cli, start_server: StartServer,
) -> None:
    """The token `seatctl login` stored belongs to the profile's base_url: smoke against
    another URL must not send it (it would leak, and fail as a 401 for the wrong reason)."""
    home, other = start_server(), start_server()
    base = {"SEATCTL_BASE_URL": home.url}
    logged_in = cli("login", "--email", DEMO_EMAIL, "--password-stdin", env=base,
                    input=DEMO_PASSWORD + "\n")
    assert logged_in.exit_code == 0, str(logged_in)
    _, own = smoke(cli, home.url, env=base)
    assert statuses(own)["auth"] == "pass"
    _, elsewhere = smoke(cli, other.url, env=base)
    auth = checks(elsewhere)["auth"]
    assert auth["status"] == "skip" and "stored login" in auth["message"]


def test_server_text_cannot_forge_a_workflow_command(cli: Cli, start_server: StartServer) -> None:
    """Whatever the report prints comes between ::stop-commands:: and its resume line."""
    server = start_server(timeouts=SHORT)
    outcome = cli("smoke", server.url, *FAST, env={"GITHUB_ACTIONS": "true"})
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("::stop-commands::")
    resume = lines.index(f"::{lines[0].removeprefix('::stop-commands::')}::")
    report, annotations = lines[1:resume], lines[resume + 1:]
    assert report and all(line.startswith(("::error", "::warning", " "))
                          for line in annotations)

