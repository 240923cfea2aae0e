"""How long the default test suite takes, against its three-minute budget on two cores.

    python bench/suite.py [--workers 3] [--budget 180]

Runs, in this order and in the same run: the baseline (pytest's fixed cost: the workers
start, import and collect every test module, then run nothing) and the default suite as the
README runs it, with every test's duration. Prints the suite's wall time, its ratio to the
baseline, where the test time goes (the ten slowest files), and PASS when the wall time is
within the budget. Loopback only, as the suite; each run is bounded by a timeout.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE_TIMEOUT_S = 900.0
DURATION = re.compile(r"^(?P<seconds>[0-9.]+)s (?:call|setup|teardown) +(?P<test>\S+)")
SUMMARY = re.compile(r"(?P<passed>\d+) passed")


def run(args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S)
    return time.monotonic() - started, proc.stdout


def test_time_by_file(output: str) -> dict[str, float]:
    by_file: dict[str, float] = collections.defaultdict(float)
    for line in output.splitlines():
        if match := DURATION.match(line):
            by_file[match["test"].split("::")[0]] += float(match["seconds"])
    return by_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--budget", type=float, default=180.0, help="seconds")
    options = parser.parse_args(argv)
    workers = ["-n", str(options.workers)]

    baseline_s, _ = run([*workers, "-k", "nothing_is_named_like_this"])
    suite_s, output = run([*workers, "--durations=0"])
    by_file = test_time_by_file(output)
    passed = SUMMARY.search(output)
    tests = passed["passed"] if passed else "?"

    print(f"baseline (start {options.workers} workers, collect, run nothing): {baseline_s:6.1f} s")
    print(f"default suite ({tests} passed):{'':22}{suite_s:6.1f} s"
          f"   {suite_s / baseline_s:5.1f}x the baseline")
    print(f"test time (calls, set-ups, teardowns):{'':9}{sum(by_file.values()):6.1f} s"
          f"   {sum(by_file.values()) / suite_s:5.2f}x the wall time")
    print("slowest files (test time):")
    for name, seconds in sorted(by_file.items(), key=lambda item: -item[1])[:10]:
        print(f"  {seconds:6.1f} s  {name}")
    verdict = "PASS" if suite_s <= options.budget else "FAIL"
    print(f"{verdict}: {suite_s:.0f} s for a budget of {options.budget:.0f} s "
          f"({suite_s / options.budget:.2f} of it)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
