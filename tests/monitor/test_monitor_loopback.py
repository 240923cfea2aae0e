"""`seatctl monitor` end to end on loopback, scaled down: rate 50/s, runs of 1-3 s."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import MonitorRun, run_monitor
from seatctl.server import LogEntry, ServerConfig, parse_fault, serving_in_thread
from tests.conftest import StartServer
from tests.monitor.conftest import MonitorCli
from tests.support.servers import silent_server

FAST = ("--rate", "50", "--duration", "2")


def json_lines(stdout: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    documents = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert documents[-1]["type"] == "summary"
    return documents[:-1], documents[-1]


def test_a_steady_server_shows_no_incident_and_the_rate_holds(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server()
    outcome = monitor_cli(server.url, *FAST, "--json")
    assert outcome.exit_code == 0, str(outcome)
    incidents, summary = json_lines(outcome.stdout)
    assert incidents == []
    assert 20 <= summary["requests"] <= 50 * 2 + 1
    assert summary["verdict"]["passed"] is True


def test_resets_are_classified_fresh_and_reused_and_fail_the_run(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.2"),), seed=7)
    outcome = monitor_cli(server.url, *FAST, "--json")
    assert outcome.exit_code == 1, str(outcome)
    incidents, summary = json_lines(outcome.stdout)
    classes = {incident["class"] for incident in incidents}
    assert "cut" in classes  # on fresh connections
    assert classes & {"dropped", "keep-alive-race"}  # on reused ones
    fresh = [incident for incident in incidents if incident["class"] == "cut"]
    assert all(not incident["reused"] for incident in fresh)
    assert summary["verdict"]["passed"] is False


def test_the_plain_report_explains_the_drain_and_its_fix(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server(faults=(parse_fault("reset-before-response=0.2"),), seed=7)
    outcome = monitor_cli(server.url, *FAST)
    assert outcome.exit_code == 1
    first = outcome.stdout.splitlines()[0].split("\t")
    assert first[0].startswith("+") and first[2] in ("cut", "dropped", "keep-alive-race")
    assert "seatctl serve --shutdown graceful" in outcome.stdout
    assert "verdict: FAIL" in outcome.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_nothing_listening_then_a_server_is_a_gap_with_its_length(
        monitor_cli: MonitorCli, tmp_path: Any) -> None:
    port = free_port()
    with ExitStack() as stack:
        def start() -> None:
            stack.enter_context(serving_in_thread(
                ServerConfig(port=port, db=str(tmp_path / "gap.db"), process_delay=0.02)))

        timer = threading.Timer(1.0, start)
        timer.start()
        outcome = monitor_cli(f"http://127.0.0.1:{port}", "--rate", "50", "--duration", "3",
                              "--json", "--max-gap", "5")
        timer.join()
    assert outcome.exit_code == 0, str(outcome)
    incidents, summary = json_lines(outcome.stdout)
    assert [incident["class"] for incident in incidents][:2] == ["refused", "gap-ended"]
    assert 0.7 <= incidents[1]["gap_s"] <= 2.5
    assert summary["gaps_s"] == [incidents[1]["gap_s"]]


def test_a_gap_longer_than_max_gap_fails(monitor_cli: MonitorCli) -> None:
    outcome = monitor_cli(f"http://127.0.0.1:{free_port()}", "--rate", "50", "--duration", "1",
                          "--max-gap", "0.5")
    assert outcome.exit_code == 1
    assert "one still open after" in outcome.stdout and "longer than --max-gap" in outcome.stdout


def test_a_proxy_502_is_classified_with_who_sent_it(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server(faults=(parse_fault("proxy-502=0.3"),), seed=3)
    outcome = monitor_cli(server.url, *FAST, "--json")
    incidents, _ = json_lines(outcome.stdout)
    gateway = [incident for incident in incidents if incident["class"] == "gateway"]
    assert gateway and all(incident["status"] == 502 for incident in gateway)
    assert "proxy" in gateway[0]["sender"]
    assert outcome.exit_code == 1


def test_the_commands_failing_status_is_the_exit_status(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server()
    outcome = monitor_cli(server.url, "--rate", "50", "--settle", "0.5", "--",
                          "sh", "-c", "echo deploying; exit 3")
    assert outcome.exit_code == 3, str(outcome)
    assert "deploying" in outcome.stderr
    assert "command sh -c 'echo deploying; exit 3': exited 3" in outcome.stdout
    assert "verdict: pass (the monitor's); exit 3 from the command" in outcome.stdout
    assert not outcome.stdout.startswith("\n")


def test_a_command_that_succeeds_leaves_the_monitors_verdict(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server()
    outcome = monitor_cli(server.url, "--rate", "50", "--settle", "0.5", "--json", "--",
                          "sh", "-c", "exit 0")
    assert outcome.exit_code == 0, str(outcome)
    _, summary = json_lines(outcome.stdout)
    assert summary["command_status"] == 0 and summary["requests"] > 0


@pytest.fixture
def logged_server(tmp_path: Any) -> Iterator[tuple[str, list[LogEntry]]]:
    entries: list[LogEntry] = []
    with serving_in_thread(ServerConfig(port=0, db=str(tmp_path / "log.db"),
                                        process_delay=0.02), log=entries.append) as server:
        yield server.url, entries


def test_only_gets_are_sent_without_post(logged_server: tuple[str, list[LogEntry]],
                                         monitor_cli: MonitorCli) -> None:
    url, entries = logged_server
    monitor_cli(url, "--rate", "50", "--duration", "1")
    assert entries and {(entry.method, entry.path) for entry in entries} == {("GET", "/health")}


def test_post_goes_only_to_the_path_named(logged_server: tuple[str, list[LogEntry]],
                                          monitor_cli: MonitorCli) -> None:
    url, entries = logged_server
    monitor_cli(url, "--rate", "50", "--duration", "1", "--post", "/api/auth/login")
    sent = {(entry.method, entry.path) for entry in entries}
    assert sent == {("GET", "/health"), ("POST", "/api/auth/login")}


def test_the_bounds_hold_against_a_server_that_answers_nothing() -> None:
    with silent_server() as silent:
        plan = MonitorPlan(url=silent.url, connections=3, rate=50, duration=1.5)
        run = MonitorRun(plan)
        asyncio.run(run_monitor(run, on_incident=lambda incident: None))
        state = run.snapshot()
        accepted = silent.accepted
    assert state.elapsed < 3.0
    assert run.max_open_connections <= 3 and accepted <= 3
    assert state.unanswered_at_end == 3 and state.answered == 0


def test_ctrl_c_ends_the_run_with_the_report(
        start_server: StartServer, monitor_cli: MonitorCli) -> None:
    server = start_server()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    outcome = monitor_cli(server.url, "--rate", "50", "--duration", "30")
    timer.join()
    assert outcome.exit_code == 130, str(outcome)
    assert "interrupted: what was sampled until Ctrl-C" in outcome.stdout
    assert "verdict: pass" in outcome.stdout


def test_a_summary_comes_at_every_interval(start_server: StartServer) -> None:
    server = start_server()
    summaries: list[Any] = []
    run = MonitorRun(MonitorPlan(url=server.url, rate=50, duration=1.3))
    asyncio.run(run_monitor(run, on_incident=lambda incident: None,
                            on_summary=summaries.append, summary_every=0.5))
    assert len(summaries) == 2 and summaries[0].requests > 0 and summaries[0].p95 is not None


def test_a_host_that_does_not_resolve_is_a_network_error(monitor_cli: MonitorCli) -> None:
    from seatctl.errors import DNSError

    with pytest.raises(DNSError):
        monitor_cli("http://no-such-host.invalid", "--duration", "1")
