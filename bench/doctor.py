"""How exactly and how fast `seatctl doctor --quick` finds a server's idle keep-alive close.

Run: python bench/doctor.py [--keep-alive 1,2,5] [--http2-keep-alive 1,2,5] [--runs N]
                            [--only http1|http2] [--http2-in-process] [--json] [--no-check]

For each keep-alive setting K it starts the reference server (`seatctl serve
--keep-alive-timeout K`, a subprocess on 127.0.0.1) and, N times each, in turn:

* the passive method, the baseline and the physical floor: in this process, one raw socket
  connects, sends `GET /health`, reads the whole response and waits for the server's close.
  Its wall time runs from before the connect to the close;
* `seatctl doctor URL --quick --json` as a subprocess of this interpreter, so its wall time
  includes the start-up a user pays; its measured idle close is read from the JSON report.

Figures per K (medians over the runs): the doctor's idle close and its error against K, the
floor's wall time, the doctor's wall time (and its own `elapsed_s`, without the start-up),
the wall time as a ratio to the floor, and the doctor's overhead over K. Targets: |idle
close error| <= max(50 ms, 3% of K), and the doctor's wall time <= K + 2 s (everything
else it measures runs during the one idle wait).

HTTP/2 (`--http2-keep-alive`, default 1,2,5): for hypercorn over TLS (ALPN h2, a trustme
certificate; a subprocess) and nginx with `http2` (where the binary is found), each started
here with idle timeout K on 127.0.0.1, N times each, in turn:

* the passive floor: in this process, one TLS connection offering h2 sends one request,
  reads its response and waits for the server's GOAWAY and close (acknowledging SETTINGS
  and PINGs, sending nothing else); wall time from before the connect to the close;
* the doctor's HTTP/2 measurement: `seatctl doctor URL --quick --http2 --json` as a
  subprocess where the doctor has the HTTP/2 probe (Probe.HTTP2), else `http2_probe` itself
  in this process; its idle close (to the GOAWAY) is read from its result.

Targets: |idle close error| <= max(50 ms, 3% of K), wall time <= the floor's + 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' HTTP/2 servers

import h2.config
import h2.connection
import h2.events
import trustme

from seatctl.diagnostics import runs as doctor_runs
from seatctl.diagnostics.h2probe import http2_probe
from seatctl.diagnostics.results import Http2Result
from seatctl.diagnostics.targets import ConnectOptions
from tests.diagnostics.h2servers import LOOPBACK, nginx_server, write_certificate

REPO = Path(__file__).resolve().parent.parent
ERROR_FLOOR_S = 0.050
ERROR_SHARE = 0.03
OVERHEAD_S = 2.0
SERVER_START_S = 30.0
DOCTOR_SLACK_S = 60.0  # beyond --max-wait, before the doctor subprocess is killed
DOCTOR_EXIT_CODES = (0, 1)  # 1: findings at the fail threshold, still a full report


@dataclass(frozen=True)
class Sample:
    floor_wall_s: float
    floor_idle_close_s: float
    doctor_wall_s: float
    doctor_elapsed_s: float
    doctor_idle_close_s: float


@contextmanager
def reference_server(workdir: Path, keep_alive: float) -> Iterator[str]:
    """A reference server with this idle keep-alive close; its URL. Stopped on exit."""
    ready = workdir / f"ready-{keep_alive:g}"
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--quiet", "--db",
         ":memory:", "--keep-alive-timeout", f"{keep_alive:g}", "--ready-file", str(ready)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not (ready.exists() and ready.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the reference server did not start")
            time.sleep(0.02)
        yield ready.read_text().strip()
    finally:
        stop_process(process)


def read_response(sock: socket.socket) -> None:
    """Read one whole response (head, then a Content-Length body)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the server closed before answering")
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the server closed in the middle of a response")
        body += chunk


def passive_close(url: str, timeout: float) -> tuple[float, float]:
    """Connect, one request, wait for the close: (wall time, idle time before the close)."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((str(parts.hostname), int(parts.port or 80)),
                                  timeout=timeout) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
        read_response(sock)
        answered = time.monotonic()
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        closed = time.monotonic()
    return closed - started, closed - answered


def doctor(url: str, max_wait: float, env: dict[str, str], *flags: str
           ) -> tuple[float, dict[str, Any]]:
    """Run `seatctl doctor --quick --json` as a user would: (wall time, its report)."""
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "seatctl", "doctor", url, "--quick", "--json",
         "--max-wait", f"{max_wait:g}", *flags],
        capture_output=True, env=env, timeout=max_wait + DOCTOR_SLACK_S, check=False)
    wall = time.monotonic() - started
    if finished.returncode not in DOCTOR_EXIT_CODES:
        raise SystemExit(f"seatctl doctor exited {finished.returncode}: "
                         f"{finished.stderr.decode(errors='replace')[-2000:]}")
    report: dict[str, Any] = json.loads(finished.stdout)
    return wall, report


def sample(url: str, keep_alive: float, env: dict[str, str]) -> Sample:
    max_wait = max(10.0, 3 * keep_alive)
    floor_wall, floor_idle = passive_close(url, timeout=max_wait)
    doctor_wall, report = doctor(url, max_wait, env)
    keepalive = report["probes"]["keepalive"]
    if keepalive is None or keepalive["idle_close_s"] is None or \
            keepalive["idle_close_lower_bound"]:
        raise SystemExit(f"seatctl doctor measured no idle close: {keepalive}")
    return Sample(floor_wall, floor_idle, doctor_wall, float(report["elapsed_s"]),
                  float(keepalive["idle_close_s"]))


def summary(keep_alive: float, samples: list[Sample]) -> dict[str, Any]:
    def median(field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in samples))

    errors = [s.doctor_idle_close_s - keep_alive for s in samples]
    error = median("doctor_idle_close_s") - keep_alive
    allowed = max(ERROR_FLOOR_S, ERROR_SHARE * keep_alive)
    doctor_wall = median("doctor_wall_s")
    return {
        "keep_alive_s": keep_alive,
        "runs": len(samples),
        "idle_close_s": median("doctor_idle_close_s"),
        "error_ms": error * 1000,
        "error_pct": error / keep_alive * 100,
        "worst_error_ms": max(errors, key=abs) * 1000,
        "allowed_error_ms": allowed * 1000,
        "floor_idle_close_error_ms": (median("floor_idle_close_s") - keep_alive) * 1000,
        "floor_wall_s": median("floor_wall_s"),
        "doctor_wall_s": doctor_wall,
        "doctor_worst_wall_s": max(s.doctor_wall_s for s in samples),
        "doctor_elapsed_s": median("doctor_elapsed_s"),
        "ratio_to_floor": doctor_wall / median("floor_wall_s"),
        "overhead_s": doctor_wall - keep_alive,
        "error_pass": abs(error) <= allowed,
        "overhead_pass": doctor_wall - keep_alive <= OVERHEAD_S,
    }


def doctor_env(workdir: Path) -> dict[str, str]:
    """The environment without the user's seatctl settings, so their config cannot interfere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEATCTL_")}
    env["XDG_CONFIG_HOME"] = str(workdir / "config")
    env["NO_COLOR"] = "1"
    return env


def measure(keep_alives: list[float], runs: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        env = doctor_env(Path(workdir))
        for keep_alive in keep_alives:
            with reference_server(Path(workdir), keep_alive) as url:
                samples = [sample(url, keep_alive, env) for _ in range(runs)]
            rows.append(summary(keep_alive, samples))
    return rows


def print_table(rows: list[dict[str, Any]], runs: int) -> None:
    print(f"medians over {runs} runs per setting, 127.0.0.1; targets: |error| <= max(50 ms, 3%),"
          f" doctor wall <= K + {OVERHEAD_S:g} s")
    print(f"{'K s':>5}{'idle close s':>14}{'error ms':>10}{'error %':>9}{'floor err ms':>14}"
          f"{'floor wall s':>14}{'doctor wall s':>15}{'in-process s':>14}{'ratio':>7}"
          f"{'over K s':>10}  result")
    for row in rows:
        result = "PASS" if row["error_pass"] and row["overhead_pass"] else "FAIL"
        print(f"{row['keep_alive_s']:>5g}{row['idle_close_s']:>14.4f}{row['error_ms']:>10.1f}"
              f"{row['error_pct']:>9.2f}{row['floor_idle_close_error_ms']:>14.1f}"
              f"{row['floor_wall_s']:>14.3f}{row['doctor_wall_s']:>15.3f}"
              f"{row['doctor_elapsed_s']:>14.3f}"
              f"{row['ratio_to_floor']:>7.2f}{row['overhead_s']:>10.3f}  {result}")


# --- HTTP/2 -------------------------------------------------------------------------------

H2_OVER_FLOOR_S = 1.0
HYPERCORN_APP = "tests.diagnostics.h2servers:health_app"
NGINX_MISSING = "skipped: nginx not found"
H2_VIA_DOCTOR = "seatctl doctor URL --quick --http2 --json (subprocess)"
H2_VIA_PROBE = "http2_probe (in this process)"


@dataclass(frozen=True)
class H2Bench:
    """What every HTTP/2 server and measurement shares."""

    workdir: Path
    ca: trustme.CA
    ca_pem: Path
    env: dict[str, str]  # the doctor's, trusting `ca_pem`
    via_doctor: bool  # False: `http2_probe` in this process


@dataclass(frozen=True)
class H2Sample:
    floor_wall_s: float
    floor_idle_close_s: float  # from the floor's response to its GOAWAY (else its close)
    wall_s: float
    elapsed_s: float  # the doctor's own `elapsed_s` (without its start-up); the probe's wall
    idle_close_s: float
    close: str  # how the measured connection ended, e.g. "GOAWAY NO_ERROR, fin"


def doctor_has_http2(env: dict[str, str]) -> bool:
    """Whether `seatctl doctor` runs the HTTP/2 probe and takes `--http2`."""
    if not hasattr(doctor_runs.Probe, "HTTP2"):
        return False
    shown = subprocess.run([sys.executable, "-m", "seatctl", "doctor", "--help"],
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    return "--http2" in shown.stdout


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_tls(port: int, ca_pem: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until a TLS handshake with the server succeeds (it is serving)."""
    context = ssl.create_default_context(cafile=str(ca_pem))
    deadline = time.monotonic() + SERVER_START_S
    while True:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1.0) as raw, \
                    context.wrap_socket(raw, server_hostname=LOOPBACK):
                return
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"hypercorn did not start: {exc}\n"
                                 f"{log.read_text(errors='replace')[-2000:]}") from None
            time.sleep(0.05)


@contextmanager
def hypercorn_h2(bench: H2Bench, keep_alive: float) -> Iterator[str]:
    """hypercorn (a subprocess) over TLS, ALPN h2 and http/1.1, idle timeout `keep_alive`."""
    certificate = write_certificate(bench.ca, bench.workdir)
    listener = socket.create_server((LOOPBACK, 0))
    port = listener.getsockname()[1]
    config = bench.workdir / "hypercorn.toml"
    config.write_text(f'bind = ["fd://{listener.fileno()}"]\n'
                      f"keep_alive_timeout = {keep_alive!r}\n"
                      f'certfile = "{certificate}"\nkeyfile = "{certificate}"\n'
                      'alpn_protocols = ["h2", "http/1.1"]\n')
    log = bench.workdir / "hypercorn.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "hypercorn", "--config", str(config), HYPERCORN_APP],
            cwd=REPO, pass_fds=(listener.fileno(),), stdout=subprocess.DEVNULL, stderr=errors)
    listener.close()
    try:
        wait_for_tls(port, bench.ca_pem, process, log)
        yield f"https://{LOOPBACK}:{port}"
    finally:
        stop_process(process)


@contextmanager
def nginx_h2(bench: H2Bench, keep_alive: float) -> Iterator[str]:
    """nginx (a subprocess) with `http2` over TLS, `keepalive_timeout` `keep_alive`."""
    directory = bench.workdir / f"nginx-{keep_alive:g}"
    directory.mkdir()
    with nginx_server(directory, bench.ca, f"{round(keep_alive * 1000)}ms") as url:
        yield url


H2_SERVERS = {"hypercorn": hypercorn_h2, "nginx": nginx_h2}


def h2_request(connection: h2.connection.H2Connection, authority: str) -> int:
    stream_id: int = connection.get_next_available_stream_id()
    connection.send_headers(stream_id, [(":method", "GET"), (":scheme", "https"),
                                        (":authority", authority), (":path", "/health")],
                            end_stream=True)
    return stream_id


def h2_passive_close(url: str, ca_pem: Path, timeout: float) -> tuple[float, float]:
    """The HTTP/2 floor: one request, then wait passively for the GOAWAY and the close.
    (wall time from before the connect to the close, idle time from the response to the
    GOAWAY, else to the close)."""
    parts = urlsplit(url)
    host, port = str(parts.hostname), int(parts.port or 443)
    context = ssl.create_default_context(cafile=str(ca_pem))
    context.set_alpn_protocols(["h2"])
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as sock:
        if sock.selected_alpn_protocol() != "h2":
            raise SystemExit(f"{url} did not select h2 in ALPN")
        connection = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None))
        connection.initiate_connection()
        stream_id = h2_request(connection, f"{host}:{port}")
        sock.sendall(connection.data_to_send())
        answered, goaway = read_until_closed(sock, connection, stream_id)
        closed = time.monotonic()
    if answered is None:
        raise SystemExit(f"{url} closed before answering over HTTP/2")
    return closed - started, (goaway or closed) - answered


def read_until_closed(sock: ssl.SSLSocket, connection: h2.connection.H2Connection,
                      stream_id: int) -> tuple[float | None, float | None]:
    """Read (acknowledging SETTINGS and PINGs) until the transport ends: when the response
    ended and when the GOAWAY came."""
    answered = goaway = None
    while data := receive(sock):
        now = time.monotonic()
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                answered = now
            elif isinstance(event, h2.events.ConnectionTerminated) and goaway is None:
                goaway = now
        acknowledgements = connection.data_to_send()
        if acknowledgements and goaway is None:
            sock.sendall(acknowledgements)
    return answered, goaway


def receive(sock: ssl.SSLSocket) -> bytes:
    try:
        return sock.recv(65536)
    except (ConnectionResetError, ssl.SSLEOFError):
        return b""


def describe_close(result: Http2Result) -> tuple[float, str]:
    """The idle close http2_probe measured, and how it ended."""
    idle = result.idle_close
    if idle is None or idle.lower_bound:
        raise SystemExit(f"http2_probe measured no idle close: {result.skipped or idle}")
    goaway = f"GOAWAY {idle.goaway.error_name}" if idle.goaway else "no GOAWAY"
    return idle.seconds, f"{goaway}, {idle.end or 'open'}"


def probe_h2(url: str, max_wait: float, ca_pem: Path) -> tuple[float, float, float, str]:
    """`http2_probe` in this process: (wall time twice, idle close, how it ended)."""
    started = time.monotonic()
    result = asyncio.run(http2_probe(url, max_wait, options=ConnectOptions(ca_bundle=ca_pem)))
    wall = time.monotonic() - started
    return (wall, wall, *describe_close(result))


def doctor_h2(url: str, max_wait: float, env: dict[str, str]
              ) -> tuple[float, float, float, str]:
    """`seatctl doctor --quick --http2 --json`: (wall time, its `elapsed_s`, idle close, how
    it ended)."""
    wall, report = doctor(url, max_wait, env, "--http2")
    probe = report["probes"]["http2"]
    if probe is None or probe["idle_close_s"] is None or probe["idle_close_lower_bound"]:
        raise SystemExit(f"seatctl doctor --http2 measured no idle close: {probe}")
    idle = probe["idle_close"]
    goaway = f"GOAWAY {idle['goaway']['error']}" if idle["goaway"] else "no GOAWAY"
    return (wall, float(report["elapsed_s"]), float(probe["idle_close_s"]),
            f"{goaway}, {idle['end'] or 'open'}")


def h2_sample(bench: H2Bench, url: str, keep_alive: float) -> H2Sample:
    max_wait = max(10.0, 3 * keep_alive)
    floor_wall, floor_idle = h2_passive_close(url, bench.ca_pem, timeout=max_wait)
    measured = (doctor_h2(url, max_wait, bench.env) if bench.via_doctor
                else probe_h2(url, max_wait, bench.ca_pem))
    return H2Sample(floor_wall, floor_idle, *measured)


def h2_summary(server: str, keep_alive: float, samples: list[H2Sample]) -> dict[str, Any]:
    def median(field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in samples))

    error = median("idle_close_s") - keep_alive
    allowed = max(ERROR_FLOOR_S, ERROR_SHARE * keep_alive)
    floor_wall, wall = median("floor_wall_s"), median("wall_s")
    return {
        "server": server,
        "keep_alive_s": keep_alive,
        "runs": len(samples),
        "idle_close_s": median("idle_close_s"),
        "error_ms": error * 1000,
        "error_pct": error / keep_alive * 100,
        "worst_error_ms": max((s.idle_close_s - keep_alive for s in samples), key=abs) * 1000,
        "allowed_error_ms": allowed * 1000,
        "close": sorted({s.close for s in samples}),
        "floor_idle_close_error_ms": (median("floor_idle_close_s") - keep_alive) * 1000,
        "floor_wall_s": floor_wall,
        "wall_s": wall,
        "elapsed_s": median("elapsed_s"),
        "worst_over_floor_s": max(s.wall_s - s.floor_wall_s for s in samples),
        "ratio_to_floor": wall / floor_wall,
        "over_floor_s": wall - floor_wall,
        "error_pass": abs(error) <= allowed,
        "wall_pass": wall - floor_wall <= H2_OVER_FLOOR_S,
    }


def measure_h2(keep_alives: list[float], runs: int, in_process: bool) -> dict[str, Any]:
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")  # as the tests look
    skipped = {} if found else {"nginx": NGINX_MISSING}
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        bench = h2_bench(Path(workdir), in_process)
        for server, start in H2_SERVERS.items():
            if server in skipped:
                continue
            for keep_alive in keep_alives:
                with start(bench, keep_alive) as url:
                    samples = [h2_sample(bench, url, keep_alive) for _ in range(runs)]
                rows.append(h2_summary(server, keep_alive, samples))
    method = H2_VIA_DOCTOR if bench.via_doctor else H2_VIA_PROBE
    return {"method": method, "rows": rows, "skipped": skipped}


def h2_bench(workdir: Path, in_process: bool) -> H2Bench:
    ca = trustme.CA()
    ca_pem = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    env = {**doctor_env(workdir), "SEATCTL_CA_BUNDLE": str(ca_pem)}
    return H2Bench(workdir, ca, ca_pem, env,
                   via_doctor=not in_process and doctor_has_http2(env))


def print_h2_table(h2: dict[str, Any], runs: int) -> None:
    print(f"HTTP/2: medians over {runs} runs per setting, 127.0.0.1; measured by {h2['method']};"
          f" targets: |error| <= max(50 ms, 3%), wall <= floor + {H2_OVER_FLOOR_S:g} s")
    print(f"{'server':<10}{'K s':>5}{'idle close s':>14}{'error ms':>10}{'error %':>9}"
          f"{'floor err ms':>14}{'floor wall s':>14}{'wall s':>9}{'in-process s':>14}"
          f"{'ratio':>7}"
          f"{'over floor s':>14}  result  close")
    for row in h2["rows"]:
        result = "PASS" if row["error_pass"] and row["wall_pass"] else "FAIL"
        print(f"{row['server']:<10}{row['keep_alive_s']:>5g}{row['idle_close_s']:>14.4f}"
              f"{row['error_ms']:>10.1f}{row['error_pct']:>9.2f}"
              f"{row['floor_idle_close_error_ms']:>14.1f}{row['floor_wall_s']:>14.3f}"
              f"{row['wall_s']:>9.3f}{row['elapsed_s']:>14.3f}{row['ratio_to_floor']:>7.2f}"
              f"{row['over_floor_s']:>14.3f}"
              f"  {result:<6}  {'; '.join(row['close'])}")
    for server, why in h2["skipped"].items():
        print(f"{server:<10}{why}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-alive", default="1,2,5", help="seconds, comma-separated")
    parser.add_argument("--http2-keep-alive", default="1,2,5",
                        help="the HTTP/2 servers' idle timeouts, seconds, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="per keep-alive setting")
    parser.add_argument("--only", choices=("http1", "http2"), help="one protocol's part")
    parser.add_argument("--http2-in-process", action="store_true",
                        help="measure HTTP/2 with http2_probe in this process, not the doctor")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    rows = [] if args.only == "http2" else measure(seconds(args.keep_alive), args.runs)
    h2 = None if args.only == "http1" else measure_h2(
        seconds(args.http2_keep_alive), args.runs, args.http2_in_process)
    passed = all(row["error_pass"] and row["overhead_pass"] for row in rows) and all(
        row["error_pass"] and row["wall_pass"] for row in (h2["rows"] if h2 else []))
    if args.json:
        print(json.dumps({"runs": args.runs, "rows": rows, "http2": h2, "pass": passed},
                         indent=2))
    else:
        if rows:
            print_table(rows, args.runs)
        if h2:
            print_h2_table(h2, args.runs)
        print("PASS" if passed else "FAIL")
    return 0 if passed or args.no_check else 1


def seconds(values: str) -> list[float]:
    return [float(value) for value in values.split(",")]


if __name__ == "__main__":
    sys.exit(main())
