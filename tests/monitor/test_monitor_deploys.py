"""`seatctl monitor` through real deploys on loopback: `seatctl serve` processes restarted
with SIGTERM behind nginx (a reverse proxy pooling its backend connections), a gap with
nothing listening, a server listening before it is ready, and one that answers nothing.

The monitor runs as a subprocess with `--json`; the test restarts the backend while it
samples, synchronising on conditions with deadlines (nginx's access log growing, a port
refusing, a ready file), never on sleeps."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import silent_server

LOOPBACK = "127.0.0.1"
WAIT_LIMIT = 20.0
POLL_S = 0.02  # the period of condition polls (not a synchronising sleep)
MONITOR_SLACK_S = 30.0  # beyond its --duration, before a monitor subprocess is killed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], what: str, limit: float = WAIT_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_S)


def refuses(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@dataclass
class Backend:
    """One `seatctl serve` process on a fixed port."""

    process: subprocess.Popen[bytes]
    port: int
    ready_file: Path

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"seatctl serve exited {self.process.returncode}")
        return self.ready_file.exists() and bool(self.ready_file.read_text().strip())

    def stop(self) -> None:
        """SIGTERM, then wait until the port refuses (the listener is closed)."""
        self.process.send_signal(signal.SIGTERM)
        wait_for(lambda: refuses(self.port), "the old server to stop listening")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT_LIMIT)


class Backends:
    """Starts `seatctl serve` processes on one port, one after another; kills them all."""

    def __init__(self, directory: Path, port: int, *args: str) -> None:
        self.directory = directory
        self.port = port
        self.args = args
        self.started: list[Backend] = []

    def start(self, *extra: str, wait: bool = True) -> Backend:
        ready = self.directory / f"ready-{len(self.started)}"
        process = subprocess.Popen(
            [sys.executable, "-m", "seatctl", "serve", "--host", LOOPBACK, "--port",
             str(self.port), "--quiet", "--db", ":memory:", "--ready-file", str(ready),
             *self.args, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        backend = Backend(process, self.port, ready)
        self.started.append(backend)
        if wait:
            wait_for(backend.ready, "seatctl serve to listen")
        return backend

    def restart(self, *extra: str) -> Backend:
        self.started[-1].stop()
        return self.start(*extra)

    def kill_all(self) -> None:
        for backend in self.started:
            backend.kill()


@contextmanager
def backends(directory: Path, *args: str) -> Iterator[Backends]:
    started = Backends(directory, free_port(), *args)
    try:
        yield started
    finally:
        started.kill_all()


def nginx_binary() -> str:
    binary = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx): the proxy tests need it")
    return binary


NGINX_CONFIG = """
worker_processes 1;
error_log {directory}/error.log info;
pid {directory}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    log_format monitor '$msec $status $upstream_status "$upstream_addr"';
    access_log {directory}/access.log monitor;
    {temp}
    upstream backend {{
        server {LOOPBACK}:{backend_port};
        keepalive 8;
    }}
    server {{
        listen {LOOPBACK}:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass
class Proxy:
    url: str
    directory: Path

    def access_lines(self) -> list[list[str]]:
        path = self.directory / "access.log"
        text = path.read_text() if path.exists() else ""
        return [line.split() for line in text.splitlines() if line.strip()]

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def nginx_proxy(directory: Path, backend_port: int) -> Iterator[Proxy]:
    """nginx on a free port proxying to LOOPBACK:backend_port with a keep-alive pool of 8."""
    binary = nginx_binary()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    temp = " ".join(f"{name}_temp_path {directory / name};"
                    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (directory / "nginx.conf").write_text(NGINX_CONFIG.format(
        directory=directory, temp=temp, LOOPBACK=LOOPBACK, backend_port=backend_port,
        port=port))
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", "nginx.conf", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: not refuses(port), "nginx to listen")
        yield Proxy(f"http://{LOOPBACK}:{port}", directory)
    finally:
        process.terminate()
        process.wait(timeout=WAIT_LIMIT)
        if process.stderr:
            process.stderr.close()


def start_monitor(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seatctl", "monitor", url, "--json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@dataclass
class MonitorResult:
    exit_code: int
    incidents: list[dict[str, Any]]
    summary: dict[str, Any]
    stderr: str

    def classes(self) -> list[str]:
        return [incident["class"] for incident in self.incidents]

    def __str__(self) -> str:
        return f"exit {self.exit_code}\n{self.incidents}\n{self.summary}\n{self.stderr}"


def finish_monitor(process: subprocess.Popen[str], duration: float) -> MonitorResult:
    stdout, stderr = process.communicate(timeout=duration + MONITOR_SLACK_S)
    documents = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert documents and documents[-1]["type"] == "summary", (stdout, stderr)
    return MonitorResult(process.returncode, documents[:-1], documents[-1], stderr)


RESET_CLASSES = {"dropped", "cut", "keep-alive-race"}
# the monitor's knobs for these runs: 4 connections at 20/s, idle ones reused after
# 0.25-0.75 s (nginx sends no Keep-Alive header: without it the monitor assumes 5 s)
SAMPLING = ("--rate", "20", "--idle-close", "0.5")
DURATION = 4.0


def restart_behind_nginx(tmp_path: Path, shutdown: str, drain: str) -> tuple[
        MonitorResult, Proxy]:
    with backends(tmp_path, "--shutdown", shutdown, "--drain", drain) as servers:
        servers.start()
        with nginx_proxy(tmp_path / "nginx", servers.port) as proxy:
            monitor = start_monitor(proxy.url, *SAMPLING, "--duration", f"{DURATION:g}")
            try:
                # the monitor samples through nginx, and nginx holds pooled connections
                wait_for(lambda: len(proxy.access_lines()) >= 10, "the monitor's requests")
                servers.restart()
            finally:
                result = finish_monitor(monitor, DURATION)
    return result, proxy


def test_an_abrupt_restart_behind_nginx_shows_502s_from_nginx(tmp_path: Path) -> None:
    result, proxy = restart_behind_nginx(tmp_path, "abrupt", "0")
    assert result.exit_code == 1, str(result)
    gateway = [incident for incident in result.incidents if incident["class"] == "gateway"]
    # nginx stands between: the client never sees the backend's RSTs, only nginx's 502s
    # (an upstream reset on a pooled connection, then refusals until the new one listens)
    assert gateway, str(result)
    assert all(incident["status"] == 502 for incident in gateway)
    assert all("nginx" in (incident["sender"] or "") for incident in gateway), str(result)
    assert not set(result.classes()) & RESET_CLASSES
    assert "refused" not in result.classes()  # nginx itself always listened
    # every 502 nginx logged reached the monitor, and nginx logged why: on loopback at
    # 20/s no request is in flight at the SIGTERM, so the RSTs hit idle pooled connections,
    # which nginx retries on a new connection (refused during the gap, hence the 502s)
    logged_502 = [line for line in proxy.access_lines() if line[1] == "502"]
    assert len(gateway) == len(logged_502), (result, logged_502)
    assert len(logged_502) <= proxy.error_log().count("(111: Connection refused)")


def test_a_graceful_restart_behind_nginx_shows_only_what_the_gap_explains(
        tmp_path: Path) -> None:
    result, proxy = restart_behind_nginx(tmp_path, "graceful", "0.3")
    # graceful closes idle pooled connections with a FIN after the drain: nginx drops
    # them without error. Every 502 left is a refused connect during the gap between the
    # old server's listener closing and the new one listening (same port, one machine).
    errors = proxy.error_log()
    assert "reset by peer" not in errors and "prematurely closed" not in errors, errors
    assert not set(result.classes()) & RESET_CLASSES, str(result)
    logged_502 = [line for line in proxy.access_lines() if line[1] == "502"]
    refusals = errors.count("(111: Connection refused)")
    assert len(logged_502) <= refusals, (logged_502, errors)
    gateway = [incident for incident in result.incidents if incident["class"] == "gateway"]
    assert len(gateway) == len(logged_502), str(result)


def test_a_gap_with_nothing_listening_is_refused_with_its_length(tmp_path: Path) -> None:
    # abrupt: no old connection is answered during a drain. (With graceful, an answer on a
    # reused connection to the draining server ends the gap while new connects are still
    # refused: one gap is reported as two; see the report of this test's author.)
    with backends(tmp_path, "--shutdown", "abrupt") as servers:
        servers.start()
        monitor = start_monitor(f"http://{LOOPBACK}:{servers.port}", *SAMPLING,
                                "--duration", f"{DURATION:g}")
        try:
            # the monitor samples once one of its connections is established
            wait_for(lambda: established_to(servers.port), "the monitor's connections")
            servers.started[-1].stop()
            stopped = time.monotonic()
            servers.start()
            gap = time.monotonic() - stopped
        finally:
            result = finish_monitor(monitor, DURATION)
    assert result.exit_code == 1, str(result)
    classes = result.classes()
    assert classes.count("refused") == 1 and classes.count("gap-ended") == 1, str(result)
    ended = next(incident for incident in result.incidents
                 if incident["class"] == "gap-ended")
    # the monitor sees the gap from its first refusal to its first success: within the
    # time from the listener's close to the ready file, give or take one sampling period
    assert 0 < ended["gap_s"] <= gap + 0.5, (ended, gap)
    assert result.summary["gaps_s"] == [ended["gap_s"]]


def established_to(port: int) -> bool:
    """Any established TCP connection to this local port (from /proc/net/tcp)."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[2].endswith(wanted) and fields[3] == "01":  # remote = port, ESTABLISHED
                return True
    return False


def test_a_server_listening_before_it_is_ready_shows_503s_from_the_app(
        tmp_path: Path) -> None:
    with backends(tmp_path) as servers:
        # Not ready for longer than the whole run: the monitor's own start-up (a new Python
        # process, on a loaded CI machine) can take seconds.
        servers.start("--ready-delay", "30")
        result = finish_monitor(start_monitor(
            f"http://{LOOPBACK}:{servers.port}", *SAMPLING, "--duration", "2.5"), 2.5)
    gateway = [incident for incident in result.incidents if incident["class"] == "gateway"]
    assert gateway and all(incident["status"] == 503 for incident in gateway), str(result)
    assert all("app" in (incident["sender"] or "") for incident in gateway), str(result)
    assert "refused" not in result.classes()  # listening all along
    assert result.exit_code == 1


def test_the_subprocess_bounds_hold_against_a_server_that_answers_nothing() -> None:
    with silent_server() as silent:
        started = time.monotonic()
        monitor = start_monitor(silent.url, "--connections", "3", "--rate", "50",
                                "--duration", "2")
        result = finish_monitor(monitor, 2)
        elapsed = time.monotonic() - started
        accepted = silent.accepted
    # start-up (about 1 s on 2 cores) + the 2 s run + the closing report
    assert elapsed < 2 + 3.0, elapsed
    assert accepted <= 3
    assert result.summary["requests"] <= 3 + 50 * 2, str(result)
