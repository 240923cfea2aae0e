"""`seatctl login | logout | whoami` against the reference server."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from seatctl.exit_codes import ExitCode
from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.server.helpers import login


def credentials(config_path: Path) -> Path:
    return config_path.parent / "credentials.toml"


def test_login_from_stdin_stores_the_token_privately_and_never_prints_it(
    cli: Cli, server: ReferenceServer, config_path: Path,
) -> None:
    outcome = cli("--base-url", server.url, "login", "--email", "demo@example.com",
                  "--password-stdin", input="demo12345\n")
    assert outcome.exit_code == 0, str(outcome)
    assert "logged in as demo@example.com (profile default)" in outcome.stderr
    stored = credentials(config_path).read_text()
    token = stored.split('token = "', 1)[1].split('"', 1)[0]
    assert len(token) > 40
    assert token not in outcome.stdout + outcome.stderr
    assert stat.S_IMODE(credentials(config_path).stat().st_mode) == 0o600
    whoami = cli.ok("--base-url", server.url, "--json", "whoami")
    assert json.loads(whoami.stdout)["user"]["email"] == "demo@example.com"
    shown = json.loads(cli.ok("config", "show", "--json").stdout)["settings"]["token"]
    assert shown["value"] == "****" and shown["source"].startswith("credentials file")


def test_a_wrong_password_is_exit_5_about_the_credentials(
    cli: Cli, server: ReferenceServer, config_path: Path,
) -> None:
    outcome = cli("--base-url", server.url, "login", "--email", "demo@example.com",
                  "--password-stdin", input="wrong-password\n")
    assert outcome.exit_code == ExitCode.AUTH
    assert "Invalid email or password" in outcome.stderr
    assert "check the email and password" in outcome.stderr
    assert not credentials(config_path).exists()


def test_without_a_terminal_login_never_prompts(cli: Cli, server: ReferenceServer) -> None:
    no_email = cli("--base-url", server.url, "login", input="")
    assert no_email.exit_code == ExitCode.USAGE
    assert "pass --email" in no_email.stderr
    no_password = cli("--base-url", server.url, "login", "--email", "demo@example.com",
                      input="")
    assert no_password.exit_code == ExitCode.USAGE
    assert "pass --password-stdin" in no_password.stderr


def test_logout_forgets_the_token_and_whoami_then_says_to_log_in(
    cli: Cli, server: ReferenceServer,
) -> None:
    cli.ok("--base-url", server.url, "login", "--email", "demo@example.com",
           "--password-stdin", input="demo12345\n")
    assert "logged out" in cli.ok("logout").stderr
    assert "had no stored token" in cli.ok("logout").stderr
    outcome = cli("--base-url", server.url, "whoami")
    assert outcome.exit_code == ExitCode.AUTH
    assert "run `seatctl login`" in outcome.stderr


def test_tokens_are_kept_per_profile(cli: Cli, server: ReferenceServer) -> None:
    cli.ok("config", "set", "base_url", server.url, "--profile", "staging")
    cli.ok("--profile", "staging", "login", "--email", "demo@example.com",
           "--password-stdin", input="demo12345\n")
    assert cli("--base-url", server.url, "whoami").exit_code == ExitCode.AUTH
    assert cli.ok("--profile", "staging", "whoami").stdout.startswith("demo@example.com")


def test_a_login_is_sent_only_to_the_server_that_issued_it(
    cli: Cli, start_server: StartServer, config_path: Path,
) -> None:
    issuer, other = start_server(), start_server()
    cli.ok("--base-url", issuer.url, "login", "--email", "demo@example.com",
           "--password-stdin", input="demo12345\n")
    assert f'base_url = "{issuer.url}"' in credentials(config_path).read_text()
    cli.ok("--base-url", issuer.url, "whoami")
    elsewhere = cli("--base-url", other.url, "whoami")
    assert elsewhere.exit_code == ExitCode.AUTH  # asked without a token, not with issuer's
    assert (f"note: the login of profile default is for {issuer.url}: not sent to "
            f"{other.url}") in elsewhere.stderr


def test_a_token_stored_before_its_origin_was_recorded_is_sent_as_before(
    cli: Cli, server: ReferenceServer, config_path: Path,
) -> None:
    token = login(server)
    credentials(config_path).parent.mkdir(parents=True, exist_ok=True)
    credentials(config_path).write_text(f'[profiles.default]\ntoken = "{token}"\n')
    cli.ok("--base-url", server.url, "whoami")
