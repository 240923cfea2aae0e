"""GitHub Actions workflow commands for a smoke report: `::error` per failed check,
`::warning` per warning of a passed one and per check not verified within --max-time, so
they show on the run's summary page.

Escaping follows the runner's rules (actions/toolkit `command.ts`): in the message `%`,
CR and LF become %25, %0D and %0A; in a property value `:` and `,` also become %3A and
%2C. A server's text can therefore not end the command early or start another one.

The human report printed before them is server text too: a wrapped line of it that starts
with `::warning` would act as a command. `CommandsStopped` stops the runner reading commands
for as long as it is printed (`::stop-commands::TOKEN`, then `::TOKEN::`), with a token the
server cannot guess, so that its text cannot resume them either.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from seatctl.sanitize import printable
from seatctl.smoke.junit import failure_text
from seatctl.smoke.report import CheckStatus, SmokeReport

TITLE = "seatctl smoke {name}"
LINE_BREAK = re.compile(r"([\r\n])")


def github_actions(env: Mapping[str, str]) -> bool:
    """GitHub sets GITHUB_ACTIONS=true in every step of a workflow run."""
    return env.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True)
class CommandsStopped:
    token: str

    @classmethod
    def unguessable(cls) -> CommandsStopped:
        return cls(secrets.token_hex(16))

    @property
    def stop_line(self) -> str:
        return f"::stop-commands::{self.token}"

    @property
    def resume_line(self) -> str:
        return f"::{self.token}::"


def commands_stopped(env: Mapping[str, str], *, as_json: bool) -> CommandsStopped | None:
    """Under GitHub Actions, around a human report; a JSON document is not read as
    commands (nor changed by them)."""
    return CommandsStopped.unguessable() if github_actions(env) and not as_json else None


def workflow_commands(report: SmokeReport) -> list[str]:
    lines: list[str] = []
    for check in report.checks:
        title = TITLE.format(name=check.name)
        if check.status is CheckStatus.FAIL:
            lines.append(workflow_command("error", title, failure_text(check)))
        elif check.not_verified:  # a skip, but one a reader must not take for a pass
            lines.append(workflow_command("warning", title, failure_text(check)))
        elif check.status is CheckStatus.PASS:
            lines.extend(workflow_command("warning", title, warning)
                         for warning in check.warnings)
    return lines


def workflow_command(kind: str, title: str, message: str) -> str:
    return f"::{kind} title={escape_property(title)}::{escape_data(_printable_lines(message))}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _printable_lines(text: str) -> str:
    """Control characters (an escape sequence from a server) shown escaped, but CR and LF
    kept: escape_data turns them into %0D and %0A."""
    return "".join(part if part in ("\r", "\n") else printable(part)
                   for part in LINE_BREAK.split(text))
