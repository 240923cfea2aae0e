"""The smoke tests run as if outside GitHub Actions unless a test says otherwise, against
reference servers that advertise no keep-alive timeout unless a test sets `timeouts`."""

from __future__ import annotations

from typing import Any

import pytest

from seatctl.server import ConnectionTimeouts, ReferenceServer
from tests.conftest import StartServer

# Smoke's keep-alive watch verifies an advertised `Keep-Alive: timeout=N` by waiting for it:
# the reference server's default (5 s) would hold every run 5 s. Its idle close, 3 s, stays
# above the tests' --min-idle.
QUICK_TIMEOUTS = ConnectionTimeouts(keep_alive_timeout=3.0, advertised_keep_alive=None)


@pytest.fixture(autouse=True)
def outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def start_server(start_server: StartServer) -> StartServer:
    """The shared fixture, with QUICK_TIMEOUTS unless a test gives `timeouts` (`server`,
    built on it, gets them too)."""

    def start(**overrides: Any) -> ReferenceServer:
        overrides.setdefault("timeouts", QUICK_TIMEOUTS)
        return start_server(**overrides)

    return start
