"""A smoke test booking that could not be cancelled is left with the command that cancels it
(`seatctl --profile P --base-url URL cancel ID --yes`, as the resume hints name them), not a
raw `DELETE /api/bookings/ID`; it runs as pasted where smoke runs (no terminal: --yes), and
when smoke logged in with SEATCTL_EMAIL and SEATCTL_PASSWORD (no token stored) the hint
says to log in first."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest

from seatctl.errors import ServerError
from seatctl.exit_codes import ExitCode
from seatctl.server import ReferenceServer
from tests.helpers import Cli
from tests.server.helpers import DEMO_EMAIL, DEMO_PASSWORD, login

DEMO = {"SEATCTL_EMAIL": DEMO_EMAIL, "SEATCTL_PASSWORD": DEMO_PASSWORD}
BOOK_TEST = ("--min-idle", "0.5", "--book-test", "symphony", "--seat", "Orchestra:A12")


def refuse_cancel(_client: Any, _booking_id: str) -> str:
    raise ServerError("server error 500 Internal Server Error", status_code=500)


def interrupt(_client: Any, _booking_id: str) -> str:
    raise KeyboardInterrupt


def commands(hint: str) -> list[list[str]]:
    """The commands in backticks of a hint, as words."""
    return [shlex.split(command) for command in re.findall(r"`([^`]+)`", hint)]


def failed_cancel_hint(cli: Cli, server: ReferenceServer, env: dict[str, str]) -> str:
    outcome = cli("smoke", server.url, *BOOK_TEST, "--json", env=env)
    document = json.loads(outcome.stdout)
    (booking,) = [check for check in document["checks"] if check["name"] == "booking"]
    assert booking["status"] == "fail", booking
    hint = booking["details"]["hint"]
    assert isinstance(hint, str) and "DELETE" not in hint
    return hint


def test_a_failed_cancel_names_seatctl_cancel_after_a_login(
    cli: Cli, server: ReferenceServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", refuse_cancel)
    hint = failed_cancel_hint(cli, server, DEMO)
    flags = ["seatctl", "--profile", "default", "--base-url", server.url]
    log_in, cancel = commands(hint)
    assert log_in == [*flags, "login"]
    assert cancel[:6] == [*flags, "cancel"] and cancel[6].startswith("cb")
    assert cancel[7:] == ["--yes"]  # this used to stop at exit 2 where smoke runs
    assert "SEATCTL_EMAIL and SEATCTL_PASSWORD and stored no token" in hint


def test_the_hints_commands_work_as_pasted(cli: Cli, server: ReferenceServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", refuse_cancel)
    log_in, cancel = commands(failed_cancel_hint(cli, server, DEMO))
    monkeypatch.undo()
    cli.ok(*log_in[1:], "--email", DEMO_EMAIL, "--password-stdin", input=DEMO_PASSWORD)
    outcome = cli(*cancel[1:])  # off a terminal, as in CI
    assert outcome.exit_code == 0, str(outcome)
    assert f"cancelled {cancel[6]}" in outcome.stdout


def test_with_a_token_the_hint_needs_no_login(cli: Cli, server: ReferenceServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", refuse_cancel)
    hint = failed_cancel_hint(cli, server, {"SEATCTL_TOKEN": login(server)})
    (cancel,) = commands(hint)
    assert cancel[5] == "cancel" and cancel[-1] == "--yes"
    assert "log in" not in hint


def test_ctrl_c_whose_cancel_fails_names_seatctl_cancel(
    cli: Cli, server: ReferenceServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", interrupt)
    monkeypatch.setattr("seatctl.smoke.run.cancel_booking", refuse_cancel)
    outcome = cli("smoke", server.url, *BOOK_TEST, env=DEMO)
    assert outcome.exit_code == ExitCode.INTERRUPTED, str(outcome)
    (hint,) = [line for line in outcome.stderr.splitlines() if line.startswith("hint:")]
    assert "DELETE" not in hint
    flags = ["seatctl", "--profile", "default", "--base-url", server.url]
    log_in, cancel = commands(hint)
    assert log_in == [*flags, "login"]
    assert cancel[:6] == [*flags, "cancel"] and cancel[-1] == "--yes"
