"""Fixtures of the booking tests."""

from __future__ import annotations

import pytest

from tests.helpers import FakeWallClock


@pytest.fixture
def clock() -> FakeWallClock:
    """Unix time for what a cache judges fresh; starts at WALL_T0, moves when set."""
    return FakeWallClock()
