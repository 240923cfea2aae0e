"""Contract conformance at the HTTP level: the rate limit, unknown paths and methods,
malformed and oversized requests (and the lingering close after them), the request log of
errors, HEAD, and keep-alive."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from seatctl.server import ConnectionTimeouts, LogEntry, RateLimit, ReferenceServer
from seatctl.server.messages import Request, Response
from seatctl.server.protocol import MAX_HEAD_BYTES
from seatctl.server.ratelimit import FixedWindowLimiter
from tests.conftest import StartServer
from tests.server.helpers import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    assert_error,
    client,
    login,
    parse_raw_response,
    raw_exchange,
)
from tests.support.servers import serving_protocol

RATE_LIMITED = "Too many requests from this IP, please try again later."
ONE_MIB = 1024 * 1024


# --- rate limit -------------------------------------------------------------------------

def test_api_responses_announce_the_rate_limit(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(3, 60))
    with client(server) as http:
        responses = [http.get("/api/events") for _ in range(3)]
    for remaining, response in zip((2, 1, 0), responses, strict=True):
        assert response.status_code == 200
        assert response.headers["ratelimit-policy"] == "3;w=60"
        assert response.headers["ratelimit-limit"] == "3"
        assert response.headers["ratelimit-remaining"] == str(remaining)
        assert 0 < int(response.headers["ratelimit-reset"]) <= 60


def test_the_request_over_the_limit_is_429_with_retry_after(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(3, 60))
    with client(server) as http:
        for _ in range(3):
            assert http.get("/api/health").status_code == 200
        limited = http.get("/api/events")
        # Errors and logins count against the same budget.
        login_attempt = http.post("/api/auth/login",
                                  json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert limited.status_code == 429
    assert limited.json() == {"status": "error", "message": RATE_LIMITED}
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "0"
    assert login_attempt.status_code == 429


def test_rate_limit_reset_never_announces_more_than_the_window() -> None:
    # 123.456 + 60 - 123.456 == 60.000000000000014 in floats: the reset must still be 60.
    limiter = FixedWindowLimiter(RateLimit(3, 60), clock=lambda: 123.456)
    headers = dict(limiter.hit("127.0.0.1").headers)
    assert headers["RateLimit-Reset"] == "60"


def test_health_is_not_rate_limited(start_server: StartServer) -> None:
    server = start_server(rate_limit=RateLimit(3, 60))
    with client(server) as http:
        responses = [http.get("/health") for _ in range(6)]
    assert [response.status_code for response in responses] == [200] * 6
    assert all("ratelimit-limit" not in response.headers for response in responses)


# --- routing ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/api/events/x/y"])
def test_an_unknown_path_is_a_404_envelope(server: ReferenceServer, path: str) -> None:
    assert_error(httpx.get(server.url + path), 404)


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("POST", "/health", "GET"),
    ("DELETE", "/api/events", "GET"),
    ("GET", "/api/auth/login", "POST"),
    ("PUT", "/api/seats/book", "POST"),
])
def test_a_wrong_method_is_a_405_envelope_with_allow(
    server: ReferenceServer, method: str, path: str, allow: str,
) -> None:
    response = httpx.request(method, server.url + path)
    assert_error(response, 405)
    assert response.headers["allow"] == allow


# --- malformed and oversized requests ---------------------------------------------------

def test_a_malformed_request_is_a_400_envelope_and_the_connection_closes(
    server: ReferenceServer,
) -> None:
    raw, closed = raw_exchange(server, b"GARBAGE\r\n\r\n")
    status, headers, body = parse_raw_response(raw)
    assert status == 400
    assert headers["connection"] == "close"
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["status"] == "error"
    assert closed


def test_a_body_over_one_mib_is_413(server: ReferenceServer) -> None:
    token = login(server)
    with client(server, token) as http:
        response = http.post("/api/seats/book", content=b"x" * (ONE_MIB + 1),
                             headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_a_declared_body_over_one_mib_is_413_before_it_is_sent(
    server: ReferenceServer,
) -> None:
    head = (f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {ONE_MIB + 1}\r\n\r\n")
    raw, closed = raw_exchange(server, head.encode())
    status, headers, body = parse_raw_response(raw)
    assert status == 413
    assert headers["connection"] == "close"
    assert json.loads(body)["status"] == "error"
    assert closed


def test_a_chunked_body_over_one_mib_is_413(server: ReferenceServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(17):
            yield b"x" * 65536

    with client(server) as http:
        response = http.post("/api/auth/login", content=chunks(),
                             headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_a_body_of_one_mib_is_accepted(server: ReferenceServer) -> None:
    body = json.dumps({"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                       "padding": "x" * (ONE_MIB - 200)}).encode()
    assert len(body) <= ONE_MIB
    response = httpx.post(f"{server.url}/api/auth/login", content=body,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 200


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(server: ReferenceServer, body: bytes) -> None:
    response = httpx.post(f"{server.url}/api/auth/login", content=body,
                          headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def head_of(size: int, path: str = "/health") -> bytes:
    """A GET whose request line and headers are exactly `size` bytes."""
    start = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ".encode()
    end = b"\r\n\r\n"
    return start + b"x" * (size - len(start) - len(end)) + end


def test_headers_over_the_limit_are_refused_and_the_connection_closes(
    server: ReferenceServer,
) -> None:
    raw, closed = raw_exchange(server, head_of(100_000))
    status, headers, body = parse_raw_response(raw)
    assert status == 431
    assert headers["connection"] == "close"
    assert json.loads(body)["status"] == "error"
    assert closed  # a FIN after the answer, not a reset


def test_a_whole_head_over_16_kib_in_one_read_is_431(server: ReferenceServer) -> None:
    """60 KB arrives in one 64 KiB read: complete, so h11's own limit never sees it."""
    raw, closed = raw_exchange(server, head_of(60_000))
    status, headers, body = parse_raw_response(raw)
    assert status == 431
    assert headers["connection"] == "close"
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["status"] == "error"
    assert closed


def test_a_head_over_16_kib_in_two_parts_is_431(server: ReferenceServer) -> None:
    """Neither part is over the limit alone, and the head is complete after the second."""
    head = head_of(20_000)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head[:10_000])
        time.sleep(0.05)  # a gap between the parts, so they arrive as two reads (no state to await)
        sock.sendall(head[10_000:])
        raw = read_until_close(sock)
    status, _, body = parse_raw_response(raw)
    assert status == 431
    assert json.loads(body)["status"] == "error"


def test_the_head_limit_is_16_kib_exactly(server: ReferenceServer) -> None:
    assert MAX_HEAD_BYTES == 16 * 1024  # Node's default max header size
    at_limit = head_of(MAX_HEAD_BYTES)
    assert len(at_limit) == MAX_HEAD_BYTES
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(at_limit)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    raw, _ = raw_exchange(server, head_of(MAX_HEAD_BYTES + 1))
    assert parse_raw_response(raw)[0] == 431


# --- the lingering close after an error answer -------------------------------------------

def read_until_close(sock: socket.socket) -> bytes:
    """Everything until the server's FIN; a reset fails the test."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError as exc:
            pytest.fail(f"the server reset the connection after {len(received)} bytes: {exc}")
        if not chunk:
            return received
        received += chunk


def send_all_or_fail(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except (ConnectionResetError, BrokenPipeError) as exc:
        pytest.fail(f"the server reset the connection while the request was sent: {exc}")


def test_a_413_answer_arrives_whole_before_a_fin_while_the_body_is_still_sent(
    server: ReferenceServer,
) -> None:
    """The server answers 413 from the Content-Length alone, with 2 MiB still coming: it must
    read and discard them rather than close with unread data (a reset)."""
    body = b"x" * (2 * ONE_MIB)
    head = (f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        send_all_or_fail(sock, head.encode() + body)
        raw = read_until_close(sock)
    status, headers, answer = parse_raw_response(raw)
    assert status == 413
    assert headers["connection"] == "close"
    assert len(answer) == int(headers["content-length"])
    assert json.loads(answer)["status"] == "error"


def test_a_400_answer_arrives_whole_before_a_fin_while_more_bytes_come(
    server: ReferenceServer,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        send_all_or_fail(sock, b"GARBAGE\r\n\r\n" + b"y" * ONE_MIB)
        raw = read_until_close(sock)
    status, _, answer = parse_raw_response(raw)
    assert status == 400
    assert json.loads(answer)["status"] == "error"


# --- the request log for errors ----------------------------------------------------------

def test_a_408_before_a_complete_head_is_logged_with_its_real_duration(
    start_server: StartServer,
) -> None:
    entries: list[LogEntry] = []
    server = start_server(timeouts=ConnectionTimeouts(headers_timeout=0.3), log=entries.append)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        assert read_until_close(sock).startswith(b"HTTP/1.1 408 ")
    (entry,) = entries
    assert entry.status == 408
    assert 280 <= entry.milliseconds <= 1000


async def broken(request: Request) -> Response:
    raise ValueError("the handler\nbroke")


def test_a_handler_error_is_a_500_and_a_note_in_the_request_log(
    capfd: pytest.CaptureFixture[str],
) -> None:
    entries: list[LogEntry] = []
    with serving_protocol(broken, log=entries.append) as url:
        response = httpx.get(url + "/boom")
    assert_error(response, 500, "Internal server error")
    (entry,) = entries
    assert (entry.path, entry.status) == ("/boom", 500)
    assert entry.note == "handler error: ValueError: the handler broke"
    assert "Traceback" not in capfd.readouterr().err


def test_without_a_request_log_a_handler_error_goes_to_the_logging_module(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.ERROR, logger="seatctl.server"), \
            serving_protocol(broken) as url:
        response = httpx.get(url + "/boom")
    assert_error(response, 500, "Internal server error")
    (record,) = [r for r in caplog.records if r.name == "seatctl.server"]
    assert record.levelno == logging.ERROR
    assert "GET /boom: handler error: ValueError: the handler broke" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert "Traceback" not in capfd.readouterr().err


# --- HEAD and keep-alive ----------------------------------------------------------------

def test_head_health_is_200_without_a_body(server: ReferenceServer) -> None:
    response = httpx.head(f"{server.url}/health")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


def test_two_requests_on_one_client_reuse_the_connection(server: ReferenceServer) -> None:
    with client(server) as http:
        first = http.get("/health")
        second = http.get("/api/events")
        ports = {response.extensions["network_stream"].get_extra_info("client_addr")[1]
                 for response in (first, second)}
    for response in (first, second):
        assert response.status_code == 200
        assert response.headers["connection"] == "keep-alive"
        assert response.headers["keep-alive"] == "timeout=5"
    assert len(ports) == 1


def test_expect_100_continue_is_answered_before_the_body(server: ReferenceServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        body = b'{"email": "demo@example.com", "password": "demo12345"}'
        sock.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     b"Content-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
