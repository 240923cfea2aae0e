"""Fixtures of the server tests: the reference server as a real process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ServeProcess = Callable[..., tuple[subprocess.Popen[bytes], str]]


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[ServeProcess]:
    """Start `python -m seatctl serve` as a real process; all killed after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(db: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
        ready = tmp_path / f"ready-{len(processes)}"
        process = subprocess.Popen(
            [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--quiet", "--db",
             str(db), "--ready-file", str(ready), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return process, ready.read_text().strip()

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
