"""Classification, verdict and bounds, over recorded outcomes: no network."""

from __future__ import annotations

import pytest

from seatctl.diagnostics.failures import FailureKind
from seatctl.errors import UsageError
from seatctl.monitor.incidents import Classifier, Failure, IncidentClass, Outcome
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import Snapshot
from seatctl.monitor.verdict import DRAIN_FIX, exit_status, judge

NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>"
             b"<h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n")


def outcome(at: float = 1.0, *, reused: bool = False, idle: float = 0.0,
            failure: Failure | None = None, status: int | None = 200,
            seconds: float = 0.01, headers: tuple[tuple[str, str], ...] = (),
            body: bytes = b"") -> Outcome:
    return Outcome(at=at, wall="2026-01-01T00:00:01.000Z", method="GET", path="/health",
                   reused=reused, connection_age=3.0 if reused else 0.0, idle=idle,
                   seconds=None if failure else seconds, status=None if failure else status,
                   headers=headers, error_body=body, failure=failure)


def kinds(classifier: Classifier, *outcomes: Outcome) -> list[IncidentClass]:
    return [incident.kind for each in outcomes for incident in classifier.classify(each)]


def test_a_reset_on_a_connection_idle_near_the_idle_close_is_the_keep_alive_race() -> None:
    reset = Failure(FailureKind.RESET, "reset")
    found = Classifier(idle_close=5.0).classify(outcome(reused=True, idle=4.9, failure=reset))
    assert [incident.kind for incident in found] == [IncidentClass.KEEP_ALIVE_RACE]
    assert "4.90 s idle" in found[0].detail


def test_a_reused_connection_cut_soon_after_its_last_answer_was_dropped() -> None:
    closed = Failure(FailureKind.CLOSED, "closed")
    assert kinds(Classifier(idle_close=5.0), outcome(reused=True, idle=0.1, failure=closed)) \
        == [IncidentClass.DROPPED]


def test_a_fresh_connection_reset_is_a_process_going_away() -> None:
    found = Classifier().classify(outcome(failure=Failure(FailureKind.RESET, "reset")))
    assert found[0].kind is IncidentClass.CUT and "fresh connection" in found[0].detail


def test_refusals_open_one_gap_and_a_success_closes_it_with_its_length() -> None:
    refused = Failure(FailureKind.REFUSED, "refused")
    classifier = Classifier()
    found = [incident for each in (outcome(1.0, failure=refused), outcome(1.5, failure=refused),
                                   outcome(3.25))
             for incident in classifier.classify(each)]
    assert [incident.kind for incident in found] == [IncidentClass.REFUSED,
                                                     IncidentClass.GAP_ENDED]
    assert found[1].gap_s == pytest.approx(2.25)
    assert "2 requests refused" in found[1].detail


def test_a_draining_process_answering_on_a_held_connection_does_not_end_the_gap() -> None:
    """A graceful drain: the old process still answers on a connection it holds while
    nothing accepts new ones: one gap, ended by the first new connection answered."""
    refused = Failure(FailureKind.REFUSED, "refused")
    classifier = Classifier()
    found = [incident for each in (outcome(0.05, failure=refused),
                                   outcome(0.20, reused=True, idle=0.1),
                                   outcome(0.25, failure=refused), outcome(0.40))
             for incident in classifier.classify(each)]
    assert [incident.kind for incident in found] == [IncidentClass.REFUSED,
                                                     IncidentClass.GAP_ENDED]
    assert found[1].gap_s == pytest.approx(0.35)
    assert "2 requests refused" in found[1].detail


def test_a_502_page_names_the_proxy_that_wrote_it() -> None:
    found = Classifier().classify(outcome(status=502, body=NGINX_502,
                                          headers=(("server", "nginx/1.25.3"),)))
    assert found[0].kind is IncidentClass.GATEWAY
    assert found[0].sender is not None and "nginx" in found[0].sender.lower()


def test_a_503_with_a_json_body_comes_from_the_application() -> None:
    found = Classifier().classify(outcome(status=503, body=b'{"status":"error"}',
                                          headers=(("server", "uvicorn"),)))
    assert found[0].sender is not None and found[0].sender.startswith("the application")


def test_slow_answers_and_a_new_server_are_noted_but_not_errors() -> None:
    classifier = Classifier(slow=0.5)
    found = kinds(classifier, outcome(headers=(("server", "app/1"),)),
                  outcome(seconds=0.8, headers=(("server", "app/1"),)),
                  outcome(headers=(("server", "app/2"),)),
                  outcome(headers=(("server", "app/1"),)))
    assert found == [IncidentClass.SLOW, IncidentClass.SERVER_CHANGED]
    assert not any(kind.counts_as_error for kind in found)


def test_the_instance_header_names_a_new_instance() -> None:
    classifier = Classifier(instance_header="X-Instance")
    found = kinds(classifier, outcome(headers=(("x-instance", "a"),)),
                  outcome(headers=(("x-instance", "b"),)))
    assert found == [IncidentClass.SERVER_CHANGED]


def snapshot(**changes: object) -> Snapshot:
    values: dict[str, object] = {
        "elapsed": 10.0, "requests": 100, "answered": 99, "by_class": {}, "errors": 0,
        "gaps": (), "open_gap": None, "p50": 0.01, "p95": 0.02, "idle_close": 5.0,
        "idle_close_source": "assumed", "incidents": ()}
    return Snapshot(**{**values, **changes})  # type: ignore[arg-type]


def test_the_verdict_explains_each_class_with_its_fix_and_fails_over_max_errors() -> None:
    plan = MonitorPlan(url="http://127.0.0.1:1")
    verdict = judge(snapshot(by_class={"cut": 2}, errors=2), plan)
    assert not verdict.passed and "more than --max-errors 0" in verdict.reasons[0]
    assert verdict.classes[0].fix == DRAIN_FIX
    assert "seatctl serve --shutdown graceful" in DRAIN_FIX
    assert judge(snapshot(by_class={"cut": 2}, errors=2),
                 MonitorPlan(url="http://127.0.0.1:1", max_errors=2)).passed


def test_max_gap_judges_gaps_by_length() -> None:
    plan = MonitorPlan(url="http://127.0.0.1:1", max_gap=2.0)
    assert judge(snapshot(gaps=(1.5,), by_class={"refused": 1}), plan).passed
    failed = judge(snapshot(gaps=(1.5,), open_gap=2.5, by_class={"refused": 2}), plan)
    assert "a gap of 2.50 s" in failed.reasons[0]


@pytest.mark.parametrize(("command_status", "passed", "interrupted", "expected"), [
    (3, True, False, 3), (3, False, False, 3), (0, False, False, 1), (None, True, True, 130),
    (None, False, True, 1), (0, True, False, 0),
])
def test_the_exit_status_puts_the_commands_failure_first(
        command_status: int | None, passed: bool, interrupted: bool, expected: int) -> None:
    state = snapshot(command_status=command_status, interrupted=interrupted,
                     errors=0 if passed else 1)
    verdict = judge(state, MonitorPlan(url="http://127.0.0.1:1"))
    assert exit_status(verdict, state) == expected


@pytest.mark.parametrize("changes", [
    {"connections": 65}, {"connections": 0}, {"rate": 201}, {"duration": 3601},
    {"post_path": "no-slash"}, {"url": "ftp://host"},
])
def test_the_plan_refuses_what_is_out_of_bounds(changes: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        MonitorPlan(**{"url": "http://127.0.0.1:1", **changes})  # type: ignore[arg-type]
