"""Golden files: renderings compared byte for byte with files in tests/golden/.

`pytest --update-golden` rewrites the files from the current renderings instead (review
the diff before committing it). The `golden` fixture (tests/conftest.py) gives a Golden.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
UPDATE_OPTION = "--update-golden"


@dataclass(frozen=True)
class Golden:
    directory: Path
    update: bool
    test_path: str  # the test file, for the command that updates its goldens

    def check(self, name: str, rendered: str) -> None:
        """`rendered` equals the golden file `name`; with --update-golden it becomes it."""
        path = self.directory / name
        shown = f"tests/golden/{name}"
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered, encoding="utf-8", newline="\n")
            return
        update = (f"if the new rendering is intended, run `pytest {UPDATE_OPTION} "
                  f"{self.test_path}` and review `git diff tests/golden`")
        if not path.exists():
            pytest.fail(f"{shown} does not exist; {update}", pytrace=False)
        expected = path.read_bytes().decode("utf-8")
        if rendered != expected:
            diff = "".join(difflib.unified_diff(
                expected.splitlines(keepends=True), rendered.splitlines(keepends=True),
                f"{shown} (golden)", "rendered now"))
            pytest.fail(f"the rendering differs from {shown}:\n{diff}\n{update}",
                        pytrace=False)
