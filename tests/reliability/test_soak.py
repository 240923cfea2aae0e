"""Soak (#7): bookings through resets, proxy 502s, stalls and a server SIGKILL/restart;
none lost, none doubled. The figures come from `python bench/soak.py --bookings 200`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # bench/ is not a package: import its scripts by name
    return importlib.import_module(name)


def assert_none_lost_or_doubled(report: Any, bookings: int) -> None:
    counts = report.counts
    assert counts["lost"] == counts["doubled"] == counts["misreported"] == 0, report
    assert counts["confirmed"] + counts["rejected"] == bookings, report
    assert report.journal_integrity == "ok", report
    assert report.kills == 1, report
    assert report.ok


def test_a_sample_of_bookings_survives_faults_and_a_server_kill(tmp_path: Path) -> None:
    soak = bench_module("soak")
    report = soak.soak(tmp_path, 4, concurrency=2, seed=7, faults=soak.soak_faults(0.2),
                       downtime=0.3)
    assert_none_lost_or_doubled(report, 4)


@pytest.mark.long
def test_200_bookings_survive_faults_and_a_server_kill(tmp_path: Path) -> None:
    soak = bench_module("soak")
    report = soak.soak(tmp_path, 200, concurrency=6, seed=7)
    assert_none_lost_or_doubled(report, 200)
