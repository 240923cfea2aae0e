"""Monitor reports to paste: a recorded `seatctl monitor --json` run (the reference server
killed with --shutdown abrupt and restarted by the command), rendered as Markdown and HTML,
with hostile values from the server."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from seatctl.render.paste import paste_report
from seatctl.render.paste.monitor_view import monitor_html, monitor_markdown, timeline_svg
from tests.render.test_paste_reports import (
    HOSTILE,
    HOSTILE_LINE,
    WHEN,
    Page,
    assert_loads_nothing,
    markdown_structure,
)

# The last line of the run, then its incident lines, as `seatctl monitor --json` wrote them.
RECORDED_SUMMARY = (
    '{"type": "summary", "elapsed_s": 6.025, "requests": 121, "answered": 88, "incidents": '
    '{"refused": 1, "dropped": 1, "gap-ended": 1, "keep-alive-race": 1}, "errors": 3, "gaps'
    '_s": [1.6], "open_gap_s": null, "p50_s": 0.0007, "p95_s": 0.0036, "idle_close_s": 5.0,'
    ' "idle_close_source": "advertised", "unanswered_at_end": 0, "command": ["sh", "/tmp/mo'
    'n/deploy.sh"], "command_status": 0, "interrupted": false, "verdict": {"passed": false,'
    ' "reasons": ["3 error incidents, more than --max-errors 0"], "classes": [{"class": "ke'
    'ep-alive-race", "count": 1, "explanation": "A reused connection was cut as the request'
    " was sent, near the server's idle close: the keep-alive race a pooling client or proxy"
    ' meets as ECONNRESET or a 502.", "fix": "Keep the server\'s idle timeout above every cl'
    "ient's and proxy's pool expiry; `seatctl doctor\\nURL` measures the idle close and prin"
    'ts the exact settings for the server it identifies."}, {"class": "dropped", "count": 1'
    ', "explanation": "A reused connection was cut long before its idle close: the server d'
    'ropped connections it held instead of draining them (a restart that closes or resets o'
    'pen connections).", "fix": "Drain before exiting: on SIGTERM stop accepting, answer in'
    '-flight requests with\\n`Connection: close`, and close idle connections only after they'
    " are done.\\n  Node/Express:  process.on('SIGTERM', () => { server.close(); server.clos"
    'eIdleConnections(); });\\n                 (never server.closeAllConnections() while re'
    'quests are in flight)\\n  uvicorn:       uvicorn app:app --timeout-graceful-shutdown 30'
    '\\n  gunicorn:      gunicorn --graceful-timeout 30 app:app  (and send SIGTERM, not SIGK'
    'ILL)\\n  reference:     seatctl serve --shutdown graceful"}, {"class": "refused", "coun'
    't": 1, "explanation": "Connections were refused: nothing listened on the port for a wh'
    'ile, a gap between the old process and the new one.", "fix": "Keep an instance serving'
    ' until its replacement is ready: a readiness check that passes only\\nonce the new proc'
    'ess answers, and a deregistration delay (connection draining) on the load\\nbalancer lo'
    'nger than the old process\'s drain, so nothing is sent to a port that is closing."}]}}'
)
RECORDED_INCIDENTS = [
    (
        '{"type": "incident", "class": "refused", "detail": "connection refused, nothing listen'
        'ing: a gap began (connection refused by 127.0.0.1:18777: nothing is listening there)",'
        ' "at_s": 1.554, "time": "2026-12-06T22:53:00.831Z", "method": "GET", "path": "/health"'
        ', "reused": false, "connection_age_s": 0.0, "idle_s": 0.0, "status": null, "seconds": '
        'null, "gap_s": null, "sender": null}'
    ),
    (
        '{"type": "incident", "class": "dropped", "detail": "reset on a reused connection after'
        ' only 0.10 s idle: the server dropped a connection it held", "at_s": 1.606, "time": "2'
        '026-12-06T22:53:00.883Z", "method": "GET", "path": "/health", "reused": true, "connect'
        'ion_age_s": 1.602, "idle_s": 0.101, "status": null, "seconds": null, "gap_s": null, "s'
        'ender": null}'
    ),
    (
        '{"type": "incident", "class": "gap-ended", "detail": "answered again after a gap of 1.'
        '60 s (31 requests refused)", "at_s": 3.155, "time": "2026-12-06T22:53:02.435Z", "metho'
        'd": "GET", "path": "/health", "reused": false, "connection_age_s": 0.0, "idle_s": 0.0,'
        ' "status": 200, "seconds": 0.0026, "gap_s": 1.6, "sender": null}'
    ),
    (
        '{"type": "incident", "class": "keep-alive-race", "detail": "reset on a reused connecti'
        'on after 3.95 s idle (the idle close is about 5 s): the keep-alive race", "at_s": 4.05'
        '4, "time": "2026-12-06T22:53:03.331Z", "method": "GET", "path": "/health", "reused": t'
        'rue, "connection_age_s": 3.95, "idle_s": 3.949, "status": null, "seconds": null, "gap_'
        's": null, "sender": null}'
    ),
]


def recorded_document() -> dict[str, Any]:
    """The summary with the keys the report needs that the run adds next to it."""
    document = json.loads(RECORDED_SUMMARY)
    return {"schema": "seatctl.monitor/1", "target": "http://127.0.0.1:18777",
            "started_at": "2026-12-06T22:52:59.277Z", **document,
            "command_started_s": 0.02, "command_ended_s": 4.05,
            "kept_incidents": [json.loads(line) for line in RECORDED_INCIDENTS]}


def hostile_document(value: str) -> dict[str, Any]:
    document = copy.deepcopy(recorded_document())
    document["target"] = value
    document["command"] = ["sh", value]
    document["idle_close_source"] = value
    for entry in document["kept_incidents"]:
        entry.update(detail=value, path=value, method=value, time=value)
    document["kept_incidents"][0]["class"] = value
    document["incidents"][value] = 2
    return document


def test_markdown_shows_the_verdict_classes_fixes_gaps_latency_and_command() -> None:
    markdown = paste_report(recorded_document(), "markdown", when=WHEN)
    assert markdown.startswith("## seatctl monitor: FAIL\n")
    assert "3 error incidents, more than --max-errors 0" in markdown
    assert "121 requests, 88 answered, 4 incidents, 1 gap" in markdown
    assert "#### FAIL `dropped`" in markdown
    assert "seatctl serve --shutdown graceful" in markdown  # the drain fix, to copy
    assert "| gaps with nothing listening | 1.60 s |" in markdown
    assert "| latency | p50 0.7 ms, p95 3.6 ms |" in markdown
    assert "| command | `sh /tmp/mon/deploy.sh` |" in markdown
    assert "| command status | exited 0 |" in markdown
    assert "| idle close | 5 s (advertised) |" in markdown
    assert "### Incidents" in markdown
    assert "| +1.606 s | `dropped` |" in markdown


def test_html_has_the_timeline_with_incidents_the_gap_and_the_command() -> None:
    page = paste_report(recorded_document(), "html", when=WHEN)
    assert page == monitor_html(recorded_document(), when=WHEN)
    parsed = Page(page)
    assert_loads_nothing(page)
    svg = page.split('<section id="timeline">', 1)[1].split("</section>", 1)[0]
    assert svg.count("<rect") == 4 + 1  # an incident tick each, one band for the gap
    assert "gap of 1.60 s" in svg
    assert "command started" in svg and "command ended" in svg
    assert page.index('id="timeline"') < page.index('id="protocols"')  # before the table
    assert any("keep-alive race" in line for line in parsed.text)


def test_only_the_first_50_incidents_are_listed() -> None:
    document = recorded_document()
    entry = document["kept_incidents"][1]
    document["kept_incidents"] = [dict(entry, at_s=index / 10) for index in range(120)]
    document["incidents"] = {"dropped": 300}
    markdown = monitor_markdown(document, when=WHEN)
    assert "### Incidents \\(the first 50 of 300\\)" in markdown or \
        "### Incidents (the first 50 of 300)" in markdown
    assert len(re.findall(r"^\| \+\d", markdown, re.M)) == 50


def test_hostile_values_stay_text_in_markdown() -> None:
    hostile = monitor_markdown(hostile_document(HOSTILE), when=WHEN)
    benign = monitor_markdown(hostile_document("x"), when=WHEN)
    assert markdown_structure(hostile) == markdown_structure(benign)


def test_hostile_values_stay_text_in_html_and_load_nothing() -> None:
    hostile = monitor_html(hostile_document(HOSTILE), when=WHEN)
    benign = monitor_html(hostile_document("x"), when=WHEN)
    assert_loads_nothing(hostile)
    assert Page(hostile).structure == Page(benign).structure
    assert Page(hostile).embedded_document() == hostile_document(HOSTILE)
    assert any(HOSTILE_LINE[:20] in line for line in Page(hostile).text)


def test_a_partial_document_still_renders() -> None:
    document = {"schema": "seatctl.monitor/1", "type": "summary", "requests": 3}
    assert "## seatctl monitor: NOT JUDGED" in monitor_markdown(document, when=WHEN)
    assert_loads_nothing(monitor_html(document, when=WHEN))
    assert timeline_svg(document) is None


def test_a_field_added_later_is_shown_generically() -> None:
    document = dict(recorded_document(), max_open_connections=4)
    assert "| max\\_open\\_connections | `4` |" in monitor_markdown(document, when=WHEN)
