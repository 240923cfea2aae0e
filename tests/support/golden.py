"""Golden files: renderings compared byte for byte with files in tests/golden/.

`pytest --update-golden` rewrites the files from the current renderings instead (review
the diff before committing it). The `golden` fixture (tests/conftest.py) gives a Golden.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
UPDATE_OPTION = "--update-golden"


# The README's pictures (docs/images/*.svg) are drawn by the same renderers.
PICTURES_HINT = ("the README's pictures come from the same renderers: `python docs/pictures.py` "
                 "redraws them (tests/test_pictures.py says when they are stale)")


@dataclass(frozen=True)
class Golden:
    directory: Path
    update: bool
    test_path: str  # the test file, for the command that updates its goldens
    rewritten: list[str] = field(default_factory=list)  # with --update-golden: what changed

    def check(self, name: str, rendered: str) -> None:
        """`rendered` equals the golden file `name`; with --update-golden it becomes it."""
        self.check_all([(name, rendered)])

    def check_all(self, renderings: Sequence[tuple[str, str]]) -> None:
        """Every (name, rendering) compared, and every difference reported at once."""
        differences = [found for name, rendered in renderings
                       if (found := self._difference(name, rendered)) is not None]
        if differences:
            update = (f"if the new rendering is intended, run `pytest {UPDATE_OPTION} "
                      f"{self.test_path}` and review `git diff tests/golden`; {PICTURES_HINT}")
            pytest.fail("\n".join([*differences, update]), pytrace=False)

    def _difference(self, name: str, rendered: str) -> str | None:
        path = self.directory / name
        shown = f"tests/golden/{name}"
        if self.update:
            if not path.exists() or path.read_bytes().decode("utf-8") != rendered:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(rendered, encoding="utf-8", newline="\n")
                self.rewritten.append(shown)
            return None
        if not path.exists():
            return f"{shown} does not exist"
        expected = path.read_bytes().decode("utf-8")
        if rendered == expected:
            return None
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), rendered.splitlines(keepends=True),
            f"{shown} (golden)", "rendered now"))
        return f"the rendering differs from {shown}:\n{diff}"
