"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from seatctl.cli.app import app as seatctl_app


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class Cli:
    """Runs `seatctl ARGS` in-process; the central error handler is part of what runs."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(
        self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None
    ) -> Outcome:
        result = self._runner.invoke(
            seatctl_app, list(args), env=dict(env or {}), input=input, prog_name="seatctl",
        )
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kwargs: object) -> Outcome:
        outcome = self(*args, **kwargs)  # type: ignore[arg-type]
        assert outcome.exit_code == 0, str(outcome)
        return outcome


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
