"""The reference server under abuse (issue #7): random bytes, oversized and slow heads, many
idle connections, request-smuggling shapes, hostile ids and tokens, and one user reaching for
another's job or booking. Every case: the right 4xx or a close, no 500, no traceback in the
`seatctl.server` log, no connection held past its timeouts, and a normal request still
answered afterwards on a fresh connection.

The real server runs with scaled-down timeouts (`TIMEOUTS`); sockets are raw. The full-size
runs (thousands of random requests, 1000 idle connections) are `@pytest.mark.long` and
`python bench/server_abuse.py`, which prints the figures of docs/reliability.md.
"""

from __future__ import annotations

import logging
import resource
import select
import selectors
import socket
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seatctl.server import ConnectionTimeouts, ReferenceServer
from seatctl.server.auth import MAX_TOKEN_CHARS, TokenSigner
from seatctl.server.protocol import MAX_HEAD_BYTES
from tests.conftest import StartServer
from tests.server.helpers import (
    add_user,
    bearer,
    client,
    free_seats,
    general_admission_event,
    login,
    new_key,
    result,
    seat_map_event,
    submit,
    token_secret,
)

WAIT = 10.0  # no socket waits longer than this for anything
KEEP_ALIVE = 1.0
HEADERS_TIMEOUT = 1.0
REQUEST_TIMEOUT = 1.5
TIMEOUTS = ConnectionTimeouts(keep_alive_timeout=KEEP_ALIVE, advertised_keep_alive=KEEP_ALIVE,
                              headers_timeout=HEADERS_TIMEOUT, request_timeout=REQUEST_TIMEOUT)
EARLY = 0.05  # a timeout may fire this much before its nominal time (timer granularity)
LATE = 1.0  # ... and this much after it, on a loaded 2-core machine
LATE_MANY = 2.0  # ... or this much, when hundreds of connections time out at once
PROMPT = 2.0  # a fresh request on an abused server is answered within this
IDLE_CONNECTIONS = 500
B_EMAIL, B_PASSWORD = "b@example.com", "b-password-1"

HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
# What the server may answer to a request it can parse at all (501: an unknown
# Transfer-Encoding); never a 5xx otherwise.
CLIENT_ERRORS = frozenset({400, 401, 404, 405, 408, 413, 422, 431, 501})


@dataclass(frozen=True)
class Exchange:
    status: int | None  # of the first response; None: closed without answering
    raw: bytes
    ending: str  # "fin" | "reset" | "open" (still open after WAIT: a hang)
    seconds: float

    @property
    def outcome(self) -> str:
        return f"{self.status or 'no answer'}, {self.ending}"


# --- helpers --------------------------------------------------------------------------


def address(server: ReferenceServer) -> tuple[str, int]:
    return server.config.host, server.port


def exchange(server: ReferenceServer, data: bytes, *, half_close: bool = False,
             dripped: bytes = b"", drip: float = 0.05) -> Exchange:
    """Send `data`, then `dripped` one byte every `drip` seconds; then shut down our sending
    side when `half_close`; read until the server closes. A connection still open after WAIT
    counts as a hang."""
    started = time.monotonic()
    with socket.create_connection(address(server), timeout=WAIT) as sock:
        ending = _send(sock, data, 0.0)
        if dripped and ending == "open":
            ending = _send(sock, dripped, drip)
        if half_close and ending == "open":
            sock.shutdown(socket.SHUT_WR)
        raw, ending = _read_until_close(sock) if ending == "open" else (b"", ending)
    raw_status = raw.split(b" ", 2)[1] if raw.startswith(b"HTTP/1.1 ") else b""
    status = int(raw_status) if raw_status.isdigit() else None
    return Exchange(status, raw, ending, time.monotonic() - started)


def _send(sock: socket.socket, data: bytes, drip: float) -> str:
    """Returns "open", or how the server ended the connection while we were sending. A drip
    stops as soon as the server answers (or closes)."""
    try:
        if not drip:
            sock.sendall(data)
        for index in range(len(data) if drip else 0):
            sock.sendall(data[index:index + 1])
            if select.select([sock], [], [], drip)[0]:  # the pacing, or the server's answer
                break
    except ConnectionResetError:
        return "reset"
    except BrokenPipeError:
        return "fin"
    return "open"


def _read_until_close(sock: socket.socket) -> tuple[bytes, str]:
    received = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received, "reset"
        except TimeoutError:
            break
        if not chunk:
            return received, "fin"
        received += chunk
    return received, "open"


def assert_still_serving(server: ReferenceServer) -> None:
    started = time.monotonic()
    response = httpx.get(server.url + "/health", timeout=WAIT)
    assert response.status_code == 200
    assert time.monotonic() - started < PROMPT


def refused_at_once(answer: Exchange, status: int) -> bool:
    """Answered `status`, only that (nothing smuggled behind it answered), and closed at
    once (not at the keep-alive timeout)."""
    return (answer.status == status and answer.raw.count(b"HTTP/1.1 ") == 1
            and answer.ending in ("fin", "reset") and answer.seconds < PROMPT)


def answers_with_health_checks(server: ReferenceServer, cases: dict[str, bytes]
                               ) -> dict[str, Exchange]:
    """Each case on its own connection, each followed by a health check on a new one."""
    answers: dict[str, Exchange] = {}
    for name, data in cases.items():
        answers[name] = exchange(server, data)
        assert exchange(server, HEALTH).status == 200, f"no longer serving after {name}"
    return answers


def assert_refused(answer: Exchange, *statuses: int) -> None:
    """One of `statuses` (None: closed unanswered), then the server closed (never a hang)."""
    assert answer.status in statuses, answer.raw[:300]
    assert answer.ending in ("fin", "reset"), answer


@pytest.fixture
def abused(start_server: StartServer, caplog: pytest.LogCaptureFixture
           ) -> Iterator[ReferenceServer]:
    """A server with the scaled-down timeouts; after the test it still answers promptly, and
    nothing was logged as an error (no traceback, no failed task)."""
    caplog.set_level(logging.DEBUG)
    server = start_server(timeouts=TIMEOUTS)
    yield server
    assert_still_serving(server)
    failures = [record for record in caplog.records
                if record.levelno >= logging.ERROR or record.exc_info]
    assert not failures, [record.getMessage() for record in failures]


def raise_fd_limit(needed: int) -> None:
    """Raise the soft limit of open files to `needed` (bounded by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


# --- random bytes ---------------------------------------------------------------------

REQUEST_LINES = st.sampled_from([
    b"", b"GET /health HTTP/1.1\r\n", b"POST /api/seats/book HTTP/1.1\r\n",
    b"GET /api/seats/booking-status/x HTTP/1.1\r\n", b"DELETE /api/bookings/x HTTP/1.1\r\n",
    b"POST /api/auth/login HTTP/1.0\r\n",
])
HEADER_LINES = st.builds(lambda name, value: name + b": " + value + b"\r\n",
                         st.sampled_from([b"Host", b"Content-Length", b"Transfer-Encoding",
                                          b"Authorization", b"Connection", b"Expect", b"X"])
                         | st.binary(max_size=12), st.binary(max_size=24))
RANDOM_REQUESTS = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda line, rest: line + rest, REQUEST_LINES, st.binary(max_size=300)),
    st.builds(lambda line, headers, body: line + b"".join(headers) + b"\r\n" + body,
              REQUEST_LINES, st.lists(HEADER_LINES, max_size=6), st.binary(max_size=100)),
)


def answer_random_bytes(server: ReferenceServer, data: bytes) -> Exchange:
    """Random bytes as a request, then our side shut: a parseable request is answered, the
    rest refused or dropped; the connection always ends."""
    answer = exchange(server, data, half_close=True)
    assert answer.ending in ("fin", "reset"), answer
    assert answer.status is None or answer.status == 200 or answer.status in CLIENT_ERRORS, \
        answer.raw[:300]
    return answer


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=RANDOM_REQUESTS)
def test_random_bytes_are_answered_with_a_4xx_or_dropped(abused: ReferenceServer,
                                                          data: bytes) -> None:
    answer_random_bytes(abused, data)


@pytest.mark.long
def test_thousands_of_random_requests(abused: ReferenceServer) -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=3000, deadline=None, derandomize=True, database=None)
    @given(data=RANDOM_REQUESTS)
    def fuzz(data: bytes) -> None:
        outcomes[answer_random_bytes(abused, data).outcome] += 1

    fuzz()
    assert sum(outcomes.values()) >= 3000


def test_garbage_without_a_half_close_is_refused_at_once(abused: ReferenceServer) -> None:
    answer = exchange(abused, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n")
    assert_refused(answer, 400)
    assert answer.seconds < PROMPT


# --- oversized and slow heads ---------------------------------------------------------

OVERSIZED = {
    "request line over 16 KiB": b"GET /" + b"a" * MAX_HEAD_BYTES + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "one header over 16 KiB": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                              + b"b" * MAX_HEAD_BYTES + b"\r\n\r\n",
    "3000 small headers": b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 3000 + b"\r\n",
    "a method of 20 KB": b"G" * 20_000 + b" /health HTTP/1.1\r\nHost: x\r\n\r\n",
    "16 KiB with no line end": b"G" * (MAX_HEAD_BYTES + 1024),
}


def test_an_oversized_head_is_431_and_closed_at_once(abused: ReferenceServer) -> None:
    answers = answers_with_health_checks(abused, OVERSIZED)
    assert not {name: answer.outcome for name, answer in answers.items()
                if not refused_at_once(answer, 431)}


SLOW = {
    "headers one byte at a time": (b"", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
                                   + b"s" * 100, HEADERS_TIMEOUT, "headers not received"),
    "body one byte at a time": (b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 200\r\n\r\n", b"{" * 200,
                                REQUEST_TIMEOUT, "body not received"),
}


@pytest.mark.parametrize(("data", "dripped", "limit", "message"), SLOW.values(),
                         ids=SLOW.keys())
def test_a_drip_fed_request_gets_408_at_its_timeout(
    abused: ReferenceServer, data: bytes, dripped: bytes, limit: float, message: str,
) -> None:
    answer = exchange(abused, data, dripped=dripped)
    assert_refused(answer, 408)
    assert message.encode() in answer.raw
    assert limit - EARLY <= answer.seconds <= limit + LATE


# --- many idle connections ------------------------------------------------------------


def open_idle(server: ReferenceServer, count: int, *, first_request: bool
              ) -> list[tuple[socket.socket, float]]:
    """`count` connections, each idle from the returned time: after one kept-alive
    `GET /health` (`first_request`), or silent from the connect."""
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    opened: list[tuple[socket.socket, float]] = []
    for _ in range(count):
        sock = socket.create_connection(address(server), timeout=WAIT)
        if first_request:
            sock.sendall(request)
            head = sock.recv(65536)  # the whole small answer arrives in one read
            assert head.startswith(b"HTTP/1.1 200 ") and b"keep-alive" in head, head[:200]
        opened.append((sock, time.monotonic()))
    return opened


def wait_for_closes(opened: list[tuple[socket.socket, float]]) -> list[tuple[bytes, float]]:
    """What each connection still received and how long after its idle start it closed."""
    endings: list[tuple[bytes, float]] = [(b"", -1.0)] * len(opened)
    received = [b""] * len(opened)
    with selectors.DefaultSelector() as selector:
        for index, (sock, _) in enumerate(opened):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
        deadline = time.monotonic() + WAIT + 5
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                index = key.data
                sock, idle_since = opened[index]
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                received[index] += chunk
                if not chunk:
                    selector.unregister(sock)
                    endings[index] = (received[index], time.monotonic() - idle_since)
    for sock, _ in opened:
        sock.close()
    return endings


def idle_connections_case(server: ReferenceServer, count: int, *, first_request: bool
                          ) -> list[tuple[bytes, float]]:
    raise_fd_limit(2 * count + 256)  # both ends live in this process
    opened = open_idle(server, count, first_request=first_request)
    try:
        assert_still_serving(server)  # while they are all open
    except BaseException:
        for sock, _ in opened:
            sock.close()
        raise
    return wait_for_closes(opened)


def test_500_kept_alive_connections_all_close_at_the_keep_alive_timeout(
    abused: ReferenceServer,
) -> None:
    endings = idle_connections_case(abused, IDLE_CONNECTIONS, first_request=True)
    assert all(seconds >= 0 for _, seconds in endings), "a connection was never closed"
    assert all(received == b"" for received, _ in endings)  # a clean FIN, nothing more
    assert min(seconds for _, seconds in endings) >= KEEP_ALIVE - EARLY
    assert max(seconds for _, seconds in endings) <= KEEP_ALIVE + LATE_MANY


def test_500_silent_connections_all_get_408_at_the_headers_timeout(
    abused: ReferenceServer,
) -> None:
    endings = idle_connections_case(abused, IDLE_CONNECTIONS, first_request=False)
    assert all(seconds >= 0 for _, seconds in endings), "a connection was never closed"
    assert all(received.startswith(b"HTTP/1.1 408 ") for received, _ in endings)
    assert min(seconds for _, seconds in endings) >= HEADERS_TIMEOUT - EARLY
    assert max(seconds for _, seconds in endings) <= HEADERS_TIMEOUT + LATE_MANY


@pytest.mark.long
def test_2000_kept_alive_connections(abused: ReferenceServer) -> None:
    endings = idle_connections_case(abused, 2000, first_request=True)
    assert all(0 <= seconds <= KEEP_ALIVE + LATE_MANY for _, seconds in endings)


# --- request smuggling shapes ---------------------------------------------------------

LOGIN = b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
SMUGGLING = {
    "CL then TE": (LOGIN + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\nGET /api/bookings/my HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "TE then CL": (LOGIN + b"Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n"
                   b"0\r\n\r\n", 400),
    "two differing Content-Length": (LOGIN + b"Content-Length: 2\r\nContent-Length: 40\r\n"
                                     b"\r\n{}", 400),
    "Content-Length list": (LOGIN + b"Content-Length: 2, 40\r\n\r\n{}", 400),
    "negative Content-Length": (LOGIN + b"Content-Length: -1\r\n\r\n", 400),
    "Content-Length +2": (LOGIN + b"Content-Length: +2\r\n\r\n{}", 400),
    "Content-Length of 30 digits": (LOGIN + b"Content-Length: " + b"9" * 30 + b"\r\n\r\n", 400),
    "TE gzip": (LOGIN + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    "TE gzip, chunked": (LOGIN + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    "TE identity": (LOGIN + b"Transfer-Encoding: identity\r\n\r\n", 501),
    "two TE headers": (LOGIN + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                       b"\r\n\r\n0\r\n\r\n", 501),
    "space before the colon": (LOGIN + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    "bad chunk size": (LOGIN + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
    "NUL in a header": (b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    "no Host": (b"GET /health HTTP/1.1\r\n\r\n", 400),
    "HTTP/0.9 request line": (b"GET /health\r\n\r\n", 400),
}


def test_a_smuggling_shape_is_refused_and_the_connection_closed_at_once(
    abused: ReferenceServer,
) -> None:
    answers = answers_with_health_checks(
        abused, {name: data for name, (data, _) in SMUGGLING.items()})
    assert not {name: answer.outcome for name, answer in answers.items()
                if not refused_at_once(answer, SMUGGLING[name][1])}


# --- hostile ids ----------------------------------------------------------------------

HOSTILE_IDS = {
    "sql": "' OR 1=1 --",
    "sql quoted": '" OR ""="',
    "sql union": "x' UNION SELECT id, email, password_hash FROM users --",
    "traversal": "../../etc/passwd",
    "encoded traversal": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "NUL": "abc\x00def",
    "LIKE wildcard": "%",
    "unicode": "\u00e9\u202e\U0001f600",
    "invalid UTF-8": "%ff%fe",
    "very long": "x" * 8000,
}
ID_ROUTES = [
    ("GET", "/api/events/{}"),
    ("GET", "/api/seats/event/{}"),
    ("GET", "/api/seats/booking-status/{}"),
    ("GET", "/api/seats/booking-status/{}?wait=0.1"),
    ("DELETE", "/api/bookings/{}"),
]


def hostile_id_answers(server: ReferenceServer, token: str) -> dict[str, Counter[str]]:
    """For each hostile id, percent-encoded in every route with an id: how many answers of
    each status (and whether an answer carried data)."""
    answers: dict[str, Counter[str]] = {}
    with client(server, token) as http:
        for name, hostile in HOSTILE_IDS.items():
            answers[name] = Counter()
            for method, template in ID_ROUTES:
                response = http.request(method, template.format(quote(hostile, safe="")))
                data = " with data" if "data" in response.json() else ""
                answers[name][f"{response.status_code}{data}"] += 1
    return answers


def test_a_hostile_id_is_404_on_every_route(abused: ReferenceServer) -> None:
    answers = hostile_id_answers(abused, login(abused))
    assert answers == {name: Counter({"404": len(ID_ROUTES)}) for name in HOSTILE_IDS}


def test_a_raw_slash_in_an_id_matches_no_route(abused: ReferenceServer) -> None:
    token = login(abused).encode()
    for hostile in ("../../etc/passwd", "a/../../b", "./x", "..%2f..%2fetc/passwd"):
        for method, template in ID_ROUTES:
            target = template.format(hostile).encode()
            answer = exchange(abused, method.encode() + b" " + target + b" HTTP/1.1\r\n"
                              b"Host: x\r\nAuthorization: Bearer " + token
                              + b"\r\nConnection: close\r\n\r\n")
            assert answer.status in (404, 405), (target, answer.raw[:300])


def test_a_hostile_search_is_an_empty_page_not_an_error(abused: ReferenceServer) -> None:
    with client(abused) as http:
        for search in ("' OR 1=1 --", "%' OR '%'='", "\x00", "_"):
            response = http.get("/api/events", params={"search": search})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["events"] == []


# --- hostile tokens -------------------------------------------------------------------

AUTHED_ROUTES = [
    ("GET", "/api/auth/profile", None),
    ("GET", "/api/bookings/my", None),
    ("GET", "/api/seats/booking-status/{job}", None),
    ("DELETE", "/api/bookings/{booking}", None),
    ("POST", "/api/bookings", {"eventId": "{event}", "quantity": 1}),
    ("POST", "/api/seats/book", {"eventId": "{event}", "seatIds": ["s"]}),
]
NO_TOKEN = "Access denied. No token provided."
OTHER_SECRET = "not-the-server-secret-but-as-long-as-one"
INVALID_TOKEN = "Access denied. Invalid token."


def hs512(claims: dict[str, object], secret: str) -> str:
    """A token with the server's secret but another algorithm than the one it accepts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS512")


def forged_tokens(server: ReferenceServer, user_id: str, genuine: str) -> dict[str, str]:
    secret = token_secret(server)
    now = int(time.time())
    claims = {"sub": user_id, "email": "demo@example.com", "iat": now, "exp": now + 3600}
    header, payload, signature = genuine.split(".")
    other_payload = jwt.encode({**claims, "sub": "someone-else"}, OTHER_SECRET).split(".")[1]
    return {
        "another secret": jwt.encode(claims, OTHER_SECRET, algorithm="HS256"),
        "alg none": jwt.encode(claims, "", algorithm="none"),
        "alg none, signature kept": f"{jwt.encode(claims, '', algorithm='none')}{signature}",
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 1}, secret),
        "HS512 with the secret": hs512(claims, secret),
        "no exp": jwt.encode({"sub": user_id}, secret),
        "no sub": jwt.encode({"exp": now + 3600}, secret),
        "unknown user": jwt.encode({**claims, "sub": "no-such-user"}, secret),
        "sub a number": jwt.encode({**claims, "sub": 1}, secret),
        "exp a string": jwt.encode({**claims, "exp": "never"}, secret),
        "payload swapped": f"{header}.{other_payload}.{signature}",
        "signature cut": f"{header}.{payload}.",
        "two parts": f"{header}.{payload}",
        "not base64": "!!!.@@@.###",
        "garbage": "garbage",
        "very long": "a" * 8000,
        "signed, longer than any we issue": jwt.encode({**claims, "pad": "x" * MAX_TOKEN_CHARS},
                                                       secret),
        "latin-1 bytes": "\u00e9\u00ff.\u00e9.\u00e9",
    }


@pytest.fixture
def victim(abused: ReferenceServer) -> dict[str, str]:
    return make_victim(abused)


def make_victim(server: ReferenceServer) -> dict[str, str]:
    """The demo user's token, id, a job and a booking, for the routes that need ids."""
    token = login(server)
    with client(server, token) as http:
        user_id = http.get("/api/auth/profile").json()["data"]["user"]["id"]
        event = general_admission_event(http)
        booking = http.post("/api/bookings", json={"eventId": event["id"], "quantity": 1})
        seat_event = seat_map_event(http)
        job = submit(http, seat_event["id"], [free_seats(http, seat_event["id"], 1)[0]["id"]])
    return {"token": token, "user": user_id, "event": event["id"], "job": job,
            "booking": booking.json()["data"]["booking"]["id"]}


def call_every_authed_route(server: ReferenceServer, victim: dict[str, str],
                           authorization: bytes | None) -> list[tuple[str, int, object]]:
    """(route, status, body) of every authenticated route, called with `authorization`."""
    headers = {} if authorization is None else {b"Authorization": authorization}
    answers: list[tuple[str, int, object]] = []
    with httpx.Client(base_url=server.url, timeout=WAIT) as http:
        for method, template, body in AUTHED_ROUTES:
            json_body = None
            if isinstance(body, dict):
                json_body = {key: (value.format(**victim) if isinstance(value, str) else value)
                             for key, value in body.items()}
            response = http.request(method, template.format(**victim), json=json_body,
                                    headers=headers)
            answers.append((f"{method} {template}", response.status_code, response.json()))
    return answers


def test_a_forged_or_expired_token_is_401_on_every_route(abused: ReferenceServer,
                                                         victim: dict[str, str]) -> None:
    refused = {"status": "error", "message": INVALID_TOKEN}
    for name, token in forged_tokens(abused, victim["user"], victim["token"]).items():
        authorization = f"Bearer {token}".encode("latin-1")
        for route, status, body in call_every_authed_route(abused, victim, authorization):
            assert (status, body) == (401, refused), (name, route)
    assert_victim_untouched(abused, victim)


def test_a_missing_or_malformed_authorization_is_401(abused: ReferenceServer,
                                                    victim: dict[str, str]) -> None:
    refused = {"status": "error", "message": NO_TOKEN}
    for header in (None, "", "Bearer", "bearer", "Basic ZGVtbzpkZW1v", "Token {token}",
                   "{token}", "Bearer\t{token}"):
        authorization = None if header is None else header.format(**victim).encode()
        for route, status, body in call_every_authed_route(abused, victim, authorization):
            assert (status, body) == (401, refused), (header, route)


def test_long_garbage_tokens_do_not_fill_the_verdict_cache() -> None:
    signer = TokenSigner(TokenSigner.new_secret())
    for number in range(200):
        assert signer.verify(f"{number:05d}" + "x" * MAX_TOKEN_CHARS) is None
    assert signer._claims.cache_info().currsize == 0
    genuine = signer.issue("u1", "u1@example.com")
    assert len(genuine) < MAX_TOKEN_CHARS // 4 and signer.verify(genuine) == "u1"


def assert_victim_untouched(server: ReferenceServer, victim: dict[str, str]) -> None:
    with client(server, victim["token"]) as http:
        bookings = http.get("/api/bookings/my").json()["data"]["bookings"]
    assert [b["status"] for b in bookings if b["id"] == victim["booking"]] == ["CONFIRMED"]


# --- one user, another's data ---------------------------------------------------------


def test_another_user_never_reads_or_cancels_a_job_or_booking(abused: ReferenceServer,
                                                              victim: dict[str, str]) -> None:
    add_user(abused, B_EMAIL, B_PASSWORD)
    intruder = login(abused, B_EMAIL, B_PASSWORD)
    with client(abused, victim["token"]) as http:
        seat_booking = result(http, victim["job"])["bookingId"]
    with client(abused, intruder) as http:
        for path in (f"/api/seats/booking-status/{victim['job']}",
                     f"/api/seats/booking-status/{victim['job']}?wait=0.2",
                     f"/api/seats/booking-status/{quote(victim['job'] + chr(39) + ' OR 1=1 --')}"):
            response = http.get(path)
            assert response.status_code == 404, response.text
            assert response.json() == {"status": "error", "message": "Booking job not found"}
        for booking in (victim["booking"], seat_booking):
            response = http.delete(f"/api/bookings/{booking}")
            assert response.status_code == 403, response.text  # the seed's answer
            assert response.json() == {"status": "error", "message":
                                       "Access denied. You can only cancel your own bookings."}
        assert http.get("/api/bookings/my").json()["data"]["bookings"] == []
    assert_victim_untouched(abused, victim)


def test_another_users_idempotency_key_books_for_them_not_the_owner(
    abused: ReferenceServer,
) -> None:
    add_user(abused, B_EMAIL, B_PASSWORD)
    owner, intruder = login(abused), login(abused, B_EMAIL, B_PASSWORD)
    key = new_key()
    with client(abused, owner) as http:
        event = general_admission_event(http)["id"]
        first = http.post("/api/bookings", json={"eventId": event, "quantity": 1,
                                                 "idempotencyKey": key})
    with client(abused, intruder) as http:
        second = http.post("/api/bookings", json={"eventId": event, "quantity": 1,
                                                  "idempotencyKey": key})
        mine = http.get("/api/bookings/my").json()["data"]["bookings"]
    assert (first.status_code, second.status_code) == (201, 201)
    owners_id = first.json()["data"]["booking"]["id"]
    assert second.json()["data"]["booking"]["id"] != owners_id
    assert [b["id"] for b in mine] == [second.json()["data"]["booking"]["id"]]


def test_a_seat_job_key_reused_by_another_user_is_their_own_job(abused: ReferenceServer,
                                                              victim: dict[str, str]) -> None:
    add_user(abused, B_EMAIL, B_PASSWORD)
    intruder = login(abused, B_EMAIL, B_PASSWORD)
    key = new_key()
    with client(abused, victim["token"]) as http:
        event = seat_map_event(http)["id"]
        seat = free_seats(http, event, 1)[0]["id"]
        owners = result(http, submit(http, event, [seat], key))
    with client(abused, intruder) as http:
        theirs = result(http, submit(http, event, [seat], key, headers=bearer(intruder)))
    assert owners["state"] == "confirmed"
    assert theirs["state"] == "failed"  # the seat is taken; the owner's booking is not shown
    assert "bookingId" not in theirs
