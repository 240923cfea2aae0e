"""Partial reports that tell the truth: after Ctrl-C, the --timeout deadline or a probe's own
bound, the report names the probes cut and by what (with the time they had run), and gives no
advice that belongs to a network failure or to --max-wait; a probe that really failed keeps
that advice, and a wait that ran to --max-wait keeps its own."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.findings import Finding, Skipped
from seatctl.diagnostics.report import Report, build_report, junit_xml, report_json
from seatctl.diagnostics.runs import BOUND_SLACK, CutBy, DoctorPlan, DoctorRun, Probe, ProbeState
from seatctl.render.doctor import render_report
from seatctl.render.streams import IOStreams
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.diagnostics.factories import cut_run, finding_of, healthy_run, idle, keep_alive
from tests.helpers import Cli

LONG_IDLE = ConnectionTimeouts(keep_alive_timeout=30.0, advertised_keep_alive=30.0)
WAIT_LIMIT = 10.0  # no test waits longer for the probes to reach the idle wait
NETWORK_ADVICE = "Rerun when the cause is fixed"
MAX_WAIT_ADVICE = "raise --max-wait"
QUICK_PROBES = (Probe.TIMING, Probe.REQUESTS, Probe.BURST)


def flat(text: str) -> str:
    """`text` with its line breaks (a wrapped report's) made spaces."""
    return " ".join(text.split())


def everything_said(report: Report) -> str:
    """The JSON document and the text report, as one string to search."""
    streams = IOStreams.test(width=100)
    render_report(streams, report, as_json=False)
    return flat(json.dumps(report_json(report)) + "\n" + streams.out_text())


def assert_no_wrong_advice(said: str) -> None:
    assert NETWORK_ADVICE not in said and "network error" not in said
    assert MAX_WAIT_ADVICE not in said and "(--max-wait)" not in said


def probes_finished(report: Report) -> Finding:
    return next(f for f in report.findings if f.id == "probes-finished")


# --- Ctrl-C in the idle wait, as the CLI meets it ---------------------------------------


def interrupted_in_the_idle_wait(url: str) -> DoctorRun:
    """run_doctor on its own event loop, KeyboardInterrupt raised once the quick probes are
    done and the keep-alive connection waits (asyncio.run then cancels the run, as on
    Ctrl-C), and the run marked as the CLI marks it."""
    run = DoctorRun(DoctorPlan(url=url, quick=True, max_wait=20.0))

    async def interrupt_in_the_wait() -> None:
        doctor = asyncio.ensure_future(run_doctor(run))
        async with asyncio.timeout(WAIT_LIMIT):
            while not (run.keep_alive_response is not None and all(
                    run.runs[probe].state is ProbeState.DONE for probe in QUICK_PROBES)):
                if doctor.done():
                    doctor.result()  # a failure surfaces here
                await asyncio.sleep(0.01)  # polling a condition: the wait is 30 s long
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(interrupt_in_the_wait())
    run.mark_interrupted()
    return run


def test_an_interrupt_in_the_idle_wait_names_the_cut_probe_and_no_wrong_advice(
        start_server: StartServer) -> None:
    server = start_server(timeouts=LONG_IDLE)
    report = build_report(interrupted_in_the_idle_wait(server.url))
    document = report_json(report)
    assert (document["complete"], document["cut_by"]) == (False, "interrupted")
    keepalive = document["probe_states"]["keepalive"]
    assert (keepalive["state"], keepalive["cut_by"], keepalive["error"]) == (
        "cut", "interrupted", "interrupted")
    assert keepalive["elapsed_s"] > 0
    for probe in QUICK_PROBES:
        assert document["probe_states"][probe.value]["cut_by"] is None
    assert document["probes"]["keepalive"]["idle_close_lower_bound"] is True
    finding = probes_finished(report)
    assert "Cut short: keep-alive (interrupted after " in finding.detail
    assert finding.fix is not None and finding.fix.startswith("Rerun without interrupting")
    said = everything_said(report)
    assert_no_wrong_advice(said)
    assert "the probe was interrupted after" in said  # why the lower bound decides nothing
    assert "(interrupted: a partial report)" in said


# --- the --timeout deadline ---------------------------------------------------------------


def test_the_timeout_deadline_cuts_the_run_into_an_honest_partial_report(
        cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=LONG_IDLE)
    outcome = cli("--timeout", "1.5", "doctor", server.url, "--quick", "--max-wait", "20")
    assert outcome.exit_code == 6, str(outcome)
    assert "deadline" in outcome.stderr and "--timeout" in outcome.stderr
    said = flat(outcome.stdout)
    assert "(cut by the --timeout deadline: a partial report)" in said
    assert "keep-alive (cut by the --timeout deadline after 1." in said
    assert "Rerun with a longer --timeout" in said
    assert_no_wrong_advice(said)


def test_the_timeout_deadline_in_json(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=LONG_IDLE)
    outcome = cli("--timeout", "1.5", "doctor", server.url, "--quick", "--max-wait", "20",
                  "--json")
    assert outcome.exit_code == 6, str(outcome)
    document: dict[str, Any] = json.loads(outcome.stdout)  # one document, no error's
    assert (document["complete"], document["cut_by"]) == (False, "deadline")
    assert document["elapsed_s"] < 1.5 + 1.0
    keepalive = document["probe_states"]["keepalive"]
    assert (keepalive["state"], keepalive["cut_by"]) == ("cut", "deadline")
    assert 1.0 < keepalive["elapsed_s"] < 1.5 + 1.0
    assert document["probe_states"]["burst"]["cut_by"] is None
    assert_no_wrong_advice(outcome.stdout)


# --- a probe's own bound ------------------------------------------------------------------


def test_a_probe_cut_by_its_own_bound_is_cut_not_failed(start_server: StartServer) -> None:
    server = start_server(timeouts=LONG_IDLE)
    run = DoctorRun(DoctorPlan(url=server.url, quick=True, max_wait=20.0))
    run.runs[Probe.KEEPALIVE].bound_s = 0.6 - BOUND_SLACK  # cut at 0.6 s, in its idle wait
    asyncio.run(run_doctor(run))
    record = run.runs[Probe.KEEPALIVE]
    assert (record.state, record.cut_by) == (ProbeState.CUT, CutBy.DEADLINE)
    assert record.cut_description().startswith("cut by its own bound (0.6 s) after 0.")
    assert run.complete and run.cut_by is None  # the run itself ran to its end
    report = build_report(run)
    finding = probes_finished(report)
    assert finding.fix is not None and "outran its own bound" in finding.fix
    assert_no_wrong_advice(everything_said(report))


# --- recorded runs --------------------------------------------------------------------------


@pytest.mark.parametrize(("by", "words"), [(CutBy.INTERRUPTED, "interrupted"),
                                            (CutBy.DEADLINE, "cut by the --timeout deadline")])
def test_a_cut_run_says_what_cut_it_everywhere(by: CutBy, words: str) -> None:
    report = build_report(cut_run(by, waited_s=3.0))
    assert_no_wrong_advice(everything_said(report))
    reasons = {skipped.id: skipped.reason for skipped in report.skipped}
    assert reasons["client-pool-expiry"].endswith(f"the probe was {words} after 12.5 s")
    assert reasons["reuse-race"] == f"{words} before the idle close"
    assert reasons["burst"] == f"the burst probe was {words} after 12.5 s"
    assert f"burst ({words} after 12.5 s)" in probes_finished(report).detail
    suite = ET.fromstring(junit_xml(report).encode())
    error = suite.find("testcase[@name='run-complete']/error")
    assert error is not None and error.get("message") == f"{words}: the report is partial"


def test_a_probe_cut_before_it_started_says_so() -> None:
    run = cut_run(CutBy.INTERRUPTED, waited_s=None)
    run.runs[Probe.BURST].started_at = None
    assert "burst (interrupted before it started)" in probes_finished(build_report(run)).detail


def test_a_probe_that_failed_on_the_network_keeps_its_advice() -> None:
    run = healthy_run()
    record = run.runs[Probe.BURST]
    record.state, record.error = ProbeState.FAILED, "connection reset by 127.0.0.1:9"
    finding = finding_of(run, "probes-finished")
    assert finding.fix is not None and NETWORK_ADVICE in finding.fix
    assert "interrupting" not in finding.fix and "--timeout" not in finding.fix


def test_a_failure_and_an_interrupt_each_get_their_own_advice() -> None:
    run = cut_run(CutBy.INTERRUPTED)
    run.runs[Probe.TIMING].state = ProbeState.FAILED
    run.runs[Probe.TIMING].error = "connection reset by 127.0.0.1:9 (after 5 tries)"
    finding = finding_of(run, "probes-finished")
    assert finding.detail.startswith(
        "Failed: timing (connection reset by 127.0.0.1:9 (after 5 tries)). Cut short: ")
    assert finding.fix is not None
    assert finding.fix.splitlines() == [
        "Rerun when the cause is fixed; a probe that failed with a network error met the "
        "same failure users meet.",
        "Rerun without interrupting to measure the rest: a run takes about one idle close."]


def test_a_wait_that_ran_to_max_wait_still_asks_for_a_longer_one() -> None:
    run = healthy_run()
    run.idle = idle(keep_alive(3.0, None, max_wait=3.0))
    outcome = {o.id: o for o in build_report(run).outcomes}["client-pool-expiry"]
    assert isinstance(outcome, Skipped)
    assert outcome.reason.endswith(": raise --max-wait above 5 s to decide")


def test_probe_states_carry_cut_by_and_failed_tries() -> None:
    document = report_json(build_report(cut_run(CutBy.DEADLINE)))
    for state in document["probe_states"].values():
        assert set(state) == {"state", "cut_by", "error", "elapsed_s", "started_s", "ended_s",
                              "failed_tries"}
    assert document["probe_states"]["keepalive"]["cut_by"] == "deadline"
    assert document["probe_states"]["timing"]["cut_by"] is None
    assert document["probe_states"]["slow_client"] == {
        "state": "skipped", "cut_by": None, "error": "--quick", "elapsed_s": 0.0,
        "started_s": None, "ended_s": None, "failed_tries": []}
