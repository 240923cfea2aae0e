"""No token ever appears in any output: -v, --trace, errors, JSON, or a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from seatctl.redact import redact_headers
from seatctl.render.streams import IOStreams
from tests.helpers import Cli, write_config

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXVzZXI.s3cr3t-sig"
HEALTH = {"status": "OK", "message": "up"}


def base(httpserver: HTTPServer) -> str:
    return httpserver.url_for("").rstrip("/")


def test_redact_headers_masks_credentials_and_keeps_the_scheme() -> None:
    shown = dict(redact_headers([
        ("Authorization", f"Bearer {TOKEN}"), ("Cookie", "sid=1"), ("X-Auth-Token", "t"),
        ("Accept", "application/json"),
    ]))
    assert shown == {"Authorization": "Bearer ****", "Cookie": "****", "X-Auth-Token": "****",
                     "Accept": "application/json"}


def test_streams_mask_a_registered_secret_whatever_prints_it() -> None:
    streams = IOStreams.test()
    streams.add_secret(TOKEN)
    streams.out.print(f"token={TOKEN}")
    streams.err.print(f"again {TOKEN}!")
    assert TOKEN not in streams.out_text() + streams.err_text()
    assert "token=****" in streams.out_text()


@pytest.mark.parametrize("flags", [["-v"], ["--trace"], ["--trace", "--json"]])
def test_trace_output_never_contains_the_token(
    cli: Cli, httpserver: HTTPServer, flags: list[str]
) -> None:
    httpserver.expect_request("/health").respond_with_json(
        HEALTH, headers={"Set-Cookie": f"session={TOKEN}"})
    outcome = cli.ok(*flags, "--base-url", base(httpserver), "ping",
                     env={"SEATCTL_TOKEN": TOKEN})
    assert TOKEN not in outcome.stdout + outcome.stderr


def test_the_token_is_sent_but_trace_shows_it_redacted(httpserver: HTTPServer) -> None:
    from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts
    from seatctl.render.trace import StderrObserver

    httpserver.expect_request("/api/auth/profile").respond_with_json({"status": "success"})
    streams = IOStreams.test()
    config = ClientConfig(base_url=base(httpserver), timeouts=Timeouts(1, 1, 1, 1),
                          retry=RetryPolicy(retries=0), token=TOKEN)
    observer = StderrObserver(streams, verbose=True, trace=True)
    with ApiClient(config, observer=observer) as client:
        client.get("/api/auth/profile")
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "> Authorization: Bearer ****" in streams.err_text()
    assert TOKEN not in streams.err_text()


def test_error_text_never_contains_the_token(cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        {"status": "error", "message": f"Access denied. Invalid token {TOKEN}"}, status=401)
    outcome = cli("--json", "--base-url", base(httpserver), "ping",
                  env={"SEATCTL_TOKEN": TOKEN})
    assert outcome.exit_code == 5
    assert TOKEN not in outcome.stdout + outcome.stderr
    assert "****" in json.loads(outcome.stdout)["error"]["message"]


def test_a_forced_traceback_never_contains_the_token(
    cli: Cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, config_path: Path
) -> None:
    write_config(config_path, f'[profiles.default]\ntoken = "{TOKEN}"\n')

    def leak(client: object, clock: object) -> None:
        secret = TOKEN  # a local holding the token, as real code would
        raise RuntimeError(f"failed while holding {secret}")

    monkeypatch.setattr("seatctl.api.health.check_health", leak)
    outcome = cli("--trace", "--base-url", base(httpserver), "ping")
    assert outcome.exit_code == 1
    assert "Traceback" in outcome.stderr
    assert TOKEN not in outcome.stderr + outcome.stdout


def test_config_show_masks_the_token(cli: Cli) -> None:
    outcome = cli.ok("config", "show", "--json", env={"SEATCTL_TOKEN": TOKEN})
    assert TOKEN not in outcome.stdout
    assert json.loads(outcome.stdout)["settings"]["token"]["value"] == "****"


def test_config_set_token_does_not_echo_it(cli: Cli) -> None:
    outcome = cli.ok("config", "set", "token", TOKEN)
    assert TOKEN not in outcome.stdout + outcome.stderr


def test_files_seatctl_writes_are_masked_like_its_streams() -> None:
    from seatctl.redact import mask

    token = "eyJhbGciOiJIUzI1NiJ9.secret-token-value"
    assert mask(f"<failure>Bearer {token}</failure>", [token]) == "<failure>Bearer ****</failure>"
