"""Crash safety (#7): `seatctl book` SIGKILLed before the POST, during it and during the
watch; the journal stays intact and every interrupted booking resumes to exactly one
booking. The figures come from `python bench/crash.py --runs 100`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.test_soak import bench_module


def run_crashes(workdir: Path, runs: int, seed: int) -> dict[str, object]:
    crash = bench_module("crash")
    summary: dict[str, object] = crash.summary(crash.crash(workdir, runs, seed=seed))
    return summary


def test_a_few_kills_leave_the_journal_intact_and_resume_to_one_booking(
        tmp_path: Path) -> None:
    summary = run_crashes(tmp_path, 4, seed=3)
    assert summary["problems"] == [], summary
    assert summary["corrupt_journals"] == 0
    assert summary["confirmed_once"] == 4


@pytest.mark.long
def test_100_kills_leave_the_journal_intact_and_resume_to_one_booking(
        tmp_path: Path) -> None:
    summary = run_crashes(tmp_path, 100, seed=7)
    assert summary["problems"] == [], summary
    assert summary["corrupt_journals"] == 0
    assert summary["confirmed_once"] == 100
