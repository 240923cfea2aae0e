"""The CLI under misuse: broken configs, pipes, closed streams, JSON on every failure."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from seatctl.cli.context import App
from seatctl.render.streams import IOStreams
from tests.helpers import Cli, write_config

HEALTH = {"status": "OK", "message": "up"}


def seatctl(*args: str, env: dict[str, str] | None = None, **kwargs: object
            ) -> subprocess.CompletedProcess[str]:
    done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        [sys.executable, "-m", "seatctl", *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})}, **kwargs)
    return done


def test_config_set_repairs_a_broken_value(cli: Cli, config_path: Path) -> None:
    write_config(config_path, "[profiles.default]\nread_timeout = -1\n")
    assert cli("config", "show").exit_code == 2
    cli.ok("config", "set", "read_timeout", "5")
    assert cli.ok("config", "show").exit_code == 0


def test_config_set_takes_negative_numbers_as_values(cli: Cli) -> None:
    outcome = cli("config", "set", "retries", "-1")
    assert outcome.exit_code == 2
    assert "retries" in outcome.stderr
    assert "No such option" not in outcome.stderr


def test_config_set_profile_writes_the_top_level_and_needs_an_existing_profile(
    cli: Cli, config_path: Path,
) -> None:
    assert cli("config", "set", "profile", "prod").exit_code == 2  # no such profile yet
    cli.ok("config", "set", "base_url", "https://prod.example", "--profile", "prod")
    cli.ok("config", "set", "profile", "prod")
    shown = json.loads(cli.ok("config", "show", "--json").stdout)["settings"]
    assert shown["profile"]["value"] == "prod"
    assert shown["base_url"]["value"] == "https://prod.example"


def test_config_set_refuses_a_profile_name_that_needs_quoting(cli: Cli) -> None:
    outcome = cli("config", "set", "retries", "2", "--profile", "a b")
    assert outcome.exit_code == 2
    assert "invalid --profile" in outcome.stderr


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (["config", "path", "--json"], {"path"}),
        (["--json", "config", "set", "retries", "2"],
         {"path", "profile", "key", "value", "changed"}),
        (["config", "unset", "retries", "--json"], {"path", "profile", "key", "changed"}),
        (["config", "get", "retries", "--json"], {"key", "value", "source", "profile"}),
        (["config", "profiles", "--json"],
         {"path", "active", "active_source", "active_error", "profiles"}),
        (["--json", "config", "use", "default"], {"path", "profile", "previous", "changed"}),
    ],
)
def test_config_commands_print_one_json_document(cli: Cli, args: list[str],
                                                 keys: set[str]) -> None:
    assert set(json.loads(cli.ok(*args).stdout)) == keys


def test_json_after_the_command_still_reports_errors_as_json(cli: Cli) -> None:
    outcome = cli("--base-url", "http://127.0.0.1:9", "ping", "--json",
                  env={"SEATCTL_RETRIES": "0"})
    assert outcome.exit_code == 6
    assert json.loads(outcome.stdout)["error"]["type"] == "ConnectionRefused"


def test_a_usage_error_with_json_prints_a_json_error() -> None:
    result = seatctl("--json", "pnig")
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "UsageError" and "attempts" not in error  # nothing was sent
    assert error["hint"] == "did you mean 'ping'?"
    assert result.stderr == "error: no such command 'pnig'\nhint: did you mean 'ping'?\n"


def test_an_unexpected_error_with_json_prints_a_json_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(client: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("seatctl.api.health.check_health", explode)
    outcome = cli("--json", "ping")
    assert outcome.exit_code == 1
    assert json.loads(outcome.stdout)["error"]["type"] == "UnexpectedError"


def test_a_closed_pipe_ends_quietly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    reader, writer = os.pipe()
    os.close(reader)
    result = subprocess.run(
        [sys.executable, "-m", "seatctl", "--base-url", httpserver.url_for("").rstrip("/"),
         "ping"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(writer)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_closed_stdout_is_not_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.close(1); sys.stdout = None; "
         "from seatctl.cli.main import main; main(['config', 'path'])"],
        capture_output=False, stderr=subprocess.PIPE, text=True, timeout=60)
    assert "Traceback" not in result.stderr


def test_a_short_token_does_not_mangle_output(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    outcome = cli.ok("--json", "--base-url", httpserver.url_for("").rstrip("/"), "ping",
                     env={"SEATCTL_TOKEN": "e"})
    assert json.loads(outcome.stdout)["status_code"] == 200


def test_a_long_token_never_leaks_through_a_wrapped_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "eyJ" + "A" * 240 + ".sig"

    def leak(client: object) -> None:
        raise RuntimeError(f"failed while holding {token}")

    monkeypatch.setattr("seatctl.api.health.check_health", leak)
    outcome = cli("--trace", "ping", env={"SEATCTL_TOKEN": token})
    assert "Traceback" in outcome.stderr
    assert "A" * 60 not in outcome.stderr


def test_a_token_readable_by_others_is_warned_about(cli: Cli, config_path: Path) -> None:
    write_config(config_path, '[profiles.default]\ntoken = "abcdefghijklmnop"\n')
    config_path.chmod(0o644)
    outcome = cli.ok("config", "show")
    assert "chmod 600" in outcome.stderr
    config_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert "chmod 600" not in cli.ok("config", "show").stderr


def test_server_text_cannot_inject_terminal_escapes(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        {"status": "OK", "message": "\x1b[2J\x1b]0;pwned\x07fake\nline"},
        headers={"Server": "evil\x1b[31m"})
    outcome = cli.ok("--base-url", httpserver.url_for("").rstrip("/"), "ping")
    assert "\x1b" not in outcome.stdout
    assert "\\x1b[2J" in outcome.stdout


def test_a_health_document_reporting_an_error_fails(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        {"status": "error", "message": "queue stuck"})
    outcome = cli("--base-url", httpserver.url_for("").rstrip("/"), "ping")
    assert outcome.exit_code == 7
    assert "queue stuck" in outcome.stderr


def test_a_redirect_names_its_target(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data(
        "", status=301, headers={"Location": "https://api.example/health"})
    outcome = cli("--base-url", httpserver.url_for("").rstrip("/"), "ping")
    assert outcome.exit_code == 7
    assert "redirected (301) to https://api.example/health" in outcome.stderr
    assert len(httpserver.log) == 1  # never followed


def test_no_color_wins_over_force_color(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(HEALTH)
    url = httpserver.url_for("").rstrip("/")
    both = cli.ok("--base-url", url, "ping", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in both.stdout
    forced = cli.ok("--base-url", url, "ping", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in forced.stdout


def test_commands_use_the_substituted_dependencies(cli: Cli) -> None:
    """The App seam: streams and transport handed in are the ones a command uses."""
    from typer.testing import CliRunner

    from seatctl.cli.app import app as seatctl_app

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=HEALTH)

    streams = IOStreams.test()
    substitute = App(transport=httpx.MockTransport(answer), _streams=streams)
    result = CliRunner().invoke(seatctl_app, ["ping"], obj=substitute)
    assert result.exit_code == 0, result.output
    assert [request.url.path for request in seen] == ["/health"]
    assert "answered 200" in streams.out_text()
