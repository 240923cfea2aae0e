"""`seatctl serve` from the command line: option errors, the banner, the request log."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path

import httpx
import pytest

from seatctl.server.options import ServeOptions, build_config, default_db_path, is_loopback
from tests.helpers import Cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "explode=0.5"], "unknown fault 'explode'"),
        (["--fault", "proxy-502=1.5"], "within 0..1"),
        (["--fault", "stall=0.5"], "stall needs P:SECONDS"),
        (["--fault", "slow-job=soon"], "not a number of seconds"),
        (["--rate-limit", "lots"], "expected N/WINDOW"),
        (["--demo-user", "nobody"], "EMAIL:PASSWORD"),
        (["--keep-alive-timeout", "-1"], "keep-alive-timeout must be 0 or more"),
        (["--fault-path", "api"], "must start with /"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(cli: Cli, args: list[str], message: str) -> None:
    outcome = cli("serve", "--port", "0", "--db", ":memory:", *args)
    assert outcome.exit_code == 2, str(outcome)
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_options_build_the_config_with_presets_and_overrides(tmp_path: Path) -> None:
    config = build_config(ServeOptions(
        preset="seed-fix", headers_timeout=10, faults=("proxy-502=0.25", "slow-job=2"),
        rate_limit="100/15m", demo_user="ops@example.com:longenough", degrade=("redis",),
    ), env={"XDG_DATA_HOME": str(tmp_path)})
    assert config.timeouts.keep_alive_timeout == 66
    assert config.timeouts.headers_timeout == 10
    assert [fault.kind.value for fault in config.faults] == ["proxy-502"]
    assert config.slow_job == 2
    assert (config.rate_limit.limit, config.rate_limit.window) == (100, 900)  # type: ignore[union-attr]
    assert (config.demo_email, config.demo_password) == ("ops@example.com", "longenough")
    assert config.db == str(tmp_path / "seatctl" / "server.db")
    assert config.degraded == frozenset({"redis"})


def test_default_database_lives_in_the_user_data_dir() -> None:
    assert default_db_path({"HOME": "/home/u"}) == Path("/home/u/.local/share/seatctl/server.db")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
    ("192.168.1.5", False), ("example.com", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--db", ":memory:",
         "--ready-file", str(ready), "--log-json", "--fault", "proxy-502=0.5", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    yield process, ready.read_text().strip()
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_serve_prints_a_banner_and_one_json_log_line_per_request(
    running: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = running
    for _ in range(3):
        httpx.get(url + "/health")
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"listening on {url}" in stderr
    assert "demo@example.com / demo12345" in stderr
    assert "keep-alive 6s (advertised timeout=5)" in stderr
    assert "fault: proxy-502 p=0.5" in stderr
    entries = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert [entry["path"] for entry in entries] == ["/health"] * 3
    assert {entry["status"] for entry in entries} <= {200, 502}
    assert all(isinstance(entry["ms"], float | int) for entry in entries)


def test_a_non_loopback_host_is_warned_about(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []

    def run_until_signalled(server: object, on_ready: object) -> Coroutine[None, None, None]:
        started.append(server)
        return _done()

    monkeypatch.setattr("seatctl.server.server.run_until_signalled", run_until_signalled)
    outcome = cli("serve", "--host", "0.0.0.0", "--port", "0", "--db", ":memory:")
    assert outcome.exit_code == 0, str(outcome)
    assert "reachable from other machines" in outcome.stderr
    assert len(started) == 1


async def _done() -> None:
    return None
