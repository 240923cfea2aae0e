"""The smoke tests run as if outside GitHub Actions unless a test says otherwise."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
