"""A smoke test booking that could not be cancelled is left with the command that cancels it
(`seatctl --profile P --base-url URL cancel ID`, as the resume hints name them), not a raw
`DELETE /api/bookings/ID`."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from seatctl.errors import ServerError
from seatctl.exit_codes import ExitCode
from seatctl.server import ReferenceServer
from tests.helpers import Cli
from tests.server.helpers import DEMO_EMAIL, DEMO_PASSWORD

DEMO = {"SEATCTL_EMAIL": DEMO_EMAIL, "SEATCTL_PASSWORD": DEMO_PASSWORD}
BOOK_TEST = ("--keep-alive-bound", "0.5", "--book-test", "symphony", "--seat", "Orchestra:A12")


def refuse_cancel(_client: Any, _booking_id: str) -> str:
    raise ServerError("server error 500 Internal Server Error", status_code=500)


def interrupt(_client: Any, _booking_id: str) -> str:
    raise KeyboardInterrupt


def cancel_command(hint: str) -> list[str]:
    """The command in backticks of a hint, as words."""
    return shlex.split(hint.split("`")[1])


def test_a_failed_cancel_names_seatctl_cancel(cli: Cli, server: ReferenceServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", refuse_cancel)
    outcome = cli("smoke", server.url, *BOOK_TEST, "--json", env=DEMO)
    document = json.loads(outcome.stdout)
    (booking,) = [check for check in document["checks"] if check["name"] == "booking"]
    assert booking["status"] == "fail", booking
    hint = booking["details"]["hint"]
    assert "DELETE" not in hint
    words = cancel_command(hint)
    assert words[:6] == ["seatctl", "--profile", "default", "--base-url", server.url, "cancel"]
    assert words[6].startswith("cb") and len(words) == 7


def test_ctrl_c_whose_cancel_fails_names_seatctl_cancel(
    cli: Cli, server: ReferenceServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("seatctl.smoke.checks.cancel_booking", interrupt)
    monkeypatch.setattr("seatctl.smoke.run.cancel_booking", refuse_cancel)
    outcome = cli("smoke", server.url, *BOOK_TEST, env=DEMO)
    assert outcome.exit_code == ExitCode.INTERRUPTED, str(outcome)
    (hint,) = [line for line in outcome.stderr.splitlines() if line.startswith("hint:")]
    assert "DELETE" not in hint
    assert cancel_command(hint)[:6] == ["seatctl", "--profile", "default", "--base-url",
                                        server.url, "cancel"]
