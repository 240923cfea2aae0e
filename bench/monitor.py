"""How fast and how cheaply `seatctl monitor` reports incidents, and how many of a real
restart's it catches.

Run: python bench/monitor.py [--seconds S] [--restarts N]

Everything on 127.0.0.1, at the monitor's default rate (10/s), each figure against a
baseline measured in the same run:

* latency: a server here resets (RST) the first request it receives after every 0.5 s
  mark and notes when. `seatctl monitor --json` runs as a subprocess; each stdout line is
  timestamped as it is read. Latency = line read - RST sent, per incident. Target: p99
  <= 100 ms. Baseline: the latency of the reference `python -c print(...)` pipe, a line
  written and read through the same kind of pipe.
* CPU: the monitor subprocess's user+sys time (os.wait4) per 1,000 requests, against a
  bare loop of the same requests at the same rate (httpx, one subprocess of the same
  interpreter, start-up included for both) over the same seconds.
* catch share: nginx (keepalive 8 to its upstream) in front of `seatctl serve --shutdown
  abrupt`, restarted N times on the same port while the monitor samples. The proxy's own
  logs are counted in the same run: 502s in the access log, refused connects and resets in
  the error log. Target: every 502 nginx logged is a gateway incident of the monitor.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers

from tests.monitor.test_monitor_deploys import (
    LOOPBACK,
    backends,
    finish_monitor,
    nginx_proxy,
    start_monitor,
    wait_for,
)

LATENCY_TARGET_S = 0.100
RESET_EVERY_S = 0.5
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            b"Keep-Alive: timeout=5\r\nConnection: keep-alive\r\n\r\n{}")
BASELINE_LOOP = """
import sys, time, httpx
url, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
sent = 0
with httpx.Client() as client:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        client.get(url + "/health")
        sent += 1
        next_at = start + sent / rate
        time.sleep(max(0.0, next_at - time.monotonic()))
print(sent)
"""


class ResettingServer:
    """Answers GET with 200 (keep-alive); the first request after every RESET_EVERY_S
    mark is answered with a RST instead, its moment noted (monotonic)."""

    def __init__(self) -> None:
        self.listener = socket.create_server((LOOPBACK, 0), backlog=128)
        self.port: int = self.listener.getsockname()[1]
        self.resets: list[float] = []
        self.started = time.monotonic()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _due(self) -> bool:
        with self._lock:
            mark = self.started + RESET_EVERY_S * (len(self.resets) + 1)
            if time.monotonic() < mark:
                return False
            self.resets.append(time.monotonic())
            return True

    def _serve(self, connection: socket.socket) -> None:
        received = b""
        with connection:
            while True:
                try:
                    chunk = connection.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                received += chunk
                while b"\r\n\r\n" in received:
                    _, _, received = received.partition(b"\r\n\r\n")
                    if self._due():
                        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                              struct.pack("ii", 1, 0))
                        return  # close with linger 0: a RST
                    connection.sendall(RESPONSE)

    def close(self) -> None:
        self.listener.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_latency(seconds: float) -> tuple[list[float], int, int]:
    """(latencies of the matched incidents, incidents seen, resets sent)."""
    server = ResettingServer()
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "monitor", f"http://{LOOPBACK}:{server.port}",
         "--json", "--duration", f"{seconds:g}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    read_at: list[float] = []
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        if b'"type": "incident"' in line:
            read_at.append(time.monotonic())
    process.wait()
    server.close()
    # each reset causes one incident, in order; match each read line to the latest reset
    # sent before it
    latencies = []
    for moment in read_at:
        before = [reset for reset in server.resets if reset <= moment]
        if before:
            latencies.append(moment - before[-1])
    return latencies, len(read_at), len(server.resets)


def pipe_floor() -> float:
    """A line written by a subprocess and read here: the pipe's own latency."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys,time;sys.stdin.readline();"
         "print(time.monotonic(), flush=True)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"go\n")
    written = float(process.stdout.readline())
    floor = time.monotonic() - written
    process.wait()
    return floor


def cpu_of(command: list[str]) -> tuple[float, bytes]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime, output


def monitor_cpu(url: str, seconds: float) -> tuple[float, int]:
    cpu, output = cpu_of([sys.executable, "-m", "seatctl", "monitor", url, "--json",
                          "--duration", f"{seconds:g}"])
    return cpu, int(json.loads(output.decode().splitlines()[-1])["requests"])


def bare_cpu(url: str, seconds: float) -> tuple[float, int]:
    cpu, output = cpu_of([sys.executable, "-c", BASELINE_LOOP, url, f"{seconds:g}", "10"])
    return cpu, int(output)


def measure_cpu(workdir: Path, seconds: float) -> dict[str, tuple[float, int]]:
    """CPU s and requests: the monitor and the bare loop over `seconds`, and each over
    0.1 s (its start-up and shut-down, to take out of the per-request figure)."""
    with backends(workdir) as servers:
        servers.start()
        url = f"http://{LOOPBACK}:{servers.port}"
        return {"monitor": monitor_cpu(url, seconds), "monitor_start": monitor_cpu(url, 0.1),
                "bare": bare_cpu(url, seconds), "bare_start": bare_cpu(url, 0.1)}


def per_thousand(run: tuple[float, int], start: tuple[float, int]) -> float:
    return (run[0] - start[0]) / max(1, run[1] - start[1]) * 1000


def measure_catch(workdir: Path, restarts: int) -> dict[str, int]:
    duration = 2.0 + 2.0 * restarts
    workdir.mkdir()
    with backends(workdir, "--shutdown", "abrupt") as servers:
        servers.start()
        with nginx_proxy(workdir / "nginx", servers.port) as proxy:
            monitor = start_monitor(proxy.url, "--duration", f"{duration:g}")
            try:
                for number in range(restarts):
                    wanted = 10 + 15 * number

                    def sampled(wanted: int = wanted) -> bool:
                        return len(proxy.access_lines()) >= wanted

                    wait_for(sampled, "the monitor's requests")
                    servers.restart()
            finally:
                result = finish_monitor(monitor, duration)
            errors = proxy.error_log()
            access = proxy.access_lines()
    return {
        "nginx_502": sum(1 for line in access if line[1] == "502"),
        "nginx_refused": errors.count("(111: Connection refused)"),
        "nginx_upstream_resets": errors.count("(104: Connection reset by peer)"),
        "nginx_requests": len(access),
        "monitor_gateway": sum(1 for i in result.incidents if i["class"] == "gateway"),
        "monitor_other": sum(1 for i in result.incidents if i["class"] != "gateway"),
        "monitor_requests": int(result.summary["requests"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--restarts", type=int, default=3)
    options = parser.parse_args()
    passed = True
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        latencies, seen, sent = measure_latency(options.seconds)
        floor = statistics.median(pipe_floor() for _ in range(5))
        p99 = percentile(latencies, 0.99) if latencies else float("inf")
        ok = p99 <= LATENCY_TARGET_S and seen >= sent * 0.9
        passed &= ok
        print(f"latency  resets sent {sent}, incident lines {seen}; wire->stdout "
              f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms; pipe floor {floor * 1000:.2f} ms; "
              f"target p99 <= {LATENCY_TARGET_S * 1000:.0f} ms: {'ok' if ok else 'FAIL'}")
        cpu = measure_cpu(workdir, options.seconds)
        per_monitor = per_thousand(cpu["monitor"], cpu["monitor_start"])
        per_bare = per_thousand(cpu["bare"], cpu["bare_start"])
        print(f"cpu      monitor {cpu['monitor'][0]:.2f} s for {cpu['monitor'][1]} requests "
              f"(start-up alone {cpu['monitor_start'][0]:.2f} s); bare httpx loop "
              f"{cpu['bare'][0]:.2f} s for {cpu['bare'][1]} (start-up "
              f"{cpu['bare_start'][0]:.2f} s); per 1,000 requests beyond start-up: monitor "
              f"{per_monitor:.2f} s, bare {per_bare:.2f} s, ratio "
              f"{per_monitor / max(per_bare, 1e-9):.2f}x")
        catch = measure_catch(workdir / "catch", options.restarts)
        ok = catch["monitor_gateway"] == catch["nginx_502"] and catch["nginx_502"] > 0
        passed &= ok
        print(f"catch    {options.restarts} abrupt restarts behind nginx: nginx logged "
              f"{catch['nginx_502']} x 502 of {catch['nginx_requests']} requests "
              f"({catch['nginx_refused']} refused connects, {catch['nginx_upstream_resets']}"
              f" upstream resets in its error log); monitor caught {catch['monitor_gateway']}"
              f" gateway incidents (+{catch['monitor_other']} other) of "
              f"{catch['monitor_requests']} requests; share "
              f"{catch['monitor_gateway'] / max(1, catch['nginx_502']):.0%}; target 100%: "
              f"{'ok' if ok else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
