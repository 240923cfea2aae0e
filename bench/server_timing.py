"""How exactly the reference server keeps its connection timeouts.

Run: python bench/server_timing.py [--samples N] [--json] [--no-check]

For each knob (idle keep-alive close, headers timeout, request timeout) it starts the
reference server on a free loopback port in a subprocess, measures from a raw socket when
the server ends the connection, and prints the median and worst error against the setting.
The baseline, measured in the same run, is the same wait done by the client itself (a
socket timeout of the same length): the error a perfect server would still show here.
Target: median error within 10 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

SETTING = 0.5  # seconds, for every knob
TARGET_MS = 10.0


def start_server(workdir: Path, *flags: str) -> tuple[subprocess.Popen[bytes], tuple[str, int]]:
    ready = workdir / f"ready-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--quiet", "--db",
         ":memory:", "--ready-file", str(ready), *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the reference server did not start")
        time.sleep(0.01)
    parts = urlsplit(ready.read_text().strip())
    return process, (str(parts.hostname), int(parts.port or 0))


def wait_closed(sock: socket.socket) -> float:
    sock.settimeout(SETTING * 10)
    while True:
        try:
            if not sock.recv(65536):
                return time.monotonic()
        except ConnectionResetError:
            return time.monotonic()


def idle_close(address: tuple[str, int]) -> float:
    with socket.create_connection(address) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
        received = b""
        while not received.endswith(b"}"):
            received += sock.recv(65536)
        answered = time.monotonic()
        return wait_closed(sock) - answered


def headers_timeout(address: tuple[str, int]) -> float:
    with socket.create_connection(address) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        return wait_closed(sock) - started


def request_timeout(address: tuple[str, int]) -> float:
    with socket.create_connection(address) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: bench\r\nContent-Length: 50\r\n\r\n{")
        return wait_closed(sock) - started


def client_side_wait(_: tuple[str, int]) -> float:
    """The baseline: the client's own timer of the same length, no server involved."""
    left, right = socket.socketpair()
    with left, right:
        left.settimeout(SETTING)
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            left.recv(1)
        return time.monotonic() - started


KNOBS: dict[str, tuple[tuple[str, ...], Callable[[tuple[str, int]], float]]] = {
    "client timer (baseline)": ((), client_side_wait),
    "idle keep-alive close": (("--keep-alive-timeout", str(SETTING)), idle_close),
    "headers timeout": (("--headers-timeout", str(SETTING), "--request-timeout", "30"),
                        headers_timeout),
    "request timeout": (("--headers-timeout", "30", "--request-timeout", str(SETTING)),
                        request_timeout),
}


def measure(samples: int) -> dict[str, dict[str, float]]:
    figures = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, (flags, probe) in KNOBS.items():
            process, address = start_server(Path(workdir), *flags)
            try:
                errors = [(probe(address) - SETTING) * 1000 for _ in range(samples)]
            finally:
                process.terminate()
                process.wait(timeout=10)
            figures[name] = {"median_error_ms": statistics.median(errors),
                             "worst_error_ms": max(errors, key=abs)}
    baseline = figures["client timer (baseline)"]["median_error_ms"]
    for values in figures.values():
        values["minus_baseline_ms"] = values["median_error_ms"] - baseline
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    figures = measure(args.samples)
    passed = all(abs(values["median_error_ms"]) <= TARGET_MS for values in figures.values())
    if args.json:
        print(json.dumps({"setting_s": SETTING, "samples": args.samples, "figures": figures,
                          "pass": passed}, indent=2))
    else:
        print(f"setting {SETTING}s, {args.samples} samples each, target |median| <= "
              f"{TARGET_MS:g} ms")
        print(f"{'knob':<26}{'median error ms':>17}{'worst ms':>10}{'vs baseline ms':>16}")
        for name, values in figures.items():
            print(f"{name:<26}{values['median_error_ms']:>17.2f}"
                  f"{values['worst_error_ms']:>10.2f}{values['minus_baseline_ms']:>16.2f}")
        print("PASS" if passed else "FAIL")
    return 0 if passed or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
