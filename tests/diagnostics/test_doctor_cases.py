"""`seatctl doctor` against the servers the reference server cannot play: TLS (trusted
through the CA bundle, or not), a server that ends idle connections with a reset, and a
backend measured directly with --origin; plus the live progress frame."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from seatctl.diagnostics.runs import DoctorPlan, DoctorRun, Probe, ProbeState
from seatctl.render.doctor import progress_frame
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.diagnostics.conftest import RESET_AFTER, assert_close_to
from tests.helpers import Cli
from tests.support.servers import serving_callback


def doctor(cli: Cli, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    outcome = cli("doctor", "--json", "--quick", "--max-wait", "2", *args, env=env)
    assert outcome.exit_code in (0, 1), str(outcome)
    document: dict[str, Any] = json.loads(outcome.stdout)
    return document


def found(document: dict[str, Any]) -> dict[str, str]:
    return {finding["id"]: finding["severity"] for finding in document["findings"]}


def test_tls_is_timed_and_its_certificate_checked(cli: Cli, tls_server: str, ca_pem: Path
                                                  ) -> None:
    document = doctor(cli, tls_server, env={"SEATCTL_CA_BUNDLE": str(ca_pem)})
    timing = document["probes"]["timing"]
    assert timing["tls_s"]["p50"] > 0
    assert timing["tls"]["version"].startswith("TLSv1.")
    assert timing["tls"]["alpn"] == "http/1.1"
    assert timing["tls"]["cert_days_left"] > 0
    assert found(document)["tls-certificate"] == "ok"
    assert_close_to(document["probes"]["keepalive"]["idle_close_s"], 0.3)


def test_an_untrusted_certificate_is_refused_unless_insecure(cli: Cli, tls_server: str) -> None:
    outcome = cli("doctor", tls_server, "--quick", "--max-wait", "1")
    assert outcome.exit_code == 6, str(outcome)
    assert "certificate" in outcome.stderr
    document = doctor(cli, tls_server, "--insecure")
    assert document["probes"]["timing"]["tls"]["cert_days_left"] is None
    assert {s["id"]: s["reason"] for s in document["skipped"]}["tls-certificate"].endswith(
        "(--insecure)")


def test_an_idle_reset_is_measured_and_found(cli: Cli, reset_server: str) -> None:
    document = doctor(cli, reset_server)
    keepalive = document["probes"]["keepalive"]
    assert keepalive["close_kind"] == "reset"
    assert_close_to(keepalive["idle_close_s"], RESET_AFTER)
    assert found(document)["idle-close-kind"] == "warn"
    assert "reset" in document["probes"]["race"]["failures"]


def test_the_origin_is_compared_with_the_proxys_idle_timeout(
    cli: Cli, start_server: StartServer,
) -> None:
    front = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=3.0,
                                                     advertised_keep_alive=3.0))
    origin = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.4,
                                                      advertised_keep_alive=0.4))
    document = doctor(cli, front.url, "--origin", origin.url, "--lb-idle-timeout", "1")
    assert document["origin"] == origin.url
    assert 0.4 - 0.02 <= document["probes"]["origin"]["idle_close_s"] < 1.0
    finding = next(f for f in document["findings"] if f["id"] == "idle-close-vs-proxy")
    assert finding["severity"] == "fail"
    assert finding["detail"].startswith("The origin closed an idle connection after 0.")
    assert document["verdict"] == "fail"


def test_the_progress_frame_names_each_probe_and_its_clock() -> None:
    now = [100.0]
    run = DoctorRun(DoctorPlan(url="http://127.0.0.1:9", quick=True), clock=lambda: now[0])
    run.runs[Probe.KEEPALIVE].state = ProbeState.RUNNING
    run.runs[Probe.KEEPALIVE].started_at = 100.0
    now[0] = 112.5
    console = Console(width=120, record=True, color_system=None)
    console.print(progress_frame(run))
    text = console.export_text()
    assert "waiting for the server to close an idle connection" in text
    assert "12.5 / 75 s" in text  # the wait (and the race's 0.2 s stagger)
    assert "slow_client" in text and "skipped" in text


async def http10_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An HTTP/1.0 server: every response ends the connection, and says nothing of it."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()
    writer.close()


async def hostile_keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                             ) -> None:
    """Promises an absurd keep-alive, closes after 0.3 s idle."""
    with contextlib.suppress(TimeoutError):
        while True:
            async with asyncio.timeout(0.3):
                await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1e306, max=1e999\r\n"
                         b"Content-Length: 2\r\n\r\nok")
            await writer.drain()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up


def test_an_http10_server_is_found_closing_every_connection(cli: Cli) -> None:
    with serving_callback(http10_close) as url:
        document = doctor(cli, url)
    keepalive = document["probes"]["keepalive"]
    assert (keepalive["persistent"], keepalive["http_version"]) == (False, "1.0")
    finding = next(f for f in document["findings"] if f["id"] == "keepalive-persistent")
    assert finding["severity"] == "warn" and "HTTP/1.0 closes by default" in finding["detail"]
    served = keepalive["requests_per_connection"]
    assert served["served"] == 1 and "1 requests" not in json.dumps(document)


def test_an_absurd_keep_alive_promise_is_reported_not_a_crash(cli: Cli) -> None:
    with serving_callback(hostile_keep_alive) as url:
        document = doctor(cli, url)
    assert found(document)["keepalive-header"] == "fail"
    assert all("could not be evaluated" not in s["reason"] for s in document["skipped"])


def test_a_server_that_never_answers_fails_within_max_wait(cli: Cli) -> None:
    with serving_callback(never_answer) as url:
        started = time.monotonic()
        outcome = cli("doctor", url, "--quick", "--max-wait", "0.5")
        elapsed = time.monotonic() - started
    assert outcome.exit_code == 6, str(outcome)
    assert "within the read timeout (0.5s)" in outcome.stderr
    assert elapsed < 0.5 + 2.0


def test_the_report_fits_80_columns_and_fixes_stay_whole(cli: Cli,
                                                         start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.4,
                                                      advertised_keep_alive=0.4))
    outcome = cli("doctor", server.url, "--quick", "--max-wait", "2", "--lb-idle-timeout", "1")
    lines = outcome.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines), [
        line for line in lines if len(line.rstrip()) > 80]
    assert "         seatctl serve --keep-alive-timeout 6 --headers-timeout 7" in lines
    split_units = [(line, after) for line, after in itertools.pairwise(lines)
                   if line.rstrip().endswith(tuple("0123456789"))
                   and after.lstrip().startswith(("s ", "s.", "s)", "ms"))]
    assert not split_units  # a number keeps its unit


def test_ctrl_c_during_the_idle_wait_keeps_its_lower_bound(start_server: StartServer) -> None:
    server = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=30.0,
                                                      advertised_keep_alive=30.0))
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "doctor", server.url, "--quick", "--max-wait", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )
    try:
        assert process.stderr is not None
        assert "Measuring" in process.stderr.readline()
        # The probes run within milliseconds on loopback; the idle wait is 30 s. Waiting a
        # moment here is the point of the test: Ctrl-C must come during that wait.
        time.sleep(0.6)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    # Only the unfinished probe is a warning: the README says INCOMPLETE then.
    assert stdout.splitlines()[0].startswith("? INCOMPLETE")
    assert "interrupted" in stdout and "still open after 0." in stdout
    assert "interrupted" in stderr
