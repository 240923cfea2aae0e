"""Shared fixtures: an isolated environment for every test, and a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seatctl.cli.app import app as seatctl_app


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No user config, no SEATCTL_* from the developer's shell, no colour, 80 columns."""
    for name in list(os.environ):
        if name.startswith("SEATCTL_") or name in ("FORCE_COLOR", "NO_COLOR", "XDG_CONFIG_HOME"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    yield dict(os.environ)


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


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "seatctl" / "config.toml"


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


Args = Sequence[str]
