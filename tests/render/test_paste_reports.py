"""Reports people paste (`seatctl.render.paste`): Markdown and self-contained HTML built from
the doctor's and smoke's JSON documents. Real documents from runs against the reference
server; documents shaped like `report_json` for hostile values (nothing a server sends can
add Markdown or HTML structure), for fields added later (shown generically) and for
partial runs. Rendered Markdown is parsed with markdown-it (CommonMark + GFM tables), HTML
with the standard library's parser."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from seatctl.render.paste import (
    doctor_html,
    doctor_markdown,
    paste_format,
    paste_report,
    smoke_html,
    smoke_markdown,
)
from seatctl.render.paste.inline import CodeBlock, Paragraph, fix_blocks
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.diagnostics.h2servers import HypercornSettings, hypercorn_server, write_certificate
from tests.helpers import Cli

WHEN = datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC)
# One line of everything Markdown and HTML read, and a way out of each block we write.
HOSTILE_LINE = ("a|b `tick` ``` ~~~ <script>alert(1)</script></script> [x](http://evil.example/)"
                " ![i](https://evil.example/i.png) *em* _u_ ~~s~~ &amp; <!-- c --> "
                "www.evil.example user@evil.example </details></summary> \\ \x1b[31m")
HOSTILE = HOSTILE_LINE + "\n# heading\n- item\n    code\n> quote\n1. one\n<div>"
BENIGN = "x"


# --- documents --------------------------------------------------------------------------


def doctor_document(value: str = "timeout=65", line: str = "a value") -> dict[str, Any]:
    """A document of the shape `seatctl.diagnostics.report.report_json` gives, with
    `value` wherever the server's text goes and `line` in our own multi-line text."""
    return {
        "schema": "seatctl.doctor/1", "target": "http://127.0.0.1:8080", "origin": None,
        "verdict": "fail", "complete": True, "elapsed_s": 6.21,
        "assumptions": {
            "lb_idle_timeout": {"seconds": 60.0, "basis": "assumed",
                                "source": "the common load-balancer default"},
            "client_expiry": {"seconds": 5.0, "basis": "assumed", "source": "httpx"},
        },
        "probes": {
            "timing": {"samples": 5, "statuses": [200], "address": "127.0.0.1",
                       "dns_s": {"p50": 0.0011, "p95": 0.0029},
                       "connect_s": {"p50": 0.0013, "p95": 0.0018}, "tls_s": None,
                       "ttfb_s": {"p50": 0.0027, "p95": 0.0032},
                       "total_s": {"p50": 0.0043, "p95": 0.0074}, "tls": None},
            "keepalive": {
                "persistent": True, "status": 200, "http_version": "1.1",
                "connection_header": value, "keep_alive_header": value,
                "advertised_timeout_s": 65.0, "advertised_max_requests": None,
                "advertised_exceeds_idle_close": True, "idle_close_s": 6.0005,
                "idle_close_lower_bound": False, "close_kind": "fin", "max_wait_s": 75.0,
                "requests_per_connection": {"served": 200, "ended_by": "limit",
                                            "lower_bound": True, "limit": 200,
                                            "advertised_max_requests": None},
            },
            "race": {"skipped": None, "idle_close_s": 6.0005, "failing_from_s": 6.0003,
                     "ok_until_s": 5.8003, "failures": ["closed-before-response"],
                     "attempts": [
                         {"offset_s": -0.2, "idle_s": 5.8003, "outcome": "ok", "status": 200,
                          "fin_before_send": False, "detail": ""},
                         {"offset_s": 0.0, "idle_s": 6.0003,
                          "outcome": "closed-before-response", "status": None,
                          "fin_before_send": False, "detail": value},
                     ]},
            "burst": {"connections": 10, "requests_per_connection": 20,
                      "outcomes": {"ok": 199, "reset": 1}, "statuses": {"200": 199},
                      "latency_s": {"p50": 0.0015, "p95": 0.0032}, "latency_max_s": 0.0036,
                      "connections_opened": 10, "elapsed_s": 0.0389, "first_failure": value},
            "slow_client": None, "origin": None,
            "http2": {
                "h2c": False, "alpn": {"offered": ["h2", "http/1.1"], "selected": "h2"},
                "speaks_h2": True, "skipped": None,
                "settings": {"max_concurrent_streams": 128, "initial_window_size": 65535,
                             "max_frame_size": 16384, "max_header_list_size": 65536,
                             "connection_window": 65535},
                "idle_close_s": 4.0, "idle_close_lower_bound": False, "close_kind": "goaway",
                "idle_close": {"goaway": {"error": "NO_ERROR", "last_stream_id": 1,
                                          "after_s": 4.0, "debug_data": value},
                               "end": "fin", "end_after_s": 4.01, "lower_bound": False},
                "ping": {"outcome": "kept-alive", "skipped": None, "interval_s": None,
                         "pings_sent": 5, "pings_acked": 5, "open_for_s": 6.0,
                         "failure": None},
                "goaway_race": {"outcome": "refused-stream", "skipped": None,
                                "safe_to_retry": True, "reset_code": 7, "status": None,
                                "stream_id": 3, "goaway": None, "failure": None},
                "max_wait_s": 75.0, "connections": 3,
            },
        },
        "probe_states": {
            "timing": {"state": "done", "error": None, "elapsed_s": 0.0268},
            "keepalive": {"state": "done", "error": None, "elapsed_s": 6.2062},
            "requests_per_connection": {"state": "done", "error": None, "elapsed_s": 0.099},
            "burst": {"state": "failed", "error": value, "elapsed_s": 0.039},
            "slow_client": {"state": "skipped", "error": "--quick", "elapsed_s": 0.0},
            "origin": {"state": "skipped", "error": "no --origin", "elapsed_s": 0.0},
            "http2": {"state": "done", "error": None, "elapsed_s": 4.1, "started_s": 0.02,
                      "ended_s": 4.12, "cut_by": None,
                      "failed_tries": [{"try": 1, "at_s": 0.1, "failure": "reset",
                                        "message": value}]},
        },
        "fresh_requests": {"sent": 13, "cut": 4, "failures": {"reset": 3, "closed": 1},
                           "tries": 5},
        "inference": {
            "front_door": None,
            "server": {"component": "node", "name": "Node.js", "confidence": "likely",
                       "basis": [f"the response's headers: `server: {value}`",
                                 "the idle connection closed (FIN) at 6.00 s"],
                       "fix": ("In the Node.js server (Express: the object `app.listen()` "
                               "returns):\n    const server = app.listen(port);\n"
                               f"    server.keepAliveTimeout = 65_000;  // {line}"),
                       "alternatives": ["express"]},
            "notes": [],
        },
        "edge": {"front_door": None,
                 "app_server": {"key": "node", "name": "Node.js", "role": "app-server",
                                "evidence": [f"server: {value}"], "by": "header",
                                "documented": []},
                 "layers": ["node"]},
        "origin_edge": None,
        "findings": [
            {"id": "burst", "severity": "ok", "title": "A small burst succeeded",
             "detail": f"Mostly: {line}.", "fix": None},
            {"id": "keepalive-header", "severity": "fail",
             "title": "The Keep-Alive header promises more than the server keeps",
             "detail": f"`Keep-Alive: {line}` from the server, but it closed after 6 s.",
             "fix": ("In the Node.js server (Express: the object `app.listen()` returns):\n"
                     "    const server = app.listen(port);\n"
                     f"    server.keepAliveTimeout = 66_000;  // {line}")},
            {"id": "idle-close-vs-proxy", "severity": "warn",
             "title": "The server closes idle connections before a proxy would",
             "detail": "Before the proxy's 60 s.",
             "fix": ("seatctl serve --keep-alive-timeout 65 --headers-timeout 66\n"
                     "(or --timeouts seed-fix: the seed's fix, closing at 66 s)")},
        ],
        "skipped": [{"id": "headers-timeout", "title": "The headers timeout exceeds the "
                                                       "keep-alive", "reason": value},
                    {"id": "keepalive-header", "title": "The Keep-Alive header tells the truth",
                     "reason": "the server sends no `Keep-Alive: timeout=N` header"}],
    }


def smoke_document(value: str = "timeout=5", line: str = "a value") -> dict[str, Any]:
    """A document of the shape `seatctl.smoke.report.report_json` gives."""
    return {
        "schema": "seatctl.smoke/1", "target": "http://127.0.0.1:8080", "passed": False,
        "elapsed_s": 6.17, "max_time_s": 60.0,
        "checks": [
            {"name": "health", "status": "pass", "message": f"GET /health answered 200: {line}",
             "seconds": 0.125,
             "details": {"url": "http://127.0.0.1:8080/health", "status_code": 200,
                         "latency_ms": 3.1, "attempts": 1,
                         "server_headers": {"server": value, "keep-alive": value},
                         "failed_attempts": []},
             "warnings": [f"GET /api/health failed on attempt 1 ({line})"], "fix": None},
            {"name": "latency", "status": "pass", "message": "GET /api/events answered in 1 ms",
             "seconds": 0.023, "details": {"budget_ms": 1000.0, "samples_ms": [1.5, 0.7, 0.7],
                                           "median_ms": 0.7, "failed_attempts": []},
             "warnings": [], "fix": None},
            {"name": "auth", "status": "skip", "message": f"no credentials: {line}",
             "seconds": 0.0, "details": {}, "warnings": [], "fix": None},
            {"name": "keep-alive", "status": "fail",
             "message": f"the server closed an idle connection after 6.00 s: {line}",
             "seconds": 6.006,
             "details": {"bound_s": 10.0, "front_door": None, "app_server": "node",
                         "status": 200, "keep_alive_header": value,
                         "advertised_timeout_s": 5.0, "idle_close_s": 6.002,
                         "idle_close_lower_bound": False, "close_kind": "fin",
                         "basis": "closed", "fix_keep_alive_s": 65.0,
                         "proxy_idle_timeout": {"seconds": 60.0, "basis": "assumed",
                                                "source": "the common default"},
                         "failed_attempts": [], "hint": f"compare: {line}"},
             "warnings": [],
             "fix": ("Keep idle connections open longer than the proxy in front:\n"
                     f"uvicorn app:app --timeout-keep-alive 65  # {line}")},
        ],
        "rate_limited": None, "rate_limit": None,
    }


# --- parsing what was rendered ----------------------------------------------------------


def markdown_tokens(markdown: str) -> list[Token]:
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    tokens: list[Token] = []
    for token in parser.parse(markdown):
        tokens.append(token)
        tokens.extend(token.children or [])
    return tokens


TEXT_TOKENS = {"text", "text_special", "code_inline", "fence", "code_block"}


def markdown_structure(markdown: str) -> list[tuple[str, str]]:
    """The Markdown's elements without their text: what a value could inject shows here."""
    return [(token.type, token.content if token.type.startswith("html") else token.tag)
            for token in markdown_tokens(markdown) if token.type not in TEXT_TOKENS]


class Page(HTMLParser):
    """The elements, attributes, text and scripts of an HTML page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "script":
            self._script = dict(attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None
        else:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, ""))
            self._script = None

    @property
    def structure(self) -> list[str]:
        """The elements, but `code`: our sentences mark code with backticks, so a quoted
        value with backticks splits into more code spans (text all the same)."""
        return [tag for tag, _ in self.tags if tag != "code"]

    def embedded_document(self) -> Any:
        (attrs, data), = self.scripts
        assert attrs == {"type": "application/json", "id": "seatctl-document"}
        return json.loads(data)


def assert_loads_nothing(page: str) -> None:
    """No resource outside the page: no src at all, links only to its own sections, no
    script but the JSON data block, no event handler."""
    parsed = Page(page)
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert name != "src" and not name.startswith("on"), (tag, name, value)
            if name in ("href", "xlink:href", "action", "srcset", "data", "poster"):
                assert (value or "").startswith("#"), (tag, name, value)
        assert tag not in ("img", "link", "iframe", "object", "embed", "base", "form"), tag
    assert not re.search(r"(?i)(src|href)\s*=\s*[\"']?\s*https?:", page)
    assert not re.search(r"(?i)<script[^>]*\bsrc", page)
    assert not re.search(r"(?i)url\(|@import", page)  # in the CSS
    assert [attrs.get("type") for attrs, _ in parsed.scripts] == ["application/json"]


def outside_code(markdown: str) -> str:
    """The Markdown without fenced blocks and code spans (where nothing is a link)."""
    without_fences = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1$", "", markdown)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", without_fences)


def fenced_json(markdown: str) -> Any:
    match = re.search(r"(?ms)^(`{3,})json\n(.*?)\n\1$", markdown)
    assert match is not None, markdown
    return json.loads(match.group(2))


# --- real documents ---------------------------------------------------------------------


def keep_alive(seconds: float, advertised: float) -> ConnectionTimeouts:
    return ConnectionTimeouts(keep_alive_timeout=seconds, advertised_keep_alive=advertised)


def run_json(cli: Cli, *args: str) -> dict[str, Any]:
    outcome = cli(*args, "--json")
    assert outcome.exit_code in (0, 1), str(outcome)
    document: dict[str, Any] = json.loads(outcome.stdout)
    return document


def test_a_real_doctor_run_in_markdown(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.3, advertised=2.0))  # the header lies
    document = run_json(cli, "doctor", server.url, "--quick", "--max-wait", "1")
    markdown = doctor_markdown(document, when=WHEN)

    assert markdown.startswith("## seatctl doctor: FAIL\n\n**FAIL** "
                               f"`{server.url}`: ")
    assert "2027-01-15 08:00:00 UTC" in markdown.split("\n")[2]
    rows = {token.content for token in markdown_tokens(markdown) if token.type == "inline"}
    for finding in document["findings"]:
        assert f"`{finding['id']}`" in markdown
    assert "#### FAIL `keepalive-header`: The Keep-Alive header promises more" in markdown
    assert "```\nseatctl serve --keep-alive-timeout 65" in markdown  # a fix, to copy
    assert "**Fix:**\n\nDrop --advertise-keep-alive: the header" in markdown  # a sentence
    assert "`Keep-Alive: timeout=2` (more than the server keeps)" in rows
    closed = document["probes"]["keepalive"]["idle_close_s"]  # about 0.3 s, as measured
    assert any(row == f"{closed:.2f} s (FIN)" for row in rows), rows  # the idle close
    assert "first byte p50 / p95" in rows
    for skipped in document["skipped"]:
        assert f"- `{skipped['id']}` " in markdown
    assert fenced_json(markdown) == document
    assert markdown_structure(markdown).count(("table_open", "table")) == 3


def test_a_real_doctor_run_in_html(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.3, advertised=2.0))
    document = run_json(cli, "doctor", server.url, "--quick", "--max-wait", "3")
    page = doctor_html(document, when=WHEN)

    assert_loads_nothing(page)
    parsed = Page(page)
    assert parsed.embedded_document() == document
    text = " ".join(parsed.text)
    assert "FAIL" in text and server.url in text
    for finding in document["findings"]:
        assert finding["id"] in text
    bars = [dict(attrs)["class"] or "" for tag, attrs in parsed.tags if tag == "rect"]
    ran = [key for key, state in document["probe_states"].items()
           if state["state"] not in ("skipped", "pending")]
    assert len(bars) == len(ran)
    closed = document["probes"]["keepalive"]["idle_close_s"]
    assert closed is not None, document["probe_states"]  # the close is measured, and drawn
    assert f"server close {closed:.1f}" in text or f"server close {closed:.2f}" in text
    assert "Keep-Alive: timeout=2" in text
    assert parsed.structure.count("svg") == 1


def test_a_real_smoke_run_in_markdown_and_html(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(0.3, advertised=0.3))
    document = run_json(cli, "smoke", server.url, "--keep-alive-bound", "1",
                        "--max-time", "10")
    markdown = smoke_markdown(document, when=WHEN)
    verdict = "PASS" if document["passed"] else "FAIL"
    assert markdown.startswith(f"## seatctl smoke: {verdict}\n")
    for check in document["checks"]:
        assert f"`{check['name']}`" in markdown
        if check["status"] not in ("pass", "fail"):
            assert re.search(rf"^- `{re.escape(check['name'])}` ", markdown, re.MULTILINE)
    assert fenced_json(markdown) == document

    page = smoke_html(document, when=WHEN)
    assert_loads_nothing(page)
    parsed = Page(page)
    assert parsed.embedded_document() == document
    assert "svg" in parsed.structure


# --- hostile values ---------------------------------------------------------------------


def test_server_text_adds_no_markdown_structure() -> None:
    hostile = doctor_markdown(doctor_document(HOSTILE, HOSTILE_LINE), when=WHEN)
    benign = doctor_markdown(doctor_document(BENIGN, BENIGN), when=WHEN)
    assert markdown_structure(hostile) == markdown_structure(benign)
    hostile = smoke_markdown(smoke_document(HOSTILE, HOSTILE_LINE), when=WHEN)
    benign = smoke_markdown(smoke_document(BENIGN, BENIGN), when=WHEN)
    assert markdown_structure(hostile) == markdown_structure(benign)


def test_server_text_shows_literally_in_markdown() -> None:
    markdown = doctor_markdown(doctor_document(HOSTILE, HOSTILE_LINE), when=WHEN)
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "\x1b" not in markdown and "\\x1b[31m" in rendered  # shown, not sent
    assert fenced_json(markdown) == doctor_document(HOSTILE, HOSTILE_LINE)
    # GitHub links bare URLs, www. and e-mail addresses: none survives outside code.
    prose = outside_code(markdown)
    assert not re.search(r"[A-Za-z]://|www\.|(?<!\\)@", prose), prose


def test_server_text_adds_no_html_structure() -> None:
    for render, document in ((doctor_html, doctor_document), (smoke_html, smoke_document)):
        hostile = Page(render(document(HOSTILE, HOSTILE_LINE), when=WHEN))
        benign = Page(render(document(BENIGN, BENIGN), when=WHEN))
        assert hostile.structure == benign.structure
        assert hostile.embedded_document() == document(HOSTILE, HOSTILE_LINE)
        assert any("<script>alert(1)</script>" in text for text in hostile.text)


def test_html_loads_nothing_even_from_hostile_values() -> None:
    page = doctor_html(doctor_document(HOSTILE, HOSTILE_LINE), when=WHEN)
    assert_loads_nothing(page)
    assert "</script>" not in page.split('id="seatctl-document">', 1)[1].split("</script>")[0]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=30))
def test_any_header_value_is_only_text(value: str) -> None:
    document = doctor_document(value or "-", "line")
    benign = doctor_document("-", "line")
    assert (markdown_structure(doctor_markdown(document, when=WHEN))
            == markdown_structure(doctor_markdown(benign, when=WHEN)))
    assert (Page(doctor_html(document, when=WHEN)).structure
            == Page(doctor_html(benign, when=WHEN)).structure)


def test_our_multi_line_text_cannot_be_turned_into_blocks_by_what_it_quotes() -> None:
    document = doctor_document(line=BENIGN)
    document["findings"][1]["detail"] = ("Measured:\n# not a heading\n- not a list\n"
                                         "1. not a list\n---\n> not a quote\n<div>x</div>")
    odd = markdown_structure(doctor_markdown(document, when=WHEN))
    plain = markdown_structure(doctor_markdown(doctor_document(line=BENIGN), when=WHEN))
    extra = Counter(kind for kind, _ in odd) - Counter(kind for kind, _ in plain)
    assert set(extra) == {"paragraph_open", "paragraph_close", "inline"}  # one per line


# --- fixes ------------------------------------------------------------------------------


def test_a_fix_splits_into_sentences_and_code_to_copy() -> None:
    node = fix_blocks("In the Node.js server (Express):\n"
                      "    const server = app.listen(port);\n"
                      "    server.keepAliveTimeout = 66_000;  // above the proxy's")
    assert [type(block) for block in node] == [Paragraph, CodeBlock]
    assert node[1] == CodeBlock("const server = app.listen(port);\n"
                                "server.keepAliveTimeout = 66_000;  // above the proxy's")
    caddy = fix_blocks("servers {\n    timeouts {\n        idle 66s\n    }\n}")
    assert caddy == (CodeBlock("servers {\n    timeouts {\n        idle 66s\n    }\n}"),)
    command = fix_blocks("seatctl serve --keep-alive-timeout 65 --headers-timeout 66\n"
                         "(or --timeouts seed-fix: the seed's fix, closing at 66 s)")
    assert [type(block) for block in command] == [CodeBlock, Paragraph]
    remark = fix_blocks("seatctl serve --advertise-keep-alive 6 (or drop it: the header "
                        "then promises the real close)")
    assert remark[0] == CodeBlock("seatctl serve --advertise-keep-alive 6")
    sentence = fix_blocks("Remove `keepalive_timeout 0;` (nginx's default keeps connections "
                          "75 s).")
    assert [type(block) for block in sentence] == [Paragraph]
    option = fix_blocks("Drop --advertise-keep-alive: the header then promises the real close "
                        "(under a second: no whole number of seconds is true)")
    assert [type(block) for block in option] == [Paragraph]
    assert fix_blocks("KeepAliveTimeout 65") == (CodeBlock("KeepAliveTimeout 65"),)


def test_a_fix_with_backticks_gets_a_longer_fence() -> None:
    document = doctor_document()
    document["findings"][1]["fix"] = "run:\n    echo ```` done"
    markdown = doctor_markdown(document, when=WHEN)
    assert "`````\necho ```` done\n`````" in markdown
    fences = [token for token in markdown_tokens(markdown) if token.type == "fence"]
    assert "echo ```` done\n" in [fence.content for fence in fences]


# --- fields added later, partial runs, small documents ----------------------------------


def extended_doctor_document() -> dict[str, Any]:
    document = doctor_document()
    document["complete"] = False
    document["verdict"] = "ok"
    document["cut_by"] = "deadline"
    document["probe_states"]["keepalive"].update(state="interrupted", cut_by="deadline",
                                                 tries=2)
    document["probes"]["http3"] = {"alpn": "h3", "idle_close_s": 4.0,
                                   "idle_close_lower_bound": False, "close_kind": "goaway",
                                   "settings": {"max_concurrent_streams": 128}}
    document["probe_states"]["http3"] = {"state": "done", "error": None, "elapsed_s": 4.1}
    document["edge"]["inferences"] = [{"component": "node", "confidence": "high",
                                       "basis": "timeout=5 closing at 6 s"}]
    document["findings"].append({"id": "random-resets", "severity": "info",
                                 "title": "The server resets requests at random",
                                 "detail": "3 of 10 requests were reset.", "fix": None,
                                 "confidence": "high", "basis": ["burst", "retries"]})
    return document


def test_fields_added_later_are_shown_generically() -> None:
    document = extended_doctor_document()
    markdown = doctor_markdown(document, when=WHEN)
    assert markdown.startswith("## seatctl doctor: INCOMPLETE\n")
    assert "*cut short (deadline): a partial report*" in markdown
    assert "| keep-alive | interrupted | 6.21 s | cut by deadline; tries: `2` |" in markdown
    assert "| http3.alpn | `h3` |" in markdown
    assert "| http3.settings.max\\_concurrent\\_streams | `128` |" in markdown
    assert "| edge.inferences\\[0\\].confidence | `high` |" in markdown
    assert "- confidence: `high`\n- basis: `burst, retries`" in markdown
    assert "`random-resets`" in markdown.split("### Findings")[1].split("\n\n")[1]

    parsed = Page(doctor_html(document, when=WHEN))
    classes = " ".join(dict(attrs).get("class") or "" for _, attrs in parsed.tags)
    assert "tl-cut" in classes and "tl-bar-interrupted" in classes
    text = " ".join(parsed.text)
    assert "H http3 close 4.00 s (GOAWAY)" in text
    assert "H HTTP/2 close 4.00 s (GOAWAY)" in text
    assert "cut (deadline) after 6.21 s" in text


def test_unknown_severities_and_schemas() -> None:
    document = doctor_document()
    document["findings"].append({"id": "x", "severity": "<b>odd</b>", "title": "t"})
    parsed = Page(doctor_html(document, when=WHEN))
    assert "b" not in parsed.structure
    with pytest.raises(ValueError, match="not a seatctl doctor or smoke document"):
        paste_report({"schema": "other/1"}, "markdown")


@pytest.mark.parametrize("document", [
    {"schema": "seatctl.doctor/1"},
    {"schema": "seatctl.smoke/1"},
    {"schema": "seatctl.doctor/1", "findings": "not a list", "probes": [], "probe_states": 3},
    {"schema": "seatctl.smoke/1", "checks": [None, {"details": []}], "passed": "yes"},
])
def test_sparse_or_odd_documents_still_render(document: dict[str, Any]) -> None:
    for fmt in ("markdown", "html"):
        rendered = paste_report(document, fmt, when=WHEN)
        assert "seatctl" in rendered


def test_a_smoke_check_not_verified_is_listed_with_its_lower_bound_never_as_a_pass() -> None:
    document = smoke_document()
    document["passed"] = True
    document["checks"][3].update(status="not-verified", message="not verified within 10 s "
                                 "(--max-time)", fix=None, verified_for=9.8)
    document["checks"][3]["details"].update(idle_close_s=9.8, idle_close_lower_bound=True,
                                            min_idle_s=60.0)
    markdown = smoke_markdown(document, when=WHEN)
    unverified = markdown.split("### Skipped or not verified\n\n")[1].split("\n\n")[0]
    assert ("- `keep-alive` not verified: not verified within 10 s (--max-time) (an idle "
            "connection was still open after 9.8 s)") in unverified
    assert "| not verified | `keep-alive` |" in markdown
    assert "| minimum idle | 60 s |" in markdown
    assert "- verified\\_for: `9.8`" in markdown  # a field added later, generically
    text = " ".join(Page(smoke_html(document, when=WHEN)).text)
    assert "M minimum idle 60 s" in text or "minimum idle 60 s M" in text


def test_rate_limited_smoke_is_not_judged() -> None:
    document = smoke_document()
    document["rate_limited"] = "the rate limit left 2 requests"
    assert smoke_markdown(document, when=WHEN).startswith("## seatctl smoke: NOT JUDGED\n")


def test_an_absurd_advertised_timeout_stays_off_the_axis() -> None:
    document = doctor_document("timeout=999999999")
    document["probes"]["keepalive"]["advertised_timeout_s"] = 999999999.0
    text = " ".join(Page(doctor_html(document, when=WHEN)).text)
    assert "(beyond the axis, not to scale)" in text
    assert "60 s" in text  # the axis still spans the proxy's timeout


def test_paste_format_by_suffix(tmp_path: Path) -> None:
    assert paste_format(tmp_path / "report.md") == "markdown"
    assert paste_format(tmp_path / "REPORT.HTML") == "html"
    assert paste_format(tmp_path / "report.txt") is None


def test_the_moment_defaults_to_the_documents_then_now() -> None:
    document = doctor_document()
    document["finished_at"] = "2027-02-01T10:00:00+00:00"
    assert "2027-02-01 10:00:00 UTC" in doctor_markdown(document)
    before = datetime.now(UTC).replace(microsecond=0)
    line = doctor_markdown(copy.deepcopy(doctor_document())).split("\n")[2]
    stamp = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line)
    assert stamp is not None
    assert datetime.fromisoformat(stamp.group(0) + "+00:00") >= before


# --- the server, HTTP/1.1 and HTTP/2, fresh requests (issue 16) -------------------------


@pytest.fixture
def hypercorn_tls(tls_ca: trustme.CA, tmp_path: Path) -> Iterator[str]:
    """hypercorn (no one here wrote it) over TLS with ALPN h2, idle close 1 s."""
    certificate = write_certificate(tls_ca, tmp_path)
    with hypercorn_server(HypercornSettings(keep_alive_timeout=1.0), certificate) as url:
        yield url


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"### {heading}\n\n", 1)[1].split("\n\n### ", 1)[0]


def test_a_real_http2_doctor_run_has_its_own_sections(cli: Cli, hypercorn_tls: str,
                                                      ca_pem: Path) -> None:
    env = {"SEATCTL_CA_BUNDLE": str(ca_pem)}
    args = ("doctor", hypercorn_tls, "--quick", "--max-wait", "3", "--json")
    both = json.loads(cli.ok(*args, env=env).stdout)
    markdown = doctor_markdown(both, when=WHEN)

    generic = re.findall(r"^\| (?:http2|inference|fresh_requests)\S* \|", markdown, re.M)
    assert not generic, generic
    assert "\\n" not in markdown.split("<details>\n<summary>JSON")[0]
    server = section(markdown, "Server")
    assert server.startswith("**Hypercorn** (server, confidence: certain)\n\n- ")
    assert "- the response's headers: `server: hypercorn-h11`" in server
    assert "```\nhypercorn --keep-alive 65 app:app\n```" in server
    protocols = section(markdown, "HTTP/1.1 and HTTP/2")
    assert protocols.startswith("|  | HTTP/1.1 | HTTP/2 |\n")
    assert "| announced by | no Keep-Alive header | no GOAWAY |" in protocols
    assert re.search(r"\| connection ended by \| FIN \| FIN at \d\.\d\d s \|", protocols), protocols
    assert "| protocol | HTTP/1.1 200 | ALPN `h2` (offered h2, http/1.1) |" in protocols
    assert re.search(r"\| a request crossing the close \| .*failed from 1\.\d\d s idle.* \| "
                     r"closed without a GOAWAY; a request in flight gets no sign it is safe "
                     r"to retry \|", protocols)
    fresh = both["fresh_requests"]
    assert (f"| fresh requests | {fresh['sent']} requests on fresh connections, none cut; "
            f"up to {fresh['tries']} tries each |") in markdown

    only = json.loads(cli.ok(*args, "--http2", env=env).stdout)
    markdown = doctor_markdown(only, when=WHEN)
    assert section(markdown, "HTTP/2").startswith("|  | HTTP/2 |\n| --- | --- |\n"
                                                  "| protocol | ALPN `h2`")
    assert "### HTTP/1.1 and HTTP/2" not in markdown
    page = doctor_html(only, when=WHEN)
    assert_loads_nothing(page)
    text = " ".join(Page(page).text)
    assert "hypercorn --keep-alive 65 app:app" in text and "HTTP/2 close " in text


def test_http2_and_http1_side_by_side_with_goaway_and_the_fix_as_code() -> None:
    markdown = doctor_markdown(doctor_document(), when=WHEN)
    protocols = section(markdown, "HTTP/1.1 and HTTP/2")
    assert ("| announced by | `Keep-Alive: timeout=65` (more than the server keeps) | "
            "`GOAWAY NO_ERROR` (last stream 1) after 4.00 s, debug data `timeout=65` |"
            ) in protocols
    assert "| idle close | 6.00 s (FIN) | 4.00 s (GOAWAY) |" in protocols
    assert ("| requests per connection | at least 200 requests (limit) | max 128 concurrent "
            "streams (window 65535) |") in protocols
    assert "| PING keep-alive | — | PINGs kept it open past the idle close (5 sent, 5 acked) |" \
        in protocols
    assert "refused (RST\\_STREAM REFUSED\\_STREAM); safe to retry |" in protocols
    assert ("| fresh requests | 13 requests on fresh connections, 4 cut before any response; "
            "up to 5 tries each |") in markdown
    assert "| HTTP/2 | done | 4.10 s | 1 try failed: 1 reset |" in markdown
    server = section(markdown, "Server")
    assert "**Node.js** (server, confidence: likely)" in server
    assert "Could also be: `express`" in server
    assert ("```\nconst server = app.listen(port);\nserver.keepAliveTimeout = 65_000;  "
            "// a value\n```") in server
    assert "`app.listen()`" in server  # our backticks, a code span

    page = Page(doctor_html(doctor_document(), when=WHEN))
    headings = ("Server", "HTTP/1.1 and HTTP/2")
    assert [text for text in page.text if text in headings] == list(headings)
    assert any(text.startswith("const server = app.listen(port);\nserver.keepAliveTimeout")
               for text in page.text)


def test_a_document_that_names_no_server_says_so() -> None:
    document = doctor_document()
    document["inference"] = {"front_door": None, "server": None,
                             "notes": ["not nginx: it would close at 75 s"]}
    assert section(doctor_markdown(document, when=WHEN), "Server") == (
        "not nginx: it would close at 75 s")


def test_not_evaluated_reasons_keep_their_code_spans() -> None:
    markdown = doctor_markdown(doctor_document(), when=WHEN)
    assert ("- `keepalive-header` The Keep-Alive header tells the truth: the server sends no "
            "`Keep-Alive: timeout=N` header") in markdown
    assert "\\`" not in section(markdown, "Not evaluated")
    page = doctor_html(doctor_document(), when=WHEN)
    assert "sends no <code>Keep-Alive: timeout=N</code> header" in page


def not_verified_smoke(*, strict: bool = False, by_basis: bool = True) -> dict[str, Any]:
    """What smoke writes for a keep-alive check --max-time left no time to verify."""
    document = smoke_document()
    check = document["checks"][3]
    check.update(status="fail" if strict else "skip", fix=None,
                 message="idle connection still open after 2.9 s of 10 s: not verified "
                         "within --max-time 3; to verify: --min-idle 10 s")
    check["details"].update(idle_close_s=2.925, idle_close_lower_bound=True, close_kind=None,
                            basis="not-verified" if by_basis else "closed",
                            hint="give --max-time 12 or more to verify it")
    document.update(passed=not strict, not_verified=["keep-alive"], strict=strict)
    return document


@pytest.mark.parametrize("by_basis", [True, False], ids=["basis", "listed"])
def test_a_smoke_check_not_verified_is_not_a_plain_skip(by_basis: bool) -> None:
    markdown = smoke_markdown(not_verified_smoke(by_basis=by_basis), when=WHEN)
    assert "| not verified | `keep-alive` |" in markdown
    assert "| skip | `keep-alive` |" not in markdown
    assert "1 skipped, 1 not verified" in markdown.split("\n")[2]
    assert ("- `keep-alive` not verified: idle connection still open after 2.9 s of 10 s: not "
            "verified within --max-time 3; to verify: --min-idle 10 s (an idle connection was "
            "still open after 2.9 s); give --max-time 12 or more to verify it") in markdown
    page = smoke_html(not_verified_smoke(by_basis=by_basis), when=WHEN)
    assert 'class="sev sev-not-verified">not verified</span>' in page
    assert "tl-bar-not-verified" in page


def test_a_smoke_check_not_verified_under_strict_stays_a_failure() -> None:
    markdown = smoke_markdown(not_verified_smoke(strict=True), when=WHEN)
    assert "| **FAIL** | `keep-alive` |" in markdown
    assert "- `keep-alive` not verified (a failure under --strict): idle connection" in markdown


def test_a_real_smoke_run_not_verified(cli: Cli, start_server: StartServer) -> None:
    server = start_server(timeouts=keep_alive(30.0, advertised=30.0))
    document = run_json(cli, "smoke", server.url, "--max-time", "2", "--min-idle", "10")
    assert document["not_verified"] == ["keep-alive"]
    markdown = smoke_markdown(document, when=WHEN)
    assert "| not verified | `keep-alive` |" in markdown
    assert re.search(r"^- `keep-alive` not verified: .*\(an idle connection was still open "
                     r"after \d\.\d s\); .*give --max-time \d+ or more",
                     markdown, re.M)
