"""The gateway verdict follows who sent the 502/503/504s (the application's 503 "not ready"
is not a proxy meeting a dead backend), in the verdict, the text report, JUnit and Markdown;
a wrapped fix stays one paragraph in Markdown."""

from __future__ import annotations

import json

from seatctl.monitor.incidents import Classifier, Incident
from seatctl.monitor.junit import junit_xml
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.verdict import DRAIN_FIX, GAP_FIX, READINESS_FIX, Verdict, judge
from seatctl.render.monitor import report_lines
from seatctl.render.paste import paste_report
from seatctl.render.paste.inline import CodeBlock, Paragraph, fix_blocks
from tests.monitor.test_incidents import NGINX_502, outcome, snapshot
from tests.render.test_paste_reports import WHEN

PLAN = MonitorPlan(url="http://127.0.0.1:1")
NOT_READY = b'{"status":"error","error":{"message":"Service not ready"}}'


def from_application(count: int = 3) -> list[Incident]:
    classifier = Classifier()
    return [incident for _ in range(count) for incident in classifier.classify(
        outcome(status=503, body=NOT_READY, headers=(("retry-after", "1"),)))]


def from_nginx(status: int = 502) -> list[Incident]:
    return Classifier().classify(outcome(status=status, body=NGINX_502,
                                         headers=(("server", "nginx/1.25.3"),)))


def gateway_verdict(incidents: list[Incident]) -> Verdict:
    return judge(snapshot(by_class={"gateway": len(incidents)}, errors=len(incidents),
                          incidents=tuple(incidents)), PLAN)


def test_the_applications_503s_get_only_the_readiness_fix() -> None:
    item = gateway_verdict(from_application()).classes[0]
    assert item.fix == READINESS_FIX
    assert item.sentence.startswith("The 503s the application itself sent: an instance took "
                                    "traffic before it was ready")
    assert "Drain" not in (item.fix or "") and "draining" not in item.sentence


def test_a_proxys_502s_and_504s_get_the_drain_and_gap_fixes() -> None:
    item = gateway_verdict(from_nginx(502) + from_nginx(504)).classes[0]
    assert item.fix == DRAIN_FIX + "\n" + GAP_FIX
    assert item.sentence.startswith("The 502s and 504s a proxy in front of the application "
                                    "sent: it met a backend that went away")


def test_mixed_senders_get_both_fixes_and_say_which_is_which() -> None:
    item = gateway_verdict(from_application(2) + from_nginx(502)).classes[0]
    assert item.fix == READINESS_FIX + "\n" + DRAIN_FIX + "\n" + GAP_FIX
    assert "The 503s the application itself sent" in item.sentence
    assert "(the first fix, readiness)" in item.sentence
    assert "The 502s a proxy" in item.sentence and "(the other fixes" in item.sentence


def test_without_a_kept_incident_the_verdict_stays_general() -> None:
    item = judge(snapshot(by_class={"gateway": 5}, errors=5), PLAN).classes[0]
    assert item.sentence.startswith("A gateway error (502/503/504)")
    assert item.fix is not None and READINESS_FIX in item.fix and DRAIN_FIX in item.fix


def test_the_text_report_shows_the_readiness_fix_alone_for_the_applications_503() -> None:
    incidents = from_application()
    state = snapshot(by_class={"gateway": 3, "cut": 1}, errors=4, incidents=tuple(incidents))
    text = "\n".join(report_lines(state, judge(state, PLAN)))
    gateway = text.split("gateway x3:")[1].split("verdict:")[0]
    assert "as for" not in gateway and "Drain before exiting" not in gateway
    assert "readinessProbe" in gateway


def test_junit_and_json_carry_the_senders_sentence_and_fix() -> None:
    state = snapshot(by_class={"gateway": 3}, errors=3,
                     incidents=tuple(from_application()))
    verdict = judge(state, PLAN)
    xml = junit_xml(state, verdict, PLAN)
    assert "The 503s the application itself sent" in xml
    assert "readinessProbe" in xml and "Drain before exiting" not in xml
    entry = json.loads(json.dumps(verdict.as_dict()))["classes"][0]
    assert entry["fix"] == READINESS_FIX and entry["explanation"].startswith("The 503s")


def test_markdown_keeps_a_wrapped_fix_sentence_in_one_paragraph() -> None:
    state = snapshot(by_class={"gateway": 1}, errors=1, incidents=tuple(from_nginx()))
    document = {**state.as_dict(), "verdict": judge(state, PLAN).as_dict()}
    markdown = paste_report(document, "markdown", when=WHEN)
    assert ("once the new process answers, and a deregistration delay (connection draining) "
            "on the load balancer") in markdown
    fences = markdown.split("### Measurements")[0].split("```")[1::2]  # not the JSON
    assert not any("deregistration" in fence for fence in fences)
    assert any("seatctl serve --shutdown graceful" in fence for fence in fences)


def test_fix_blocks_join_wrapped_prose_and_fence_only_code() -> None:
    gap = fix_blocks(GAP_FIX)
    assert len(gap) == 1 and isinstance(gap[0], Paragraph)
    drain = fix_blocks(DRAIN_FIX)
    assert [type(block) for block in drain] == [Paragraph, CodeBlock]
    assert isinstance(drain[1], CodeBlock) and drain[1].text.startswith("Node/Express:")
    headings = fix_blocks("If it is uvicorn:\nuvicorn app:app --timeout-keep-alive 65\n"
                          "If it is Hypercorn:\nhypercorn --keep-alive 65 app:app")
    assert [type(block) for block in headings] == [Paragraph, CodeBlock, Paragraph, CodeBlock]
    heading_then_sentence = fix_blocks("In nginx:\nRaise the idle timeout above 60 s.")
    assert len(heading_then_sentence) == 2
