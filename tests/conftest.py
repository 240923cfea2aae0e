"""Shared fixtures: an isolated environment for every test, and a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Cli

# Proxies would send requests off the machine; SSL_CERT_* would change what is trusted.
CLEARED_ENV = frozenset({
    "FORCE_COLOR", "NO_COLOR", "XDG_CONFIG_HOME", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
    "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE",
    "SSL_CERT_DIR",
})


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No user config, no SEATCTL_* from the developer's shell, no colour, 80 columns."""
    for name in list(os.environ):
        if name.startswith("SEATCTL_") or name in CLEARED_ENV:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    yield dict(os.environ)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "seatctl" / "config.toml"


