"""Start-up guard: `--help`, `--version` and shell completion must not load the heavy modules.

Shell completion runs seatctl on every TAB. Timing lives in bench/startup.py; this only reads
the `python -X importtime` log of each path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FORBIDDEN = (
    "httpx", "httpcore", "pydantic", "pydantic_settings", "seatctl.server", "tenacity",
    "tomlkit", "rich",
)
COMPLETE_ENV = {
    "_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": "seatctl con", "COMP_CWORD": "1",
}
PATHS = {
    "help": (["--help"], {}),
    "version": (["--version"], {}),
    "completion": ([], COMPLETE_ENV),
    # a completion with option values given: they must not be coerced (pydantic)
    "completion-with-values": ([], {**COMPLETE_ENV, "COMP_WORDS": "seatctl --timeout 3 -v con",
                                    "COMP_CWORD": "4"}),
}
def imported(path: str) -> set[str]:
    args, extra = PATHS[path]
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE_ENV} | extra
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "seatctl", *args],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )
    if path.startswith("completion"):
        assert "config" in proc.stdout.split()
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    assert "seatctl.cli.main" in modules  # the log was read at all
    return modules


def loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("path", list(PATHS))
def test_no_heavy_imports(path: str) -> None:
    modules = imported(path)
    assert [name for name in FORBIDDEN if loaded(modules, name)] == []


# Each command's module, imported in turn in one fresh interpreter after the start-up path:
# what each one adds is what a TAB after that command (or its --help) would load of ours.
IMPORT_EACH_COMMAND = """
import importlib, json, sys
import seatctl.cli.main
from seatctl.cli.app import COMMANDS
loaded = {}
for name, spec in COMMANDS.items():
    before = set(sys.modules)
    importlib.import_module(spec.module)
    loaded[name] = sorted(set(sys.modules) - before)
print(json.dumps(loaded))
"""


def heavy_by_command() -> dict[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", IMPORT_EACH_COMMAND], capture_output=True,
                          text=True, timeout=60, check=True)
    loaded: dict[str, list[str]] = json.loads(proc.stdout)
    return {name: [heavy for heavy in FORBIDDEN if loaded_as(modules, heavy)]
            for name, modules in loaded.items()}


def loaded_as(modules: list[str], name: str) -> bool:
    return any(module == name or module.startswith(name + ".") for module in modules)


def test_no_command_module_loads_anything_heavy_at_import() -> None:
    heavy = {name: found for name, found in heavy_by_command().items() if found}
    assert heavy == {}, ("these commands' modules import heavy modules at their top, which "
                         f"TAB after them pays for: {heavy}; import them inside the function")


def test_tab_after_a_command_completes_its_options_without_heavy_imports() -> None:
    candidates, modules = completed("book --")
    assert "--help" in candidates and "--seat" in candidates
    assert [name for name in FORBIDDEN if loaded(modules, name)] == []


def completed(words: str) -> tuple[list[str], set[str]]:
    """The candidates a TAB after `words` gets, and the modules that answer loaded."""
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE_ENV} | {
        "_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": f"seatctl {words}",
        "COMP_CWORD": str(len(words.split()))}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "seatctl"],
                          capture_output=True, text=True, env=env, timeout=60, check=True)
    return proc.stdout.split(), {line.rsplit("|", 1)[1].strip()
                                 for line in proc.stderr.splitlines()
                                 if line.startswith("import time:")}
