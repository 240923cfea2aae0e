"""The CLI frame end to end: global options, output modes, and every exit code."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from seatctl import __version__
from seatctl.exit_codes import EXIT_CODE_TABLE, ExitCode
from tests.helpers import Cli, write_config
from tests.support.servers import silent_server

HEALTH = {"status": "OK", "message": "Server is running", "timestamp": "2026-11-29T10:00:00Z",
          "environment": "test", "version": "1.2.3"}


def base(httpserver: HTTPServer) -> str:
    return httpserver.url_for("").rstrip("/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_version_prints_the_package_version(cli: Cli) -> None:
    assert cli.ok("--version").stdout == f"seatctl {__version__}\n"


def test_help_lists_every_exit_code(cli: Cli) -> None:
    out = cli.ok("--help").stdout
    for code, meaning in EXIT_CODE_TABLE:
        assert f"{int(code):>5}  {meaning}" in out


def test_ping_reports_status_latency_and_server_headers(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        HEALTH, headers={"X-Powered-By": "Express", "Keep-Alive": "timeout=5"})
    outcome = cli.ok("--base-url", base(httpserver), "ping")
    assert "answered 200 in" in outcome.stdout
    assert "x-powered-by: Express" in outcome.stdout
    assert "keep-alive: timeout=5" in outcome.stdout
    assert "version: 1.2.3" in outcome.stdout
    assert outcome.stderr == ""


@pytest.mark.parametrize("placement", ["root", "command"])
def test_json_is_exactly_one_document_on_stdout(
    cli: Cli, httpserver: HTTPServer, placement: str
) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    flags = ["--json", "ping"] if placement == "root" else ["ping", "--json"]
    outcome = cli.ok("--base-url", base(httpserver), *flags)
    document = json.loads(outcome.stdout)
    assert document["status_code"] == 200
    assert document["health"]["version"] == "1.2.3"
    assert document["latency_ms"] >= 0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "code"),
    [
        (401, {"status": "error", "message": "Access denied. Invalid token."}, None, ExitCode.AUTH),
        (403, {"status": "error", "message": "Forbidden"}, None, ExitCode.AUTH),
        (404, {"status": "error", "message": "Route not found"}, None, ExitCode.NOT_FOUND),
        (409, {"status": "error", "message": "conflict"}, None, ExitCode.REJECTED),
        (500, {"status": "error", "message": "boom"}, None, ExitCode.SERVER),
        (502, "<html><title>502 Bad Gateway</title></html>", "text/html", ExitCode.SERVER),
        (200, "<html>maintenance</html>", "text/html", ExitCode.SERVER),
    ],
)
def test_failing_answers_map_to_their_exit_codes(
    cli: Cli, httpserver: HTTPServer, status: int, body: object, content_type: str | None,
    code: ExitCode,
) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    httpserver.expect_request("/health").respond_with_data(
        text, status=status, content_type=content_type or "application/json")
    outcome = cli("--base-url", base(httpserver), "--json", "ping",
                  env={"SEATCTL_RETRIES": "0"})
    assert outcome.exit_code == code, str(outcome)
    assert outcome.stderr.startswith("error: ")
    assert "Traceback" not in outcome.stderr
    error = json.loads(outcome.stdout)["error"]
    assert error["exit_code"] == code


def test_401_says_to_log_in(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        {"status": "error", "message": "Access denied. No token provided."}, status=401)
    outcome = cli("--base-url", base(httpserver), "ping")
    assert outcome.exit_code == ExitCode.AUTH
    assert "run `seatctl login`" in outcome.stderr


def test_refused_connection_is_a_network_failure_after_retries(cli: Cli) -> None:
    outcome = cli("--base-url", f"http://127.0.0.1:{free_port()}", "ping",
                  env={"SEATCTL_RETRIES": "1"})
    assert outcome.exit_code == ExitCode.NETWORK
    assert "connection refused" in outcome.stderr
    assert "after 2 attempts" in outcome.stderr


def test_verbose_prints_one_line_per_attempt(cli: Cli) -> None:
    port = free_port()
    outcome = cli("-v", "--base-url", f"http://127.0.0.1:{port}", "ping",
                  env={"SEATCTL_RETRIES": "2"})
    lines = [line for line in outcome.stderr.splitlines() if line.startswith("> GET")]
    assert len(lines) == 3
    assert all(f"http://127.0.0.1:{port}/health failed" in line for line in lines)
    assert [f"attempt {n}" in line for n, line in enumerate(lines, 1)] == [True] * 3


def test_trace_shows_phases_and_headers(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    outcome = cli.ok("--trace", "--base-url", base(httpserver), "ping")
    assert "timing: connect+dns" in outcome.stderr
    assert "first byte" in outcome.stderr
    assert f"> User-Agent: seatctl/{__version__}" in outcome.stderr
    assert "request-id:" in outcome.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["ping", "--bogus"],
        ["--timeout", "soon", "ping"],
        ["completion", "tcsh"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    outcome = cli(*args)
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert "Traceback" not in outcome.stderr


def test_invalid_config_value_exits_2_naming_key_and_source(cli: Cli) -> None:
    outcome = cli("ping", env={"SEATCTL_CONNECT_TIMEOUT": "-3"})
    assert outcome.exit_code == ExitCode.USAGE
    assert outcome.stderr.count("\n") == 1
    assert "connect_timeout" in outcome.stderr
    assert "SEATCTL_CONNECT_TIMEOUT" in outcome.stderr


def test_malformed_config_file_exits_2(cli: Cli, config_path: Path) -> None:
    write_config(config_path, "this is = = not toml")
    outcome = cli("config", "show")
    assert outcome.exit_code == ExitCode.USAGE
    assert "not valid TOML" in outcome.stderr


def test_invalid_base_url_flag_exits_2(cli: Cli) -> None:
    outcome = cli("--base-url", "localhost:8080", "ping")
    assert outcome.exit_code == ExitCode.USAGE
    assert "command line --base-url" in outcome.stderr


def test_unexpected_error_exits_1_and_suggests_trace(
    cli: Cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("seatctl.api.health.check_health", explode)
    outcome = cli("--base-url", base(httpserver), "ping")
    assert outcome.exit_code == ExitCode.FAILURE
    assert "unexpected error: RuntimeError: kaboom" in outcome.stderr
    assert "rerun with --trace" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    traced = cli("--trace", "--base-url", base(httpserver), "ping")
    assert traced.exit_code == ExitCode.FAILURE
    assert "Traceback" in traced.stderr


def test_interrupt_exits_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("seatctl.api.health.check_health", interrupt)
    outcome = cli("ping")
    assert outcome.exit_code == ExitCode.INTERRUPTED
    assert "interrupted" in outcome.stderr


def test_config_set_then_show_reports_the_file_as_source(cli: Cli, config_path: Path) -> None:
    cli.ok("config", "set", "read_timeout", "7")
    shown = json.loads(cli.ok("config", "show", "--json").stdout)
    assert shown["settings"]["read_timeout"] == {
        "value": 7.0, "source": f"config file {config_path} [profiles.default]"}


def test_config_set_rejects_invalid_values_with_exit_2(cli: Cli, config_path: Path) -> None:
    outcome = cli("config", "set", "read_timeout", "--", "-1")
    assert outcome.exit_code == ExitCode.USAGE
    assert "read_timeout" in outcome.stderr
    assert not config_path.exists()
    assert cli("config", "set", "colour", "red").exit_code == ExitCode.USAGE


def test_config_set_writes_the_chosen_profile(cli: Cli) -> None:
    cli.ok("config", "set", "base_url", "https://prod.example", "--profile", "prod")
    assert cli.ok("config", "show").stdout.count("https://prod.example") == 0
    shown = json.loads(cli.ok("--profile", "prod", "config", "show", "--json").stdout)
    assert shown["settings"]["base_url"]["value"] == "https://prod.example"


def test_config_unset_restores_the_lower_layer(cli: Cli) -> None:
    cli.ok("config", "set", "retries", "5")
    assert "removed retries" in cli.ok("config", "unset", "retries").stderr
    assert "is not set" in cli.ok("config", "unset", "retries").stderr
    assert cli("config", "unset", "nope").exit_code == ExitCode.USAGE


def test_config_path_prints_the_xdg_location(cli: Cli, config_path: Path) -> None:
    assert cli.ok("config", "path").stdout.strip() == str(config_path)


def test_no_color_means_no_escape_sequences(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    outcome = cli.ok("--base-url", base(httpserver), "-v", "ping",
                     env={"FORCE_COLOR": "", "NO_COLOR": "1"})
    assert "\x1b[" not in outcome.stdout + outcome.stderr


def test_force_color_colours_even_when_not_a_tty(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    outcome = cli.ok("--base-url", base(httpserver), "ping",
                     env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in outcome.stdout
    plain = cli.ok("--no-color", "--base-url", base(httpserver), "ping",
                   env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" not in plain.stdout


def test_the_real_process_exits_with_the_documented_code(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "seatctl", "--base-url", f"http://127.0.0.1:{free_port()}",
         "--json", "ping"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "", "XDG_CONFIG_HOME": str(tmp_path), "SEATCTL_RETRIES": "0"},
    )
    assert result.returncode == ExitCode.NETWORK, result.stderr
    assert json.loads(result.stdout)["error"]["type"] == "ConnectionRefused"
    assert result.stderr.startswith("error: connection refused")


@pytest.fixture
def stalling_url() -> Iterator[str]:
    """A server that accepts connections and never answers, until the test ends."""
    with silent_server() as silent:
        yield silent.url


def test_overall_timeout_bounds_the_whole_command(cli: Cli, stalling_url: str) -> None:
    started = time.monotonic()
    outcome = cli("--timeout", "0.5", "--base-url", stalling_url, "ping")
    elapsed = time.monotonic() - started
    assert outcome.exit_code == ExitCode.NETWORK, str(outcome)
    assert "overall deadline ran out" in outcome.stderr
    assert "--timeout" in outcome.stderr
    assert elapsed < 2.0


def test_read_timeout_setting_applies_per_attempt(cli: Cli, stalling_url: str) -> None:
    outcome = cli("--base-url", stalling_url, "ping",
                  env={"SEATCTL_READ_TIMEOUT": "0.2", "SEATCTL_RETRIES": "1"})
    assert outcome.exit_code == ExitCode.NETWORK
    assert "sent no response within the read timeout (0.2s) (after 2 attempts)" in outcome.stderr


def test_a_long_retry_wait_is_announced_even_without_verbose(
    cli: Cli, httpserver: HTTPServer,
) -> None:
    httpserver.expect_ordered_request("/health").respond_with_json(
        {"status": "error", "message": "Too many requests"}, status=429,
        headers={"Retry-After": "2"})
    httpserver.expect_ordered_request("/health").respond_with_json(HEALTH)
    outcome = cli.ok("--base-url", base(httpserver), "ping", env={"SEATCTL_RETRIES": "1"})
    assert "waiting 2s before retrying" in outcome.stderr


def test_a_command_that_cannot_load_is_an_error_line_not_silence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from seatctl.cli import app as app_module
    from seatctl.cli.main import main

    def broken(name: str) -> None:
        raise NameError("name 'datetime' is not defined")

    monkeypatch.setattr(app_module, "load_command", broken)
    for args, traced in ((["smoke", "--json"], False), (["--trace", "smoke"], True)):
        with pytest.raises(SystemExit) as exited:
            main(args)
        assert exited.value.code == ExitCode.FAILURE
        stderr = capsys.readouterr().err
        assert "error: unexpected error: NameError: name 'datetime' is not defined" in stderr
        assert ("Traceback" in stderr) is traced
        assert ("rerun with --trace" in stderr) is not traced
