"""Generated bad responses through the real HTTP core and the real commands (issue #7).

Every drawn response is served by a loopback server to every request of one command run
in-process; each case must end with its documented exit code (the oracle below), at most
one `error:` line and one `hint:` line, no traceback, and never the token in the output.
The default suite runs a derandomized sample; `pytest -m long` and `bench/fuzz.py` run
10,000 examples and print the outcome table (response kind x exit code).
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import shutil
import time
import tracemalloc
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning

from seatctl.api import endpoints
from seatctl.api.health import check_health
from seatctl.config.paths import cache_dir
from seatctl.errors import SeatctlError
from seatctl.http import RESPONSE_SIZE_CAP, ApiClient, ClientConfig, RetryPolicy, Timeouts
from tests.helpers import Cli, Outcome
from tests.support.fuzz import FuzzServer, fuzz_server, response

TOKEN = "fuzz-" + "T0k3n" * 9  # 50 characters: any echo of it is a leak
SAMPLE_EXAMPLES = 60  # through the commands: ~0.15 s each in-process
CORE_SAMPLE_EXAMPLES = 300  # through ApiClient and the endpoint functions: ~10 ms each
LONG_EXAMPLES = 10_000
COMMANDS: dict[str, tuple[str, ...]] = {
    "ping": ("ping",),
    "events": ("events",),
    "seats": ("seats", "evt-1"),
    "book": ("book", "evt-1", "--seat", "A1", "--no-wait", "--force"),
    "watch": ("watch", "job-1", "--timeout", "0.1"),
    "smoke": ("smoke", "--min-idle", "0.05", "--max-time", "5"),
}


# --- the strategy --------------------------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    kind: str  # the row of the outcome table
    status: int
    raw: bytes
    framing: str
    body: str = "-"  # the body's kind, for plain responses

    def __repr__(self) -> str:
        raw = self.raw if len(self.raw) < 300 else self.raw[:300] + b"..."
        return f"Drawn({self.kind!r}, {self.status}, {self.framing!r}, raw={raw!r})"


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.text(max_size=12), st.floats(allow_nan=False))
SEATISH = st.fixed_dictionaries({"id": st.one_of(st.text(max_size=6), st.integers()),
                                 "row": JSON_SCALARS, "number": st.one_of(
                                     st.integers(0, 99).map(str), JSON_SCALARS)})
DATA = st.one_of(
    JSON_SCALARS, st.lists(JSON_SCALARS, max_size=3), st.just([]),
    st.fixed_dictionaries({"events": st.lists(st.dictionaries(st.text(max_size=6),
                                                              JSON_SCALARS, max_size=3),
                                              max_size=2)}),
    st.fixed_dictionaries({"seats": st.lists(SEATISH, max_size=2)}),
    st.fixed_dictionaries({"jobId": JSON_SCALARS, "success": JSON_SCALARS,
                           "state": st.sampled_from(["queued", "confirmed", "failed", "x"])}),
    st.fixed_dictionaries({"status": st.sampled_from(["ok", "healthy", "error", 3])}),
)
ENVELOPE = st.fixed_dictionaries(
    {}, optional={"status": st.sampled_from(["success", "error", "ok", None, 1]),
                  "data": DATA, "message": JSON_SCALARS, "extra": JSON_SCALARS})


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["envelope", "envelope", "envelope", "json-scalar",
                                 "truncated-json", "invalid-utf8", "html", "empty", "deep"]))
    if kind == "envelope":
        document = draw(ENVELOPE)
        return f"envelope(data={_data_kind(document)})", json.dumps(document).encode()
    if kind == "json-scalar":
        return kind, json.dumps(draw(st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS)))).encode()
    if kind == "truncated-json":
        text = json.dumps(draw(ENVELOPE)).encode()
        return kind, text[: draw(st.integers(1, max(1, len(text) - 1)))]
    if kind == "invalid-utf8":
        return kind, b'{"status": "success", "message": "\xff\xfe\xc3\x28"}'
    if kind == "html":
        return kind, b"<html><title>502 Bad Gateway \x1b[31m</title>nginx</html>"
    if kind == "deep":
        return kind, b"[" * 100_000 + b"]" * 100_000
    return kind, b""


def _data_kind(document: dict[str, object]) -> str:
    if "data" not in document:
        return "missing"
    data = document["data"]
    return {list: "list", str: "string", dict: "object", type(None): "null"}.get(
        type(data), "scalar")


STATUSES = st.one_of(
    st.sampled_from([200, 200, 201, 202, 204, 301, 302, 307, 308, 400, 401, 403, 404, 409,
                     422, 429, 500, 502, 503, 504]),
    st.integers(100, 599))
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "text/html", "text/plain", "application/octet-stream", ""])


SPECIALS = ("plain",) * 8 + ("bomb", "huge", "redirect", "1xx")


@st.composite
def responses(draw: st.DrawFn, other_origin: str) -> Drawn:
    special = SPECIALS[draw(st.integers(0, len(SPECIALS) - 1))]  # uniform, unlike shrinking
    if special == "bomb":
        encoding = draw(st.sampled_from(["gzip", "deflate"]))
        blob = _bomb(encoding, 12 * 1024 * 1024)
        raw = response(200, blob, [("Content-Type", "application/json"),
                                   ("Content-Encoding", encoding)])
        return Drawn(f"{encoding} bomb", 200, raw, "length")
    if special == "huge":
        raw = response(200, b"{}", [("Content-Type", "application/json")], length=False)
        raw = raw.replace(b"Connection: close",
                          f"Content-Length: {RESPONSE_SIZE_CAP + 1}\r\nConnection: close"
                          .encode())
        return Drawn("over the size cap", 200, raw, "short")
    if special == "redirect":
        status = draw(st.sampled_from([301, 302, 303, 307, 308]))
        where = draw(st.sampled_from([other_origin + "/api/events", "/health", "/"]))
        raw = response(status, b"", [("Location", where)])
        return Drawn("redirect (loop or cross-origin)", status, raw, "length")
    status = draw(STATUSES)
    kind, body = draw(bodies())
    headers = [("Content-Type", draw(CONTENT_TYPES))]
    framing = draw(st.sampled_from(["length", "length", "none", "chunked", "short"]))
    raw = _framed(status, body, headers, framing)
    if special == "1xx":
        raw = b"HTTP/1.1 100 Continue\r\n\r\n" + raw
    group = "100 Continue, then " if special == "1xx" else ""
    return Drawn(f"{group}{_status_group(status)}", status, raw, framing, kind)


def _framed(status: int, body: bytes, headers: list[tuple[str, str]], framing: str) -> bytes:
    if framing == "length" or status in (204, 304) or status < 200:
        return response(status, body, headers)
    if framing == "short":
        raw = response(status, body, headers, length=False)
        return raw.replace(b"Connection: close",
                           f"Content-Length: {len(body) + 10}\r\nConnection: close".encode())
    if framing == "chunked":
        chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b""
        chunked = chunk + b"0\r\n\r\n"
        return response(status, chunked, [*headers, ("Transfer-Encoding", "chunked")],
                        length=False)
    return response(status, body, headers, length=False)


def _status_group(status: int) -> str:
    if status in (401, 403, 404, 429):
        return str(status)
    return f"{status // 100}xx"


@functools.cache
def _bomb(encoding: str, size: int) -> bytes:
    zeros = b"0" * size
    return gzip.compress(zeros, 9) if encoding == "gzip" else zlib.compress(zeros, 9)


# --- the oracle ----------------------------------------------------------------------


def expected_codes(drawn: Drawn, command: str) -> set[int]:
    """The documented exit codes this response may end `command` with."""
    if command == "smoke":
        return {0, 1}  # a failed check is 1, whatever it met
    codes = _codes(drawn)
    if command == "watch":  # it warns of odd answers and keeps watching until its --timeout
        return codes | {4} | ({3, 8} if 200 <= drawn.status < 300 else set())
    if command in ("seats", "book") and 200 <= drawn.status < 300:
        return codes | {2, 3, 8}  # the one answer stands for the event, seat map and POST
    return codes


def _codes(drawn: Drawn) -> set[int]:
    status = drawn.status
    network = {6} if drawn.framing == "short" or status < 200 else set()
    if status < 200:  # no final response: closed (6), or what follows is not HTTP (7)
        return {6, 7}
    if 200 <= status < 300:
        if "bomb" in drawn.kind or "size cap" in drawn.kind:
            return {7}
        return {0, 7} | network
    if 300 <= status < 400:
        return {7} | network
    exact = {401: 5, 403: 5, 404: 8, 429: 7}.get(status, 3 if status < 500 else 7)
    return {exact} | network


def check_outcome(outcome: Outcome, allowed: set[int]) -> None:
    text = outcome.stdout + outcome.stderr
    assert outcome.exit_code in allowed, str(outcome)
    assert "Traceback" not in text, str(outcome)
    assert TOKEN not in text, "the token leaked: " + str(outcome)
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error:")]
    hints = [line for line in outcome.stderr.splitlines() if line.startswith("hint:")]
    assert len(errors) <= 1 and len(hints) <= 1, str(outcome)
    if outcome.exit_code not in (0, 1):
        assert len(errors) == 1, str(outcome)


# --- running it ----------------------------------------------------------------------


class Fuzzer:
    """One server and one CLI for a whole run; records the outcome table."""

    def __init__(self, server: FuzzServer, tmp_env: dict[str, str]) -> None:
        self.server = server
        self.cli = Cli()
        self.table: Counter[tuple[str, int]] = Counter()  # response kind x exit code
        self.bodies: Counter[tuple[str, int]] = Counter()  # 2xx body kind x exit code
        self.commands: Counter[tuple[str, int]] = Counter()  # command x exit code
        self.count = 0
        self.env = {**tmp_env, "SEATCTL_TOKEN": TOKEN, "SEATCTL_BASE_URL": server.url,
                    "SEATCTL_RETRIES": "0", "SEATCTL_READ_TIMEOUT": "2",
                    "SEATCTL_CONNECT_TIMEOUT": "2", "SEATCTL_RETRY_DEADLINE": "3"}

    def run(self, drawn: Drawn, command: str, *, serve: bool = True) -> Outcome:
        if serve:
            self.server.serve(drawn.raw)
        # Each generated answer is judged alone: no budget (a 429 drawn before it) and no
        # listing is carried over from the one before, as they would be between commands.
        shutil.rmtree(cache_dir(self.env), ignore_errors=True)
        outcome = self.cli(*COMMANDS[command], env=self.env)
        check_outcome(outcome, expected_codes(drawn, command))
        assert all(b"authorization" not in head.lower()
                   for head in self.server.heads_to_other_origin()), "the token followed"
        self.table[(drawn.kind, outcome.exit_code)] += 1
        self.commands[(command, outcome.exit_code)] += 1
        if drawn.body != "-" and 200 <= drawn.status < 300:
            self.bodies[(f"2xx {drawn.body}", outcome.exit_code)] += 1
        self.count += 1
        return outcome


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FuzzServer]:
    with fuzz_server() as server:
        yield server


@pytest.fixture
def fuzzer(shared_server: FuzzServer, isolated_env: dict[str, str]) -> Fuzzer:
    return Fuzzer(shared_server, {k: v for k, v in isolated_env.items()
                                  if k.startswith(("XDG_", "NO_COLOR", "COLUMNS"))})


def fuzz(fuzzer: Fuzzer, examples: int, derandomize: bool) -> None:
    other = fuzzer.server.other_url

    @settings(max_examples=examples, derandomize=derandomize, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(drawn=responses(other), command=st.sampled_from(sorted(COMMANDS)))
    def case(drawn: Drawn, command: str) -> None:
        fuzzer.run(drawn, command)

    with warnings.catch_warnings():  # the drawn bodies make large reprs of failing cases
        warnings.simplefilter("ignore", HypothesisWarning)
        case()


def format_table(table: Counter[tuple[str, int]], what: str = "response kind") -> str:
    codes = sorted({code for _, code in table})
    kinds = sorted({kind for kind, _ in table})
    lines = [f"| {what} | " + " | ".join(f"exit {c}" for c in codes) + " |",
             "|---|" + "---|" * len(codes)]
    for kind in kinds:
        lines.append(f"| {kind} | " + " | ".join(str(table.get((kind, c), 0)) for c in codes)
                     + " |")
    return "\n".join(lines)


def test_a_sample_of_generated_responses_ends_with_documented_codes(fuzzer: Fuzzer) -> None:
    fuzz(fuzzer, SAMPLE_EXAMPLES, derandomize=True)
    assert fuzzer.count >= SAMPLE_EXAMPLES


CORE_CALLS: dict[str, Callable[[ApiClient], object]] = {
    "health": check_health,
    "events": endpoints.list_events,
    "seat map": lambda client: endpoints.seat_map(client, "evt-1"),
    "book": lambda client: endpoints.submit_seat_booking(client, "evt-1", ["s1"], "key-1"),
    "job status": lambda client: endpoints.job_status(client, "job-1"),
}


def test_a_sample_of_generated_responses_through_the_core(shared_server: FuzzServer) -> None:
    """The same responses through ApiClient and the endpoint functions (what every command
    calls): a result, or a SeatctlError whose exit code the oracle allows; nothing else."""
    config = ClientConfig(base_url=shared_server.url, token=TOKEN,
                          timeouts=Timeouts(connect=2, read=2, write=2, pool=2),
                          retry=RetryPolicy(retries=0, deadline=3))

    @settings(max_examples=CORE_SAMPLE_EXAMPLES, derandomize=True, deadline=None,
              database=None, suppress_health_check=list(HealthCheck))
    @given(drawn=responses(shared_server.other_url), call=st.sampled_from(sorted(CORE_CALLS)))
    def case(drawn: Drawn, call: str) -> None:
        shared_server.serve(drawn.raw)
        try:
            CORE_CALLS[call](client)
            code = 0
        except SeatctlError as error:
            assert "\n" not in str(error) and TOKEN not in str(error), str(error)
            code = int(error.exit_code)
        assert code in expected_codes(drawn, "events") | {8}, (drawn.kind, code)

    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", HypothesisWarning)
        case()


@pytest.mark.long
def test_ten_thousand_generated_responses(fuzzer: Fuzzer) -> None:
    started = time.monotonic()
    fuzz(fuzzer, LONG_EXAMPLES, derandomize=False)
    print(f"\n{fuzzer.count} examples in {time.monotonic() - started:.0f}s")
    print(format_table(fuzzer.table))
    print(format_table(fuzzer.bodies))
    print(format_table(fuzzer.commands))
    assert fuzzer.count >= LONG_EXAMPLES


# --- the size cap and decompression bombs, measured -----------------------------------


@pytest.mark.parametrize("command", ["ping", "events"])
def test_a_12_mb_body_is_refused_without_being_loaded(fuzzer: Fuzzer, command: str) -> None:
    drawn = Drawn("12 MB", 200, b"", "none")
    fuzzer.server.serve(_twelve_megabytes)
    outcome, peak = _traced(lambda: fuzzer.run(drawn, command, serve=False))
    assert outcome.exit_code == 7 and "response size cap of 10 MB" in outcome.stderr, outcome
    assert peak < RESPONSE_SIZE_CAP * 1.5, f"peak {peak:,} bytes"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_decompression_bomb_is_refused_without_being_inflated(fuzzer: Fuzzer,
                                                                encoding: str) -> None:
    blob = _bomb(encoding, 200 * 1024 * 1024)  # ~200 KB expanding to 200 MB
    assert len(blob) < 300 * 1024
    drawn = Drawn("bomb", 200, response(200, blob, [("Content-Type", "application/json"),
                                                    ("Content-Encoding", encoding)]), "length")
    outcome, peak = _traced(lambda: fuzzer.run(drawn, "ping"))
    assert outcome.exit_code == 7 and "response size cap" in outcome.stderr, outcome
    assert peak < RESPONSE_SIZE_CAP * 1.5, f"peak {peak:,} bytes"


def test_a_cross_origin_redirect_is_not_followed_and_the_token_stays(fuzzer: Fuzzer) -> None:
    other = fuzzer.server.other_url
    drawn = Drawn("redirect", 302, response(302, b"", [("Location", other + "/health")]),
                  "length")
    outcome = fuzzer.run(drawn, "ping")
    assert outcome.exit_code == 7 and "redirected" in outcome.stderr, outcome
    assert fuzzer.server.heads_to_other_origin() == []
    assert len(fuzzer.server.received) == 1


async def _twelve_megabytes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            stopping: asyncio.Event) -> None:
    """A 12 MB JSON body written in 64 KB pieces (so the server holds no copy of it)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\n\r\n" + b'{"status": "success", "data": "')
    piece = b"x" * 65536
    for _ in range(12 * 16):
        if stopping.is_set():
            return
        writer.write(piece)
        await writer.drain()
    writer.write(b'"}')


def _traced(run: object) -> tuple[Outcome, int]:
    tracemalloc.start()
    try:
        outcome = run()  # type: ignore[operator]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, peak


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity"])
def test_compressed_answers_within_the_cap_still_decode(shared_server: FuzzServer,
                                                        encoding: str) -> None:
    """The core decodes bodies itself (in bounded steps): each coding seatctl accepts."""
    document = {"status": "success", "data": {"events": [], "pad": "x" * 300_000}}
    plain = json.dumps(document).encode()
    packed = {"gzip": lambda: gzip.compress(plain), "deflate": lambda: zlib.compress(plain),
              "raw-deflate": lambda: zlib.compress(plain)[2:-4], "identity": lambda: plain}
    coding = "deflate" if encoding == "raw-deflate" else encoding
    shared_server.serve(response(200, packed[encoding](),
                                 [("Content-Type", "application/json"),
                                  ("Content-Encoding", coding)]))
    config = ClientConfig(base_url=shared_server.url,
                          timeouts=Timeouts(connect=2, read=2, write=2, pool=2),
                          retry=RetryPolicy(retries=0, deadline=3))
    with ApiClient(config) as client:
        answer = client.get("/api/events")
    assert answer.json() == document
    assert b"gzip, deflate" in shared_server.received[0].head
