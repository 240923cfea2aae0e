"""`seatctl serve --shutdown graceful|abrupt`, `--drain` and `--ready-delay`: what a pooled
idle connection and an in-flight request see at a real SIGTERM, and the not-ready 503s."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from seatctl.server import ServerConfig, serving_in_thread
from seatctl.server.config import ShutdownMode
from seatctl.server.options import ServeOptions, build_config
from tests.conftest import ServeProcess
from tests.helpers import Cli
from tests.server.helpers import parse_raw_response
from tests.server.rawhttp import WAIT_LIMIT, RawConnection

STALL = 1.0  # the in-flight request's stall: answered well within the 1.5 s grace
SLOW_PATH = "/slow"  # the only path the stall fault applies to
# From SIGTERM to the process gone, interpreter exit included: far below a drain left to run
# its course (10 s below), with room for a loaded machine (2.09 s was seen once).
EXITS_WITHIN = 3.0

Serve = Callable[..., tuple[subprocess.Popen[bytes], str]]


@pytest.fixture
def serve(serve_process: ServeProcess) -> Serve:
    """`python -m seatctl serve` as a real process with a stall on SLOW_PATH; killed after."""

    def start(*args: str) -> tuple[subprocess.Popen[bytes], str]:
        return serve_process(Path(":memory:"), "--fault", f"stall=1:{STALL:g}",
                             "--fault-path", SLOW_PATH, *args)

    return start


def idle_pooled_connection(url: str) -> RawConnection:
    """A kept-alive connection that has been answered once and now waits, idle."""
    connection = RawConnection(url)
    answer = connection.get("/health")
    assert answer.status == 200 and answer.headers["connection"] == "keep-alive"
    return connection


def in_flight_request(url: str) -> RawConnection:
    """A request the server is certainly working on: its `100 Continue` proves the head was
    read (the connection is busy), then the body goes and the stall holds the answer."""
    connection = RawConnection(url)
    connection.send_raw(f"POST {SLOW_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\nContent-Length: 2\r\n"
                        "Expect: 100-continue\r\n\r\n".encode())
    interim = b""
    while b"\r\n\r\n" not in interim:
        chunk = connection.sock.recv(65536)
        assert chunk, "the server closed before 100 Continue"
        interim += chunk
    assert interim.startswith(b"HTTP/1.1 100 "), interim
    connection.send_raw(b"{}")
    return connection


def wait_until_not_listening(url: str) -> None:
    """The server has taken the signal once its listening socket refuses connections."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.01)
    raise AssertionError("the server still accepts connections")


def test_graceful_answers_in_flight_with_connection_close_and_fins_idle_ones(
    serve: Serve,
) -> None:
    process, url = serve("--shutdown", "graceful", "--drain", "0.3")
    with idle_pooled_connection(url) as idle, in_flight_request(url) as busy:
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        raw, busy_end, _ = busy.read_until_close()
        idle_end, idle_closed_at = idle.wait_for_close()
        assert process.wait(timeout=WAIT_LIMIT) == 0
    status, headers, _ = parse_raw_response(raw)
    assert (status, headers["connection"]) == (404, "close")  # POST /slow has no route
    assert busy_end == "fin"
    assert idle_end == "fin"  # recv() returned b"": no ECONNRESET
    assert idle_closed_at - signalled >= 0.3  # not before the drain
    assert time.monotonic() - signalled < EXITS_WITHIN


def test_graceful_answers_a_request_on_an_idle_connection_during_the_drain(
    serve: Serve,
) -> None:
    process, url = serve("--shutdown", "graceful", "--drain", "10")
    with idle_pooled_connection(url) as idle:
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        wait_until_not_listening(url)
        answer = idle.get("/health")
        assert (answer.status, answer.headers["connection"]) == (200, "close")
        assert idle.wait_for_close()[0] == "fin"
        # No connection left: the drain ends early instead of lasting its 10 s.
        assert process.wait(timeout=WAIT_LIMIT) == 0
    assert time.monotonic() - signalled < EXITS_WITHIN


def test_abrupt_resets_idle_and_in_flight_connections_at_once(serve: Serve) -> None:
    process, url = serve("--shutdown", "abrupt")
    with idle_pooled_connection(url) as idle, in_flight_request(url) as busy:
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        raw, busy_end, busy_closed_at = busy.read_until_close()
        idle_end, _ = idle.wait_for_close()
        assert process.wait(timeout=WAIT_LIMIT) == 0
    assert (raw, busy_end) == (b"", "reset")  # ECONNRESET, no response
    assert idle_end == "reset"
    assert busy_closed_at - signalled < STALL  # not after the stall: at once


def test_ready_delay_answers_503_with_retry_after_then_serves(tmp_path: Path) -> None:
    config = ServerConfig(port=0, db=str(tmp_path / "ready.db"), ready_delay=0.3)
    with serving_in_thread(config) as server, httpx.Client(base_url=server.url) as http:
        for path in ("/health", "/api/health", "/api/events"):
            early = http.get(path)
            assert early.status_code == 503, path
            assert early.json() == {"status": "error", "message": "Service not ready"}
            assert early.headers["retry-after"] == "1"
        deadline = time.monotonic() + WAIT_LIMIT
        while (response := http.get("/health")).status_code == 503:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.02)
        assert response.status_code == 200
        assert response.json()["status"] == "success"


def test_options_build_the_shutdown_settings() -> None:
    config = build_config(ServeOptions(db=":memory:", shutdown="abrupt", drain=2,
                                       ready_delay=5))
    assert (config.shutdown, config.drain, config.ready_delay) == (ShutdownMode.ABRUPT, 2, 5)
    default = build_config(ServeOptions(db=":memory:"))
    assert (default.shutdown, default.drain, default.ready_delay) == (
        ShutdownMode.GRACEFUL, 0.5, 0)


@pytest.mark.parametrize(("args", "message"), [
    (["--drain", "61"], "invalid --drain 61: must be within 0..60"),
    (["--drain", "-1"], "invalid --drain -1"),
    (["--ready-delay", "3601"], "invalid --ready-delay 3601: must be within 0..3600"),
    (["--ready-delay", "-0.5"], "invalid --ready-delay -0.5"),
    (["--shutdown", "sudden"], "sudden"),
])
def test_bad_shutdown_options_exit_2(cli: Cli, args: list[str], message: str) -> None:
    outcome = cli("serve", "--port", "0", "--db", ":memory:", *args)
    assert outcome.exit_code == 2, str(outcome)
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_help_documents_the_deploy_options(cli: Cli) -> None:
    outcome = cli("serve", "--help")
    text = " ".join(outcome.stdout.split())
    for flag in ("--shutdown", "--drain", "--ready-delay"):
        assert flag in text
    assert "closeAllConnections" in text
