"""The review's fixes: held connections that die while idle, incident times, requests in
flight, and the end report's wording."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest

from seatctl.diagnostics.failures import FailureKind
from seatctl.monitor.incidents import Classifier, Failure, Incident, IncidentClass, Outcome
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import MonitorRun, Snapshot, run_monitor
from seatctl.monitor.sampler import Sample
from seatctl.monitor.verdict import judge
from seatctl.render.monitor import latency_words, report_lines, summary_line
from tests.conftest import ServeProcess

WAIT_LIMIT = 20.0


def idle_death(idle: float, kind: FailureKind = FailureKind.RESET) -> Outcome:
    return Outcome(at=2.1, wall="2026-01-01T00:00:02.100Z", method="", path="/health",
                   reused=True, connection_age=3.0, idle=idle,
                   failure=Failure(kind, "", while_idle=True))


def test_a_held_connection_reset_long_before_its_idle_close_is_dropped() -> None:
    found = Classifier(idle_close=5.0).classify(idle_death(1.2))
    assert [incident.kind for incident in found] == [IncidentClass.DROPPED]
    assert found[0].detail.startswith("a held connection was reset by the server after "
                                      "1.20 s idle, long before its idle close")
    assert found[0].at == 2.1 and found[0].as_dict()["sent_at_s"] is None


def test_a_close_near_the_idle_close_is_the_servers_normal_idle_close() -> None:
    classifier = Classifier(idle_close=5.0)
    assert classifier.classify(idle_death(3.8, FailureKind.CLOSED)) == []
    assert classifier.classify(idle_death(5.0)) == []


def test_a_reset_answering_a_request_late_in_the_idle_time_is_still_the_race() -> None:
    race = Outcome(at=6.0, wall="", method="GET", path="/health", reused=True,
                   connection_age=9.0, idle=4.9, sent_at=5.99,
                   failure=Failure(FailureKind.RESET, "reset"))
    assert [incident.kind for incident in Classifier(idle_close=5.0).classify(race)] == [
        IncidentClass.KEEP_ALIVE_RACE]


def test_an_incident_is_timed_when_its_outcome_is_known_and_says_when_it_was_sent() -> None:
    run = MonitorRun(MonitorPlan(url="http://127.0.0.1:9"))
    kept: list[Incident] = []
    run.on_incident = kept.append
    run.record(Sample(0.0, "GET", "/health", reused=False, connection_age=0.0, idle=0.0,
                      failure=Failure(FailureKind.TIMEOUT, "no answer", phase="read"),
                      ended=10.0))
    document = kept[0].as_dict()
    assert (document["at_s"], document["sent_at_s"]) == (10.0, 0.0)


def test_an_idle_death_is_not_a_request_and_shows_no_method() -> None:
    run = MonitorRun(MonitorPlan(url="http://127.0.0.1:9", idle_close=5.0))
    run.record(Sample(2.0, "", "/health", True, 3.0, 0.5,
                      failure=Failure(FailureKind.RESET, "", while_idle=True), ended=2.0))
    assert run.requests == 0 and run.by_class == {"dropped": 1}
    assert run.kept[0].as_dict()["method"] is None


def snapshot(**fields: object) -> Snapshot:
    base: dict[str, object] = dict(elapsed=10.0, requests=40, answered=36, by_class={},
                                   errors=0, gaps=(), open_gap=None, p50=0.0005, p95=1.2,
                                   idle_close=5.0, idle_close_source="given", incidents=())
    return Snapshot(**{**base, **fields})  # type: ignore[arg-type]


def test_requests_in_flight_show_in_the_summary_and_the_end_report() -> None:
    assert "36 answered, 4 in flight, 0 incidents" in summary_line(snapshot(in_flight=4))
    plan = MonitorPlan(url="http://127.0.0.1:9")
    lines = report_lines(snapshot(in_flight=4, unanswered_at_end=4), judge(snapshot(), plan))
    assert "4 unanswered at the end" in lines[0]


def test_the_report_quotes_the_command_and_explains_its_exit_status() -> None:
    plan = MonitorPlan(url="http://127.0.0.1:9")
    state = snapshot(command=("sh", "-c", "exit 4"), command_status=4)
    lines = report_lines(state, judge(state, plan))
    assert lines[0].startswith("monitored ")  # no incidents above: no blank line first
    assert "command sh -c 'exit 4': exited 4" in lines
    assert lines[-1] == "verdict: pass (the monitor's); exit 4 from the command"
    assert "p50 0.5 ms, p95 1.20 s" in lines[0]


@pytest.mark.parametrize(("seconds", "words"), [
    (0.0005, "0.5 ms"), (0.012, "12 ms"), (1.2, "1.20 s")])
def test_latency_has_one_precision_everywhere(seconds: float, words: str) -> None:
    assert latency_words(seconds) == words


@pytest.fixture
def abrupt_server(serve_process: ServeProcess) -> tuple[subprocess.Popen[bytes], str]:
    return serve_process(Path(":memory:"), "--shutdown", "abrupt")


async def monitor_an_abrupt_restart(process: subprocess.Popen[bytes], url: str
                                    ) -> MonitorRun:
    """Sample until every slot has a held connection, SIGTERM the server, and end once
    the held connections' deaths are recorded."""
    run = MonitorRun(MonitorPlan(url=url, connections=4, rate=20, duration=30,
                                 idle_close=5.0))
    task = asyncio.create_task(run_monitor(run, on_incident=lambda incident: None, seed=1))
    async with asyncio.timeout(WAIT_LIMIT):
        while run.answered < 8:
            await asyncio.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        while run.by_class.get("dropped", 0) < 1 or run.by_class.get("refused", 0) < 1:
            await asyncio.sleep(0.02)
    run.stop()
    await task
    return run


def test_an_abrupt_restart_drops_held_connections_and_is_no_keep_alive_race(
        abrupt_server: tuple[subprocess.Popen[bytes], str]) -> None:
    process, url = abrupt_server
    run = asyncio.run(monitor_an_abrupt_restart(process, url))
    assert "keep-alive-race" not in run.by_class
    dropped = [incident for incident in run.kept if incident.kind is IncidentClass.DROPPED]
    assert dropped and all(not incident.method for incident in dropped)
    assert "a held connection was" in dropped[0].detail
