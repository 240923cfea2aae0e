"""Shared fixtures: an isolated environment for every test, a CLI runner, reference servers,
TLS material, golden files (`--update-golden`). The test kit is in tests/support/."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import trustme

from seatctl.server import ReferenceServer, ServerConfig, serving_in_thread
from tests.helpers import Cli
from tests.support.golden import GOLDEN_DIR, UPDATE_OPTION, Golden
from tests.support.servers import closed_loopback_port
from tests.support.servers import httpserver as httpserver  # the 127.0.0.1 pin, for all

# Proxies would send requests off the machine; SSL_CERT_* would change what is trusted.
CLEARED_ENV = frozenset({
    "FORCE_COLOR", "NO_COLOR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
    "all_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",
})


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No user config, data or cache, no SEATCTL_* from the developer's shell, no colour,
    80 columns."""
    for name in list(os.environ):
        if name.startswith("SEATCTL_") or name in CLEARED_ENV:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    yield dict(os.environ)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "seatctl" / "config.toml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(UPDATE_OPTION, action="store_true",
                     help="rewrite the golden files in tests/golden/ from the current "
                          "renderings (then review the diff)")


REWRITTEN_GOLDEN_FILES: list[str] = []  # this process's, with --update-golden


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """`golden.check(name, text)`: `text` equals tests/golden/NAME (see tests/support)."""
    test_path = request.path.relative_to(request.config.rootpath).as_posix()
    return Golden(GOLDEN_DIR, bool(request.config.getoption(UPDATE_OPTION)), test_path,
                  REWRITTEN_GOLDEN_FILES)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if terminalreporter.config.getoption(UPDATE_OPTION):
        changed = sorted(set(REWRITTEN_GOLDEN_FILES))
        terminalreporter.write_line(
            f"{UPDATE_OPTION}: rewrote {len(changed)} golden file(s)"
            + "".join(f"\n  {name}" for name in changed) + (
                "\nreview them with `git diff tests/golden`" if changed else ""))


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound to learn a free port, then closed."""
    return closed_loopback_port()


StartServer = Callable[..., ReferenceServer]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start real reference servers on free loopback ports; all stopped after the test.

    Keyword arguments are ServerConfig fields. Defaults suit tests: a database file in
    tmp_path (so a restart finds its data), a fast queue, no request log.
    """
    numbers = itertools.count()
    with ExitStack() as stack:
        def start(**overrides: Any) -> ReferenceServer:
            overrides.setdefault("db", str(tmp_path / f"server-{next(numbers)}.db"))
            overrides.setdefault("process_delay", 0.02)
            return stack.enter_context(serving_in_thread(ServerConfig(port=0), **overrides))

        yield start


@pytest.fixture
def server(start_server: StartServer) -> ReferenceServer:
    """One reference server with the defaults of `start_server`."""
    return start_server()


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throwaway certificate authority for loopback TLS servers."""
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_pem(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA's certificate as a PEM file, what `ca_bundle` points to."""
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


ServeProcess = Callable[..., tuple[subprocess.Popen[bytes], str]]
"""start(db, *args): `seatctl serve --db DB ARGS` on a free port; (process, its URL)."""


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
