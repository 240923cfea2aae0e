"""Fixtures of the booking tests."""

from __future__ import annotations

import pytest

from tests.support.clock import ManualWallClock


@pytest.fixture
def clock() -> ManualWallClock:
    """Unix time for what a cache judges fresh; starts at WALL_T0, moves when set."""
    return ManualWallClock()
