"""The repository keeps its promises: CI runs what the README says; completions are current."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.main import get_command

from seatctl.cli.app import app
from seatctl.cli.completion_script import completion_script
from tests.helpers import Cli

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_install_and_test_command() -> None:
    setup = (ROOT / "README.md").read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", setup, re.DOTALL)
    assert len(commands) == 2, "the README's set-up is exactly two commands"
    install_and_run, install_and_test = commands
    assert install_and_run.endswith("seatctl demo")  # the tour, nothing to configure
    assert "pytest" in install_and_test
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert install_and_test in ci_lines


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completions_are_current(shell: str) -> None:
    committed = (ROOT / "completions" / f"seatctl.{shell}").read_text()
    assert committed == completion_script(get_command(app), shell), (
        f"completions/seatctl.{shell} is stale: run "
        f"`seatctl completion {shell} > completions/seatctl.{shell}`"
    )


def test_completion_command_prints_the_committed_script(cli: Cli) -> None:
    assert cli.ok("completion", "bash").stdout == (ROOT / "completions/seatctl.bash").read_text()


def test_completion_request_completes_command_names(tmp_path: Path) -> None:
    env = {**os.environ, "_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": "seatctl con",
           "COMP_CWORD": "1"}
    result = subprocess.run([sys.executable, "-m", "seatctl"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.split() == ["config"]


def test_install_completion_writes_a_bash_script(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash",
           "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    result = subprocess.run([sys.executable, "-m", "seatctl", "--install-completion", "bash"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    installed = (tmp_path / ".bash_completions" / "seatctl.sh").read_text()
    assert "_SEATCTL_COMPLETE=complete_bash" in installed


def test_changelog_follows_keep_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text
    assert "## [Unreleased]" in text


def test_readme_documents_every_exit_code() -> None:
    from seatctl.exit_codes import ExitCode

    text = (ROOT / "README.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", text, re.MULTILINE), code


def test_the_lazy_command_summaries_match_each_commands_help() -> None:
    from seatctl.cli.app import COMMANDS, load_command

    for name, spec in COMMANDS.items():
        first_line = (load_command(name).help or "").strip().splitlines()[0]
        assert first_line == spec.summary, name


SCRIPTS = sorted([*(ROOT / "bench").glob("*.py"), ROOT / "docs" / "pictures.py"])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_name_a_script_imports_from_the_project_exists(script: Path) -> None:
    """bench/ and docs/ scripts run outside the suite: an import a refactoring broke would
    only show when someone runs them."""
    missing = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "seatctl", "tests"):
            try:
                module = importlib.import_module(node.module or "")
            except ImportError:
                missing.append(f"{node.module} (line {node.lineno})")
                continue
            missing += [f"{node.module}.{alias.name} (line {node.lineno})"
                        for alias in node.names if not _importable(module, alias.name)]
    assert not missing, f"{script.relative_to(ROOT)} imports names that no longer exist: {missing}"


def _importable(module: ModuleType, name: str) -> bool:
    if hasattr(module, name):
        return True
    try:
        importlib.import_module(f"{module.__name__}.{name}")
    except ImportError:
        return False
    return True
